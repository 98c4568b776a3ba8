/**
 * Reports from REPORT_HIDE_THRESHOLD accounts hold a post until a moderator looks; three throwaway accounts made a
 * second earlier are enough. What they must never hide (found by the reports review): a person in crisis, staff's own
 * posts, and a text staff already approved. And a hold of a thread's opening post must not take its repliers' own
 * words from them.
 */
import { eq } from 'drizzle-orm'
import t, { type Test } from 'tap'
import { events } from '../../src/db/schema.js'
import { buildTestApp, type TestAccount, type TestApp } from '../helpers/app.js'

interface Item {
  id: string
  priority: number
  post: { id: string; state: string }
  reasons: Array<{ source: string; category: string; detail: string }>
}

const report = (h: TestApp, who: TestAccount, postId: string, reason = 'spam') =>
  h.as(who, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason } })

/** Accounts made for the purpose, with nothing written. */
async function throwaways(h: TestApp, n = 3): Promise<TestAccount[]> {
  const made: TestAccount[] = []
  for (let i = 0; i < n; i++) made.push(await h.signUp())
  return made
}

async function brigade(t: Test, h: TestApp, postId: string, reason = 'spam') {
  for (const troll of await throwaways(h)) t.equal((await report(h, troll, postId, reason)).statusCode, 201, 'the report is taken')
}

const itemOf = async (h: TestApp, staff: TestAccount, postId: string) =>
  ((await h.as(staff, { url: '/api/v1/moderation/queue?status=open&limit=100' })).json().items as Item[]).find((i) => i.post.id === postId)

const shownTo = async (h: TestApp, reader: TestAccount, threadId: string, postId: string) => {
  const page = await h.as(reader, { url: `/api/v1/threads/${threadId}` })
  return page.statusCode === 200 && (page.json().posts as Array<{ id: string; state: string }>).some((p) => p.id === postId && p.state === 'visible')
}

t.test('a post that reads as a crisis stays in front of its peers however many accounts report it; staff see every report', async (t) => {
  const h = await buildTestApp(t)
  const inCrisis = await h.signUp()
  const reader = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(reader, 'general', { body: 'How is everyone doing tonight?' })
  const crisis = await h.as(inCrisis, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'I am going to end it all tonight' } })
  t.equal(crisis.json().moderation.state, 'visible', 'escalated and published')
  const postId = crisis.json().post.id as string
  await brigade(t, h, postId)
  t.ok(await shownTo(h, reader, threadId, postId), 'still shown to the peers who could answer it')
  const item = await itemOf(h, moderator, postId)
  t.equal(item?.priority, 0, 'at the head of the queue')
  t.equal(item?.reasons.filter((r) => r.source === 'report').length, 3, 'with every report')
  const alerts = await h.db.database.db.select().from(events).where(eq(events.channel, 'moderation'))
  t.equal(alerts.filter((e) => (e.data as { post: { id: string } }).post.id === postId).length, 4, 'staff were told of the post and of each report')
})

t.test('crisis reports never count towards a hold: a worried peer does not silence the person', async (t) => {
  const h = await buildTestApp(t)
  const author = await h.signUp()
  const reader = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(reader)
  const { postId } = await h.reply(author, threadId, 'Not sure I can keep going like this, honestly.')
  await brigade(t, h, postId, 'crisis')
  t.ok(await shownTo(h, reader, threadId, postId), 'three crisis reports leave it visible')
  for (const troll of await throwaways(h)) await report(h, troll, postId, 'harassment')
  t.ok(await shownTo(h, reader, threadId, postId), 'and once a crisis report is on its item, no other report hides it either')
  const item = await itemOf(h, moderator, postId)
  t.match(item, { priority: 0, post: { state: 'visible' } })
  t.equal(item?.reasons.length, 6, 'every report is queued')
})

