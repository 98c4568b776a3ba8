import t from 'tap'
import { and, eq } from 'drizzle-orm'
import { sessionIdFromToken } from '../../src/accounts/sessions.js'
import { accounts, boards, events, sessions, threads } from '../../src/db/schema.js'
import { createReply, type ReplyTarget, sessionWithReplyTarget } from '../../src/forum/posts.js'
import { RuleBook } from '../../src/moderation/rules.js'
import { buildTestApp } from '../helpers/app.js'

// The reply route reads the writer's session and the reply's target in one statement
// (sessionWithReplyTarget): everything the usual session check and the usual target read decide
// must come out the same through it.

t.test('the reply route checks its session as every route does', async (t) => {
  const h = await buildTestApp(t)
  const owner = await h.signUp()
  const { threadId } = await h.startThread(owner)
  const post = (auth: Record<string, string>, id = threadId) =>
    h.app.inject({ method: 'POST', url: `/api/v1/threads/${id}/posts`, headers: auth, payload: { body: 'Thinking of you today.' } })

  t.test('without a session, or with an unknown one, it is 401', async (t) => {
    t.equal((await post({})).statusCode, 401)
    const res = await post({ authorization: `Bearer ${'a'.repeat(32)}` })
    t.equal(res.statusCode, 401)
    t.equal(res.json().error.code, 'unauthenticated')
  })

  t.test('a session slides forward when a reply uses it, and ends after 30 idle days', async (t) => {
    const member = await h.signUp()
    const id = sessionIdFromToken(member.token)
    const before = (await h.db.database.db.select().from(sessions).where(eq(sessions.id, id)))[0]?.expiresAt.getTime() ?? 0
    h.clock.advance(20 * 86_400_000)
    t.equal((await post(member.auth)).statusCode, 201, 'replied on day 20')
    const after = (await h.db.database.db.select().from(sessions).where(eq(sessions.id, id)))[0]?.expiresAt.getTime() ?? 0
    t.equal(after - before, 20 * 86_400_000, 'renewed for 30 days from the reply')
    h.clock.advance(31 * 86_400_000)
    t.equal((await post(member.auth)).statusCode, 401, 'expired after 31 idle days')
    t.equal((await h.db.database.db.select().from(sessions).where(eq(sessions.id, id))).length, 0, 'the expired session is gone')
  })

  t.test('a signed-out session cannot reply', async (t) => {
    const member = await h.signUp()
    t.equal((await h.as(member, { method: 'DELETE', url: '/api/v1/sessions/current' })).statusCode, 204)
    t.equal((await post(member.auth)).statusCode, 401)
  })

  t.test('an id that is not a uuid is 404 before anything is read (ids are opaque), as an unknown thread is', async (t) => {
    const member = await h.signUp()
    const bad = await post(member.auth, 'not-a-uuid')
    t.equal(bad.statusCode, 404)
    t.equal(bad.json().error.code, 'not_found')
    const unknown = await post(member.auth, '0190a5d4-0000-7000-8000-000000000000')
    t.equal(unknown.statusCode, 404)
  })
})

