import { drizzle } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { openDatabase } from '../../src/db/client.js'
import { EVENTS_CHANNEL, writeEvents } from '../../src/live/outbox.js'
import { LiveHub, type LiveClient } from '../../src/live/hub.js'
import { buildTestApp, testConfig } from '../helpers/app.js'
import { LiveSocket, liveUrl, sleep } from '../helpers/live.js'
import type { Db } from '../../src/db/client.js'

t.test('a post reaches a subscriber of its thread within a second', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const writer = await h.signUp()
  const reader = await h.signUp()
  const { threadId } = await h.startThread(writer)
  const socket = await LiveSocket.open(url, { token: reader.token })
  t.teardown(() => socket.close())
  const subscribed = await socket.subscribe(`thread:${threadId}`)
  t.equal(subscribed.type, 'subscribed')
  t.match(subscribed.cursor, /^\d+$/)

  const started = Date.now()
  const { postId } = await h.reply(writer, threadId, 'live words')
  const event = await socket.waitFor((m) => m.type === 'event' && m.event === 'post.created', 1000)
  t.ok(Date.now() - started < 1000, `delivered in ${Date.now() - started} ms`)
  t.equal(event.channel, `thread:${threadId}`)
  t.match(event.data, { id: postId, threadId, bodyHtml: '<p>live words</p>', state: 'visible', author: { id: writer.id } })
  const rest = (await h.as(reader, { url: `/api/v1/threads/${threadId}` })).json().posts.find((p: { id: string }) => p.id === postId)
  t.same(event.data, rest, 'data is the same object the REST API returns')

  const board = await LiveSocket.open(url, { token: reader.token })
  t.teardown(() => board.close())
  await board.subscribe('board:general')
  await h.startThread(writer, 'general', { title: 'Fresh thread' })
  const created = await board.waitFor((m) => m.event === 'thread.created')
  t.match(created.data, { title: 'Fresh thread', board: 'general' })
  const pong = socket.messages.length
  socket.send({ type: 'ping' })
  await socket.waitFor((m) => m.type === 'pong', 1000, pong)
})

t.test('audiences: what a member may not read does not exist on the socket either', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const parent = await h.signUp({ circle: 'family' })
  const member = await h.signUp({ circle: 'recovery' })
  const familyThread = await h.startThread(parent, 'family')
  const socket = await LiveSocket.open(url, { token: member.token })
  t.teardown(() => socket.close())
  for (const channel of ['board:family', `thread:${familyThread.threadId}`, 'moderation', 'board:nope', 'thread:not-a-uuid', 'nonsense']) {
    const answer = await socket.subscribe(channel)
    t.match(answer, { type: 'error', code: 'not_found', channel }, channel)
  }
  t.equal((await socket.subscribe('me')).type, 'subscribed', 'me is always allowed')

  const familySocket = await LiveSocket.open(url, { token: parent.token })
  t.teardown(() => familySocket.close())
  t.equal((await familySocket.subscribe('board:family')).type, 'subscribed')
})

