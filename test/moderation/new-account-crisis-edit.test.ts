/**
 * A new account's hold never silences a person in crisis: a first post held only because its account is new, edited
 * into a crisis, is published as the same words in a new post would be. A post held for anything else stays held.
 */
import t from 'tap'
import { and, eq, gt } from 'drizzle-orm'
import { events } from '../../src/db/schema.js'
import type { QueueReason } from '../../src/db/schema.js'
import type { RuleRow } from '../../src/moderation/rules.js'
import { heldOnlyAsNewAccount } from '../../src/moderation/screening.js'
import { buildTestApp, type TestAccount, type TestApp } from '../helpers/app.js'

const CRISIS = "I don't want to wake up tomorrow"

interface Item {
  id: string
  priority: number
  status: string
  reasons: Array<{ source: string; category: string }>
  post: { id: string }
}

async function itemOf(h: TestApp, staff: TestAccount, postId: string): Promise<Item | undefined> {
  const items = (await h.as(staff, { url: '/api/v1/moderation/queue?status=open&limit=100' })).json().items as Item[]
  return items.find((i) => i.post.id === postId)
}

async function lastEventId(h: TestApp): Promise<number> {
  const rows = await h.db.database.db.select({ id: events.id }).from(events)
  return Math.max(0, ...rows.map((r) => r.id))
}

const edit = (h: TestApp, author: TestAccount, postId: string, body: string) => h.as(author, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { body } })

/** A thread by staff, a reader, and a new account whose first post there is held (for being new, and whatever else it says). */
async function heldFirstPost(h: TestApp, body = 'hi, new here.') {
  const moderator = await h.signUp({ role: 'moderator' })
  const reader = await h.signUp()
  const { threadId } = await h.startThread(moderator)
  const writer = await h.signUp()
  const first = await h.as(writer, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body } })
  const postId = first.json().post.id as string
  return { moderator, reader, writer, threadId, postId, first: first.json().moderation }
}

const readersSee = async (h: TestApp, reader: TestAccount, threadId: string, postId: string) =>
  ((await h.as(reader, { url: `/api/v1/threads/${threadId}` })).json().posts as Array<{ id: string; bodyHtml: string | null }>).find((p) => p.id === postId)

t.test("a new account's reply held for being new, edited into a crisis, is published to its readers, live too", async (t) => {
  const h = await buildTestApp(t, { newAccountHoldPosts: 1 })
  const { moderator, reader, writer, threadId, postId, first } = await heldFirstPost(h)
  t.equal(first.state, 'held', 'the first post is held for being new')
  t.notOk(await readersSee(h, reader, threadId, postId), 'readers do not see it yet')

  const since = await lastEventId(h)
  const res = await edit(h, writer, postId, CRISIS)
  t.equal(res.statusCode, 200)
  t.equal(res.json().moderation.state, 'visible', 'published, as the same words in a new post would be')
  t.ok(res.json().moderation.crisisResources.length > 0, 'with the crisis lines')
  t.equal(res.json().post.state, 'visible')

  const seen = await readersSee(h, reader, threadId, postId)
  t.ok(seen?.bodyHtml?.includes('wake up tomorrow'), 'readers see the post and its words')
  t.match(await itemOf(h, moderator, postId), { priority: 0, status: 'open', reasons: [{ source: 'new_account' }, { category: 'crisis' }] }, 'a moderator still sees it first')

  const news = await h.db.database.db.select().from(events).where(and(gt(events.id, since), eq(events.channel, `thread:${threadId}`)))
  t.equal(news.length, 1, 'one post event')
  t.match(news[0], { event: 'post.created', restrictedTo: null, data: { id: postId, state: 'visible', bodyHtml: /wake up tomorrow/ } }, "the thread's live readers get the post, as REST shows it")

  // A moderator's approval afterwards has nothing left to publish, and does not fail.
  const approved = await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${(await itemOf(h, moderator, postId))!.id}/resolve`, payload: { decision: 'approve' } })
  t.equal(approved.statusCode, 200)
})

t.test("a new account's thread held for being new, edited into a crisis, appears on its board", async (t) => {
  const h = await buildTestApp(t, { newAccountHoldPosts: 1 })
  const reader = await h.signUp()
  const writer = await h.signUp()
  const started = await h.as(writer, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: 'hello', body: 'hi, new here.' } })
  t.equal(started.json().moderation.state, 'held')
  const { thread, post } = started.json() as { thread: { id: string }; post: { id: string } }
  t.equal((await h.as(reader, { url: `/api/v1/threads/${thread.id}` })).statusCode, 404, 'the thread does not exist for readers yet')

  const since = await lastEventId(h)
  const res = await edit(h, writer, post.id, CRISIS)
  t.equal(res.json().moderation.state, 'visible')
  const page = await h.as(reader, { url: `/api/v1/threads/${thread.id}` })
  t.equal(page.statusCode, 200, 'readers find the thread')
  t.ok(page.json().posts[0].bodyHtml.includes('wake up tomorrow'))
  const listed = (await h.as(reader, { url: '/api/v1/boards/general/threads' })).json().threads as Array<{ id: string }>
  t.ok(listed.some((x) => x.id === thread.id), 'on the board list')

  const board = await h.db.database.db.select().from(events).where(and(gt(events.id, since), eq(events.channel, 'board:general')))
  t.match(board, [{ event: 'thread.created', restrictedTo: null, data: { id: thread.id, state: 'visible' } }], 'the board hears of a new thread, for everyone')
})

t.test("a new account's post held for being new and flagged (a link) is published by a crisis edit too: a flag holds nothing", async (t) => {
  const h = await buildTestApp(t, { newAccountHoldPosts: 1 })
  const { reader, writer, threadId, postId, first } = await heldFirstPost(h, 'hi, new here, this helped me: https://example.org/help')
  t.same(first.flags, [{ category: 'spam', action: 'flag' }])
  t.equal((await edit(h, writer, postId, `${CRISIS}. https://example.org/help`)).json().moderation.state, 'visible')
  t.ok(await readersSee(h, reader, threadId, postId))
})

