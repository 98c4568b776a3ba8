/**
 * What a report carries to the moderators (found by the reports review): a note that speaks of a crisis puts the post
 * at the head of the queue and answers the reporter with the crisis lines; a note is cleaned as bodies are; what was
 * reported stays readable after its author edits it, and a member may report the edited post again; and a report
 * racing its reporter's account deletion or suspension leaves nothing behind.
 */
import { eq } from 'drizzle-orm'
import pg from 'pg'
import t from 'tap'
import { accounts, queueItems, reports } from '../../src/db/schema.js'
import { reportPost } from '../../src/forum/reports.js'
import { buildTestApp, TEST_PASSWORD, type TestAccount, type TestApp } from '../helpers/app.js'
import { writerWhile } from '../helpers/meanwhile.js'

interface Item {
  id: string
  priority: number
  post: { id: string; state: string; body: string; revisions: Array<{ body: string; bodyHtml: string; contentWarning: string | null; kind: string; replacedAt: string }> }
  reasons: Array<{ source: string; category: string; detail: string; reportId?: string }>
}

const report = (h: TestApp, who: TestAccount, postId: string, payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
  h.as(who, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload, headers })

const queue = async (h: TestApp, staff: TestAccount, query = 'status=open&limit=100') => (await h.as(staff, { url: `/api/v1/moderation/queue?${query}` })).json().items as Item[]
const itemOf = async (h: TestApp, staff: TestAccount, postId: string) => (await queue(h, staff)).find((i) => i.post.id === postId)

const CRISIS_NOTE = 'he messaged me that he will kill himself tonight, please help'

t.test('a report whose note reads as a crisis is queued as a crisis, and the reporter gets the crisis lines', async (t) => {
  const h = await buildTestApp(t)
  const writer = await h.signUp()
  const friend = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(writer, 'general', { body: 'Rough week. Not sure what the point is any more.' })
  const dealer = await h.signUp()
  t.equal((await h.as(dealer, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: "who's holding tonight" } })).statusCode, 201)
  const quiet = await h.reply(writer, threadId, 'I have been thinking about things a lot lately.')
  h.clock.advance(1000)

  const res = await report(h, friend, quiet.postId, { reason: 'other', note: CRISIS_NOTE }, { 'idempotency-key': 'worried' })
  t.equal(res.statusCode, 201)
  t.match(res.json().report, { reason: 'other', note: CRISIS_NOTE }, 'the report keeps the reason its member chose')
  t.ok(res.json().crisisResources.length > 0, 'the answer carries the crisis lines')
  const items = await queue(h, moderator)
  t.equal(items[0]?.post.id, quiet.postId, 'first in the queue, ahead of sourcing')
  t.equal(items[0]?.priority, 0)
  t.match(items[0]?.reasons, [{ source: 'report', category: 'crisis', detail: `the note reads as a crisis: ${CRISIS_NOTE}` }])
  t.ok((await queue(h, moderator, 'status=open&category=crisis')).some((i) => i.post.id === quiet.postId), 'the crisis filter finds it')

  const replayed = await report(h, friend, quiet.postId, { reason: 'other', note: CRISIS_NOTE }, { 'idempotency-key': 'worried' })
  t.equal(replayed.headers['idempotent-replayed'], 'true')
  t.same(replayed.json().crisisResources, res.json().crisisResources, 'a replay carries them')
  const again = await report(h, friend, quiet.postId, { reason: 'other' })
  t.equal(again.statusCode, 200, 'reporting again answers with the first report')
  t.same(again.json().crisisResources, res.json().crisisResources, 'and its crisis lines')
})

t.test("a note's other words are the reporter's to staff: neither held nor refused, and no crisis lines", async (t) => {
  const h = await buildTestApp(t)
  const author = await h.signUp()
  const reporter = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { postId } = await h.startThread(author)
  const note = 'he keeps posting my number 415 555 0187 and says he sells bars'
  const res = await report(h, reporter, postId, { reason: 'personal_info', note })
  t.equal(res.statusCode, 201)
  t.match(res.json(), { report: { note }, crisisResources: [] })
  t.match(await itemOf(h, moderator, postId), { priority: 1, post: { state: 'visible' }, reasons: [{ category: 'personal_info', detail: note }] })
})

