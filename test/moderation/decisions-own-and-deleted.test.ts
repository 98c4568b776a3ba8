/**
 * Two limits on a moderator's decisions: nobody decides about their own post (another moderator does), and a
 * decision on a post its author deleted only closes the item, leaving the post as its author left it.
 */
import t from 'tap'
import { and, eq, gt } from 'drizzle-orm'
import { events, moderationLog, postRevisions, posts, threads } from '../../src/db/schema.js'
import { buildTestApp, type TestAccount, type TestApp } from '../helpers/app.js'

interface Item {
  id: string
  status: string
  post: { id: string; state: string }
  resolution: { decision: string } | null
}

async function openItemOf(h: TestApp, staff: TestAccount, postId: string): Promise<Item | undefined> {
  const items = (await h.as(staff, { url: '/api/v1/moderation/queue?status=open&limit=100' })).json().items as Item[]
  return items.find((i) => i.post.id === postId)
}

/** The id of the newest live event so far: what a decision writes comes after it. */
async function lastEventId(h: TestApp): Promise<number> {
  const rows = await h.db.database.db.select({ id: events.id }).from(events)
  return Math.max(0, ...rows.map((r) => r.id))
}

async function eventsAfter(h: TestApp, id: number) {
  return h.db.database.db.select().from(events).where(gt(events.id, id))
}

const claim = (h: TestApp, staff: TestAccount, item: Item) => h.as(staff, { method: 'POST', url: `/api/v1/moderation/queue/${item.id}/claim` })
const resolve = (h: TestApp, staff: TestAccount, item: Item, payload: Record<string, unknown>) =>
  h.as(staff, { method: 'POST', url: `/api/v1/moderation/queue/${item.id}/resolve`, payload })

t.test('a moderator cannot claim or decide the item of their own held post; another moderator can', async (t) => {
  const h = await buildTestApp(t)
  const own = await h.signUp({ role: 'moderator' })
  const other = await h.signUp({ role: 'moderator' })
  const reader = await h.signUp()
  const { threadId } = await h.startThread(reader)
  const res = await h.as(own, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'text me on 07700 900123 any time' } })
  t.equal(res.json().moderation.state, 'held', "the moderator's own post is held for personal information")
  const postId = res.json().post.id as string

  const item = await openItemOf(h, own, postId)
  t.ok(item, 'the item still shows in their queue')
  const claimed = await claim(h, own, item!)
  t.equal(claimed.statusCode, 403)
  t.match(claimed.json(), { error: { code: 'forbidden', message: /another moderator/ } })
  for (const payload of [{ decision: 'approve' }, { decision: 'remove', reason: 'mine' }, { decision: 'redact', body: 'text me any time' }]) {
    const decided = await resolve(h, own, item!, payload)
    t.equal(decided.statusCode, 403, `${payload.decision} is refused`)
    t.match(decided.json(), { error: { code: 'forbidden', message: /another moderator/ } })
  }
  t.equal((await h.as(own, { method: 'POST', url: `/api/v1/moderation/queue/${item!.id}/release` })).statusCode, 200, 'releasing it is harmless')

  const page = (await h.as(reader, { url: `/api/v1/threads/${threadId}` })).json()
  t.notOk(JSON.stringify(page).includes('07700'), 'the number is not published')
  const [post] = await h.db.database.db.select().from(posts).where(eq(posts.id, postId))
  t.equal(post!.state, 'held', 'the post is still held')
  const logged = await h.db.database.db.select().from(moderationLog).where(eq(moderationLog.actorId, own.id))
  t.same(logged.map((l) => l.action), ['queue.released'], 'no claim and no decision of theirs is logged')
  t.match(await openItemOf(h, other, postId), { status: 'open' }, 'the item waits, open, for another moderator')

  t.equal((await claim(h, other, item!)).statusCode, 200, 'another moderator claims it')
  t.equal((await resolve(h, other, item!, { decision: 'redact', body: 'text me any time' })).statusCode, 200, 'and decides it')
  t.equal((await h.as(own, { method: 'POST', url: `/api/v1/moderation/queue/${item!.id}/release` })).statusCode, 409, 'resolved, it cannot be released')
})

