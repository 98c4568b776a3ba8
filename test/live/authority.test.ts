/**
 * What an open socket may read follows the account and the thread as they are now, not as they were when it
 * subscribed: a demoted or suspended moderator, a hidden thread, a cookie upgrade without an Origin.
 */
import { eq } from 'drizzle-orm'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { accounts } from '../../src/db/schema.js'
import { buildTestApp, testConfig } from '../helpers/app.js'
import { LiveSocket, liveUrl, sleep } from '../helpers/live.js'

const isError = (channel: string) => (m: { type: string; channel?: string }) => m.type === 'error' && m.channel === channel

t.test('a demoted moderator loses moderation and the other circle at once, on the socket already open', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const admin = await h.signUp({ role: 'admin' })
  const mod = await h.signUp({ circle: 'recovery' })
  t.equal((await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${mod.id}/role`, payload: { role: 'moderator' } })).statusCode, 200)
  const { threadId } = await h.startThread(admin)
  const s = await LiveSocket.open(url, { token: mod.token })
  t.teardown(() => s.close())
  t.equal((await s.subscribe('moderation')).type, 'subscribed')
  t.equal((await s.subscribe('board:family')).type, 'subscribed', 'staff read every board')
  t.equal((await s.subscribe(`thread:${threadId}`)).type, 'subscribed')

  const demoted = await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${mod.id}/role`, payload: { role: 'member' } })
  t.equal(demoted.json().account.role, 'member')
  t.equal((await s.waitFor(isError('moderation'))).code, 'not_found', 'moderation ends with not_found')
  t.equal((await s.waitFor(isError('board:family'))).code, 'not_found', 'the family board ends too')
  t.notOk(s.messages.some(isError(`thread:${threadId}`)), 'a channel the member may still read stays')

  // What staff would have heard is no longer sent: a held reply with a phone number, a family thread.
  const author = await h.signUp()
  const held = await h.as(author, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'call me on 07700 900123 tonight' } })
  t.equal(held.json().moderation.state, 'held')
  const parent = await h.signUp({ circle: 'family' })
  await h.startThread(parent, 'family', { title: 'My son is using again' })
  await sleep(600)
  t.notOk(JSON.stringify(s.messages).includes('07700'), 'no held body and no queue item reach the demoted member')
  t.notOk(JSON.stringify(s.messages).includes('My son is using again'), 'no family thread reaches them')
  // And a fresh subscribe is refused, as over HTTP.
  t.equal((await s.subscribe('moderation')).type, 'error')
  t.equal((await s.subscribe('board:family')).type, 'error')

  // Promoted again: the same socket may subscribe again without reconnecting.
  await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${mod.id}/role`, payload: { role: 'moderator' } })
  let again = ''
  for (let i = 0; i < 30 && again !== 'subscribed'; i++) {
    await sleep(100)
    again = (await s.subscribe('moderation')).type
  }
  t.equal(again, 'subscribed', 'a promotion reaches the open socket too')
})

t.test('a suspended moderator loses the moderation channel and every moderation route', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const admin = await h.signUp({ role: 'admin' })
  const mod = await h.signUp({ role: 'moderator' })
  const s = await LiveSocket.open(url, { token: mod.token })
  t.teardown(() => s.close())
  t.equal((await s.subscribe('moderation')).type, 'subscribed')
  t.equal((await s.subscribe('me')).type, 'subscribed')
  const suspended = await h.as(admin, { method: 'POST', url: `/api/v1/moderation/accounts/${mod.id}/suspend`, payload: { reason: 'misused the tools' } })
  t.equal(suspended.statusCode, 200)
  t.equal((await s.waitFor(isError('moderation'))).code, 'not_found')
  t.ok(await s.waitFor((m) => m.event === 'account.suspended'), 'the me channel stays: they are told')
  t.equal((await s.subscribe('moderation')).type, 'error')
  // Lifted: the tools come back.
  await h.as(admin, { method: 'POST', url: `/api/v1/moderation/accounts/${mod.id}/unsuspend`, payload: {} })
  t.ok(await s.waitFor((m) => m.event === 'account.updated'), 'account.updated on me')
  let again = ''
  for (let i = 0; i < 30 && again !== 'subscribed'; i++) {
    await sleep(100)
    again = (await s.subscribe('moderation')).type
  }
  t.equal(again, 'subscribed')
})

t.test('readers of a thread that is removed lose it before its next reply; its author and staff keep it', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const mod = await h.signUp({ role: 'moderator' })
  const author = await h.signUp()
  const reader = await h.signUp()
  const { threadId, postId } = await h.startThread(author, 'general', { title: 'a thread to be removed', body: 'opening words' })
  const sockets = await Promise.all([reader, author, mod].map((a) => LiveSocket.open(url, { token: a.token })))
  t.teardown(() => sockets.forEach((s) => s.close()))
  const [readerSocket, authorSocket, modSocket] = sockets as [LiveSocket, LiveSocket, LiveSocket]
  for (const s of sockets) t.equal((await s.subscribe(`thread:${threadId}`)).type, 'subscribed')

  await h.reportAndResolve(reader, mod, postId, { decision: 'remove', reason: 'harassment' })
  t.equal((await h.as(reader, { url: `/api/v1/threads/${threadId}` })).statusCode, 404, 'REST: the thread is gone for the reader')
  t.equal((await readerSocket.waitFor(isError(`thread:${threadId}`))).code, 'not_found', 'and so is its channel')

  const reply = await h.as(author, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'PRIVATE words in a removed thread' } })
  t.equal(reply.statusCode, 201)
  await authorSocket.waitFor((m) => m.event === 'post.created' && JSON.stringify(m.data).includes('PRIVATE'))
  await modSocket.waitFor((m) => m.event === 'post.created' && JSON.stringify(m.data).includes('PRIVATE'))
  t.notOk(JSON.stringify(readerSocket.messages).includes('PRIVATE'), 'the reader never gets the reply')
})

t.test('readers of a thread whose opening post is edited into a hold lose it; a resume of the board no longer shows it', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const author = await h.signUp()
  const reader = await h.signUp()
  const { threadId, postId } = await h.startThread(author, 'general', { title: 'edited later', body: 'nothing personal here' })
  const readerSocket = await LiveSocket.open(url, { token: reader.token })
  t.teardown(() => readerSocket.close())
  t.equal((await readerSocket.subscribe(`thread:${threadId}`)).type, 'subscribed')

  const edit = await h.as(author, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { body: 'call me on 415-555-0187' } })
  t.equal(edit.json().moderation.state, 'held')
  t.equal((await readerSocket.waitFor(isError(`thread:${threadId}`))).code, 'not_found', 'the thread channel ends for the reader')
  const reply = await h.as(author, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'PRIVATE words in a held thread' } })
  t.equal(reply.statusCode, 201)
  await sleep(300)
  t.notOk(JSON.stringify(readerSocket.messages).includes('PRIVATE'), 'the reader never gets the reply')

  const resume = await LiveSocket.open(url, { token: reader.token })
  t.teardown(() => resume.close())
  await resume.subscribe('board:general', '0')
  await sleep(300)
  t.same(resume.events('board:general').filter((m) => m.data?.id === threadId), [], "the board's replay no longer announces the thread")
  const own = await LiveSocket.open(url, { token: author.token })
  t.teardown(() => own.close())
  await own.subscribe('board:general', '0')
  const mine = await own.waitFor((m) => m.event === 'thread.updated' && m.data?.id === threadId)
  t.equal(mine.data?.state, 'held', 'its author hears that it is held')
})

t.test("a moderator's boards taken away while connected: the live queue follows at once, as the REST queue does", async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const admin = await h.signUp({ role: 'admin' })
  const mod = await h.signUp({ role: 'moderator' })
  const parent = await h.signUp({ circle: 'family' })
  const member = await h.signUp()
  const s = await LiveSocket.open(url, { token: mod.token })
  t.teardown(() => s.close())
  t.equal((await s.subscribe('me')).type, 'subscribed')
  t.equal((await s.subscribe('moderation')).type, 'subscribed')

  const scoped = await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${mod.id}/role`, payload: { role: 'moderator', boards: ['general'] } })
  t.equal(scoped.statusCode, 200)
  await s.waitFor((m) => m.channel === 'me' && m.event === 'account.updated')
  await h.as(parent, { method: 'POST', url: '/api/v1/boards/family/threads', payload: { title: 'Family number', body: 'FAMILY call 415-555-0187' } })
  await h.as(member, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: 'General number', body: 'GENERAL call 415-555-0199' } })
  const general = await s.waitFor((m) => m.event === 'queue.item.created' && JSON.stringify(m.data).includes('GENERAL'))
  t.ok(general, 'a board still theirs reaches them')
  t.notOk(JSON.stringify(s.events('moderation')).includes('FAMILY'), 'a board taken away does not')
})

