/**
 * A crisis report puts its post at the head of the queue. One account's crisis reports rank first only up to
 * REPORT_CRISIS_PER_HOUR in an hour: past that they are ordinary reports, so one account (a troll, a throwaway)
 * cannot bury real crises under false ones, nor keep reports from holding a post by calling it a crisis.
 */
import t from 'tap'
import { buildTestApp, type TestAccount, type TestApp } from '../helpers/app.js'

interface Item {
  priority: number
  post: { id: string; state: string }
  reasons: Array<{ source: string; category: string; detail: string }>
}

const report = (h: TestApp, who: TestAccount, postId: string, payload: { reason: string; note?: string }) =>
  h.as(who, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload })

const itemOf = async (h: TestApp, staff: TestAccount, postId: string) =>
  ((await h.as(staff, { url: '/api/v1/moderation/queue?status=open&limit=100' })).json().items as Item[]).find((i) => i.post.id === postId)

/** `n` ordinary replies by an established member, each its own post to report. */
async function posts(h: TestApp, n: number): Promise<string[]> {
  const writer = await h.signUp()
  const { threadId } = await h.startThread(writer, 'general', { body: 'How did everyone sleep?' })
  const ids: string[] = []
  for (let i = 0; i < n; i++) ids.push((await h.reply(writer, threadId, `Slept badly, day ${i + 3} of coffee and walks.`)).postId)
  return ids
}

t.test("one account's crisis reports rank first up to REPORT_CRISIS_PER_HOUR an hour, then as reports; anyone else's still rank first", async (t) => {
  const h = await buildTestApp(t, { reportCrisisPerHour: 3 })
  const moderator = await h.signUp({ role: 'moderator' })
  const flooder = await h.signUp()
  const ids = await posts(h, 5)
  for (const id of ids) t.equal((await report(h, flooder, id, { reason: 'crisis' })).statusCode, 201, 'every report is taken')
  const items = await Promise.all(ids.map((id) => itemOf(h, moderator, id)))
  t.same(items.map((i) => i?.priority), [0, 0, 0, 2, 2], 'the first three at the head, the rest as reports')
  t.match(items[3], { reasons: [{ source: 'report', category: 'report', detail: 'reported as crisis; ranked as a report: this account reached its crisis reports for the hour' }] })
  t.match(items[0], { reasons: [{ source: 'report', category: 'crisis', detail: 'reported as crisis' }] })

  const worried = await h.signUp()
  t.equal((await report(h, worried, ids[4]!, { reason: 'crisis' })).statusCode, 201)
  t.equal((await itemOf(h, moderator, ids[4]!))?.priority, 0, "another member's crisis report ranks it first")

  h.clock.advance(60 * 60 * 1000 + 1)
  const [later] = await posts(h, 1)
  t.equal((await report(h, flooder, later!, { reason: 'crisis' })).statusCode, 201)
  t.equal((await itemOf(h, moderator, later!))?.priority, 0, 'an hour on, their crisis reports rank first again')
})

t.test('a note that reads as a crisis counts as a crisis report, and past the limit the reporter still gets the crisis lines', async (t) => {
  const h = await buildTestApp(t, { reportCrisisPerHour: 1 })
  const moderator = await h.signUp({ role: 'moderator' })
  const reporter = await h.signUp()
  const [first, second] = await posts(h, 2)
  const note = 'he says he is going to kill himself tonight'
  const one = await report(h, reporter, first!, { reason: 'other', note })
  t.equal((await itemOf(h, moderator, first!))?.priority, 0)
  t.ok(one.json().crisisResources.length > 0)
  const two = await report(h, reporter, second!, { reason: 'other', note })
  t.equal(two.statusCode, 201)
  t.ok(two.json().crisisResources.length > 0, 'the crisis lines, for whoever wrote the note')
  t.match(await itemOf(h, moderator, second!), {
    priority: 2,
    reasons: [{ category: 'report', detail: `the note reads as a crisis; ranked as a report: this account reached its crisis reports for the hour: ${note}` }]
  })
})

t.test('crisis reports past the limit count towards a hold like any report', async (t) => {
  const h = await buildTestApp(t, { reportCrisisPerHour: 1, reportHideThreshold: 3 })
  const reader = await h.signUp()
  const flooder = await h.signUp()
  const writer = await h.signUp()
  const { threadId } = await h.startThread(writer, 'general', { body: 'How did everyone sleep?' })
  const spent = (await h.reply(writer, threadId, 'Slept badly, day 3 of coffee and walks.')).postId
  const target = (await h.reply(writer, threadId, 'Slept badly, day 4 of coffee and walks.')).postId
  await report(h, flooder, spent, { reason: 'crisis' })
  // A sourcing post no rule caught: the flooder calls it a crisis so that reports could never hold it.
  t.equal((await report(h, flooder, target, { reason: 'crisis' })).statusCode, 201)
  for (const other of [await h.signUp(), await h.signUp()]) t.equal((await report(h, other, target, { reason: 'sourcing' })).statusCode, 201)
  const moderator = await h.signUp({ role: 'moderator' })
  t.match(await itemOf(h, moderator, target), { priority: 1, post: { state: 'held' } }, 'held by three reports, ranked as sourcing')
  const page = (await h.as(reader, { url: `/api/v1/threads/${threadId}` })).json().posts as Array<{ id: string }>
  t.notOk(page.some((p) => p.id === target), 'no longer shown to readers')
})

t.test("a crisis report made again after an edit counts once, not twice, towards the account's hour", async (t) => {
  const h = await buildTestApp(t, { reportCrisisPerHour: 1 })
  const moderator = await h.signUp({ role: 'moderator' })
  const writer = await h.signUp()
  const reporter = await h.signUp()
  const { threadId } = await h.startThread(writer, 'general', { body: 'Rough week.' })
  await h.reply(writer, threadId, 'first reply so the new-account hold is behind me')
  const postId = (await h.reply(writer, threadId, 'I keep thinking about it all.')).postId
  t.equal((await report(h, reporter, postId, { reason: 'crisis' })).statusCode, 201)
  h.clock.advance(1000)
  t.equal((await h.as(writer, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { body: 'I keep thinking about it all, still.' } })).statusCode, 200)
  t.equal((await report(h, reporter, postId, { reason: 'crisis' })).statusCode, 200, 'renewed')
  const item = await itemOf(h, moderator, postId)
  t.equal(item?.priority, 0)
  t.equal(item?.reasons.at(-1)?.category, 'crisis', 'the renewal still ranks as a crisis: it is the same report')
})