t.test("staff's own posts are never held by reports: another moderator decides", async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const moderator = await h.signUp({ role: 'moderator' })
  const reader = await h.signUp()
  const { threadId, postId } = await h.startThread(admin, 'general', { body: 'Forum guidelines: be kind. Crisis lines are pinned here.' })
  await brigade(t, h, postId)
  t.equal((await h.as(reader, { url: `/api/v1/threads/${threadId}` })).statusCode, 200, "an admin's thread stays up under three reports")
  const { postId: modReply } = await h.reply(moderator, threadId, 'Mod note: tapering threads go in relapse prevention.')
  await brigade(t, h, modReply)
  t.ok(await shownTo(h, reader, threadId, modReply), "so does a moderator's reply")
  const item = await itemOf(h, moderator, postId)
  t.equal(item?.reasons.length, 3, 'the reports wait in the queue')
  const own = await h.as(admin, { method: 'POST', url: `/api/v1/moderation/queue/${item!.id}/resolve`, payload: { decision: 'approve' } })
  t.equal(own.statusCode, 403, 'for someone other than the author to decide')
  t.equal((await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${item!.id}/resolve`, payload: { decision: 'approve' } })).statusCode, 200)
})

t.test('a post staff approved is not held again by fresh accounts, until its author edits it', async (t) => {
  const h = await buildTestApp(t)
  const author = await h.signUp()
  const reader = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(reader)
  const { postId } = await h.reply(author, threadId, 'My honest share about week two.')
  await brigade(t, h, postId)
  t.notOk(await shownTo(h, reader, threadId, postId), 'held by the first reports')
  const first = await itemOf(h, moderator, postId)
  t.equal((await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${first!.id}/resolve`, payload: { decision: 'approve' } })).statusCode, 200)
  t.ok(await shownTo(h, reader, threadId, postId), 'approved')

  h.clock.advance(60_000)
  await brigade(t, h, postId)
  t.ok(await shownTo(h, reader, threadId, postId), 'three new accounts do not hide the text staff approved')
  const second = await itemOf(h, moderator, postId)
  t.equal(second?.reasons.length, 3, 'their reports wait in the queue')
  t.equal((await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${second!.id}/resolve`, payload: { decision: 'approve' } })).statusCode, 200)

  h.clock.advance(60_000)
  const edit = await h.as(author, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { body: 'Words staff never read.' } })
  t.equal(edit.statusCode, 200)
  h.clock.advance(60_000)
  await brigade(t, h, postId)
  t.notOk(await shownTo(h, reader, threadId, postId), 'edited since the approval: the reports hold it again')
})

t.test("a reply's author keeps editing and deleting their own reply in a thread held by reports", async (t) => {
  const h = await buildTestApp(t)
  const opener = await h.signUp()
  const replier = await h.signUp()
  const other = await h.signUp()
  const reader = await h.signUp()
  const { threadId, postId: opening } = await h.startThread(opener, 'general', { body: 'Meeting tonight, who is coming?' })
  const { postId: mine } = await h.reply(replier, threadId, 'Count me in, see you there.')
  const { postId: theirs } = await h.reply(other, threadId, 'Me too, I will bring coffee.')
  await brigade(t, h, opening)
  t.equal((await h.as(reader, { url: `/api/v1/threads/${threadId}` })).statusCode, 404, 'the thread is held from its readers')
  t.equal((await h.as(replier, { url: `/api/v1/threads/${threadId}` })).statusCode, 404, 'its repliers included')

  const edit = await h.as(replier, { method: 'PATCH', url: `/api/v1/posts/${mine}`, payload: { body: 'Changed my mind, staying home.' } })
  t.equal(edit.statusCode, 200, 'the replier edits their own reply')
  t.equal(edit.json().post.bodyHtml, '<p>Changed my mind, staying home.</p>')
  const exported = (await h.as(replier, { url: '/api/v1/me/export' })).json()
  t.ok(JSON.stringify(exported).includes('Changed my mind, staying home.'), 'and finds it in their export')
  t.equal((await h.as(replier, { method: 'PATCH', url: `/api/v1/posts/${theirs}`, payload: { body: 'not mine' } })).statusCode, 404, "another's reply there stays unknown to them")
  t.equal((await h.as(replier, { method: 'DELETE', url: `/api/v1/posts/${theirs}` })).statusCode, 404)
  t.equal((await h.as(replier, { method: 'DELETE', url: `/api/v1/posts/${mine}` })).statusCode, 204, 'and deletes their own')
  t.equal((await h.as(reader, { url: `/api/v1/threads/${threadId}` })).statusCode, 404, 'the thread stays held')
})