t.test('a cookie upgrade needs an allowed Origin; a token upgrade needs none', async (t) => {
  const h = await buildTestApp(t, { allowedOrigins: ['https://forum.example.org'] })
  const url = await liveUrl(h.app)
  const member = await h.signUp()
  const cookie = `lantern_session=${member.token}`
  await t.rejects(LiveSocket.open(url, { headers: { cookie } }), /refused: 403/, 'no Origin with a cookie')
  await t.rejects(LiveSocket.open(url, { headers: { cookie, origin: 'https://evil.example' } }), /refused: 403/, 'a foreign Origin')
  const allowed = await LiveSocket.open(url, { headers: { cookie, origin: 'https://forum.example.org' } })
  t.equal((await allowed.subscribe('me')).type, 'subscribed')
  allowed.close()
  const token = await LiveSocket.open(url, { token: member.token })
  t.equal((await token.subscribe('me')).type, 'subscribed', 'a bearer token without Origin (a native client) is fine')
  token.close()
})

t.test('a change made without an event (the admin CLI, a lapsed suspension) reaches open sockets at the session check', async (t) => {
  const h = await buildTestApp(t)
  const app = await buildApp({ config: testConfig({ logLevel: 'silent' }), database: h.db.database, clock: h.clock, live: { sessionCheckMs: 200 } })
  t.teardown(() => app.close())
  const url = await liveUrl(app)
  const mod = await h.signUp({ role: 'moderator' })
  const s = await LiveSocket.open(url, { token: mod.token })
  t.teardown(() => s.close())
  t.equal((await s.subscribe('moderation')).type, 'subscribed')
  // As `npm run cli` or a hand-made fix would: straight in the database, no event.
  await h.db.database.db.update(accounts).set({ role: 'member' }).where(eq(accounts.id, mod.id))
  t.equal((await s.waitFor(isError('moderation'))).code, 'not_found')
})
