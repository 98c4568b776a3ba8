/**
 * Reports from accounts younger than REPORT_HOLD_MIN_ACCOUNT_DAYS (found by the limits review, H1 and M2): they are
 * stored and queued as any report, so staff read them, but they do not count towards holding the post, and a crisis
 * report from one ranks its post first without keeping other accounts' reports from holding it. Accounts are free,
 * so a trio made a second earlier must not hide any post it likes, nor shield a dealer's post by calling it a crisis.
 */
import { spawn } from 'node:child_process'
import { eq } from 'drizzle-orm'
import t, { type Test } from 'tap'
import { ConfigError, loadConfig } from '../../src/config.js'
import { events } from '../../src/db/schema.js'
import { buildTestApp, type TestAccount, type TestApp } from '../helpers/app.js'

const DAY = 86_400_000

interface Item {
  id: string
  priority: number
  post: { id: string; state: string }
  reasons: Array<{ source: string; category: string; detail: string; reportId?: string }>
}

const report = (h: TestApp, who: TestAccount, postId: string, reason = 'spam', note?: string) =>
  h.as(who, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: note === undefined ? { reason } : { reason, note } })

const itemOf = async (h: TestApp, staff: TestAccount, postId: string) =>
  ((await h.as(staff, { url: '/api/v1/moderation/queue?status=open&limit=100' })).json().items as Item[]).find((i) => i.post.id === postId)

const shownTo = async (h: TestApp, reader: TestAccount, threadId: string, postId: string) => {
  const page = await h.as(reader, { url: `/api/v1/threads/${threadId}` })
  return page.statusCode === 200 && (page.json().posts as Array<{ id: string; state: string }>).some((p) => p.id === postId && p.state === 'visible')
}

async function accounts(h: TestApp, n: number): Promise<TestAccount[]> {
  const made: TestAccount[] = []
  for (let i = 0; i < n; i++) made.push(await h.signUp())
  return made
}

async function reportAll(t: Test, h: TestApp, who: TestAccount[], postId: string, reason = 'spam') {
  for (const account of who) t.equal((await report(h, account, postId, reason)).statusCode, 201, 'the report is taken')
}

/** A forum whose members joined eight days ago, and a reply of one of them, written now. */
async function forum(h: TestApp, members = 3) {
  const author = await h.signUp()
  const reader = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const established = await accounts(h, members)
  const { threadId } = await h.startThread(reader, 'general', { body: 'Week two check-in, how is everyone?' })
  h.clock.advance(8 * DAY)
  const { postId } = await h.reply(author, threadId, 'Went to my first meeting in a month, it helped.')
  return { author, reader, moderator, established, threadId, postId }
}

t.test('REPORT_HOLD_MIN_ACCOUNT_DAYS is read like the other settings: 7 by default, 0 for every account, a bad value names it', async (t) => {
  t.equal(loadConfig({}).reportHoldMinAccountDays, 7)
  t.equal(loadConfig({ REPORT_HOLD_MIN_ACCOUNT_DAYS: '0' }).reportHoldMinAccountDays, 0)
  t.equal(loadConfig({ REPORT_HOLD_MIN_ACCOUNT_DAYS: ' 30 ' }).reportHoldMinAccountDays, 30)
  for (const value of ['-1', 'seven', '1.5', '3651']) {
    let error: unknown
    try {
      loadConfig({ REPORT_HOLD_MIN_ACCOUNT_DAYS: value })
    } catch (e) {
      error = e
    }
    t.ok(error instanceof ConfigError, `${value} is refused`)
    t.equal((error as ConfigError).variable, 'REPORT_HOLD_MIN_ACCOUNT_DAYS')
    t.match((error as ConfigError).message, /^REPORT_HOLD_MIN_ACCOUNT_DAYS: /)
  }
  const server = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: { ...process.env, DATABASE_URL: '', REPORT_HOLD_MIN_ACCOUNT_DAYS: 'a week' } })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => resolve({ code, stderr }))
  })
  t.equal(server.code, 78, 'the server stops as on any bad configuration')
  t.match(server.stderr, /REPORT_HOLD_MIN_ACCOUNT_DAYS/)
})

t.test("three accounts made a moment ago do not hold a member's post; staff read their reports, and older accounts' reports hold it", async (t) => {
  const h = await buildTestApp(t, { reportHoldMinAccountDays: 7 })
  const { reader, moderator, established, threadId, postId } = await forum(h)
  await reportAll(t, h, await accounts(h, 3), postId)
  t.ok(await shownTo(h, reader, threadId, postId), 'still shown to its readers')
  const item = await itemOf(h, moderator, postId)
  t.match(item, { priority: 2, post: { state: 'visible' } }, 'queued as any report')
  t.same(item?.reasons.map((r) => [r.source, r.category, r.detail]), [
    ['report', 'spam', 'reported as spam'],
    ['report', 'spam', 'reported as spam'],
    ['report', 'spam', 'reported as spam']
  ], 'staff read every one of them, as they were sent')
  t.notOk(JSON.stringify(item).includes('newReporter'), "the queue item's view stays as the contract says")

  await reportAll(t, h, established.slice(0, 2), postId, 'harassment')
  t.ok(await shownTo(h, reader, threadId, postId), 'five reports, two of them from accounts old enough: not held')
  await reportAll(t, h, established.slice(2), postId, 'harassment')
  t.notOk(await shownTo(h, reader, threadId, postId), 'a third account old enough holds it')
  t.equal((await itemOf(h, moderator, postId))?.reasons.length, 6)
})

