/**
 * A moderator's redaction is staff's own text (found by the limits review, M3): the accounts that reported the post
 * before cannot "renew" their reports on it (a renewal follows only its author's edits), and reports do not hold it,
 * as they do not hold a text staff approved, until its author edits it again.
 */
import { eq } from 'drizzle-orm'
import t from 'tap'
import { reports } from '../../src/db/schema.js'
import { buildTestApp, type TestAccount, type TestApp } from '../helpers/app.js'

interface Item {
  id: string
  post: { id: string; state: string }
  reasons: Array<{ source: string; category: string; detail: string }>
}

const report = (h: TestApp, who: TestAccount, postId: string, payload: Record<string, unknown> = { reason: 'harassment' }) =>
  h.as(who, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload })

const itemOf = async (h: TestApp, staff: TestAccount, postId: string) =>
  ((await h.as(staff, { url: '/api/v1/moderation/queue?status=open&limit=100' })).json().items as Item[]).find((i) => i.post.id === postId)

const shownTo = async (h: TestApp, reader: TestAccount, threadId: string, postId: string) => {
  const page = await h.as(reader, { url: `/api/v1/threads/${threadId}` })
  return page.statusCode === 200 && (page.json().posts as Array<{ id: string; state: string }>).some((p) => p.id === postId && p.state === 'visible')
}

/** A reply three accounts held, which a moderator then published with a redaction. */
async function redacted(h: TestApp) {
  const author = await h.signUp()
  const reader = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(reader, 'general', { body: 'Weekend plans thread.' })
  const { postId } = await h.reply(author, threadId, 'Going to the lake with my sponsor this weekend.')
  const trolls = [await h.signUp(), await h.signUp(), await h.signUp()]
  const firsts = []
  for (const troll of trolls) firsts.push((await report(h, troll, postId)).json().report)
  h.clock.advance(60_000)
  const item = await itemOf(h, moderator, postId)
  if (item?.post.state !== 'held') throw new Error('the three reports did not hold the post')
  const redaction = await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${item!.id}/resolve`, payload: { decision: 'redact', body: 'Going to the lake this weekend.' } })
  if (redaction.statusCode !== 200) throw new Error(`redact: ${redaction.statusCode} ${redaction.body}`)
  h.clock.advance(60_000)
  return { author, reader, moderator, threadId, postId, trolls, firsts }
}

t.test("the accounts that reported a post before its redaction cannot renew their reports on staff's text", async (t) => {
  const h = await buildTestApp(t)
  const { reader, moderator, threadId, postId, trolls, firsts } = await redacted(h)
  t.ok(await shownTo(h, reader, threadId, postId), "published with staff's correction")
  for (const [i, troll] of trolls.entries()) {
    const again = await report(h, troll, postId)
    t.equal(again.statusCode, 200)
    t.same(again.json().report, firsts[i], 'the report as it was: a redaction is not an edit by the author')
  }
  t.equal(await itemOf(h, moderator, postId), undefined, 'nothing queued')
  t.ok(await shownTo(h, reader, threadId, postId), 'still shown')

  const amended = await report(h, trolls[0]!, postId, { reason: 'spam', note: 'still spam' })
  t.equal(amended.statusCode, 200)
  t.match(amended.json().report, { id: firsts[0]!.id, note: 'still spam' }, 'saying something new amends the report')
  // Staff decided on this report already: an amendment that tells of no crisis is kept on it, not queued again.
  t.equal(await itemOf(h, moderator, postId), undefined, 'nothing queued again')
  t.ok(await shownTo(h, reader, threadId, postId), 'still shown')
})

t.test('reports from other accounts do not hold a redacted text either, until its author edits it', async (t) => {
  const h = await buildTestApp(t)
  const { author, reader, moderator, threadId, postId, trolls } = await redacted(h)
  for (let i = 0; i < 3; i++) t.equal((await report(h, await h.signUp(), postId)).statusCode, 201)
  t.ok(await shownTo(h, reader, threadId, postId), 'staff wrote that text: three new reports do not hold it')
  t.equal((await itemOf(h, moderator, postId))?.reasons.length, 3, 'they wait in the queue')

  t.equal((await h.as(author, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { body: 'Going to the lake, you lot are pathetic.' } })).statusCode, 200)
  h.clock.advance(1000)
  const renewed = await report(h, trolls[0]!, postId)
  t.equal(renewed.statusCode, 200)
  t.equal(renewed.json().report.createdAt, h.clock.now().toISOString(), "after the author's own edit, the report is renewed")
  t.match((await itemOf(h, moderator, postId))?.reasons.at(-1), { detail: 'reported again as harassment after an edit' })
  t.notOk(await shownTo(h, reader, threadId, postId), 'and the reports hold the words staff never read')
  const [kept] = await h.db.database.db.select().from(reports).where(eq(reports.reporterId, trolls[0]!.id))
  t.equal(kept?.createdAt.toISOString(), h.clock.now().toISOString())
})