t.test('an admin cannot close a report against their own post either', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const moderator = await h.signUp({ role: 'moderator' })
  const reader = await h.signUp()
  const { threadId } = await h.startThread(reader)
  const { postId } = await h.reply(admin, threadId, 'Honestly some of you should just give up.')
  t.equal((await h.as(reader, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'harassment' } })).statusCode, 201)
  const item = await openItemOf(h, admin, postId)
  t.equal((await claim(h, admin, item!)).statusCode, 403, 'no claim')
  const dismissed = await resolve(h, admin, item!, { decision: 'approve', reason: 'fine' })
  t.equal(dismissed.statusCode, 403, 'no dismissal')
  t.match(dismissed.json(), { error: { code: 'forbidden' } })

  // Claimed by another moderator, the item is refused to its author for being theirs, whatever else is true of it.
  t.equal((await claim(h, moderator, item!)).statusCode, 200)
  t.equal((await resolve(h, moderator, item!, { decision: 'remove', reason: 'harassment' })).statusCode, 200, 'another moderator decides')
  const [post] = await h.db.database.db.select().from(posts).where(eq(posts.id, postId))
  t.equal(post!.state, 'removed')
})

t.test('staff decide on posts of others, and on those of former members, as before', async (t) => {
  const h = await buildTestApp(t)
  const moderator = await h.signUp({ role: 'moderator' })
  const reader = await h.signUp()
  const leaving = await h.signUp()
  const { threadId } = await h.startThread(reader)
  const { postId } = await h.reply(leaving, threadId, 'you are all idiots')
  t.equal((await h.as(reader, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'harassment' } })).statusCode, 201)
  t.equal((await h.as(leaving, { method: 'DELETE', url: '/api/v1/me', payload: { password: 'a long enough password' } })).statusCode, 204)
  const item = await openItemOf(h, moderator, postId)
  t.equal((await claim(h, moderator, item!)).statusCode, 200)
  t.equal((await resolve(h, moderator, item!, { decision: 'remove', reason: 'harassment' })).statusCode, 200)
})

t.test('removing the item of a reply its author deleted closes the item and changes nothing else', async (t) => {
  const h = await buildTestApp(t)
  const moderator = await h.signUp({ role: 'moderator' })
  const author = await h.signUp()
  const reader = await h.signUp()
  const { threadId } = await h.startThread(reader)
  const { postId } = await h.reply(author, threadId, 'you are all idiots')
  t.equal((await h.as(reader, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'harassment' } })).statusCode, 201)
  t.equal((await h.as(author, { method: 'DELETE', url: `/api/v1/posts/${postId}` })).statusCode, 204, 'the author deletes it')
  const item = await openItemOf(h, moderator, postId)
  t.match(item, { status: 'open', post: { state: 'deleted' } }, 'the item stays open for the deleted post')

  const since = await lastEventId(h)
  const removed = await resolve(h, moderator, item!, { decision: 'remove', reason: 'harassment' })
  t.equal(removed.statusCode, 200)
  t.match(removed.json().item, { status: 'resolved', resolution: { decision: 'remove', reason: 'harassment', by: moderator.id }, post: { state: 'deleted' } })

  const shown = (await h.as(reader, { url: `/api/v1/threads/${threadId}` })).json().posts.find((p: { id: string }) => p.id === postId)
  t.match(shown, { state: 'deleted', removalReason: null, bodyHtml: null }, 'the post stays deleted as its author left it')
  const [post] = await h.db.database.db.select().from(posts).where(eq(posts.id, postId))
  t.match(post, { state: 'deleted', removalReason: null })
  const news = await eventsAfter(h, since)
  t.same(news.map((e) => e.event), ['queue.item.updated'], 'only the moderators hear of it: no post news, nothing on the author\'s channel')
  const [line] = await h.db.database.db.select().from(moderationLog).where(and(eq(moderationLog.actorId, moderator.id), eq(moderationLog.action, 'post.removed')))
  t.match(line, { targetId: postId, reason: 'harassment', details: { queueItemId: item!.id, postDeletedByAuthor: true } }, 'the decision is logged')
  t.notOk(await openItemOf(h, moderator, postId), 'the item left the open queue')
})

