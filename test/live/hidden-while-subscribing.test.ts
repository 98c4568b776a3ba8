/**
 * A thread hidden (held or removed) while a subscription to it is being authorised: the subscription waits with the
 * news, and once the authorisation answers, staff keep the thread and other readers lose it (found by the review of
 * this change: an admin subscribing at that moment was told not_found, as the hub asked the subscription's
 * placeholder, not its answer, whether it reads as staff).
 */
import pg from 'pg'
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { LiveSocket, liveUrl, sleep } from '../helpers/live.js'

t.test(
  'a thread hidden while its subscriptions are authorised: staff keep it, a member loses it',
  { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL: a side connection holds the authorisation’s read' },
  async (t) => {
    const h = await buildTestApp(t)
    const admin = await h.signUp({ role: 'admin' })
    const author = await h.signUp()
    const reader = await h.signUp()
    const { threadId } = await h.startThread(author)
    const url = await liveUrl(h.app)
    const staffSocket = await LiveSocket.open(url, { token: admin.token })
    const readerSocket = await LiveSocket.open(url, { token: reader.token })
    t.teardown(() => {
      staffSocket.close()
      readerSocket.close()
    })
    // The channels' authorisation (its read of the thread) waits on a table lock held by a side connection.
    const side = new pg.Client({ connectionString: h.db.url! })
    await side.connect()
    t.teardown(() => side.end())
    await side.query('begin')
    await side.query('lock table threads in access exclusive mode')
    const channel = `thread:${threadId}`
    staffSocket.send({ type: 'subscribe', channel })
    readerSocket.send({ type: 'subscribe', channel })
    await sleep(200)
    // Meanwhile the thread's news says it is hidden (as threadEvent writes it: restricted to its author and staff);
    // the thread row itself is read as visible once the lock goes, as by a read that began before the hold.
    const other = new pg.Client({ connectionString: h.db.url! })
    await other.connect()
    t.teardown(() => other.end())
    await other.query(
      `insert into events (channel, event, data, restricted_to, board_slug, created_at) values ($1, 'thread.updated', $2, $3, 'general', now())`,
      [channel, JSON.stringify({ id: threadId, state: 'held' }), author.id]
    )
    await sleep(2600) // the hub's periodic read (2 s) delivers it
    await side.query('commit')
    const answered = (s: LiveSocket) => s.waitFor((m) => (m.type === 'subscribed' || m.type === 'error') && m.channel === channel, 4000)
    t.equal((await answered(staffSocket)).type, 'subscribed', 'staff read a held thread: their subscription goes through')
    await readerSocket.waitFor((m) => m.type === 'error' && m.channel === channel, 4000)
    t.match(readerSocket.messages.find((m) => m.type === 'error' && m.channel === channel), { code: 'not_found' }, 'the member loses it')
    await sleep(200)
    t.notOk(staffSocket.messages.some((m) => m.type === 'error' && m.channel === channel), 'and staff are not told otherwise')
  }
)