t.test('the reply route decides on the thread as before', async (t) => {
  const h = await buildTestApp(t)
  const parent = await h.signUp({ circle: 'family' })
  const member = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const familyThread = await h.startThread(parent, 'family', { title: 'Worried about my son', body: 'He does not know I am here.' })
  const { threadId } = await h.startThread(member)

  t.test('a family thread does not exist for the recovery circle', async (t) => {
    const res = await h.as(member, { method: 'POST', url: `/api/v1/threads/${familyThread.threadId}/posts`, payload: { body: 'Hello there, friend.' } })
    t.equal(res.statusCode, 404)
    t.equal((await h.as(parent, { method: 'POST', url: `/api/v1/threads/${familyThread.threadId}/posts`, payload: { body: 'Same here.' } })).statusCode, 201)
  })

  t.test('a locked thread refuses members and takes staff', async (t) => {
    t.equal((await h.as(moderator, { method: 'PATCH', url: `/api/v1/threads/${threadId}`, payload: { locked: true } })).statusCode, 200)
    const refused = await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'One more thing.' } })
    t.equal(refused.statusCode, 403)
    t.equal(refused.json().error.details.reason, 'thread_locked')
    t.equal((await h.as(moderator, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'Locked for now, take care.' } })).statusCode, 201)
  })

  t.test('the board hears of the reply with the thread as it is', async (t) => {
    const { threadId: open } = await h.startThread(member, 'general', { title: 'Open thread' })
    await h.reply(parent, open)
    const read = await h.as(member, { url: `/api/v1/threads/${open}` })
    t.equal(read.json().thread.postCount, 2)
  })

  t.test('the lookup gives the session row the usual lookup gives, and the target', async (t) => {
    const id = sessionIdFromToken(member.token)
    let target: ReplyTarget | null = null
    const row = await sessionWithReplyTarget(threadId, (found) => (target = found))(h.db.database.db, id)
    t.equal(row?.session.id, id)
    t.equal(row?.account.id, member.id)
    t.match(target, { thread: { id: threadId, locked: true }, board: { slug: 'general' }, authorHandle: member.handle })
    t.type((target as ReplyTarget | null)?.rulesRevision, 'number')

    let missing: ReplyTarget | null = null
    await sessionWithReplyTarget('0190a5d4-0000-7000-8000-000000000000', (found) => (missing = found))(h.db.database.db, id)
    t.match(missing, { thread: null, board: null })
    let none: ReplyTarget | null = null
    t.equal(await sessionWithReplyTarget(threadId, (found) => (none = found))(h.db.database.db, 'f'.repeat(64)), undefined, 'no such session')
    t.equal(none, null, 'and no target')
  })
})

t.test('without a target read beforehand, a reply reads it itself and decides the same', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(member)
  const deps = { db: h.db.database.db, clock: h.clock, config: h.config, rules: new RuleBook(), crisisResources: [] }
  const [author] = await deps.db.select().from(accounts).where(eq(accounts.id, member.id))
  if (!author) throw new Error('no author')

  const { post, moderation } = await createReply(deps, author, threadId, { body: 'Thinking of you today.' })
  t.equal(post.threadId, threadId)
  t.equal(moderation.state, 'visible')
  t.equal((await h.as(member, { url: `/api/v1/threads/${threadId}` })).json().thread.postCount, 2)

  await t.rejects(createReply(deps, author, '0190a5d4-0000-7000-8000-000000000000', { body: 'Anyone there?' }), { code: 'not_found' })
  t.equal((await h.as(moderator, { method: 'PATCH', url: `/api/v1/threads/${threadId}`, payload: { locked: true } })).statusCode, 200)
  await t.rejects(createReply(deps, author, threadId, { body: 'One more thing.' }), { code: 'forbidden' })
})

t.test("a reply's board news takes the thread's title as the reply's own statement finds it, not as the session lookup read it", async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const { threadId } = await h.startThread(member, 'general', { title: 'The title as stored', body: 'opening words' })
  const deps = { db: h.db.database.db, clock: h.clock, config: h.config, rules: new RuleBook(), crisisResources: [] }
  const [author] = await deps.db.select().from(accounts).where(eq(accounts.id, member.id))
  const [thread] = await deps.db.select().from(threads).where(eq(threads.id, threadId))
  const [board] = await deps.db.select().from(boards).where(eq(boards.slug, 'general'))
  if (!author || !thread || !board) throw new Error('setup')
  // The target as read a moment before a moderator redacted the title.
  const stale: ReplyTarget = { thread: { ...thread, title: 'Text me 415-555-0187' }, board, authorHandle: member.handle, rulesRevision: 0 }
  await createReply(deps, author, threadId, { body: 'Thinking of you today.' }, stale)
  const news = await deps.db.select().from(events).where(and(eq(events.channel, 'board:general'), eq(events.event, 'thread.updated')))
  t.equal(news.length, 1)
  t.match(news[0]?.data, { id: threadId, title: 'The title as stored', postCount: 2 })
})
