/**
 * Retention may purge every kept event after a quiet day: the cursor a client was last given is then above every id
 * left in the outbox, and still one this server gave. A resume with it is served, not sent to resync.
 */
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { LiveSocket, liveUrl } from '../helpers/live.js'

t.test('a resume with the cursor last given, after retention purged everything, is served with what came since', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  await h.reply(member, threadId, 'the last reply of the day')
  // The instance has read the reply: the cursor it gives next is the reply's id.
  await h.app.liveHub.poll()
  const socket = await LiveSocket.open(url, { token: member.token })
  t.teardown(() => socket.close())
  const seen = await socket.subscribe(`thread:${threadId}`)
  t.equal(seen.type, 'subscribed')
  socket.close()
  await socket.closed
  // A quiet day: nothing is written, and retention purges everything older than its window.
  h.clock.advance(25 * 3_600_000)
  await h.app.liveHub.purge()

  const quiet = await LiveSocket.open(url, { token: member.token })
  t.teardown(() => quiet.close())
  t.match(await quiet.subscribe(`thread:${threadId}`, seen.cursor), { type: 'subscribed', cursor: seen.cursor }, 'nothing was missed: served')
  quiet.close()

  const next = await h.reply(member, threadId, 'the first reply of the next day')
  const later = await LiveSocket.open(url, { token: member.token })
  t.teardown(() => later.close())
  t.match(await later.subscribe(`thread:${threadId}`, seen.cursor), { type: 'subscribed' }, 'a resume from the same cursor the next day')
  const replayed = await later.waitFor((m) => m.type === 'event' && m.data?.id === next.postId)
  t.ok(Number(replayed.id) > Number(seen.cursor), 'replays what came since')
})

t.test('a cursor this server never gave still answers resync_required', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  const socket = await LiveSocket.open(url, { token: member.token })
  t.teardown(() => socket.close())
  const seen = await socket.subscribe(`thread:${threadId}`)
  const ahead = String(Number(seen.cursor) + 1000)
  t.match(await socket.subscribe(`thread:${threadId}`, ahead), { type: 'error', code: 'resync_required' })
})
