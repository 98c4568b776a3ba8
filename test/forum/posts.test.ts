import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('editing a post', async (t) => {
  const h = await buildTestApp(t)
  const author = await h.signUp()
  const other = await h.signUp()
  const { threadId, postId } = await h.startThread(author, 'general', { body: 'first version' })

  t.test('the author edits; the post shows the new body and when it was edited', async (t) => {
    h.clock.advance(60_000)
    const res = await h.as(author, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { body: 'second *version*' } })
    t.equal(res.statusCode, 200)
    t.equal(res.json().post.bodyHtml, '<p>second *version*</p>')
    t.equal(res.json().post.editedAt, h.clock.now().toISOString())
    t.same(res.json().moderation, { state: 'visible', flags: [], crisisResources: [] })
    const exported = (await h.as(author, { url: '/api/v1/me/export' })).json()
    t.same(exported.posts[0].revisions.map((r: { body: string }) => r.body), ['first version'], 'the revision is kept')
  })

  t.test('someone else cannot edit or delete it', async (t) => {
    for (const [method, payload] of [['PATCH', { body: 'hijacked' }], ['DELETE', undefined]] as const) {
      const res = await h.as(other, { method, url: `/api/v1/posts/${postId}`, ...(payload ? { payload } : {}) })
      t.equal(res.statusCode, 403)
      t.equal(res.json().error.code, 'forbidden')
    }
    const thread = (await h.as(other, { url: `/api/v1/threads/${threadId}` })).json()
    t.equal(thread.posts[0].bodyHtml, '<p>second *version*</p>')
  })

  t.test('an empty edit or an unknown field is 400', async (t) => {
    for (const payload of [{}, { body: '' }, { title: 'x' }]) {
      const res = await h.as(author, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload })
      t.equal(res.statusCode, 400, JSON.stringify(payload))
    }
  })

  t.test('the opening post of a triggers thread cannot drop its content warning', async (t) => {
    const { postId: triggerPost } = await h.startThread(author, 'triggers', { contentWarning: 'relapse' })
    const res = await h.as(author, { method: 'PATCH', url: `/api/v1/posts/${triggerPost}`, payload: { contentWarning: null } })
    t.equal(res.statusCode, 400)
    const changed = await h.as(author, { method: 'PATCH', url: `/api/v1/posts/${triggerPost}`, payload: { contentWarning: 'relapse, alcohol' } })
    t.equal(changed.statusCode, 200)
    t.equal(changed.json().post.contentWarning, 'relapse, alcohol')
  })
})

t.test('deleting a post leaves a placeholder that keeps the thread in shape', async (t) => {
  const h = await buildTestApp(t)
  const author = await h.signUp()
  const reader = await h.signUp()
  const { threadId } = await h.startThread(author)
  const { postId } = await h.reply(author, threadId, 'I regret writing this')
  await h.reply(reader, threadId, 'a reply after it')

  t.equal((await h.as(author, { method: 'DELETE', url: `/api/v1/posts/${postId}` })).statusCode, 204)
  const posts = (await h.as(reader, { url: `/api/v1/threads/${threadId}` })).json().posts
  t.equal(posts.length, 3)
  t.match(posts[1], { id: postId, state: 'deleted', bodyHtml: null })
  t.notMatch(JSON.stringify(posts), /I regret/)
  t.equal((await h.as(author, { method: 'DELETE', url: `/api/v1/posts/${postId}` })).statusCode, 404, 'deleting twice')
  t.equal((await h.as(author, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { body: 'x' } })).statusCode, 404, 'editing a deleted post')
})

t.test('reporting a post', async (t) => {
  const h = await buildTestApp(t)
  const author = await h.signUp()
  const reporter = await h.signUp()
  const { postId } = await h.startThread(author)

  const first = await h.as(reporter, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'harassment', note: 'aimed at me' } })
  t.equal(first.statusCode, 201)
  t.match(first.json().report, { postId, reason: 'harassment', note: 'aimed at me' })
  const again = await h.as(reporter, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'harassment', note: 'aimed at me' } })
  t.equal(again.statusCode, 200, 'the same account again gets the existing report')
  t.same(again.json().report, first.json().report)
  // Saying something new amends it (test/forum/reports-said-again.test.ts): the same report, its reason now spam.
  const amended = await h.as(reporter, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'spam' } })
  t.equal(amended.statusCode, 200)
  t.match(amended.json().report, { id: first.json().report.id, reason: 'spam', note: 'aimed at me' })

  for (const payload of [{}, { reason: 'boring' }, { reason: 'spam', note: 'x'.repeat(1001) }, { reason: 'spam', extra: 1 }]) {
    t.equal((await h.as(reporter, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload })).statusCode, 400, JSON.stringify(payload).slice(0, 60))
  }
  const missing = await h.as(reporter, { method: 'POST', url: '/api/v1/posts/01a209e1-a90e-7142-9e55-bbe7ee3ea064/reports', payload: { reason: 'spam' } })
  t.equal(missing.statusCode, 404)
})

