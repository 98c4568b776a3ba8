/**
 * A round of events_sequence() never waits for a writer (migration 0011): an event that a later change to the same
 * post or thread is rewriting, in a transaction still open, is numbered after that transaction ends, above every id
 * given meanwhile, with the later news of the same post or thread on its channel behind it; the rest goes on.
 * These need a second connection holding locks, so real PostgreSQL.
 */
import { drizzle } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import type { Db } from '../../src/db/client.js'
import { openDatabase } from '../../src/db/client.js'
import { writeEvents } from '../../src/live/outbox.js'
import { buildTestApp, testConfig } from '../helpers/app.js'
import { createTestDatabase } from '../helpers/database.js'
import { LiveSocket, liveUrl } from '../helpers/live.js'

const real = { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL (a second connection holding locks)' }

/** The advisory lock every round takes (migration 0009): held, it keeps rounds off while a test sets its scene. */
const ROUND_LOCK = 1280263508

async function connect(t: { teardown(fn: () => unknown): void }, url: string, count: number): Promise<pg.Client[]> {
  const clients = Array.from({ length: count }, () => new pg.Client({ connectionString: url }))
  for (const c of clients) await c.connect()
  t.teardown(async () => {
    for (const c of clients) await c.query('rollback').catch(() => {})
    await Promise.all(clients.map((c) => c.end().catch(() => {})))
  })
  return clients
}

const on = (client: pg.Client) => drizzle({ client }) as unknown as Db

t.test('a writer stalled while it rewrites an event not yet numbered stops no one', real, async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  const other = await h.startThread(member)
  const socket = await LiveSocket.open(url, { token: member.token })
  t.teardown(() => socket.close())
  const onThread = await socket.subscribe(`thread:${other.threadId}`)
  const onBoard = await socket.subscribe('board:general')
  t.equal(onThread.type, 'subscribed')
  t.equal(onBoard.type, 'subscribed')

  const [gate, dead, stalled] = (await connect(t, h.db.url!, 3)) as [pg.Client, pg.Client, pg.Client]
  // No round may number the first news before the stalled writer has it locked.
  await gate.query('begin')
  await gate.query('select pg_advisory_xact_lock($1)', [ROUND_LOCK])
  // An instance commits news of a thread and dies before its round: committed, without an id.
  const now = new Date()
  await writeEvents(on(dead), now, [{ channel: 'board:general', event: 'thread.updated', data: { id: threadId, postCount: 2 }, boardSlug: 'general' }])
  // Another writes the thread's next news, which rewrites that one, and stalls before COMMIT.
  await stalled.query('begin')
  await writeEvents(on(stalled), now, [{ channel: 'board:general', event: 'thread.updated', data: { id: threadId, postCount: 3 }, boardSlug: 'general' }])
  await gate.query('commit')

  const reply = await h.reply(member, other.threadId, 'an unrelated reply, written while the writer is stalled')
  const live = await socket.waitFor((m) => m.type === 'event' && m.data?.id === reply.postId, 3000).then(
    () => true,
    () => false
  )
  t.ok(live, 'an unrelated reply reaches its subscriber')

  const resumed = await LiveSocket.open(url, { token: member.token })
  t.teardown(() => resumed.close())
  t.match(await resumed.subscribe(`thread:${other.threadId}`, onThread.cursor), { type: 'subscribed' }, 'a resume is served')
  const replayed = await resumed.waitFor((m) => m.type === 'event' && m.data?.id === reply.postId).then(
    () => true,
    () => false
  )
  t.ok(replayed, 'and replays the reply')

  const databaseB = await openDatabase({ url: h.db.url!, poolSize: 3 })
  const appB = await buildApp({ config: testConfig({ logLevel: 'silent' }), database: databaseB, clock: h.clock })
  t.teardown(async () => {
    await appB.close()
    await databaseB.close()
  })
  await t.resolves(async () => {
    await appB.ready()
  }, 'a new instance starts')

  // The stall ends with a COMMIT: the rewritten news and the writer's own are numbered now, above the cursor the
  // board's reader was given before them, in their order, live and on a resume alike.
  await stalled.query('commit')
  const news = (s: LiveSocket) => s.events('board:general').filter((m) => m.data?.id === threadId)
  await socket.waitFor(() => news(socket).length >= 2, 6000)
  const [first, second] = news(socket)
  t.same([first!.data, second!.data], [{ id: threadId, postCount: 3 }, { id: threadId, postCount: 3 }], 'the earlier news as the later one rewrote it, then the later one')
  t.ok(Number(first!.id) > Number(onBoard.cursor) && Number(second!.id) > Number(first!.id), 'both above the cursor given before them, in order')
  const again = await LiveSocket.open(url, { token: member.token })
  t.teardown(() => again.close())
  t.match(await again.subscribe('board:general', onBoard.cursor), { type: 'subscribed' })
  await again.waitFor(() => news(again).length >= 2)
  t.same(news(again).map((m) => m.id), [first!.id, second!.id], 'a resume from that cursor replays both: no gap')
})

