/**
 * A moderator limited to some boards who is demoted never reads every board, not even for the moment before an
 * instance has read the demotion: the role and the boards are read together (a demotion deletes the boards, and a
 * moderator with no boards moderates every board). The instance's outbox reads are held back to keep the moment open.
 */
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { openDatabase } from '../../src/db/client.js'
import { buildTestApp, testConfig, type TestAccount, type TestApp } from '../helpers/app.js'
import { LiveSocket, liveUrl, sleep } from '../helpers/live.js'

type Poller = { poll: () => Promise<void> }

/** A recovery-circle moderator of `general` only, and a family queue item (a reply held for a phone number). */
async function setUp(t: Test) {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const mod = await h.signUp({ circle: 'recovery' })
  const made = await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${mod.id}/role`, payload: { role: 'moderator', boards: ['general'] } })
  t.equal(made.statusCode, 200)
  const parent = await h.signUp({ circle: 'family' })
  const family = await h.startThread(parent, 'family', { title: 'Family', body: 'hello' })
  const held = await h.as(parent, { method: 'POST', url: `/api/v1/threads/${family.threadId}/posts`, payload: { body: 'FAMILYQUEUE call me 07700 900123' } })
  t.equal(held.json().moderation.state, 'held')
  return { h, admin, mod, familyThread: family.threadId }
}

/** Holds back the instance's reads of the outbox: it goes on believing what it read before. */
function holdNews(t: Test, app: TestApp['app']) {
  const hub = app.liveHub as unknown as Poller
  const poll = hub.poll.bind(hub)
  hub.poll = () => Promise.resolve()
  t.teardown(() => {
    hub.poll = poll
  })
}

async function demote(h: TestApp, admin: TestAccount, mod: TestAccount) {
  const res = await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${mod.id}/role`, payload: { role: 'member' } })
  if (res.json().account?.role !== 'member') throw new Error(`demotion failed: ${res.body}`)
}

async function secondInstance(t: Test, h: TestApp) {
  const databaseB = h.db.url ? await openDatabase({ url: h.db.url, poolSize: 3 }) : h.db.database
  const appB = await buildApp({ config: testConfig({ logLevel: 'silent' }), database: databaseB, clock: h.clock })
  t.teardown(async () => {
    await appB.close()
    if (databaseB !== h.db.database) await databaseB.close()
  })
  return appB
}

async function resumesFindNothing(t: Test, s: LiveSocket, familyThread: string) {
  const from = s.messages.length
  t.match(await s.subscribe('moderation', '0'), { type: 'error', code: 'not_found' }, 'a resume of `moderation` is refused')
  t.match(await s.subscribe('board:family', '0'), { type: 'error', code: 'not_found' }, 'the family board is still closed to them')
  t.match(await s.subscribe(`thread:${familyThread}`, '0'), { type: 'error', code: 'not_found' }, 'and its threads')
  await sleep(300)
  t.notOk(JSON.stringify(s.messages.slice(from)).includes('FAMILYQUEUE'), 'the family queue item never reaches them')
}

t.test('a demoted board moderator gets no board of the other circle before the instance reads the demotion', async (t) => {
  const { h, admin, mod, familyThread } = await setUp(t)
  const s = await LiveSocket.open(await liveUrl(h.app), { token: mod.token })
  t.teardown(() => s.close())
  t.equal((await s.subscribe('moderation', '0')).type, 'subscribed', 'as a moderator of general, they have the queue')
  await sleep(200)
  t.notOk(JSON.stringify(s.messages).includes('FAMILYQUEUE'), 'with no family item')

  holdNews(t, h.app)
  await demote(h, admin, mod)
  await resumesFindNothing(t, s, familyThread)
})

t.test('the same on a second instance, which has not read the demotion made through the first', async (t) => {
  const { h, admin, mod, familyThread } = await setUp(t)
  const appB = await secondInstance(t, h)
  const s = await LiveSocket.open(await liveUrl(appB), { token: mod.token })
  t.teardown(() => s.close())
  t.equal((await s.subscribe('moderation', '0')).type, 'subscribed', 'on B, as a moderator of general, they have the queue')

  holdNews(t, appB)
  await demote(h, admin, mod)
  await resumesFindNothing(t, s, familyThread)
})

t.test('a board moderator made a moderator of every board gets every board at once, from the same read', async (t) => {
  const { h, admin, mod, familyThread } = await setUp(t)
  const s = await LiveSocket.open(await liveUrl(h.app), { token: mod.token })
  t.teardown(() => s.close())
  holdNews(t, h.app)
  const widened = await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${mod.id}/role`, payload: { role: 'moderator' } })
  t.equal(widened.statusCode, 200)
  t.equal((await s.subscribe('moderation', '0')).type, 'subscribed')
  await s.waitFor((m) => JSON.stringify(m).includes('FAMILYQUEUE'))
  t.equal((await s.subscribe(`thread:${familyThread}`)).type, 'subscribed', 'and the family board as staff')
})

t.test('a suspended moderator gets no staff reading before the instance reads the suspension', async (t) => {
  const { h, admin, mod } = await setUp(t)
  const member = await h.signUp()
  const { threadId } = await h.startThread(member, 'general', { title: 'A thread', body: 'on a board they moderate' })
  const held = await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'HELDREPLY call me 07700 900123' } })
  t.equal(held.json().moderation.state, 'held')
  await h.app.liveHub.poll()
  const s = await LiveSocket.open(await liveUrl(h.app), { token: mod.token })
  t.teardown(() => s.close())
  t.equal((await s.subscribe(`thread:${threadId}`, '0')).type, 'subscribed')
  await s.waitFor((m) => JSON.stringify(m).includes('HELDREPLY'), 3000)
  t.pass('before: as staff of general, the held reply comes in the replay')
  s.send({ type: 'unsubscribe', channel: `thread:${threadId}` })
  await sleep(100)

  holdNews(t, h.app)
  const suspended = await h.as(admin, { method: 'POST', url: `/api/v1/moderation/accounts/${mod.id}/suspend`, payload: { reason: 'misused the tools' } })
  t.equal(suspended.statusCode, 200)
  t.match(await s.subscribe('moderation', '0'), { type: 'error', code: 'not_found' }, 'the queue is refused at once')
  const from = s.messages.length
  t.equal((await s.subscribe(`thread:${threadId}`, '0')).type, 'subscribed', 'the thread, as a member')
  await sleep(300)
  t.notOk(JSON.stringify(s.messages.slice(from)).includes('HELDREPLY'), 'without the held reply')
})