t.test(
  'reports crossing the hide threshold at the same moment: each is kept and queued, none fails',
  { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL: PGlite has one connection, so transactions cannot overlap' },
  async (t) => {
    const h = await buildTestApp(t, { reportHideThreshold: 2 })
    const author = await h.signUp()
    const moderator = await h.signUp({ role: 'moderator' })
    const { threadId } = await h.startThread(moderator)
    for (let trial = 0; trial < 6; trial++) {
      const [first, second, third] = [await h.signUp(), await h.signUp(), await h.signUp()]
      const { postId } = await h.reply(author, threadId, `an ordinary reply about the weather, trial ${trial}`)
      const report = (who: typeof first, reason: string) => h.as(who, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason } })
      t.equal((await report(first, 'harassment')).statusCode, 201)
      const both = await Promise.all([report(second, 'harassment'), report(third, 'sourcing')])
      t.same(both.map((r) => r.statusCode), [201, 201], `trial ${trial}: both reports kept`)
      const items = (await h.as(moderator, { url: '/api/v1/moderation/queue?status=open&limit=100' })).json().items as Array<{ post: { id: string; state: string }; priority: number; reasons: unknown[] }>
      const item = items.find((i) => i.post.id === postId)
      t.match(item, { priority: 1, post: { state: 'held' } }, `trial ${trial}: held once, at the sourcing report's priority`)
      t.equal(item?.reasons.length, 3, `trial ${trial}: with all three reports`)
    }
  }
)

t.test('a post hidden by reports can still be reported as a crisis by a reader who saw it, and rises to the head of the queue', async (t) => {
  const h = await buildTestApp(t, { reportHideThreshold: 2 })
  const author = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const [first, second, third] = [await h.signUp(), await h.signUp(), await h.signUp()]
  const { threadId } = await h.startThread(moderator)
  const { postId } = await h.reply(author, threadId, 'you are all idiots anyway, nobody wants you here')
  const report = (who: typeof first, reason: string) => h.as(who, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason } })
  t.equal((await report(first, 'harassment')).statusCode, 201)
  t.equal((await report(second, 'harassment')).statusCode, 201)
  t.notOk((await h.as(third, { url: `/api/v1/threads/${threadId}` })).json().posts.some((p: { id: string }) => p.id === postId), 'hidden by the reports')
  t.equal((await report(third, 'crisis')).statusCode, 201, 'reported all the same')
  const items = (await h.as(moderator, { url: '/api/v1/moderation/queue?status=open' })).json().items as Array<{ post: { id: string }; priority: number }>
  t.equal(items[0]?.post.id, postId, 'first in the queue')
  t.equal(items[0]?.priority, 0)

  const held = await h.as(author, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'text me on 415 555 0187' } })
  const neverShown = held.json().post.id
  t.equal((await h.as(third, { method: 'POST', url: `/api/v1/posts/${neverShown}/reports`, payload: { reason: 'spam' } })).statusCode, 404, 'a post never published stays unknown to others')

  // A thread held from its start (its title gives a number): its author's replies were published only for them.
  const hidden = await h.as(author, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: 'Text me 415 555 0101', body: 'about tonight' } })
  t.equal(hidden.json().moderation.state, 'held')
  const { postId: inHidden } = await h.reply(author, hidden.json().thread.id, 'a reply in my own thread')
  t.equal((await h.as(author, { method: 'PATCH', url: `/api/v1/posts/${inHidden}`, payload: { body: 'or 415 555 0102' } })).json().moderation.state, 'held')
  t.equal((await h.as(third, { method: 'POST', url: `/api/v1/posts/${inHidden}/reports`, payload: { reason: 'crisis' } })).statusCode, 404, 'nor a post in a thread others never saw')
})
