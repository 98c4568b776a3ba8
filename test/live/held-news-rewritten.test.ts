/**
 * A held post's news goes to its author and staff only. When its words change (a moderator's redaction, which
 * publishes it, or its author's edit while it is held), a resume replays it as it is now to them too: the number a
 * redaction took out is not kept in their copy for the 24 h the outbox keeps events (found by the review of a
 * member's data from start to finish).
 */
import t from 'tap'
import { buildTestApp, type TestAccount, type TestApp } from '../helpers/app.js'
import { LiveSocket, liveUrl, replayFromStart } from '../helpers/live.js'

const PHONE = '415 555 0187'

/** A resume from the start of the channel as `who`, until `about` has had `count` events. */
const replay = (url: string, who: TestAccount, channel: string, about: string, count: number) => replayFromStart(url, who.token, channel, count, about)

async function heldReply(h: TestApp, author: TestAccount, threadId: string, body: string): Promise<string> {
  const res = await h.as(author, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body } })
  if (res.json().moderation?.state !== 'held') throw new Error(`not held: ${res.body}`)
  return res.json().post.id
}

t.test("a redaction takes the number out of the held post's own news, for its author and staff", async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const mod = await h.signUp({ role: 'moderator' })
  const author = await h.signUp()
  const { threadId } = await h.startThread(mod)
  const postId = await heldReply(h, author, threadId, `text me on ${PHONE}`)
  const channel = `thread:${threadId}`
  t.match(JSON.stringify(await replay(url, author, channel, postId, 1)), PHONE, 'before: the author replays their held post')

  const items = (await h.as(mod, { url: '/api/v1/moderation/queue?status=open' })).json().items
  const item = items.find((i: { post: { id: string } }) => i.post.id === postId)
  const redact = await h.as(mod, { method: 'POST', url: `/api/v1/moderation/queue/${item.id}/resolve`, payload: { decision: 'redact', body: 'text me (number removed)' } })
  t.equal(redact.statusCode, 200)

  for (const who of [author, mod]) {
    const events = await replay(url, who, channel, postId, 2)
    t.same(events.map((m) => m.event), ['post.created', 'post.created'], 'the same events, in order: the held copy, then the post published')
    t.notOk(JSON.stringify(events).includes(PHONE), 'none holds the number')
    for (const m of events) t.match(m.data, { state: 'visible', bodyHtml: '<p>text me (number removed)</p>' }, `${m.event} says what the forum shows`)
  }
})

t.test('an edit of a held post rewrites its earlier news for its author and staff', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const mod = await h.signUp({ role: 'moderator' })
  const author = await h.signUp()
  const reader = await h.signUp()
  const { threadId } = await h.startThread(mod)
  const postId = await heldReply(h, author, threadId, `call ${PHONE} tonight`)
  const edit = await h.as(author, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { body: 'no number after all' } })
  t.equal(edit.statusCode, 200)
  t.equal(edit.json().post.state, 'held', 'still held')
  const channel = `thread:${threadId}`
  for (const who of [author, mod]) {
    const events = await replay(url, who, channel, postId, 2)
    t.same(events.map((m) => m.event), ['post.created', 'post.updated'])
    t.notOk(JSON.stringify(events).includes(PHONE), 'the number the author took out is not replayed')
  }
  // Others never had the held post's news, and still have none.
  const { postId: later } = await h.reply(mod, threadId, 'a later reply, so that everything before it has been replayed')
  const s = await LiveSocket.open(url, { token: reader.token })
  t.teardown(() => s.close())
  t.equal((await s.subscribe(channel, '0')).type, 'subscribed')
  await s.waitFor(() => s.events(channel).some((m) => m.data?.id === later))
  t.notOk(s.events(channel).some((m) => m.data?.id === postId), 'a reader replays nothing of it')
})
