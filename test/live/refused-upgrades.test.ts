import pg from 'pg'
import WebSocket from 'ws'
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { appOnThrowawayCluster, postgresBin } from '../helpers/cluster.js'
import { liveUrl, sleep } from '../helpers/live.js'

/** A client that is refused, reads the answer, and hangs up (as a browser does); resolves with the status. */
function refusedAndHungUp(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.on('error', () => {})
    ws.once('open', () => {
      ws.close()
      reject(new Error('the upgrade was accepted'))
    })
    ws.once('unexpected-response', (req, res) => {
      res.resume()
      req.destroy()
      resolve(res.statusCode ?? 0)
    })
  })
}

const openConnections = (server: { getConnections(cb: (error: Error | null, n: number) => void): void }) =>
  new Promise<number>((resolve) => server.getConnections((_error, n) => resolve(n)))

/** Resolves 'closed' if app.close() finishes within the time, 'hung' otherwise. */
const closesWithin = (close: () => Promise<unknown>, ms: number) =>
  Promise.race([close().then(() => 'closed'), sleep(ms).then(() => 'hung')])

t.test(
  'upgrades refused while the database is down (503 from the session lookup) leave no socket open, and the instance still shuts down',
  { skip: postgresBin() ? false : 'needs the PostgreSQL server binaries (initdb, pg_ctl)' },
  async (t) => {
    // The test closes the app itself; a teardown after a failure never waits more than 2 s on a hung one.
    const { app, cluster } = await appOnThrowawayCluster(t, { poolSize: 3, closeWithinMs: 2000 })
    const signup = await app.inject({ method: 'POST', url: '/api/v1/accounts', payload: { handle: 'steady-wren', password: 'a long enough password', circle: 'recovery' } })
    const token = signup.json().token as string
    const url = await liveUrl(app)
    await cluster.stop()
    const statuses: number[] = []
    for (let i = 0; i < 20; i++) statuses.push(await refusedAndHungUp(url, { authorization: `Bearer ${token}` }))
    t.same([...new Set(statuses)], [503], 'each reconnect is refused 503')
    await sleep(500)
    t.equal(await openConnections(app.server), 0, 'no server socket is left once the clients hung up')
    await cluster.start()
    await sleep(500)
    t.equal(await openConnections(app.server), 0, 'nor once the database is back')
    t.equal(await closesWithin(() => app.close(), 5000), 'closed', 'the instance shuts down')
  }
)

t.test('upgrades shed under load (503) leave no socket open, and the instance still shuts down', async (t) => {
  // Any lag at all sheds, and the event loop is kept lagging while the upgrades are refused.
  const h = await buildTestApp(t, { maxEventLoopDelayMs: 1 })
  const url = await liveUrl(h.app)
  const member = await h.signUp()
  const busy = setInterval(() => {
    const until = Date.now() + 40
    while (Date.now() < until);
  }, 45)
  t.teardown(() => clearInterval(busy))
  for (let i = 0; i < 100 && !h.app.isUnderPressure(); i++) await sleep(50)
  t.ok(h.app.isUnderPressure(), 'the instance is shedding load')
  const statuses: number[] = []
  for (let i = 0; i < 10; i++) statuses.push(await refusedAndHungUp(url, { authorization: `Bearer ${member.token}` }))
  clearInterval(busy)
  t.same([...new Set(statuses)], [503], 'each upgrade is refused 503')
  await sleep(500)
  t.equal(await openConnections(h.app.server), 0, 'no server socket is left once the clients hung up')
  t.equal(await closesWithin(() => h.app.close(), 5000), 'closed', 'the instance shuts down')
})

t.test('upgrades refused for a malformed URL or an unknown path leave no socket open', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  t.equal(await refusedAndHungUp(`${url}%zz`), 400, 'a malformed URL is 400')
  t.equal(await refusedAndHungUp(url.replace('/live', '/nowhere')), 404, 'an unknown path is 404')
  t.equal(await refusedAndHungUp(url, { origin: 'https://elsewhere.example' }), 403, 'a foreign origin is 403')
  await sleep(500)
  t.equal(await openConnections(h.app.server), 0, 'no server socket is left once the clients hung up')
  t.equal(await closesWithin(() => h.app.close(), 5000), 'closed', 'the instance shuts down')
})

t.test('an upgrade answered 503 while the instance shuts down leaves no socket open, and the shutdown finishes', { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL (a second connection holding a lock)' }, async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  // The shutdown is held while the hub finishes its outbox read: a read waiting for a round, which waits for this lock.
  const gate = new pg.Client({ connectionString: h.db.url! })
  await gate.connect()
  t.teardown(() => gate.end())
  await gate.query("insert into events (channel, event, data, created_at) values ('board:general', 'thread.updated', '{}', now())")
  await gate.query('begin')
  await gate.query('select pg_advisory_xact_lock(1280263508)')
  void h.app.liveHub.poll()
  await sleep(200)
  const closing = h.app.close()
  await sleep(200)
  t.equal(await refusedAndHungUp(url), 503, 'an upgrade while shutting down is refused 503 (by Fastify itself, before any hook)')
  await sleep(500)
  t.equal(await openConnections(h.app.server), 0, 'no server socket is left once the client hung up')
  await gate.query('commit')
  t.equal(await closesWithin(() => closing, 5000), 'closed', 'the shutdown finishes')
})
