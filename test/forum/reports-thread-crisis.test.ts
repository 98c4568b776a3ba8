/**
 * Holding a thread's opening post hides the whole thread from its readers (found by the limits review, H2): reports
 * must not hold it while a post of the thread is queued as a crisis that shields (an escalate rule, the crisis model,
 * a crisis report from an account old enough to count), or the peers who could answer that reply lose it.
 */
import t from 'tap'
import { buildTestApp, type TestAccount, type TestApp } from '../helpers/app.js'

const DAY = 86_400_000

interface Item {
  priority: number
  post: { id: string; state: string }
}

const report = (h: TestApp, who: TestAccount, postId: string, reason = 'spam') =>
  h.as(who, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason } })

const queue = async (h: TestApp, staff: TestAccount) => (await h.as(staff, { url: '/api/v1/moderation/queue?status=open&limit=100' })).json().items as Item[]

const shownTo = async (h: TestApp, reader: TestAccount, threadId: string, postId: string) => {
  const page = await h.as(reader, { url: `/api/v1/threads/${threadId}` })
  return page.statusCode === 200 && (page.json().posts as Array<{ id: string; state: string }>).some((p) => p.id === postId && p.state === 'visible')
}

t.test("reports on a thread's opening post do not hide the thread while a crisis reply in it is queued", async (t) => {
  const h = await buildTestApp(t)
  const opener = await h.signUp()
  const inCrisis = await h.signUp()
  const reader = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId, postId: opening } = await h.startThread(opener, 'general', { body: 'Rough night thread, post here if you need company.' })
  const crisis = await h.as(inCrisis, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'I am going to end it all tonight' } })
  t.equal(crisis.json().moderation.state, 'visible', 'escalated and published')
  const crisisId = crisis.json().post.id as string
  for (let i = 0; i < 3; i++) t.equal((await report(h, await h.signUp(), opening)).statusCode, 201)
  t.equal((await h.as(reader, { url: `/api/v1/threads/${threadId}` })).statusCode, 200, 'the thread stays readable')
  t.ok(await shownTo(h, reader, threadId, crisisId), 'and the crisis reply in it')
  t.ok(await shownTo(h, reader, threadId, opening), 'its opening post too')
  t.equal((await h.as(reader, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'I am here, talk to me.' } })).statusCode, 201, 'a peer can answer')
  const items = await queue(h, moderator)
  t.same(items.map((i) => [i.post.id === crisisId ? 'crisis reply' : i.post.id === opening ? 'opening' : '?', i.priority]), [['crisis reply', 0], ['opening', 2]], 'staff see both, the crisis first')

  const item = (await h.as(moderator, { url: '/api/v1/moderation/queue?status=open&limit=100' })).json().items[0] as { id: string }
  t.equal((await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${item.id}/resolve`, payload: { decision: 'approve' } })).statusCode, 200, 'a moderator answers the crisis')
  t.equal((await report(h, await h.signUp(), opening)).statusCode, 201)
  t.equal((await h.as(reader, { url: `/api/v1/threads/${threadId}` })).statusCode, 404, 'once no crisis is queued in the thread, the reports hold its opening post as before')
})

t.test("a young account's crisis report on a reply does not keep reports from holding the opening post", async (t) => {
  const h = await buildTestApp(t, { reportHoldMinAccountDays: 7 })
  const opener = await h.signUp()
  const replier = await h.signUp()
  const reader = await h.signUp()
  const members = [await h.signUp(), await h.signUp(), await h.signUp(), await h.signUp()]
  h.clock.advance(8 * DAY)
  const { threadId, postId: opening } = await h.startThread(opener, 'general', { body: 'Anyone around tonight? Message me.' })
  const { postId: reply } = await h.reply(replier, threadId, 'Sure, sent you a message.')
  t.equal((await report(h, await h.signUp(), reply, 'crisis')).statusCode, 201, "the opener's throwaway calls a reply a crisis")
  for (const member of members.slice(0, 3)) t.equal((await report(h, member, opening, 'sourcing')).statusCode, 201)
  t.equal((await h.as(reader, { url: `/api/v1/threads/${threadId}` })).statusCode, 404, 'three members old enough hold the thread')

  const other = await h.startThread(opener, 'general', { body: 'Anyone around tomorrow? Message me.' })
  const { postId: worried } = await h.reply(replier, other.threadId, 'Had a hard day, going to bed early.')
  t.equal((await report(h, members[3]!, worried, 'crisis')).statusCode, 201, "a member old enough fears for a reply's writer")
  for (const member of members.slice(0, 3)) t.equal((await report(h, member, other.postId, 'sourcing')).statusCode, 201)
  t.ok(await shownTo(h, reader, other.threadId, worried), 'that thread stays readable')
})