t.test('a post held for anything besides being new stays held when edited into a crisis', async (t) => {
  const cases: Array<{ name: string; first: string; holds: string[]; edited: string }> = [
    { name: 'a phone number in the first post, taken out by the edit', first: 'hi, new here, text me on 07700 900123', holds: ['personal_info'], edited: CRISIS },
    { name: 'a sourcing rule in the first post', first: 'who is holding? hmu for bars', holds: ['sourcing'], edited: CRISIS },
    { name: 'a phone number in the crisis edit itself', first: 'hi, new here.', holds: [], edited: `${CRISIS}, text me on 07700 900123` }
  ]
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const h = await buildTestApp(t, { newAccountHoldPosts: 1 })
      const { reader, writer, threadId, postId, first } = await heldFirstPost(h, c.first)
      t.equal(first.state, 'held')
      t.same(first.flags.filter((f: { action: string }) => f.action === 'hold').map((f: { category: string }) => f.category), c.holds, 'held for being new, and for this')
      const res = await edit(h, writer, postId, c.edited)
      t.equal(res.statusCode, 200)
      t.ok(res.json().moderation.crisisResources.length > 0, 'the writer gets the crisis lines')
      t.equal(res.json().moderation.state, 'held', 'still held')
      t.notOk(await readersSee(h, reader, threadId, postId), 'readers do not see it')
    })
  }
})

t.test("reports past the threshold hold a new account's post against a crisis edit; fewer do not", async (t) => {
  for (const [threshold, state] of [[1, 'held'], [3, 'visible']] as const) {
    const h = await buildTestApp(t, { newAccountHoldPosts: 1, reportHideThreshold: threshold })
    const { moderator, writer, postId } = await heldFirstPost(h)
    // Staff read held posts, and so may report them.
    t.equal((await h.as(moderator, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'spam' } })).statusCode, 201)
    t.equal((await edit(h, writer, postId, CRISIS)).json().moderation.state, state, `one report, threshold ${threshold}: ${state}`)
  }
})

t.test("a new account's held post edited into something else than a crisis stays held", async (t) => {
  const h = await buildTestApp(t, { newAccountHoldPosts: 1 })
  const { reader, writer, threadId, postId } = await heldFirstPost(h)
  const res = await edit(h, writer, postId, 'hi, new here. Glad to have found this place.')
  t.same(res.json().moderation, { state: 'held', flags: [], crisisResources: [] })
  t.notOk(await readersSee(h, reader, threadId, postId))
})

t.test('what holds a post, read from its reasons', async (t) => {
  const at = new Date().toISOString()
  const rule = (id: string, action: RuleRow['action']) => [id, { id, action } as RuleRow] as const
  const rules = new Map([rule('flagging', 'flag'), rule('holding', 'hold'), rule('escalating', 'escalate')])
  const asNew: QueueReason = { source: 'new_account', category: 'new_account', detail: 'post 1 of a new account', at }
  const only = (...reasons: QueueReason[]) => heldOnlyAsNewAccount([asNew, ...reasons], rules, 2)
  t.ok(only(), 'being new alone')
  t.ok(only({ source: 'new_account', category: 'spam', detail: 'link', at }), 'and a link flagged')
  t.ok(only({ source: 'rule', category: 'harassment', detail: 'x', ruleId: 'flagging', at }), 'and a flag rule')
  t.ok(only({ source: 'rule', category: 'crisis', detail: 'x', ruleId: 'escalating', at }), 'and an escalate rule')
  t.ok(only({ source: 'rule', category: 'crisis', detail: 'reads as a crisis (model)', at }), 'and the crisis model')
  t.ok(only({ source: 'report', category: 'spam', detail: 'x', reportId: 'r1', at }), 'and reports below the threshold')
  t.notOk(
    only({ source: 'report', category: 'spam', detail: 'x', reportId: 'r1', at }, { source: 'report', category: 'other', detail: 'y', reportId: 'r2', at }),
    'reports of two accounts at the threshold hold'
  )
  // Reporters are counted as the hold counts them (countedReporters): one report amended is one, a young account's none.
  t.ok(
    only({ source: 'report', category: 'spam', detail: 'x', reportId: 'r1', at }, { source: 'report', category: 'other', detail: 'y', reportId: 'r1', at }),
    'one report with an amendment is one reporter'
  )
  t.ok(
    only({ source: 'report', category: 'spam', detail: 'x', reportId: 'r1', at }, { source: 'report', category: 'other', detail: 'y', reportId: 'r2', newReporter: true, at }),
    "a young account's report does not count"
  )
  t.notOk(only({ source: 'pii', category: 'personal_info', detail: 'phone number', at }), 'personal information holds')
  t.notOk(only({ source: 'rule', category: 'sourcing', detail: 'x', ruleId: 'holding', at }), 'a hold rule holds')
  t.notOk(only({ source: 'rule', category: 'sourcing', detail: 'reads as sourcing (model)', at }), 'the sourcing model holds')
  t.notOk(only({ source: 'rule', category: 'custom', detail: 'x', ruleId: 'since-disabled', at }), 'a rule no longer enabled holds: in doubt, a moderator decides')
  t.notOk(heldOnlyAsNewAccount([{ source: 'rule', category: 'harassment', detail: 'x', ruleId: 'flagging', at }], rules, 2), 'without being new, not held as new')
})
