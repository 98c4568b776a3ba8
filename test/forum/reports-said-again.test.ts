/**
 * A member who reports a post again, its author not having edited it since, and says something new (another reason,
 * another note) amends their report (found by the limits review, H3): the report takes the new reason and note, and
 * the post's item a new line with them, at the head of the queue when it ranks as a crisis. It still counts once
 * towards a hold. The same report sent again changes nothing.
 */
import { eq } from 'drizzle-orm'
import t from 'tap'
import { queueItems, reports } from '../../src/db/schema.js'
import { buildTestApp, type TestAccount, type TestApp } from '../helpers/app.js'

interface Item {
  id: string
  priority: number
  updatedAt: string
  post: { id: string; state: string }
  reasons: Array<{ source: string; category: string; detail: string; reportId?: string }>
}

const report = (h: TestApp, who: TestAccount, postId: string, payload: Record<string, unknown>) =>
  h.as(who, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload })

const itemOf = async (h: TestApp, staff: TestAccount, postId: string) =>
  ((await h.as(staff, { url: '/api/v1/moderation/queue?status=open&limit=100' })).json().items as Item[]).find((i) => i.post.id === postId)

const stored = async (h: TestApp, reporter: TestAccount) => (await h.db.database.db.select().from(reports).where(eq(reports.reporterId, reporter.id)))[0]

const CRISIS_NOTE = 'he messaged me privately that he will kill himself tonight'

async function setting(h: TestApp) {
  const author = await h.signUp()
  const reporter = await h.signUp()
  const reader = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(author, 'general', { body: 'Buying a new phone, any advice?' })
  const { postId } = await h.reply(author, threadId, 'Also selling my old one cheap, message me.')
  return { author, reporter, reader, moderator, threadId, postId }
}

t.test('a crisis said in a second report reaches staff: the report is amended and its post rises to the head of the queue', async (t) => {
  const h = await buildTestApp(t)
  const { reporter, moderator, postId } = await setting(h)
  const first = await report(h, reporter, postId, { reason: 'spam' })
  t.equal(first.statusCode, 201)
  h.clock.advance(60_000)
  const again = await report(h, reporter, postId, { reason: 'crisis', note: CRISIS_NOTE })
  t.equal(again.statusCode, 200, 'answered as a report made again')
  t.same(again.json().report, { id: first.json().report.id, postId, reason: 'crisis', note: CRISIS_NOTE, createdAt: h.clock.now().toISOString() }, 'the report, amended')
  t.ok(again.json().crisisResources.length > 0, 'with the crisis lines')
  const item = await itemOf(h, moderator, postId)
  t.equal(item?.priority, 0, 'at the head of the queue')
  t.same(item?.reasons.map((r) => [r.source, r.category, r.detail, r.reportId]), [
    ['report', 'spam', 'reported as spam', first.json().report.id],
    ['report', 'crisis', `added to an earlier report; the note reads as a crisis: ${CRISIS_NOTE}`, first.json().report.id]
  ], 'the note reaches staff, as a line added to the earlier report')
  t.match(await stored(h, reporter), { reason: 'crisis', note: CRISIS_NOTE, rankedAsCrisis: true })
})

t.test('the same report sent again changes nothing; a new note alone amends it, and a report without a note keeps the earlier one', async (t) => {
  const h = await buildTestApp(t)
  const { reporter, moderator, postId } = await setting(h)
  const first = await report(h, reporter, postId, { reason: 'harassment', note: 'called me a junkie in another thread' })
  h.clock.advance(1000)
  const before = await itemOf(h, moderator, postId)
  const same = await report(h, reporter, postId, { reason: 'harassment', note: 'called me a junkie in another thread' })
  t.equal(same.statusCode, 200)
  t.same(same.json().report, first.json().report, 'the report as it is')
  t.same(await itemOf(h, moderator, postId), before, 'nothing queued, nothing touched')
  const without = await report(h, reporter, postId, { reason: 'harassment' })
  t.same(without.json().report, first.json().report, 'the same reason without a note says nothing new')
  t.same(await itemOf(h, moderator, postId), before)

  const noted = await report(h, reporter, postId, { reason: 'harassment', note: 'and again today' })
  t.equal(noted.statusCode, 200)
  t.match(noted.json(), { report: { id: first.json().report.id, reason: 'harassment', note: 'and again today' }, crisisResources: [] })
  t.match(await itemOf(h, moderator, postId), { priority: 2, reasons: [{}, { source: 'report', category: 'harassment', detail: 'added to an earlier report: and again today' }] })

  h.clock.advance(1000)
  const reason = await report(h, reporter, postId, { reason: 'personal_info' })
  t.match(reason.json().report, { reason: 'personal_info', note: 'and again today' }, 'another reason without a note keeps the note')
  const item = await itemOf(h, moderator, postId)
  t.equal(item?.priority, 1, 'ranked as its new reason')
  t.match(item?.reasons.at(-1), { category: 'personal_info', detail: 'reported as personal info, added to an earlier report' })
  t.equal(item?.reasons.length, 3)
})

