/**
 * A write that commits while the hub's read of the outbox is under way asks for one more round; when that round
 * fails (a dropped connection, a timeout), the asked-for round is tried again soon, not left to the periodic poll
 * two seconds later. A failed round that no write waited for is not repeated at once, so an outage is not a loop.
 */
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { sleep } from '../helpers/live.js'

interface HubInside {
  sequence(): Promise<void>
  timers: NodeJS.Timeout[]
  poll(): Promise<void>
}

/** The app's hub with its periodic poll stopped and its rounds counted; the first `failing` rounds wait for `release` and throw. */
async function hubWithFailingRounds(t: Parameters<typeof buildTestApp>[0], failing: number) {
  const h = await buildTestApp(t)
  const hub = h.app.liveHub as unknown as HubInside
  for (const timer of hub.timers) clearInterval(timer)
  const real = hub.sequence.bind(hub)
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  const rounds: number[] = []
  hub.sequence = async () => {
    rounds.push(Date.now())
    if (rounds.length <= failing) {
      await gate
      throw new Error('connection terminated unexpectedly')
    }
    return real()
  }
  return { h, hub, rounds, release }
}

t.test('a round asked for during a failed one runs soon after it', async (t) => {
  const { h, hub, rounds, release } = await hubWithFailingRounds(t, 1)
  const first = hub.poll()
  void hub.poll() // a write committed meanwhile
  const failedAt = Date.now()
  release()
  await first
  t.equal(rounds.length, 1, 'the failed round ends the first call')
  for (let waited = 0; rounds.length < 2 && waited < 1500; waited += 20) await sleep(20)
  t.equal(rounds.length, 2, 'the asked-for round ran again')
  t.ok(rounds[1]! - failedAt < 1000, `well before the periodic poll (${rounds[1]! - failedAt} ms)`)
  t.ok(h.logs.some((line) => line.includes('live: reading the outbox failed')), 'the failure is logged')
})

t.test('a failed round no write waited for is left to the periodic poll', async (t) => {
  const { rounds, hub, release } = await hubWithFailingRounds(t, 1)
  const first = hub.poll()
  release()
  await first
  await sleep(600)
  t.equal(rounds.length, 1, 'not repeated at once')
})

t.test('a round that fails again is not retried in a loop', async (t) => {
  const { rounds, hub, release } = await hubWithFailingRounds(t, 10)
  const first = hub.poll()
  void hub.poll()
  release()
  await first
  await sleep(800)
  t.equal(rounds.length, 2, 'one retry for the waiting write, then the periodic poll')
})