t.test('removing the item of a deleted opening post leaves its thread and its replies alone', async (t) => {
  const h = await buildTestApp(t)
  const moderator = await h.signUp({ role: 'moderator' })
  const author = await h.signUp()
  const reader = await h.signUp()
  const { threadId, postId } = await h.startThread(author, 'general', { title: 'You lot', body: 'you are all idiots' })
  await h.reply(reader, threadId, 'That is not kind, but I hope you are ok.')
  t.equal((await h.as(reader, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'harassment' } })).statusCode, 201)
  t.equal((await h.as(author, { method: 'DELETE', url: `/api/v1/posts/${postId}` })).statusCode, 204)
  const item = await openItemOf(h, moderator, postId)
  const since = await lastEventId(h)
  t.equal((await resolve(h, moderator, item!, { decision: 'remove', reason: 'harassment' })).statusCode, 200)

  const page = await h.as(reader, { url: `/api/v1/threads/${threadId}` })
  t.equal(page.statusCode, 200, 'the thread is still there for its readers')
  t.equal(page.json().posts.length, 2, 'with its reply')
  const [thread] = await h.db.database.db.select().from(threads).where(eq(threads.id, threadId))
  t.equal(thread!.state, 'visible')
  t.same((await eventsAfter(h, since)).map((e) => e.event), ['queue.item.updated'], 'no thread news')
})

t.test('redacting or approving the item of a deleted held post writes nothing into it and publishes nothing', async (t) => {
  const h = await buildTestApp(t)
  const moderator = await h.signUp({ role: 'moderator' })
  const author = await h.signUp()
  const reader = await h.signUp()
  const { threadId } = await h.startThread(reader)
  for (const decision of [{ decision: 'redact', body: 'call me [number removed]' }, { decision: 'approve' }]) {
    const res = await h.as(author, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'call me 07700 900123' } })
    t.equal(res.json().moderation.state, 'held')
    const postId = res.json().post.id as string
    t.equal((await h.as(author, { method: 'DELETE', url: `/api/v1/posts/${postId}` })).statusCode, 204)
    const item = await openItemOf(h, moderator, postId)
    const since = await lastEventId(h)
    const decided = await resolve(h, moderator, item!, decision)
    t.equal(decided.statusCode, 200, `${decision.decision} closes the item`)
    t.match(decided.json().item, { status: 'resolved', resolution: { decision: decision.decision } })

    const [post] = await h.db.database.db.select().from(posts).where(eq(posts.id, postId))
    t.match(post, { state: 'deleted', bodySource: 'call me 07700 900123', editedAt: null, publishedAt: null }, `${decision.decision}: the post is as its author left it`)
    t.same(await h.db.database.db.select().from(postRevisions).where(eq(postRevisions.postId, postId)), [], 'no revision')
    t.same((await eventsAfter(h, since)).map((e) => e.event), ['queue.item.updated'], 'no post.updated, no post.approved')
  }
})

t.test('a decision on a deleted post is still checked as any other', async (t) => {
  const h = await buildTestApp(t)
  const moderator = await h.signUp({ role: 'moderator' })
  const author = await h.signUp()
  const { threadId } = await h.startThread(moderator)
  const res = await h.as(author, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'call me 07700 900123' } })
  const postId = res.json().post.id as string
  t.equal((await h.as(author, { method: 'DELETE', url: `/api/v1/posts/${postId}` })).statusCode, 204)
  const item = await openItemOf(h, moderator, postId)
  t.equal((await resolve(h, moderator, item!, { decision: 'redact' })).statusCode, 400, 'a redaction without a body')
  t.equal((await resolve(h, moderator, item!, { decision: 'redact', body: 'x', title: 'New title' })).statusCode, 400, "a reply's redaction with a title")
  t.equal((await resolve(h, moderator, item!, { decision: 'approve' })).statusCode, 200)
  t.equal((await resolve(h, moderator, item!, { decision: 'remove' })).statusCode, 409, 'and once closed, it is closed')
})
