/**
 * A resume replays the kept events of a channel; what they say of a post or a thread is what the forum shows
 * now. Removed, deleted, redacted and edited text, a deleted member's handle and a removed thread's title are
 * not replayed; the events themselves (ids, order, kinds) are.
 */
import t from 'tap'
import { buildTestApp, TEST_PASSWORD } from '../helpers/app.js'
import { LiveSocket, liveUrl, replayFromStart } from '../helpers/live.js'

const replay = replayFromStart

t.test('a resume replays posts as they are now', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const mod = await h.signUp({ role: 'moderator' })
  const author = await h.signUp()
  const reader = await h.signUp()
  const { threadId } = await h.startThread(mod)
  const removed = await h.reply(author, threadId, 'REMOVEME words a moderator took down')
  const redacted = await h.reply(author, threadId, 'REDACTME words a moderator will take out')
  const deleted = await h.reply(author, threadId, 'DELETEME words I took back')
  const edited = await h.reply(author, threadId, 'OLDTEXT my first try')
  const before = await replay(url, reader.token, `thread:${threadId}`, 4)
  t.match(JSON.stringify(before), /REMOVEME/, 'before: the replay has the text')

  await h.reportAndResolve(reader, mod, removed.postId, { decision: 'remove', reason: 'harassment' })
  await h.reportAndResolve(reader, mod, redacted.postId, { decision: 'redact', body: 'words [removed by a moderator]' })
  t.equal((await h.as(author, { method: 'DELETE', url: `/api/v1/posts/${deleted.postId}` })).statusCode, 204)
  t.equal((await h.as(author, { method: 'PATCH', url: `/api/v1/posts/${edited.postId}`, payload: { body: 'NEWTEXT said better' } })).statusCode, 200)
  t.equal((await h.as(author, { method: 'DELETE', url: '/api/v1/me', payload: { password: TEST_PASSWORD } })).statusCode, 204)

  const after = await replay(url, reader.token, `thread:${threadId}`, 8)
  const text = JSON.stringify(after)
  for (const gone of ['REMOVEME', 'REDACTME', 'DELETEME', 'OLDTEXT', author.handle, author.id]) t.notOk(text.includes(gone), `no ${gone}`)
  t.match(text, /NEWTEXT/, 'the edit is there')
  t.match(text, /removed by a moderator/, 'and the redaction')
  // The same events, in the same order: only what they say changed.
  t.same(after.slice(0, before.length).map((m) => [m.id, m.event]), before.map((m) => [m.id, m.event]))
  const created = after.filter((m) => m.event === 'post.created')
  t.same(
    created.map((m) => [m.data?.id, m.data?.bodyHtml === null, m.data?.author]),
    [
      [removed.postId, true, null],
      [redacted.postId, false, null],
      [deleted.postId, true, null],
      [edited.postId, false, null]
    ],
    'post.created now carries the post as REST shows it'
  )
  const page = (await h.as(reader, { url: `/api/v1/threads/${threadId}` })).json()
  for (const post of page.posts.slice(1)) {
    const event = created.find((m) => m.data?.id === post.id)
    t.same(event?.data, post, 'each replayed post equals the REST post')
  }
})

t.test('a removed thread leaves its board replay, for readers; its author and staff still get it', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const mod = await h.signUp({ role: 'moderator' })
  const author = await h.signUp()
  const reader = await h.signUp()
  const kept = await h.startThread(author, 'general', { title: 'A thread that stays', body: 'fine words' })
  const gone = await h.startThread(author, 'general', { title: 'SECRET title of a removed thread', body: 'opening words' })
  await h.reportAndResolve(reader, mod, gone.postId, { decision: 'remove', reason: 'harassment' })

  const s = await LiveSocket.open(url, { token: reader.token })
  t.teardown(() => s.close())
  t.equal((await s.subscribe('board:general', '0')).type, 'subscribed')
  await s.waitFor(() => s.events('board:general').some((m) => m.data?.id === kept.threadId))
  await h.reply(author, kept.threadId, 'a later reply, so that everything before it has been replayed')
  await s.waitFor(() => s.events('board:general').filter((m) => m.data?.id === kept.threadId).length >= 2)
  t.notOk(JSON.stringify(s.messages).includes('SECRET'), 'the reader never sees the removed title')
  for (const who of [author, mod]) {
    const events = await replay(url, who.token, 'board:general', 2)
    t.ok(events.some((m) => m.data?.id === gone.threadId), 'the author and staff still do')
  }
})

t.test("a deleted member's threads, posts and queue items replay with author null, found by index", async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const mod = await h.signUp({ role: 'moderator' })
  const author = await h.signUp()
  const reader = await h.signUp()
  const { threadId, postId } = await h.startThread(author, 'general', { title: 'A thread by someone who leaves', body: 'opening words' })
  await h.reply(author, threadId, 'a reply of theirs')
  await h.as(reader, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'spam' } })
  const before = await replay(url, mod.token, 'moderation', 1)
  t.ok(JSON.stringify(before).includes(author.handle), 'before: the queue item names the author')
  t.equal((await h.as(author, { method: 'DELETE', url: '/api/v1/me', payload: { password: TEST_PASSWORD } })).statusCode, 204)
  for (const channel of ['moderation', 'board:general', `thread:${threadId}`]) {
    const events = await replay(url, mod.token, channel, 1)
    const text = JSON.stringify(events)
    t.notOk(text.includes(author.handle) || text.includes(author.id), `${channel}: the author is gone`)
  }
})
