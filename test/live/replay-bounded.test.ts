/**
 * A resume's memory is bounded (H2 in the live review): it used to load up to 5,001 whole events, restricted ones
 * included, even to answer resync_required, with no limit on how many ran at once (about 100 MB each; twelve at
 * once ran a 700 MB heap out of memory), and wrote them all at once, so a large resume was dropped as a slow
 * consumer (4008) after about 250 events. The events are written straight into the outbox, as the reviewer's probe
 * did: thousands of replies of 20,000 characters would take the rate limits 40 minutes.
 */
import { sql } from 'drizzle-orm'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import t from 'tap'
import WebSocket from 'ws'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { LiveSocket, liveUrl, sleep } from '../helpers/live.js'

/** `count` events of `bytes` of data each on a thread's channel, positioned and read by the hub; answers the id just before them. */
async function fill(h: TestApp, threadId: string, count: number, bytes: number): Promise<string> {
  const db = h.db.database.db
  await db.execute(sql`insert into events (channel, event, data, board_slug, created_at)
    select ${`thread:${threadId}`}, 'post.updated',
           jsonb_build_object('id', gen_random_uuid()::text, 'threadId', ${threadId}::text, 'bodyHtml', repeat('x', ${bytes})),
           'general', now()
      from generate_series(1, ${count})`)
  // As after a write: this instance reads them (a replay serves only what its hub has read).
  await h.app.liveHub.poll()
  const result = (await db.execute(sql`select min(position) - 1 as low from events where channel = ${`thread:${threadId}`} and event = 'post.updated'`)) as unknown as {
    rows: Array<{ low: string | number }>
  }
  return String(result.rows[0]!.low)
}

// A full collection on demand: what a resume holds is measured, not garbage waiting for the next collection.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/**
 * What this process's heap holds above where it started, at its highest, while `run` runs: sampled every 200 ms
 * after a full collection (garbage is collected before a heap runs out; what is held is not).
 */
async function heapGrowth(run: () => Promise<unknown>): Promise<number> {
  gc()
  const base = process.memoryUsage().heapUsed
  let peak = base
  const sampler = setInterval(() => {
    gc()
    peak = Math.max(peak, process.memoryUsage().heapUsed)
  }, 200)
  try {
    await run()
  } finally {
    clearInterval(sampler)
  }
  return peak - base
}

/**
 * A resume that keeps nothing of what it receives (so the measure is the server's): answers how many events came,
 * whether their ids kept rising, and how the socket ended (null: still open once they all came).
 */
function countingResume(url: string, token: string, channel: string, since: string, expected: number) {
  return new Promise<{ events: number; ordered: boolean; closed: number | null; answer: string }>((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } })
    let events = 0
    let last = BigInt(since)
    let ordered = true
    let answer = ''
    ws.once('error', reject)
    ws.once('open', () => ws.send(JSON.stringify({ type: 'subscribe', channel, since })))
    ws.on('message', (raw: Buffer) => {
      // Only the head of a frame is read: the id comes before the data.
      const head = raw.subarray(0, 200).toString()
      const type = /"type":"(\w+)"/.exec(head)?.[1]
      if (type !== 'event') {
        answer ||= head
        if (type === 'error') ws.close()
        return
      }
      const id = BigInt(/"id":"(\d+)"/.exec(head)![1]!)
      if (id <= last) ordered = false
      last = id
      if (++events === expected) {
        resolve({ events, ordered, closed: null, answer })
        ws.close()
      }
    })
    ws.once('close', (code) => resolve({ events, ordered, closed: code, answer }))
  })
}

t.test('six resumes at once of 1,000 events of 20 KB each: every event arrives, in order, and the heap stays small', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  const low = await fill(h, threadId, 1000, 20_000)
  const results: Array<Awaited<ReturnType<typeof countingResume>>> = []
  const growth = await heapGrowth(async () => {
    results.push(...(await Promise.all(Array.from({ length: 6 }, () => countingResume(url, member.token, `thread:${threadId}`, low, 1000)))))
  })
  t.comment(`heap grew by ${Math.round(growth / 1e6)} MB`)
  for (const result of results) {
    t.match(result, { events: 1000, ordered: true, closed: null }, 'a whole replay, in order, not dropped as a slow consumer')
    t.match(result.answer, /"type":"subscribed"/)
  }
  // Whole, the six replays are 120 MB of events, and each was loaded whole: the heap held hundreds of MB at once.
  t.ok(growth < 40e6, `the heap grew by less than 40 MB (${Math.round(growth / 1e6)} MB)`)
})

t.test('a resume past the replay limit answers resync_required without loading the events', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  const low = await fill(h, threadId, 5001, 10_000)
  const s = await LiveSocket.open(url, { token: member.token })
  t.teardown(() => s.close())
  let answer: Awaited<ReturnType<LiveSocket['subscribe']>> | null = null
  const growth = await heapGrowth(async () => {
    answer = await s.subscribe(`thread:${threadId}`, low)
  })
  t.match(answer, { type: 'error', code: 'resync_required', channel: `thread:${threadId}` })
  // The 5,001 events are 50 MB.
  t.ok(growth < 10e6, `the heap grew by less than 10 MB (${Math.round(growth / 1e6)} MB)`)
  t.equal(s.events().length, 0)
})