t.test('a note is cleaned as bodies are: no reordering characters, and one that shows nothing is no note', async (t) => {
  const h = await buildTestApp(t)
  const author = await h.signUp()
  const [first, second] = [await h.signUp(), await h.signUp()]
  const moderator = await h.signUp({ role: 'moderator' })
  const { postId } = await h.startThread(author)
  const blank = await report(h, first, postId, { reason: 'harassment', note: '\u200b \u200b\u2800' })
  t.equal(blank.statusCode, 201)
  t.equal(blank.json().report.note, null, 'no note kept')
  const reordered = await report(h, second, postId, { reason: 'other', note: 'see \u202Eeno tsrif eht\u202C' })
  t.equal(reordered.json().report.note, 'see eno tsrif eht')
  const item = await itemOf(h, moderator, postId)
  t.same(item?.reasons.map((r) => r.detail), ['reported as harassment', 'see eno tsrif eht'], 'the moderator reads the reason, and the note as shown')
})

t.test('a moderator reads what was reported after its author edits it; the revisions are for staff only', async (t) => {
  const h = await buildTestApp(t)
  const victim = await h.signUp()
  const troll = await h.signUp()
  const reporters = [await h.signUp(), await h.signUp(), await h.signUp()]
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(victim, 'general', { body: 'Day 3 sober and struggling.' })
  const abuse = 'nobody here wants you, go back to using, junkie'
  const { postId } = await h.reply(troll, threadId, abuse)
  for (const r of reporters) t.equal((await report(h, r, postId, { reason: 'harassment' })).statusCode, 201)
  h.clock.advance(5000)
  const edit = await h.as(troll, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { body: 'sorry, wrong thread', contentWarning: 'oops' } })
  t.equal(edit.statusCode, 200)
  t.notOk('revisions' in edit.json().post, 'the author is not shown the revisions')
  const item = await itemOf(h, moderator, postId)
  t.equal(item?.post.body, 'sorry, wrong thread')
  t.same(item?.post.revisions, [{ body: abuse, bodyHtml: `<p>${abuse}</p>`, contentWarning: null, kind: 'edit', replacedAt: h.clock.now().toISOString() }], 'what was reported, and when it was replaced')
  const page = (await h.as(troll, { url: `/api/v1/threads/${threadId}` })).json()
  t.notOk(JSON.stringify(page).includes(abuse), 'nor does the thread show them')
})

