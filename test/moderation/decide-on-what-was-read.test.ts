import t, { type Test as Tap } from 'tap'
import { buildTestApp, type TestAccount, type TestApp } from '../helpers/app.js'
import { LiveSocket, liveUrl } from '../helpers/live.js'

/**
 * A moderator decides on what they read. An item carries a `version`; a decision that sends it back is refused
 * (409 item_changed, nothing changed) when the author edited the post or a new reason joined the item since.
 */

interface Item {
  id: string
  version: string
  updatedAt: string
  priority: number
  reasons: Array<{ source: string; category: string }>
  post: { id: string; state: string; body: string }
  status: string
}

const queue = async (h: TestApp, staff: TestAccount) => {
  const res = await h.as(staff, { url: '/api/v1/moderation/queue?status=open&limit=100' })
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`)
  return res.json().items as Item[]
}

async function setUp(t: Tap) {
  const h = await buildTestApp(t)
  const author = await h.signUp()
  const reader = await h.signUp()
  const reporter = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(moderator)
  const itemOf = async (postId: string) => (await queue(h, moderator)).find((i) => i.post.id === postId)
  const resolve = (id: string, payload: object) => h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${id}/resolve`, payload })
  const edit = (postId: string, body: string) => h.as(author, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { body } })
  const visibleTo = async (who: TestAccount, postId: string) =>
    ((await h.as(who, { url: `/api/v1/threads/${threadId}` })).json().posts as Array<{ id: string; state: string; bodyHtml: string | null }>).find((p) => p.id === postId)
  const log = async () => (await h.as(moderator, { url: '/api/v1/moderation/log?limit=100' })).json().actions as Array<{ action: string; targetId: string }>
  return { h, author, reader, reporter, moderator, threadId, itemOf, resolve, edit, visibleTo, log }
}

t.test('an approve made on the text before an edit is refused; nothing changes; on the text as it is now it applies', async (t) => {
  const { h, author, reader, threadId, itemOf, resolve, edit, visibleTo, log } = await setUp(t)
  const held = await h.as(author, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'anyone holding tonight' } })
  const postId = held.json().post.id as string
  const read = (await itemOf(postId))!
  t.match(read.version, /^[A-Za-z0-9_-]{22}$/, 'an item carries its version')

  // The author edits the held post into one that no rule holds for, but which the moderator never read.
  h.clock.advance(1000)
  const edited = await edit(postId, 'call me 415 555 0187 whenever')
  t.equal(edited.statusCode, 200)
  const now = (await itemOf(postId))!
  t.not(now.version, read.version, 'the edit moves the version')
  t.not(now.updatedAt, read.updatedAt, "and the item's updatedAt")

  const refused = await resolve(read.id, { decision: 'approve', version: read.version })
  t.equal(refused.statusCode, 409)
  t.equal(refused.json().error.code, 'item_changed')
  t.equal(refused.json().error.details.item.post.body, 'call me 415 555 0187 whenever', 'the error carries the item as it is now')
  t.equal(refused.json().error.details.item.version, now.version)
  t.notOk(await visibleTo(reader, postId), 'the post stays held')
  t.equal((await itemOf(postId))?.status, 'open', 'the item stays open')
  t.notOk((await log()).some((a) => a.targetId === postId && a.action === 'post.approved'), 'nothing is logged')

  const redacted = await resolve(read.id, { decision: 'redact', body: 'call me whenever', version: now.version })
  t.equal(redacted.statusCode, 200, 'a decision on the current version applies')
  t.match(await visibleTo(reader, postId), { state: 'visible', bodyHtml: '<p>call me whenever</p>' })
})

t.test('a claim or a release does not move the version; a new report does', async (t) => {
  const { h, author, reader, reporter, moderator, threadId, itemOf, resolve } = await setUp(t)
  const { postId } = await h.reply(author, threadId, 'you are all useless, every one of you')
  t.equal((await h.as(reader, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'harassment' } })).statusCode, 201)
  const read = (await itemOf(postId))!
  const claimed = await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${read.id}/claim` })
  t.equal(claimed.json().item.version, read.version, 'a claim keeps it')
  const released = await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${read.id}/release` })
  t.equal(released.json().item.version, read.version, 'a release keeps it')

  const report = await h.as(reporter, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'crisis', note: 'they said goodbye in chat' } })
  t.equal(report.statusCode, 201)
  const refused = await resolve(read.id, { decision: 'approve', version: read.version })
  t.equal(refused.statusCode, 409, 'a crisis report that arrived after the read is not closed unseen')
  t.equal(refused.json().error.code, 'item_changed')
  t.ok(refused.json().error.details.item.reasons.some((r: { category: string }) => r.category === 'crisis'))
  const now = (await itemOf(postId))!
  t.equal(now.priority, 0, 'still open, now first in the queue')
  t.equal((await resolve(read.id, { decision: 'approve', version: now.version })).statusCode, 200)
})

t.test('without a version a decision applies to the post as it is, as the contract says', async (t) => {
  const { h, author, reader, threadId, itemOf, resolve, edit, visibleTo } = await setUp(t)
  const held = await h.as(author, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'hmu for percs' } })
  const postId = held.json().post.id as string
  const item = (await itemOf(postId))!
  t.equal((await edit(postId, 'sorry, wrong thread')).statusCode, 200)
  t.equal((await resolve(item.id, { decision: 'approve' })).statusCode, 200)
  t.match(await visibleTo(reader, postId), { state: 'visible', bodyHtml: '<p>sorry, wrong thread</p>' })
  t.equal((await resolve(item.id, { decision: 'approve', version: item.version })).statusCode, 409, 'a resolved item stays resolved (already_resolved first)')
})

t.test('bad versions: too long is 400, an unknown one is 409, and neither changes anything', async (t) => {
  const { h, author, reader, threadId, itemOf, resolve, visibleTo } = await setUp(t)
  const held = await h.as(author, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'plug me in, need oxy' } })
  const postId = held.json().post.id as string
  const item = (await itemOf(postId))!
  const long = await resolve(item.id, { decision: 'approve', version: 'x'.repeat(65) })
  t.equal(long.statusCode, 400)
  t.equal(long.json().error.code, 'validation_failed')
  const empty = await resolve(item.id, { decision: 'approve', version: '' })
  t.equal(empty.statusCode, 400)
  const unknown = await resolve(item.id, { decision: 'approve', version: 'not-a-version-of-this' })
  t.equal(unknown.statusCode, 409)
  t.notOk(await visibleTo(reader, postId))
  t.equal((await itemOf(postId))?.version, item.version)
})

t.test('an edit of a post under review, with no new reason, tells the moderators live', async (t) => {
  const { h, author, moderator, threadId, itemOf, edit } = await setUp(t)
  const url = await liveUrl(h.app)
  const socket = await LiveSocket.open(url, { token: moderator.token })
  t.teardown(() => socket.close())
  await socket.subscribe('moderation')
  const held = await h.as(author, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'anyone holding tonight' } })
  const postId = held.json().post.id as string
  await socket.waitFor((m) => m.event === 'queue.item.created' && (m.data as { post: { id: string } }).post.id === postId)
  const before = (await itemOf(postId))!
  const from = socket.messages.length
  t.equal((await edit(postId, 'nevermind, doing better now')).statusCode, 200)
  const news = await socket.waitFor((m) => m.event === 'queue.item.updated', 3000, from)
  const data = news.data as unknown as Item
  t.equal(data.post.body, 'nevermind, doing better now', 'the moderators read the new text')
  t.not(data.version, before.version)
  t.equal(data.reasons.length, before.reasons.length, 'no reason was added')
})
