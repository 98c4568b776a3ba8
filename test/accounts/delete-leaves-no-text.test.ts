/**
 * DELETE /me leaves the member's posts as a former member's, and nothing else of what they wrote: no earlier text of
 * a post (a phone number a moderator redacted, or the member edited out), no words quoted in a queue reason, none in
 * the kept live events, no text of a post they had deleted, and no held post that nobody read published after they
 * left (found by the review of a member's data from start to finish).
 */
import { eq, inArray } from 'drizzle-orm'
import pg from 'pg'
import t from 'tap'
import { events, postRevisions, posts } from '../../src/db/schema.js'
import { buildTestApp, TEST_PASSWORD, type TestAccount, type TestApp } from '../helpers/app.js'

const PHONE = '415 555 0187'
const EDITED_OUT = '212 555 0199'
const NO_ONE = '00000000-0000-0000-0000-000000000000'

interface Item {
  id: string
  status: string
  reasons: Array<{ source: string; category: string; detail: string }>
  post: { id: string; state: string; body: string; bodyHtml: string; revisions: unknown[] }
  resolution: { decision: string; reason: string | null; by: string } | null
}

async function queue(h: TestApp, staff: TestAccount, status: 'open' | 'resolved'): Promise<Item[]> {
  return (await h.as(staff, { url: `/api/v1/moderation/queue?status=${status}&limit=100` })).json().items
}

async function itemOf(h: TestApp, staff: TestAccount, postId: string, status: 'open' | 'resolved' = 'open'): Promise<Item | undefined> {
  return (await queue(h, staff, status)).find((i) => i.post.id === postId)
}

const deleteMe = async (h: TestApp, member: TestAccount) => {
  const res = await h.as(member, { method: 'DELETE', url: '/api/v1/me', payload: { password: TEST_PASSWORD } })
  if (res.statusCode !== 204) throw new Error(`${res.statusCode} ${res.body}`)
}

const keptEvents = (h: TestApp) => h.db.database.db.select().from(events)

t.test('a number a moderator redacted, or the member edited out, is gone from the revisions, the queue and the events', async (t) => {
  const h = await buildTestApp(t)
  const mod = await h.signUp({ role: 'moderator' })
  const member = await h.signUp()
  const other = await h.signUp()
  const { threadId } = await h.startThread(other)

  const held = await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: `text me on ${PHONE}` } })
  t.equal(held.json().moderation.state, 'held')
  const redacted = held.json().post.id as string
  const heldItem = await itemOf(h, mod, redacted)
  t.match(heldItem?.reasons, [{ source: 'pii', detail: new RegExp(PHONE) }], 'screening quoted the number to staff')
  const redact = await h.as(mod, { method: 'POST', url: `/api/v1/moderation/queue/${heldItem!.id}/resolve`, payload: { decision: 'redact', body: 'text me (number removed)' } })
  t.equal(redact.statusCode, 200)

  const { postId: edited } = await h.reply(member, threadId, 'plain words at first')
  t.equal((await h.as(member, { method: 'PATCH', url: `/api/v1/posts/${edited}`, payload: { body: `or call ${EDITED_OUT} tonight` } })).statusCode, 200)
  t.equal((await h.as(member, { method: 'PATCH', url: `/api/v1/posts/${edited}`, payload: { body: 'no number after all' } })).statusCode, 200)
  // Another member's report of it, with a note: their words, not the leaving member's.
  const report = await h.as(other, { method: 'POST', url: `/api/v1/posts/${edited}/reports`, payload: { reason: 'other', note: 'OTHERSNOTE read it twice' } })
  t.equal(report.statusCode, 201)
  const before = JSON.stringify(await keptEvents(h))
  t.ok(before.includes(PHONE) && before.includes(EDITED_OUT), 'before: the kept events hold both numbers')

  await deleteMe(h, member)

  const revisions = await h.db.database.db.select().from(postRevisions).where(inArray(postRevisions.postId, [redacted, edited]))
  t.same(revisions, [], "the former member's posts keep no earlier text")
  const staffRead = [...(await queue(h, mod, 'open')), ...(await queue(h, mod, 'resolved'))]
  const read = JSON.stringify(staffRead)
  t.notOk(read.includes(PHONE), 'staff read no redacted number in the queue')
  t.notOk(read.includes(EDITED_OUT), 'nor the number the member edited out')
  const redactedItem = staffRead.find((i) => i.post.id === redacted)
  t.same(redactedItem?.reasons.map((r) => [r.source, r.category, r.detail]), [['pii', 'personal_info', 'personal_info (text removed: its writer left)']], 'the reason keeps its category')
  t.same(redactedItem?.post.revisions, [])
  t.equal(redactedItem?.post.body, 'text me (number removed)', 'the post itself stays as the forum shows it')
  const editedReasons = staffRead.find((i) => i.post.id === edited)?.reasons ?? []
  t.match(editedReasons.find((r) => r.source === 'pii'), { detail: 'personal_info (text removed: its writer left)' })
  for (const reason of editedReasons.filter((r) => r.source !== 'report')) t.equal(reason.detail, `${reason.category} (text removed: its writer left)`)
  t.match(editedReasons.find((r) => r.source === 'report'), { detail: 'OTHERSNOTE read it twice' }, "a report's note, another member's words, stays")

  const kept = await keptEvents(h)
  const after = JSON.stringify(kept)
  for (const gone of [PHONE, EDITED_OUT, member.id, member.handle]) t.notOk(after.includes(gone), `no kept event holds ${gone}`)
  const alerts = kept.filter((e) => e.channel === 'moderation' && (e.data as Item).post.id === redacted)
  t.ok(alerts.length >= 2, 'staff alerts about the post are kept')
  for (const alert of alerts) t.match(alert.data, { post: { body: null, bodyHtml: null, revisions: [] } }, `${alert.event}: without the post's words`)
})