t.test('a held post reaches only its author and staff, until it is approved', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const moderator = await h.signUp({ role: 'moderator' })
  const author = await h.signUp()
  const reader = await h.signUp()
  const { threadId } = await h.startThread(moderator)
  const sockets = {
    author: await LiveSocket.open(url, { token: author.token }),
    reader: await LiveSocket.open(url, { token: reader.token }),
    moderator: await LiveSocket.open(url, { token: moderator.token })
  }
  t.teardown(() => Object.values(sockets).forEach((s) => s.close()))
  for (const s of Object.values(sockets)) await s.subscribe(`thread:${threadId}`)
  await sockets.author.subscribe('me')
  await sockets.moderator.subscribe('moderation')

  const held = await h.as(author, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'call me on 07700 900123' } })
  const postId = held.json().post.id
  await sockets.author.waitFor((m) => m.event === 'post.created' && m.data?.id === postId)
  await sockets.moderator.waitFor((m) => m.event === 'post.created' && m.data?.id === postId)
  const alert = await sockets.moderator.waitFor((m) => m.event === 'queue.item.created')
  t.match(alert.data, { priority: 1, post: { id: postId } })
  await h.reply(moderator, threadId, 'a visible marker after it')
  await sockets.reader.waitFor((m) => m.event === 'post.created' && (m.data?.bodyHtml as string)?.includes('marker'))
  t.notOk(sockets.reader.events().some((m) => m.data?.id === postId), 'the reader never got the held post')

  const item = (alert.data as { id: string }).id
  await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${item}/resolve`, payload: { decision: 'approve' } })
  const published = await sockets.reader.waitFor((m) => m.data?.id === postId)
  t.equal(published.event, 'post.created', 'new to readers: a post they never saw is created for them, as the contract names it')
  t.equal(published.data?.state, 'visible', 'once approved, readers get it')
  const approved = await sockets.author.waitFor((m) => m.channel === 'me' && m.event === 'post.approved')
  t.equal(approved.data?.id, postId)
})

t.test("a post held by an edit of its content warning: readers' placeholder carries neither its body nor its warning, live or on resume", async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const author = await h.signUp()
  const reader = await h.signUp()
  const { threadId } = await h.startThread(reader)
  const { postId } = await h.reply(author, threadId, 'an ordinary reply')
  const live = await LiveSocket.open(url, { token: reader.token })
  t.teardown(() => live.close())
  await live.subscribe(`thread:${threadId}`)

  const edit = await h.as(author, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { contentWarning: 'text me 415-555-0187' } })
  t.equal(edit.json().moderation.state, 'held')
  const placeholder = await live.waitFor((m) => m.event === 'post.updated' && m.data?.id === postId)
  t.match(placeholder.data, { state: 'held', bodyHtml: null, contentWarning: null })
  const resumed = await LiveSocket.open(url, { token: reader.token })
  t.teardown(() => resumed.close())
  await resumed.subscribe(`thread:${threadId}`, '0')
  await resumed.waitFor((m) => m.event === 'post.updated' && m.data?.id === postId)
  await sleep(200)
  t.notMatch(JSON.stringify([...live.messages, ...resumed.messages]), /415-555-0187/, 'the number reaches no reader')
})

t.test('a crisis alerts staff live at priority 0', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const moderator = await h.signUp({ role: 'moderator' })
  const member = await h.signUp()
  const socket = await LiveSocket.open(url, { token: moderator.token })
  t.teardown(() => socket.close())
  await socket.subscribe('moderation')
  await h.as(member, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: 'tonight', body: 'i want to end my life' } })
  const alert = await socket.waitFor((m) => m.event === 'queue.item.created', 1000)
  t.equal((alert.data as { priority: number }).priority, 0)
})

t.test('two instances: a socket on B receives a post created through A; a resume on B replays what was missed', async (t) => {
  const h = await buildTestApp(t)
  // Instance B: its own database connections (and LISTEN connection) on real PostgreSQL; on PGlite the
  // same in-process database, as two server processes cannot share one embedded database.
  const databaseB = h.db.url ? await openDatabase({ url: h.db.url, poolSize: 3 }) : h.db.database
  const appB = await buildApp({ config: testConfig({ logLevel: 'silent' }), database: databaseB, clock: h.clock })
  t.teardown(async () => {
    await appB.close()
    if (databaseB !== h.db.database) await databaseB.close()
  })
  const urlB = await liveUrl(appB)
  const urlA = await liveUrl(h.app)
  const writer = await h.signUp()
  const reader = await h.signUp()
  const { threadId } = await h.startThread(writer)

  const onB = await LiveSocket.open(urlB, { token: reader.token })
  await onB.subscribe(`thread:${threadId}`)
  const { postId } = await h.reply(writer, threadId, 'sent through A')
  const seen = await onB.waitFor((m) => m.event === 'post.created', 2000)
  t.equal(seen.data?.id, postId)
  onB.close()
  await onB.closed

  // Missed while disconnected: three replies and an edit.
  const missed = [await h.reply(writer, threadId, 'missed 1'), await h.reply(writer, threadId, 'missed 2'), await h.reply(writer, threadId, 'missed 3')]
  await h.as(writer, { method: 'PATCH', url: `/api/v1/posts/${missed[0]!.postId}`, payload: { body: 'missed 1, edited' } })

  const resumed = await LiveSocket.open(urlA, { token: reader.token })
  t.teardown(() => resumed.close())
  const answer = await resumed.subscribe(`thread:${threadId}`, seen.id)
  t.equal(answer.type, 'subscribed')
  await resumed.waitFor((m) => m.event === 'post.updated')
  const live = await h.reply(writer, threadId, 'live again')
  await resumed.waitFor((m) => m.data?.id === live.postId)
  const got = resumed.events(`thread:${threadId}`)
  t.same(
    got.map((m) => [m.event, m.data?.id]),
    [...missed.map((p) => ['post.created', p.postId]), ['post.updated', missed[0]!.postId], ['post.created', live.postId]],
    'exactly the missed events, in order, then the live one'
  )
  const ids = got.map((m) => Number(m.id))
  t.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]!), 'ids increase')
  t.ok(ids[0]! > Number(seen.id))
})

t.test("an instance's own NOTIFY does not send it back to the outbox; another instance's does", async (t) => {
  const h = await buildTestApp(t)
  const database = h.db.database
  let polls = 0
  // Each NOTIFY the hub hears, and whether hearing it made the hub read the outbox.
  const heard: Array<{ payload: string; polled: boolean }> = []
  const recording = {
    ...database,
    listen: (channel: string, onNotify: (payload: string) => void, onReconnect: () => void) =>
      database.listen(
        channel,
        (payload) => {
          const before = polls
          onNotify(payload)
          heard.push({ payload, polled: polls > before })
        },
        onReconnect
      )
  }
  const hub = new LiveHub(recording, { clock: h.clock, log: h.app.log, retentionHours: 24, maxBufferedBytes: 1 << 20, sockets: h.config.liveSockets })
  const poll = hub.poll.bind(hub)
  hub.poll = () => (polls++, poll())
  await hub.start()
  t.teardown(() => hub.close())
  const hear = async (count: number) => {
    for (let waited = 0; heard.length < count; waited += 10) {
      if (waited > 5000) throw new Error(`heard ${heard.length} NOTIFYs, expected ${count}`)
      await sleep(10)
    }
  }

  hub.wake()
  await hear(1)
  t.equal(heard[0]?.polled, false, 'its own NOTIFY, heard back after its wake read the outbox, reads nothing more')
  await database.notify(EVENTS_CHANNEL, 'another instance')
  await hear(2)
  t.same(heard[1], { payload: 'another instance', polled: true }, "another instance's NOTIFY reads the outbox")
  t.ok(polls >= 1)
})

t.test('two transactions that commit in the opposite order of their ids: delivered in commit order, none skipped', { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL: PGlite has one connection, so transactions cannot overlap' }, async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const member = await h.signUp()
  const live = await LiveSocket.open(url, { token: member.token })
  t.teardown(() => live.close())
  await live.subscribe('me')
  const clients = [new pg.Client({ connectionString: h.db.url! }), new pg.Client({ connectionString: h.db.url! })]
  for (const c of clients) await c.connect()
  t.teardown(() => Promise.all(clients.map((c) => c.end())))
  const [dbA, dbB] = clients.map((client) => drizzle({ client }) as unknown as Db)
  const now = new Date()
  const event = (n: string) => ({ channel: `me:${member.id}`, event: 'post.approved', data: { n }, restrictedTo: member.id })

  // A writes its event first (the lower row id) but commits last.
  let releaseA!: () => void
  const aHolds = new Promise<void>((resolve) => (releaseA = resolve))
  let aWrote!: () => void
  const aHasWritten = new Promise<void>((resolve) => (aWrote = resolve))
  const txA = dbA!.transaction(async (tx) => {
    await writeEvents(tx, now, [event('written first, committed last')])
    aWrote()
    await aHolds
  })
  await aHasWritten
  await dbB!.transaction(async (tx) => {
    await writeEvents(tx, now, [event('written last, committed first')])
  })
  h.app.liveHub.wake()
  const first = await live.waitFor((m) => m.data?.n === 'written last, committed first')
  // A client that saw B's event disconnects, then A commits.
  live.close()
  await live.closed
  releaseA()
  await txA

  const resumed = await LiveSocket.open(url, { token: member.token })
  t.teardown(() => resumed.close())
  await resumed.subscribe('me', first.id)
  const late = await resumed.waitFor((m) => m.type === 'event')
  t.equal(late.data?.n, 'written first, committed last', 'resuming after B still delivers A: nothing skipped')
  t.ok(Number(late.id) > Number(first.id))
  const ids = await clients[0]!.query("select id, position, data->>'n' as n from events where channel = $1 order by id", [`me:${member.id}`])
  t.ok(Number(ids.rows[0].id) < Number(ids.rows[1].id), 'A has the lower row id')
  t.ok(Number(ids.rows[0].position) > Number(ids.rows[1].position), 'but the later position: positions follow commit order')
})

t.test('a burst of concurrent replies: every event arrives once, in position order, live and on resume', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const writers = await Promise.all(Array.from({ length: 5 }, () => h.signUp()))
  const { threadId } = await h.startThread(writers[0]!)
  const live = await LiveSocket.open(url, { token: writers[0]!.token })
  t.teardown(() => live.close())
  const subscribed = await live.subscribe(`thread:${threadId}`)
  await live.subscribe('board:general')
  // Writes commit side by side (positions are given after commit, in rounds): none may be lost or repeated.
  const posted = await Promise.all(
    Array.from({ length: 60 }, async (_, i) => (await h.reply(writers[i % writers.length]!, threadId, `Reply number ${i} of the burst.`)).postId)
  )
  const seen = () => live.events(`thread:${threadId}`).filter((m) => m.event === 'post.created')
  for (let waited = 0; seen().length < posted.length && waited < 5000; waited += 50) await sleep(50)
  const liveIds = seen().map((m) => Number(m.id))
  t.same(new Set(seen().map((m) => (m.data as { id: string }).id)), new Set(posted), 'every reply arrives live')
  t.equal(liveIds.length, posted.length, 'each once')
  t.ok(liveIds.every((id, i) => i === 0 || id > liveIds[i - 1]!), 'in increasing position order')
  // The board hears of each reply with the thread's count, counted under the thread's row lock: in position
  // order the counts rise one by one, so a board list ends on the true count.
  const counts = live
    .events('board:general')
    .filter((m) => m.event === 'thread.updated' && (m.data as { id: string }).id === threadId)
    .map((m) => (m.data as { postCount: number }).postCount)
  t.same(counts, Array.from({ length: posted.length }, (_, i) => i + 2), 'thread.updated counts rise with the positions: 2, 3, … 61')

  const resumed = await LiveSocket.open(url, { token: writers[1]!.token })
  t.teardown(() => resumed.close())
  await resumed.subscribe(`thread:${threadId}`, subscribed.cursor)
  for (let waited = 0; resumed.events(`thread:${threadId}`).length < posted.length && waited < 5000; waited += 50) await sleep(50)
  t.same(resumed.events(`thread:${threadId}`).map((m) => Number(m.id)), liveIds, 'a resume replays the same events in the same order')
})

t.test('the database restarting under a live session: events made afterwards still arrive', { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL' }, async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const writer = await h.signUp()
  const { threadId } = await h.startThread(writer)
  const socket = await LiveSocket.open(url, { token: writer.token })
  t.teardown(() => socket.close())
  await socket.subscribe(`thread:${threadId}`)
  // Every server connection to this database dies, as in a restart: the pool's and the LISTEN one.
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL })
  await admin.connect()
  const name = new URL(h.db.url!).pathname.slice(1)
  await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name])
  await admin.end()
  let reply
  for (let attempt = 0; attempt < 20; attempt++) {
    reply = await h.as(writer, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'after the restart' } })
    if (reply.statusCode === 201) break
    t.equal(reply.statusCode, 503, 'while reconnecting, requests fail cleanly')
    await sleep(100)
  }
  t.equal(reply?.statusCode, 201)
  const event = await socket.waitFor((m) => m.event === 'post.created', 6000)
  t.equal(event.data?.id, reply!.json().post.id)
})

/** A socket that subscribed to a thread, a reply after it, and a clock moved past the retention window. */
async function pastRetention(t: { teardown(fn: () => unknown): void }) {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  const socket = await LiveSocket.open(await liveUrl(h.app), { token: member.token })
  t.teardown(() => socket.close())
  const first = await socket.subscribe(`thread:${threadId}`)
  await h.reply(member, threadId)
  h.clock.advance(25 * 3_600_000)
  return { h, socket, threadId, first }
}

t.test('resuming from before the retention window answers resync_required', async (t) => {
  const { h, socket, threadId, first } = await pastRetention(t)
  await h.app.liveHub.purge()
  const answer = await socket.subscribe(`thread:${threadId}`, '0')
  t.match(answer, { type: 'error', code: 'resync_required' })
  t.match(await socket.subscribe(`thread:${threadId}`, first.cursor), { type: 'error', code: 'resync_required' })
  t.match(await socket.subscribe(`thread:${threadId}`, '999999999'), { type: 'error', code: 'resync_required' }, 'an id from the future')
})

t.test('a purge that lands while a resume reads the outbox answers resync_required, not a replay with a hole', async (t) => {
  const { h, socket, threadId, first } = await pastRetention(t)
  // The purge commits between the resume's first checks and its read of the outbox.
  const hub = h.app.liveHub as unknown as { latestId: () => Promise<number> }
  const latestId = hub.latestId.bind(hub)
  hub.latestId = async () => {
    const id = await latestId()
    await h.app.liveHub.purge()
    return id
  }
  t.match(await socket.subscribe(`thread:${threadId}`, first.cursor), { type: 'error', code: 'resync_required' })
})

t.test('authentication', async (t) => {
  const h = await buildTestApp(t, { allowedOrigins: ['https://forum.example.org'] })
  const appShort = h.app
  const member = await h.signUp()
  const url = await liveUrl(appShort)

  t.test('by a first auth message', async (t) => {
    const socket = await LiveSocket.open(url)
    t.teardown(() => socket.close())
    t.match(await socket.subscribe('me'), { type: 'error', code: 'unauthenticated' })
    socket.send({ type: 'auth', token: member.token })
    await socket.waitFor((m) => m.type === 'authenticated')
    t.equal((await socket.subscribe('me')).type, 'subscribed')
  })

  t.test('by the session cookie', async (t) => {
    const socket = await LiveSocket.open(url, { headers: { cookie: `lantern_session=${member.token}`, origin: 'https://forum.example.org' } })
    t.teardown(() => socket.close())
    t.equal((await socket.subscribe('me')).type, 'subscribed')
  })

  t.test('a wrong token closes the socket', async (t) => {
    const socket = await LiveSocket.open(url)
    socket.send({ type: 'auth', token: 'a'.repeat(32) })
    t.equal((await socket.closed).code, 4401)
  })

  t.test('an Origin outside ALLOWED_ORIGINS is refused at the upgrade', async (t) => {
    await t.rejects(LiveSocket.open(url, { token: member.token, headers: { origin: 'https://evil.example' } }), /refused: 403/)
  })

  t.test('signing out closes the socket', async (t) => {
    const login = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', payload: { handle: member.handle, password: 'a long enough password' } })
    const token = login.json().token
    const socket = await LiveSocket.open(url, { token })
    await socket.subscribe('me')
    await h.app.inject({ method: 'DELETE', url: '/api/v1/sessions/current', headers: { authorization: `Bearer ${token}` } })
    t.equal((await socket.closed).code, 4401)
  })
})

t.test('a socket that never authenticates is closed after the auth timeout', async (t) => {
  const h = await buildTestApp(t)
  const fast = await buildApp({ config: testConfig({ logLevel: 'silent' }), database: h.db.database, clock: h.clock, live: { authTimeoutMs: 200 } })
  t.teardown(() => fast.close())
  const socket = await LiveSocket.open(await liveUrl(fast))
  const started = Date.now()
  t.equal((await socket.closed).code, 4401)
  t.ok(Date.now() - started < 2000)
})

t.test('bad client messages get an error message, never a crash', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const url = await liveUrl(h.app)
  const socket = await LiveSocket.open(url, { token: member.token })
  t.teardown(() => socket.close())
  const bad = ['not json', '[1,2]', '42', 'null', '{}', '{"type":"dance"}', '{"type":"subscribe"}', '{"type":"subscribe","channel":""}',
    '{"type":"subscribe","channel":"me","since":12}', '{"type":"subscribe","channel":"me","extra":1}', '{"type":"unsubscribe"}',
    '{"type":"ping","x":1}', '{"type":"auth","token":"x"}', '{"__proto__":{"polluted":1},"type":"ping"}',
    JSON.stringify({ type: 'subscribe', channel: 'x'.repeat(101) })]
  for (const message of bad) {
    const from = socket.messages.length
    socket.send(message)
    const answer = await socket.waitFor((m) => m.type === 'error' || m.type === 'pong' || m.type === 'subscribed', 2000, from)
    t.equal(answer.type, 'error', message.slice(0, 40))
  }
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution')
  t.equal((await socket.subscribe('me')).type, 'subscribed', 'the socket still works')
  const from = socket.messages.length
  socket.send({ type: 'subscribe', channel: 'me', since: 'abc' })
  t.match(await socket.waitFor((m) => m.type === 'error', 2000, from), { code: 'validation_failed' })
  socket.send('x'.repeat(4 * 1024 + 1))
  t.equal((await socket.closed).code, 1009, 'a message over 4 KiB closes the socket')
})

t.test('a slow consumer is disconnected instead of growing memory', async (t) => {
  const closed: Array<[number, string]> = []
  const sent: string[] = []
  const socket = {
    OPEN: 1,
    readyState: 1,
    bufferedAmount: 0,
    send: (m: string) => sent.push(m),
    close: (code: number, reason: string) => closed.push([code, reason]),
    terminate: () => {}
  }
  const hub = new LiveHub({} as never, { clock: { now: () => new Date() }, log: { info() {}, warn() {} } as never, retentionHours: 24, maxBufferedBytes: 1000, sockets: testConfig().liveSockets })
  const client = { socket, account: null, sessionId: null, subs: new Map(), alive: true } as unknown as LiveClient
  hub.add(client)
  hub.send(client, 'fits')
  socket.bufferedAmount = 5000
  hub.send(client, 'does not')
  t.same(sent, ['fits'])
  t.same(closed, [[4008, 'slow consumer: too many unsent events']])
  t.equal(hub.connectedClients, 0)
})
