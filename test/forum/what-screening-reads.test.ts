/**
 * Screening reads everything a reader will see of a post: the content warning, shown on its own above the post
 * and in the board's list (for contact details, dealing and abuse, and for crisis only when it speaks of its
 * writer: a warning names what it warns of), and the body as rendered, where markup or an entity can join what the text as written keeps apart
 * (src/forum/posts.ts screenWriting, screenedText).
 */
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('a content warning is screened like the body', async (t) => {
  const h = await buildTestApp(t)
  const author = await h.signUp()
  const reader = await h.signUp()

  const thread = await h.as(author, {
    method: 'POST',
    url: '/api/v1/boards/triggers/threads',
    payload: { title: 'Cravings tonight', body: 'Rough evening, but I got through it.', contentWarning: 'text me 415-555-0187 or jane.doe@gmail.com' }
  })
  t.equal(thread.statusCode, 201)
  t.equal(thread.json().moderation.state, 'held', 'a new thread is held for the number in its warning')
  const list = (await h.as(reader, { url: '/api/v1/boards/triggers/threads' })).json()
  t.notOk(JSON.stringify(list).includes('415-555-0187'), 'and the board does not show it')

  const { threadId } = await h.startThread(author)
  const reply = await h.as(author, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'Just checking in.', contentWarning: 'my number 415 555 0187' } })
  t.equal(reply.json().moderation.state, 'held', 'a reply too')
  t.match(reply.json().moderation.flags, [{ category: 'personal_info', action: 'hold' }])

  const { postId } = await h.reply(author, threadId, 'An ordinary reply.')
  const edit = await h.as(author, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { contentWarning: 'write to jane.doe@gmail.com' } })
  t.equal(edit.json().moderation.state, 'held', 'and an edit of the warning alone')
  const page = (await h.as(reader, { url: `/api/v1/threads/${threadId}` })).json()
  t.notOk(JSON.stringify(page).includes('jane.doe@gmail.com'), 'the thread does not show it to others')

  const dealing = await h.as(author, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'Rough night.', contentWarning: 'dm me for bars' } })
  t.equal(dealing.json().moderation.state, 'held', 'dealing in a warning is held too')
  const crisis = await h.as(author, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'Rough night.', contentWarning: 'i want to kill myself tonight' } })
  t.match(crisis.json().moderation.flags, [{ category: 'crisis', action: 'escalate' }], 'and a warning that says it of its writer escalates')
  t.ok(crisis.json().moderation.crisisResources.length > 0, 'with the crisis lines')
})

t.test('a warning that names its topic is only a warning: it neither escalates nor holds', async (t) => {
  const h = await buildTestApp(t)
  const author = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const warnings = [
    'TW: suicide, self-harm',
    'CW: self-harm, suicidal thoughts',
    'suicidal ideation',
    'self harm',
    'mentions of overdose',
    'relapse, drug use',
    'overdose, death of a friend',
    'talk of wanting to die (past)',
    'needles, IV use',
    'alcohol, drinking, cravings',
    'pills and drinking',
    'suicide attempt mention'
  ]
  for (const contentWarning of warnings) {
    const res = await h.as(author, { method: 'POST', url: '/api/v1/boards/triggers/threads', payload: { title: 'A hard week', body: 'Writing it down helps. Day 40 today.', contentWarning } })
    t.equal(res.statusCode, 201)
    t.same(res.json().moderation, { state: 'visible', flags: [], crisisResources: [] }, contentWarning)
  }
  const queued = (await h.as(moderator, { url: '/api/v1/moderation/queue?status=open' })).json().items
  t.same(queued, [], 'and nothing reaches the queue')
})

t.test('markup cannot hide contact details that the rendered post shows', async (t) => {
  const h = await buildTestApp(t)
  const author = await h.signUp()
  const { threadId } = await h.startThread(author)
  const hidden = [
    'write to jane.doe&#64;gmail.com tonight',
    'jane.doe&commat;gmail.com',
    'call 415<!-- -->555<!-- -->0187 tonight',
    'call <b>415</b>-<b>555</b>-<b>0187</b>',
    'call 415<b></b>555<b></b>0187',
    'jane.doe<b>@</b>gmail.com',
    'jane.doe@<i></i>gmail.com'
  ]
  for (const body of hidden) {
    const res = await h.as(author, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body } })
    t.equal(res.statusCode, 201)
    t.equal(res.json().moderation.state, 'held', `held: ${body}`)
  }
  const plain = await h.as(author, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: '<b>Day 30</b> &amp; still going. Tea &lt; wine.' } })
  t.equal(plain.json().moderation.state, 'visible', 'markup alone changes nothing')
  t.same(plain.json().moderation.flags, [])
})