t.test('a post the member deleted keeps no words once the account is deleted', async (t) => {
  const h = await buildTestApp(t)
  const mod = await h.signUp({ role: 'moderator' })
  const member = await h.signUp()
  const other = await h.signUp()
  const { threadId } = await h.startThread(other)
  const { postId } = await h.reply(member, threadId, 'REGRET I wrote too much about me')
  t.equal((await h.as(other, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'other' } })).statusCode, 201)
  t.equal((await h.as(member, { method: 'DELETE', url: `/api/v1/posts/${postId}` })).statusCode, 204)
  t.match((await itemOf(h, mod, postId))?.post, { state: 'deleted', body: /REGRET/ }, 'staff read it until the account goes')

  await deleteMe(h, member)

  const item = await itemOf(h, mod, postId)
  t.match(item?.post, { state: 'deleted', body: '', bodyHtml: '' }, 'the item stays open, without the words')
  const [row] = await h.db.database.db.select().from(posts).where(eq(posts.id, postId))
  t.match(row, { state: 'deleted', bodySource: '', bodyHtml: '', contentWarning: null, authorId: null })
  const page = (await h.as(other, { url: `/api/v1/threads/${threadId}` })).json()
  t.match(page.posts.find((p: { id: string }) => p.id === postId), { state: 'deleted', bodyHtml: null, author: null }, 'readers still see its placeholder')
})

t.test("a held post nobody read is withdrawn with its writer's account, and cannot be published after", async (t) => {
  const h = await buildTestApp(t)
  const mod = await h.signUp({ role: 'moderator' })
  const member = await h.signUp()
  const other = await h.signUp()
  const { threadId } = await h.startThread(other)
  const reply = await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: `my number is ${PHONE}, call me` } })
  t.equal(reply.json().moderation.state, 'held')
  const replyId = reply.json().post.id as string
  const opened = await h.as(member, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: 'Reach me', body: `ring ${PHONE} any time` } })
  t.equal(opened.json().moderation.state, 'held')
  const ownThread = opened.json().thread.id as string
  const openingId = opened.json().post.id as string
  const replyItem = (await itemOf(h, mod, replyId))!
  const openingItem = (await itemOf(h, mod, openingId))!
  t.equal((await h.as(mod, { method: 'POST', url: `/api/v1/moderation/queue/${openingItem.id}/claim` })).statusCode, 200, 'one item is claimed')
  const since = Math.max(0, ...(await keptEvents(h)).map((e) => e.id))

  await deleteMe(h, member)

  t.notOk(await itemOf(h, mod, replyId), 'its item is no longer open')
  t.notOk(await itemOf(h, mod, openingId))
  for (const [item, postId] of [[replyItem, replyId], [openingItem, openingId]] as const) {
    const closed = await itemOf(h, mod, postId, 'resolved')
    t.match(closed, {
      id: item.id,
      status: 'resolved',
      resolution: { decision: 'remove', reason: 'Withdrawn: its writer deleted their account.', by: NO_ONE },
      post: { state: 'deleted', body: '', bodyHtml: '', author: null }
    }, 'closed as a decision on a post its author deleted closes it')
    const approve = await h.as(mod, { method: 'POST', url: `/api/v1/moderation/queue/${item.id}/resolve`, payload: { decision: 'approve' } })
    t.equal(approve.statusCode, 409, 'a moderator can no longer approve it')
    t.equal(approve.json().error.code, 'already_resolved')
  }
  const page = (await h.as(other, { url: `/api/v1/threads/${threadId}` })).json()
  t.notOk(page.posts.some((p: { id: string }) => p.id === replyId), 'readers never see the withdrawn reply, not even as a placeholder')
  t.equal((await h.as(other, { url: `/api/v1/threads/${ownThread}` })).statusCode, 404, 'its thread stays hidden from readers')
  t.match((await h.as(mod, { url: `/api/v1/threads/${ownThread}` })).json(), { thread: { state: 'held', author: null }, posts: [{ id: openingId, state: 'deleted' }] })
  const rows = await h.db.database.db.select().from(posts).where(inArray(posts.id, [replyId, openingId]))
  for (const row of rows) t.match(row, { state: 'deleted', bodySource: '', bodyHtml: '', publishedAt: null, authorId: null })

  const log = (await h.as(mod, { url: '/api/v1/moderation/log?limit=100' })).json().actions as Array<{ actor: unknown; action: string; targetId: string; details: unknown }>
  const withdrawn = log.filter((a) => a.action === 'post.withdrawn')
  t.same(withdrawn.map((a) => a.targetId).sort(), [replyId, openingId].sort(), 'each closing is logged')
  for (const line of withdrawn) t.match(line, { actor: null, details: { cause: 'account.deleted' } }, 'in no one’s name')
  t.notOk(JSON.stringify(log).includes(member.handle), 'the log does not tie the posts to the account')

  // Its news, in the deletion's transaction: the posts deleted (for staff: they were never published) and the items closed.
  const news = (await keptEvents(h)).filter((e) => e.id > since)
  for (const postId of [replyId, openingId]) {
    t.match(news.find((e) => e.event === 'post.deleted' && (e.data as { id: string }).id === postId), { restrictedTo: NO_ONE, data: { author: null, bodyHtml: null } })
  }
  for (const item of [replyItem, openingItem]) {
    t.ok(news.some((e) => e.event === 'queue.item.updated' && (e.data as Item).id === item.id && (e.data as Item).status === 'resolved'), 'staff are told the item closed')
  }
  t.notOk(JSON.stringify(await keptEvents(h)).includes(PHONE), 'no kept event holds the number')
})