t.test('events written while a long replay waits for the client to read come after it, in order, once each', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  const channel = `thread:${threadId}`
  // 20 MB: more than the kernel's socket buffers hold, so the replay waits for the client part way through.
  const low = await fill(h, threadId, 1000, 20_000)
  const s = await LiveSocket.open(url, { token: member.token })
  t.teardown(() => s.close())
  const tcp = (s.ws as unknown as { _socket: import('node:net').Socket })._socket
  s.send({ type: 'subscribe', channel, since: low })
  tcp.pause()
  await sleep(500)
  // The replay is under way, and held: what is written now waits behind it.
  const hub = h.app.liveHub as unknown as { clients: Set<{ subs: Map<string, { buffer: unknown[] | null }> }> }
  const sub = [...hub.clients][0]!.subs.get(channel)
  t.ok(sub?.buffer, 'the subscription is still replaying')
  const replies: string[] = []
  for (let i = 0; i < 3; i++) replies.push((await h.reply(member, threadId, `live reply ${i}`)).postId)
  await sleep(300)
  t.equal(sub?.buffer?.length, 3, 'the replies wait behind the replay')
  tcp.resume()
  await s.waitFor(() => s.events(channel).length >= 1003, 30_000)
  await sleep(200)
  const got = s.events(channel)
  t.equal(got.length, 1003, 'every event once')
  const ids = got.map((m) => BigInt(m.id!))
  t.ok(
    ids.every((id, i) => i === 0 || id > ids[i - 1]!),
    'ids rise'
  )
  t.same(
    got.slice(1000).map((m) => [m.event, m.data?.id]),
    replies.map((id) => ['post.created', id]),
    'the live replies come after the replay'
  )
  t.equal(got.slice(0, 1000).filter((m) => m.event === 'post.updated').length, 1000, 'the replay comes first, whole')
  t.equal(s.ws.readyState, WebSocket.OPEN, 'and the socket stays open')
})

t.test('a replay leaves out, in the database, what the subscriber may not read: a held reply of another member', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const member = await h.signUp()
  const other = await h.signUp()
  const { threadId } = await h.startThread(member)
  const channel = `thread:${threadId}`
  const db = h.db.database.db
  // 300 events held for `other` (restricted to them), between two public ones.
  await db.execute(sql`insert into events (channel, event, data, board_slug, created_at) values
    (${channel}, 'post.updated', jsonb_build_object('id', 'first'), 'general', now())`)
  await db.execute(sql`insert into events (channel, event, data, restricted_to, board_slug, created_at)
    select ${channel}, 'post.created', jsonb_build_object('id', 'held-' || n), ${other.id}::uuid, 'general', now() from generate_series(1, 300) n`)
  await db.execute(sql`insert into events (channel, event, data, board_slug, created_at) values
    (${channel}, 'post.updated', jsonb_build_object('id', 'last'), 'general', now())`)
  await h.app.liveHub.poll()
  const s = await LiveSocket.open(url, { token: member.token })
  t.teardown(() => s.close())
  t.equal((await s.subscribe(channel, '0')).type, 'subscribed')
  await s.waitFor(() => s.events(channel).some((m) => m.data?.id === 'last'))
  t.same(
    s.events(channel).map((m) => m.data?.id).filter((id) => id === 'first' || id === 'last' || String(id).startsWith('held-')),
    ['first', 'last'],
    'no held reply of another'
  )
  const author = await LiveSocket.open(url, { token: other.token })
  t.teardown(() => author.close())
  t.equal((await author.subscribe(channel, '0')).type, 'subscribed')
  await author.waitFor(() => author.events(channel).some((m) => m.data?.id === 'last'), 5000)
  t.equal(author.events(channel).filter((m) => String(m.data?.id).startsWith('held-')).length, 300, 'their author gets all of them, over two pages')
})

t.test('clients that read their resumes slowly hold no turn: another resume is served meanwhile', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  const low = await fill(h, threadId, 500, 20_000)
  // More stalled resumes than an instance runs at once (4), from accounts of their own (2 each at most).
  const stalled: LiveSocket[] = []
  t.teardown(() => stalled.forEach((s) => s.close()))
  for (let i = 0; i < 6; i++) {
    const s = await LiveSocket.open(url, { token: (await h.signUp()).token })
    ;(s.ws as unknown as { _socket: import('node:net').Socket })._socket.pause()
    s.send({ type: 'subscribe', channel: `thread:${threadId}`, since: low })
    stalled.push(s)
  }
  await sleep(1000)
  const other = await h.startThread(member)
  const { postId } = await h.reply(member, other.threadId, 'a reply on a quiet thread')
  const reader = await LiveSocket.open(url, { token: (await h.signUp()).token })
  t.teardown(() => reader.close())
  const started = Date.now()
  t.equal((await reader.subscribe(`thread:${other.threadId}`, '0')).type, 'subscribed', 'served while six resumes wait for their clients')
  await reader.waitFor((m) => m.data?.id === postId, 5000)
  t.ok(Date.now() - started < 5000, `in ${Date.now() - started} ms`)
})