t.test('an amended report still counts once towards a hold', async (t) => {
  const h = await buildTestApp(t, { reportHideThreshold: 2 })
  const { reporter, reader, threadId, postId } = await setting(h)
  const visible = async () => (await h.as(reader, { url: `/api/v1/threads/${threadId}` })).json().posts.some((p: { id: string }) => p.id === postId)
  t.equal((await report(h, reporter, postId, { reason: 'spam' })).statusCode, 201)
  t.equal((await report(h, reporter, postId, { reason: 'sourcing', note: 'selling pills, not phones' })).statusCode, 200)
  t.ok(await visible(), 'two lines from one account: not held')
  t.equal((await report(h, await h.signUp(), postId, { reason: 'sourcing' })).statusCode, 201)
  t.notOk(await visible(), 'a second account holds it')
})

t.test("an amendment into a crisis ranks first only within the account's crisis reports for the hour", async (t) => {
  const h = await buildTestApp(t, { reportCrisisPerHour: 1 })
  const { author, reporter, moderator, threadId, postId } = await setting(h)
  const { postId: other } = await h.reply(author, threadId, 'Another reply of mine.')
  t.equal((await report(h, reporter, other, { reason: 'crisis' })).statusCode, 201)
  t.equal((await report(h, reporter, postId, { reason: 'spam' })).statusCode, 201)
  const again = await report(h, reporter, postId, { reason: 'crisis' })
  t.equal(again.statusCode, 200)
  t.match(await itemOf(h, moderator, postId), {
    priority: 2,
    reasons: [{ category: 'spam' }, { category: 'report', detail: 'reported as crisis, added to an earlier report; ranked as a report: this account reached its crisis reports for the hour' }]
  })
  t.match(await h.db.database.db.select().from(reports).where(eq(reports.postId, postId)), [{ reason: 'crisis', rankedAsCrisis: false }], 'kept as sent, not ranked as a crisis')
  h.clock.advance(60 * 60 * 1000 + 1)
  t.equal((await report(h, reporter, postId, { reason: 'crisis', note: 'i think he means it' })).statusCode, 200)
  t.equal((await itemOf(h, moderator, postId))?.priority, 0, 'an hour on, it ranks first')
})