t.test('an account counts from the moment it is REPORT_HOLD_MIN_ACCOUNT_DAYS old', async (t) => {
  const h = await buildTestApp(t, { reportHoldMinAccountDays: 7, reportHideThreshold: 1 })
  const author = await h.signUp()
  const reader = await h.signUp()
  const [younger, older] = await accounts(h, 2)
  const { threadId } = await h.startThread(author, 'general', { body: 'Sharing a small win today.' })
  const { postId: first } = await h.reply(author, threadId, 'Ninety days today, thank you all.')
  const { postId: second } = await h.reply(author, threadId, 'And my sister called me back.')
  h.clock.advance(7 * DAY - 1)
  t.equal((await report(h, younger!, first)).statusCode, 201)
  t.ok(await shownTo(h, reader, threadId, first), 'a millisecond short of seven days: the report does not hold')
  h.clock.advance(1)
  t.equal((await report(h, older!, second)).statusCode, 201)
  t.notOk(await shownTo(h, reader, threadId, second), 'seven days old: it does')
})

t.test('with REPORT_HOLD_MIN_ACCOUNT_DAYS=0 every account counts, as before', async (t) => {
  const h = await buildTestApp(t, { reportHoldMinAccountDays: 0 })
  const { reader, threadId, postId } = await forum(h, 0)
  await reportAll(t, h, await accounts(h, 3), postId)
  t.notOk(await shownTo(h, reader, threadId, postId), 'three accounts made a moment ago hold it')
})

t.test("a young account's crisis report ranks the post first but does not keep older accounts' reports from holding it", async (t) => {
  const h = await buildTestApp(t, { reportHoldMinAccountDays: 7 })
  const { reader, moderator, established, threadId, postId } = await forum(h)
  // A dealer's post no rule caught; their throwaway calls it a crisis so that reports could never hold it.
  const [throwaway] = await accounts(h, 1)
  t.equal((await report(h, throwaway!, postId, 'crisis')).statusCode, 201)
  t.match(await itemOf(h, moderator, postId), { priority: 0, reasons: [{ source: 'report', category: 'crisis', detail: 'reported as crisis' }] }, 'at the head of the queue: recall on a crisis comes first')
  await reportAll(t, h, established, postId, 'sourcing')
  t.notOk(await shownTo(h, reader, threadId, postId), 'three members old enough hold it all the same')
  t.match(await itemOf(h, moderator, postId), { priority: 0, post: { state: 'held' } }, 'still first in the queue')
})

t.test("a young account's note that reads as a crisis ranks first without shielding the post either", async (t) => {
  const h = await buildTestApp(t, { reportHoldMinAccountDays: 7 })
  const { reader, moderator, established, threadId, postId } = await forum(h)
  const [throwaway] = await accounts(h, 1)
  t.equal((await report(h, throwaway!, postId, 'other', 'he told me he will kill himself tonight')).statusCode, 201)
  t.equal((await itemOf(h, moderator, postId))?.priority, 0)
  await reportAll(t, h, established, postId, 'sourcing')
  t.notOk(await shownTo(h, reader, threadId, postId), 'held by the three older accounts')
})

t.test("an older account's crisis report still keeps reports from holding the post, and so does a crisis in its own words", async (t) => {
  const h = await buildTestApp(t, { reportHoldMinAccountDays: 7 })
  const { author, reader, moderator, established, threadId, postId } = await forum(h, 6)
  await reportAll(t, h, established.slice(0, 1), postId, 'crisis')
  await reportAll(t, h, established.slice(1, 4), postId, 'harassment')
  t.ok(await shownTo(h, reader, threadId, postId), "a worried member's crisis report: three more reports leave it shown")
  t.match(await itemOf(h, moderator, postId), { priority: 0, post: { state: 'visible' } })

  const crisis = await h.as(author, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'I am going to end it all tonight' } })
  t.equal(crisis.json().moderation.state, 'visible', 'escalated and published')
  const crisisId = crisis.json().post.id as string
  await reportAll(t, h, await accounts(h, 1), crisisId, 'crisis')
  await reportAll(t, h, established.slice(3), crisisId, 'spam')
  t.ok(await shownTo(h, reader, threadId, crisisId), 'a crisis the rules read in its own words is never held by reports')
})

t.test("the server's mark on a young account's report never reaches staff, nor the news rewritten when its post's author leaves", async (t) => {
  const h = await buildTestApp(t, { reportHoldMinAccountDays: 7 })
  const author = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(author, 'general', { body: 'Anyone else up?' })
  const { postId } = await h.reply(author, threadId, 'I am, can not sleep again')
  const young = await h.signUp()
  t.equal((await report(h, young, postId)).statusCode, 201)
  t.notOk(JSON.stringify(await itemOf(h, moderator, postId)).includes('newReporter'), 'not in the queue view')
  t.equal((await h.as(author, { method: 'DELETE', url: '/api/v1/me', payload: { password: 'a long enough password' } })).statusCode, 204)
  const rows = await h.db.database.db.select({ data: events.data }).from(events).where(eq(events.channel, 'moderation'))
  t.ok(rows.length > 0, 'staff news of the item is kept')
  t.notOk(rows.some((r) => JSON.stringify(r.data).includes('newReporter')), 'and carries no mark')
})