t.test("a round numbers what it can lock, and keeps a post's or thread's news in order behind a rewrite", real, async (t) => {
  const db = await createTestDatabase()
  t.teardown(() => db.drop())
  const [writer, rewriter, reader] = (await connect(t, db.url!, 3)) as [pg.Client, pg.Client, pg.Client]
  const round = () => reader.query('select events_sequence()')
  const positions = async () => {
    const r = await reader.query<{ id: string; position: string | null }>('select id, position from events order by id')
    return new Map(r.rows.map((row) => [Number(row.id), row.position === null ? null : Number(row.position)]))
  }
  const insert = async (channel: string, subject: string, n: number) => {
    const r = await writer.query<{ id: string }>('insert into events (channel, event, data, created_at) values ($1, $2, $3, now()) returning id', [
      channel,
      'post.updated',
      { id: subject, n }
    ])
    return Number(r.rows[0]!.id)
  }
  await round()
  const a = await insert('thread:t1', 'p1', 1)
  const b = await insert('thread:t1', 'p2', 1)
  const c = await insert('thread:t1', 'p1', 2)
  const d = await insert('thread:t2', 'p1', 1)
  // A change to p1 rewrites its earlier events on thread:t1, and has locked the first, not yet the second (the
  // rewrite is under way, or the second committed after it began).
  await rewriter.query('begin')
  await rewriter.query(`update events set data = jsonb_set(data, '{n}', '3') where id = $1`, [a])

  // A round that waited for the rewriter would fail here rather than hang the test.
  await reader.query('set statement_timeout = 2000')
  await round()
  let now = await positions()
  t.ok(now.get(b) !== null && now.get(d) !== null, 'the events it could lock are numbered: another post, the same id on another channel')
  t.equal(now.get(a), null, 'the event being rewritten waits')
  t.equal(now.get(c), null, "the later news of the same post on the same channel waits behind it")

  await rewriter.query('commit')
  await round()
  now = await positions()
  const [pa, pb, pc, pd] = [now.get(a)!, now.get(b)!, now.get(c)!, now.get(d)!]
  t.ok(pa > Math.max(pb, pd), 'numbered after its writer ended, above every id given meanwhile')
  t.ok(pc > pa, 'the news of that post keeps its order')
})

t.test('a read of the outbox that waited long is logged, and its news then arrives', real, async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  const socket = await LiveSocket.open(url, { token: member.token })
  t.teardown(() => socket.close())
  t.equal((await socket.subscribe(`thread:${threadId}`)).type, 'subscribed')
  const [gate] = (await connect(t, h.db.url!, 1)) as [pg.Client]
  // Rounds wait behind this lock: the reply's news waits with them.
  await gate.query('begin')
  await gate.query('select pg_advisory_xact_lock($1)', [ROUND_LOCK])
  const { postId } = await h.reply(member, threadId, 'written while every round waits')
  await new Promise((resolve) => setTimeout(resolve, 5500))
  t.notOk(socket.events(`thread:${threadId}`).some((m) => m.data?.id === postId), 'not delivered while the round waits')
  await gate.query('commit')
  await socket.waitFor((m) => m.event === 'post.created' && m.data?.id === postId, 5000)
  const warned = h.logs.filter((line) => line.includes('live: reading the outbox took long'))
  t.ok(warned.length >= 1, 'the long read is logged')
  t.match(JSON.parse(warned[0]!), { level: 40, ms: Number })
})
