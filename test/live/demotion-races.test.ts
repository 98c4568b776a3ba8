/**
 * A moderator demoted while the live layer is between reading their account and acting on it (found by the
 * family-board review; each interleaving is forced here by holding one step, and each can happen for real):
 * - a socket whose account was read before the demotion and that joins after its news was read: the first socket of
 *   an account reads it again when news of it came meanwhile (src/live/hub.ts adopt);
 * - a resume whose replay is read while the channel is being authorised again: the replay waits with the live
 *   events for that authorisation and is dropped with them when it fails (src/live/hub.ts subscribe).
 */
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { holdReads, LiveSocket, liveUrl, sleep } from '../helpers/live.js'

t.test('a moderator demoted while their socket is being opened: the socket reads the account again and loses the family board', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const admin = await h.signUp({ role: 'admin' })
  const mod = await h.signUp({ circle: 'recovery' })
  t.equal((await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${mod.id}/role`, payload: { role: 'moderator' } })).statusCode, 200)
  const parent = await h.signUp({ circle: 'family' })

  const hub = h.app.liveHub as unknown as { add(c: unknown): void }
  const add = hub.add.bind(hub)
  let joined!: () => void
  const upgraded = new Promise<void>((resolve) => {
    hub.add = (c: unknown) => {
      // The upgrade's session read is done (as a moderator); the demotion lands before the socket joins the hub.
      joined = () => add(c)
      resolve()
    }
  })
  const opening = LiveSocket.open(url, { token: mod.token })
  await upgraded
  const demoted = await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${mod.id}/role`, payload: { role: 'member' } })
  t.equal(demoted.json().account.role, 'member')
  await sleep(300) // the hub reads the account.updated: no socket of the account yet, so it is dropped
  joined()
  hub.add = add
  const s = await opening
  t.teardown(() => s.close())

  t.equal((await h.as(mod, { url: '/api/v1/boards/family/threads' })).statusCode, 404, 'over HTTP the member is refused at once')
  // Refused at once, or, if the subscribe read the old copy, ended as soon as the account is read again.
  s.send({ type: 'subscribe', channel: 'board:family' })
  t.match(await s.waitFor((m) => m.type === 'error' && m.channel === 'board:family'), { code: 'not_found' }, 'the family board is not theirs live either')
  await h.startThread(parent, 'family', { title: 'STALESECRET my son is using again' })
  await sleep(500)
  t.notOk(JSON.stringify(s.messages).includes('STALESECRET'), 'nor does a family thread reach them')
})

t.test('a resume in flight when its moderator is demoted: the replay waits for the new authorisation and goes with it', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const admin = await h.signUp({ role: 'admin' })
  const mod = await h.signUp({ circle: 'recovery' })
  t.equal((await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${mod.id}/role`, payload: { role: 'moderator' } })).statusCode, 200)
  const parent = await h.signUp({ circle: 'family' })
  await h.startThread(parent, 'family', { title: 'Before: legitimately seen by staff' })
  await sleep(300)

  const s = await LiveSocket.open(url, { token: mod.token })
  t.teardown(() => s.close())
  t.equal((await s.subscribe('me')).type, 'subscribed')
  const cursor = (await s.subscribe('board:family')).cursor!
  s.send({ type: 'unsubscribe', channel: 'board:family' })
  await s.waitFor((m) => m.type === 'unsubscribed')

  const hub = h.app.liveHub as unknown as {
    latestId: () => Promise<number>
    reauthorise: (...a: unknown[]) => Promise<void>
    db: unknown
  }
  // 1. The resume's first read (latestId) waits for gate A.
  let openA!: () => void
  const gateA = new Promise<void>((r) => (openA = r))
  let inResume!: () => void
  const resumeStarted = new Promise<void>((r) => (inResume = r))
  const latestId = hub.latestId.bind(hub)
  hub.latestId = async () => { inResume(); await gateA; return latestId() }
  // 2. The demotion's re-authorisation read answers only when released.
  const proto = Object.getPrototypeOf(hub) as object
  const realDb = Object.getOwnPropertyDescriptor(proto, 'db')!.get!.call(hub) as object
  const { db: gatedDb, release: openB } = holdReads(realDb, () => true)
  let armed = false
  Object.defineProperty(hub, 'db', { configurable: true, get: () => (armed ? gatedDb : realDb) })
  const reauthorise = hub.reauthorise.bind(hub)
  let reauthStarted!: () => void
  const reauthSeen = new Promise<void>((r) => (reauthStarted = r))
  hub.reauthorise = (...a: unknown[]) => {
    armed = true
    try { return reauthorise(...a) } finally { armed = false; reauthStarted() }
  }

  s.send({ type: 'subscribe', channel: 'board:family', since: cursor })
  await resumeStarted
  // Authorised as a moderator; now demoted, and a family thread is written after the demotion.
  t.equal((await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${mod.id}/role`, payload: { role: 'member' } })).statusCode, 200)
  await h.startThread(parent, 'family', { title: 'AFTERDEMOTION my son stole from us' })
  await reauthSeen // the hub read the account.updated: the re-authorisation holds the channel and reads the board
  openA() // the resume reads the outbox (after the demotion) and sends its replay
  await sleep(500)
  openB()
  await s.waitFor((m) => m.type === 'error' && m.channel === 'board:family')
  t.equal((await h.as(mod, { url: '/api/v1/boards/family/threads' })).statusCode, 404, 'over HTTP: a member now')
  t.notOk(JSON.stringify(s.messages).includes('AFTERDEMOTION'), 'the family thread written after the demotion is not replayed to them')
})