t.test('a report amended after its item was decided is queued again, in an item of its own', async (t) => {
  const h = await buildTestApp(t)
  const { reporter, moderator, reader, threadId, postId } = await setting(h)
  t.equal((await report(h, reporter, postId, { reason: 'spam' })).statusCode, 201)
  const item = await itemOf(h, moderator, postId)
  t.equal((await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${item!.id}/resolve`, payload: { decision: 'approve' } })).statusCode, 200)
  h.clock.advance(1000)
  const again = await report(h, reporter, postId, { reason: 'other', note: CRISIS_NOTE })
  t.equal(again.statusCode, 200)
  const next = await itemOf(h, moderator, postId)
  t.not(next?.id, item!.id, 'a new item')
  t.match(next, { priority: 0, post: { state: 'visible' }, reasons: [{ source: 'report', category: 'crisis', detail: `added to an earlier report; the note reads as a crisis: ${CRISIS_NOTE}` }] })
  t.equal(next?.reasons.length, 1)
  t.ok((await h.as(reader, { url: `/api/v1/threads/${threadId}` })).json().posts.some((p: { id: string }) => p.id === postId), 'still shown')
})

t.test(
  'the same amendment sent three times at once is made once',
  { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL: PGlite has one connection, so transactions cannot overlap' },
  async (t) => {
    const h = await buildTestApp(t)
    const { author, reporter, threadId } = await setting(h)
    for (let round = 0; round < 6; round++) {
      const { postId } = await h.reply(author, threadId, `a reply to be reported, round ${round}`)
      const first = await report(h, reporter, postId, { reason: 'spam' })
      if (round % 2) h.clock.advance(1000)
      const answers = await Promise.all([0, 1, 2].map(() => report(h, reporter, postId, { reason: 'harassment', note: 'he means me' })))
      t.same(answers.map((a) => a.statusCode), [200, 200, 200], `round ${round}`)
      t.ok(answers.every((a) => a.json().report.id === first.json().report.id && a.json().report.note === 'he means me'), 'each answers with the amended report')
      const open = (await h.db.database.db.select().from(queueItems).where(eq(queueItems.postId, postId))).find((i) => i.status === 'open')
      t.equal(open?.reasons.filter((r) => r.detail === 'added to an earlier report: he means me').length, 1, 'the amendment is queued once')
    }
  }
)

t.test('one account cannot queue a decided post again and again by changing its report back and forth', async (t) => {
  const h = await buildTestApp(t)
  const { reporter, moderator, postId } = await setting(h)
  t.equal((await report(h, reporter, postId, { reason: 'spam' })).statusCode, 201)
  const decide = async () => {
    const item = await itemOf(h, moderator, postId)
    t.equal((await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${item!.id}/resolve`, payload: { decision: 'approve' } })).statusCode, 200)
  }
  await decide()
  h.clock.advance(1000)
  t.equal((await report(h, reporter, postId, { reason: 'harassment', note: 'he means me' })).statusCode, 200)
  t.equal(await itemOf(h, moderator, postId), undefined, 'another reason after a decision is kept on the report, not queued again')
  t.match(await stored(h, reporter), { reason: 'harassment', note: 'he means me' }, 'kept')
  h.clock.advance(1000)
  t.equal((await report(h, reporter, postId, { reason: 'crisis', note: CRISIS_NOTE })).statusCode, 200)
  t.match(await itemOf(h, moderator, postId), { priority: 0 }, 'a crisis told after the decision is queued, first')
  await decide()
  for (const [i, payload] of [{ reason: 'spam' }, { reason: 'crisis', note: `${CRISIS_NOTE}, again` }, { reason: 'other', note: 'x' }, { reason: 'crisis', note: CRISIS_NOTE }].entries()) {
    h.clock.advance(1000)
    t.equal((await report(h, reporter, postId, payload)).statusCode, 200, `amendment ${i}`)
    t.equal(await itemOf(h, moderator, postId), undefined, `amendment ${i}: the report ranked as a crisis once already, nothing is queued again`)
  }
  t.match(await stored(h, reporter), { reason: 'crisis', note: CRISIS_NOTE, rankedAsCrisis: true })
})

t.test("a report puts at most three lines on a post's open item, however often it is amended", async (t) => {
  const h = await buildTestApp(t)
  const { reporter, moderator, postId } = await setting(h)
  t.equal((await report(h, reporter, postId, { reason: 'spam' })).statusCode, 201)
  for (let i = 0; i < 6; i++) {
    h.clock.advance(1000)
    t.equal((await report(h, reporter, postId, { reason: 'other', note: `note ${i}` })).statusCode, 200)
  }
  const item = await itemOf(h, moderator, postId)
  t.equal(item?.reasons.filter((r) => r.source === 'report').length, 3, 'the first and two amendments')
  t.match(await stored(h, reporter), { note: 'note 5' }, 'the last note is kept on the report')
  h.clock.advance(1000)
  t.equal((await report(h, reporter, postId, { reason: 'crisis', note: CRISIS_NOTE })).statusCode, 200)
  const after = await itemOf(h, moderator, postId)
  t.equal(after?.priority, 0, 'a crisis amendment is queued past the bound')
  t.equal(after?.reasons.length, 4)
})