t.test("a hidden thread's news stays for staff only, so that its readers are still told", async (t) => {
  const h = await buildTestApp(t)
  const mod = await h.signUp({ role: 'moderator' })
  const member = await h.signUp()
  const reader = await h.signUp()
  const { threadId, postId } = await h.startThread(member, 'general', { title: 'A thread taken down', body: 'opening words' })
  await h.reportAndResolve(reader, mod, postId, { decision: 'remove', reason: 'harassment' })
  const hiding = (await keptEvents(h)).filter((e) => e.event === 'thread.updated' && e.restrictedTo === member.id)
  t.ok(hiding.some((e) => e.channel === `thread:${threadId}`), "the removal told the thread's channel, for its author and staff")

  await deleteMe(h, member)

  const kept = await keptEvents(h)
  for (const event of hiding) t.match(kept.find((e) => e.id === event.id), { restrictedTo: NO_ONE, data: { author: null } }, `${event.channel}: kept, for staff only`)
  t.notOk(kept.some((e) => e.restrictedTo === member.id), 'no kept event is restricted to the deleted account')
})

t.test("the export names a moderator's boards", async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const member = await h.signUp()
  const exported = async () => (await h.as(member, { url: '/api/v1/me/export' })).json().account
  t.same((await exported()).moderatesBoards, [], 'a member moderates none')
  const role = await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${member.id}/role`, payload: { role: 'moderator', boards: ['general', 'family'] } })
  t.equal(role.statusCode, 200)
  t.match(await exported(), { role: 'moderator', moderatesBoards: ['family', 'general'] })
})

t.test(
  "a moderator's decision in progress on the held post and the deletion wait for each other one way, never deadlock",
  { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL: PGlite has one connection, so transactions cannot overlap' },
  async (t) => {
    const h = await buildTestApp(t)
    const mod = await h.signUp({ role: 'moderator' })
    const member = await h.signUp()
    const { threadId } = await h.startThread(mod)
    const held = await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: `call ${PHONE}` } })
    const postId = held.json().post.id as string
    const item = (await itemOf(h, mod, postId))!
    const decision = new pg.Client({ connectionString: h.db.url! })
    await decision.connect()
    t.teardown(() => decision.end())
    // An approval in progress, as resolveItem takes its locks: the item first, then (below) the post.
    await decision.query('begin')
    await decision.query(`set local lock_timeout = '5s'`)
    await decision.query('select id from queue_items where id = $1 for update', [item.id])
    const deleting = h.as(member, { method: 'DELETE', url: '/api/v1/me', payload: { password: TEST_PASSWORD } })
    const waiting = async () => {
      await decision.query('select pg_stat_clear_snapshot()')
      return (await decision.query(`select 1 from pg_stat_activity where wait_event_type = 'Lock' and query ilike '%for update of "queue_items"%'`)).rowCount
    }
    for (let tries = 0; !(await waiting()) && tries < 200; tries++) await new Promise((resolve) => setTimeout(resolve, 50))
    t.ok(await waiting(), "the deletion waits for the item's lock, before taking the post's")
    await decision.query('select id from posts where id = $1 for update', [postId])
    await decision.query(`update posts set state = 'visible', published_at = now() where id = $1`, [postId])
    await decision.query(`update queue_items set status = 'resolved', resolution = $2 where id = $1`, [item.id, { decision: 'approve', reason: null, by: mod.id, at: new Date().toISOString() }])
    await decision.query('commit')
    t.equal((await deleting).statusCode, 204, 'the deletion goes through after the approval')
    const [row] = await h.db.database.db.select().from(posts).where(eq(posts.id, postId))
    t.match(row, { state: 'visible', authorId: null }, 'approved before the deletion: published, as a former member’s')
  }
)