t.test('a member who reports a post again after it was edited gets their report renewed and queued again', async (t) => {
  const h = await buildTestApp(t)
  const author = await h.signUp()
  const reporter = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(moderator)
  const abuse = 'nobody here wants you, go back to using, junkie'
  const { postId } = await h.reply(author, threadId, abuse)
  const first = await report(h, reporter, postId, { reason: 'harassment', note: 'cruel' })
  t.equal(first.statusCode, 201)
  h.clock.advance(1000)
  t.equal((await h.as(author, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { body: 'sorry, wrong thread' } })).statusCode, 200)
  const item = await itemOf(h, moderator, postId)
  t.equal((await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${item!.id}/resolve`, payload: { decision: 'approve' } })).statusCode, 200)
  h.clock.advance(1000)
  t.equal((await h.as(author, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { body: abuse } })).json().post.state, 'visible', 'the abuse edited back in')
  t.equal((await queue(h, moderator)).length, 0, 'with nothing in the queue')

  h.clock.advance(1000)
  const renewed = await report(h, reporter, postId, { reason: 'personal_info', note: 'he put it back' })
  t.equal(renewed.statusCode, 200, 'a report made again answers 200')
  t.same(renewed.json().report, { id: first.json().report.id, postId, reason: 'personal_info', note: 'he put it back', createdAt: h.clock.now().toISOString() }, 'renewed as sent now')
  const again = await itemOf(h, moderator, postId)
  t.match(again, { priority: 1, reasons: [{ source: 'report', category: 'personal_info', detail: 'again after an edit: he put it back', reportId: first.json().report.id }] }, 'queued again')

  h.clock.advance(1000)
  // The same report sent again; one that says something new amends it (test/forum/reports-said-again.test.ts).
  const unchanged = await report(h, reporter, postId, { reason: 'personal_info', note: 'he put it back' })
  t.equal(unchanged.statusCode, 200)
  t.same(unchanged.json().report, renewed.json().report, 'unedited since: the report as it is')
  t.equal((await itemOf(h, moderator, postId))?.reasons.length, 1, 'and nothing queued')
  const [kept] = await h.db.database.db.select().from(reports).where(eq(reports.reporterId, reporter.id))
  t.equal(kept?.note, 'he put it back')
  const amended = await report(h, reporter, postId, { reason: 'spam', note: 'anything' })
  t.equal(amended.statusCode, 200)
  t.same(amended.json().report, { ...renewed.json().report, reason: 'spam', note: 'anything', createdAt: h.clock.now().toISOString() }, 'something new, unedited since: the report amended')
  t.match((await itemOf(h, moderator, postId))?.reasons, [{ detail: 'again after an edit: he put it back' }, { category: 'spam', detail: 'added to an earlier report: anything' }])
})

t.test('a report renewed after an edit counts once towards the hold', async (t) => {
  const h = await buildTestApp(t, { reportHideThreshold: 2 })
  const author = await h.signUp()
  const [reporter, another] = [await h.signUp(), await h.signUp()]
  const reader = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(reader)
  const { postId } = await h.reply(author, threadId, 'Some words someone objects to.')
  const visible = async () => (await h.as(reader, { url: `/api/v1/threads/${threadId}` })).json().posts.some((p: { id: string }) => p.id === postId)
  t.equal((await report(h, reporter, postId, { reason: 'harassment' })).statusCode, 201)
  h.clock.advance(1000)
  t.equal((await h.as(author, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { body: 'Other words they object to.' } })).statusCode, 200)
  t.equal((await report(h, reporter, postId, { reason: 'harassment' })).statusCode, 200)
  t.equal((await itemOf(h, moderator, postId))?.reasons.length, 2, 'queued twice')
  t.ok(await visible(), 'but one account: not held')
  t.equal((await report(h, another, postId, { reason: 'harassment' })).statusCode, 201)
  t.notOk(await visible(), 'a second account holds it')
})

t.test('a report whose account is deleted or suspended after its session was checked is refused, and leaves nothing', async (t) => {
  const h = await buildTestApp(t)
  const author = await h.signUp()
  const admin = await h.signUp({ role: 'admin' })
  const { postId } = await h.startThread(author)
  const db = h.db.database.db

  const leaving = await h.signUp()
  // The account as the request's session check read it; then the member deletes it from another tab.
  const stale = await writerWhile(h, leaving, async () => {})
  t.equal((await h.as(leaving, { method: 'DELETE', url: '/api/v1/me', payload: { password: TEST_PASSWORD } })).statusCode, 204)
  await t.rejects(reportPost(stale.deps, stale.row, postId, { reason: 'harassment' }), { code: 'unauthenticated' })

  // The deletion lands after the report read the post (while its note is screened), before its transaction.
  const racing = await h.signUp()
  const during = await writerWhile(h, racing, async () => {
    const res = await h.as(racing, { method: 'DELETE', url: '/api/v1/me', payload: { password: TEST_PASSWORD } })
    if (res.statusCode !== 204) throw new Error(`${res.statusCode} ${res.body}`)
  })
  await t.rejects(reportPost(during.deps, during.row, postId, { reason: 'harassment', note: 'my words' }), { code: 'unauthenticated' })

  const suspended = await h.signUp()
  const before = await writerWhile(h, suspended, async () => {})
  t.equal((await h.as(admin, { method: 'POST', url: `/api/v1/moderation/accounts/${suspended.id}/suspend`, payload: { reason: 'brigading' } })).statusCode, 200)
  await t.rejects(reportPost(before.deps, before.row, postId, { reason: 'harassment' }), { code: 'suspended' })

  t.equal((await db.select().from(reports).where(eq(reports.postId, postId))).length, 0, 'no report is kept')
  t.equal((await db.select().from(queueItems).where(eq(queueItems.postId, postId))).length, 0, 'and nothing queued')
})

t.test(
  'a report waiting on its account deletion in progress finds the account deleted when the deletion commits',
  { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL: PGlite has one connection, so transactions cannot overlap' },
  async (t) => {
    const h = await buildTestApp(t)
    const author = await h.signUp()
    const leaving = await h.signUp()
    const { postId } = await h.startThread(author)
    const deletion = new pg.Client({ connectionString: h.db.url! })
    await deletion.connect()
    t.teardown(() => deletion.end())
    // A deletion in progress, as deleteAccount does it: the account's row lock first, then its writes.
    const { deps, row } = await writerWhile(h, leaving, async () => {
      await deletion.query('begin')
      await deletion.query('select id from accounts where id = $1 for update', [leaving.id])
    })
    const reporting = reportPost(deps, row, postId, { reason: 'harassment', note: 'sent from the other tab' })
    reporting.catch(() => {})
    // The report's transaction now waits for the account's row lock; the deletion finishes and commits.
    for (let waited = 0; waited < 100; waited++) {
      const { rows } = await deletion.query<{ n: number }>('select count(*)::int as n from pg_locks where not granted')
      if (rows[0]!.n > 0) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    await deletion.query('update reports set reporter_id = null where reporter_id = $1', [leaving.id])
    await deletion.query(`update accounts set status = 'deleted', password_hash = null, deleted_at = now() where id = $1`, [leaving.id])
    await deletion.query('commit')
    await t.rejects(reporting, { code: 'unauthenticated' })
    const [account] = await h.db.database.db.select().from(accounts).where(eq(accounts.id, leaving.id))
    t.equal(account?.status, 'deleted')
    t.equal((await h.db.database.db.select().from(reports).where(eq(reports.postId, postId))).length, 0, 'no report, linked or not')
  }
)

t.test(
  'the same member reporting an edited post again twice at once: renewed and queued once',
  { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL: PGlite has one connection, so transactions cannot overlap' },
  async (t) => {
    const h = await buildTestApp(t)
    const author = await h.signUp()
    const reporter = await h.signUp()
    const moderator = await h.signUp({ role: 'moderator' })
    const { threadId } = await h.startThread(moderator)
    for (let round = 0; round < 8; round++) {
      const { postId } = await h.reply(author, threadId, `a reply to be reported, round ${round}`)
      const first = await report(h, reporter, postId, { reason: 'harassment' })
      // With and without the first report's item still open.
      if (round % 2) {
        const item = await itemOf(h, moderator, postId)
        await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${item!.id}/resolve`, payload: { decision: 'approve' } })
      }
      h.clock.advance(1000)
      await h.as(author, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { body: `edited, round ${round}` } })
      h.clock.advance(1000)
      const answers = await Promise.all([0, 1, 2].map(() => report(h, reporter, postId, { reason: 'spam', note: 'still at it' })))
      t.same(answers.map((a) => a.statusCode), [200, 200, 200], `round ${round}`)
      t.ok(answers.every((a) => a.json().report.id === first.json().report.id && a.json().report.note === 'still at it'), 'each answers with the renewed report')
      const open = (await h.db.database.db.select().from(queueItems).where(eq(queueItems.postId, postId))).find((i) => i.status === 'open')
      t.equal(open?.reasons.filter((r) => r.detail === 'again after an edit: still at it').length, 1, 'the renewal is queued once')
    }
  }
)
