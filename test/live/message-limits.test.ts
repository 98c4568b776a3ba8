/**
 * What a client may send: messages of at most 4 KiB; while 32 wait for their answers the socket stops reading (TCP
 * holds the rest). Without these bounds (found in review, 2026-11-24) one socket sending 64 KiB messages faster than
 * its subscribes were authorised made the server hold every one of them: over 100 MiB for 2,000 messages. A first
 * cap closed the socket at 33 waiting messages, which closed clients restoring their channels (the next review).
 */
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { holdReads, LiveSocket, liveUrl, sleep } from '../helpers/live.js'

// The limits README.md documents.
const MAX_MESSAGE_BYTES = 4 * 1024
const PAUSE_AT = 32

/** The close code, or null if the socket is still open after `ms`. */
const closedWithin = (socket: LiveSocket, ms: number) => Promise.race([socket.closed.then((c) => c.code), sleep(ms).then(() => null)])

t.test('a message of 4 KiB is answered; a larger one closes the socket (1009)', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const socket = await LiveSocket.open(await liveUrl(h.app), { token: member.token })
  t.teardown(() => socket.close())
  const ping = (size: number) => JSON.stringify({ type: 'ping' }).padEnd(size, ' ')
  socket.send(ping(MAX_MESSAGE_BYTES))
  await socket.waitFor((m) => m.type === 'pong')
  socket.send(ping(MAX_MESSAGE_BYTES + 1))
  t.equal(await closedWithin(socket, 2000), 1009, 'one byte more closes the socket')
  t.equal(socket.messages.filter((m) => m.type === 'pong').length, 1, 'the large one is not handled')
})

t.test(`while ${PAUSE_AT} messages wait for their answers the socket stops reading, and is served, not closed`, async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  const socket = await LiveSocket.open(await liveUrl(h.app), { token: member.token })
  t.teardown(() => socket.close())
  const hub = h.app.liveHub as unknown as { db: object }
  // A subscribe waits on its authorisation (a slow database) while 200 pings queue up behind it.
  const read = holdReads(hub.db, (fields) => !!fields && 'thread' in fields && 'audience' in fields)
  Object.defineProperty(hub, 'db', { configurable: true, get: () => read.db })
  socket.send({ type: 'subscribe', channel: `thread:${threadId}` })
  await read.answered
  Reflect.deleteProperty(hub, 'db')
  for (let i = 0; i < 200; i++) socket.send({ type: 'ping' })
  await sleep(300)
  const server = [...(h.app.websocketServer as { clients: Set<{ isPaused: boolean }> }).clients][0]
  t.equal(server?.isPaused, true, 'the server stopped reading the socket')
  t.equal(await closedWithin(socket, 100), null, 'and kept it open')
  read.release()
  await socket.waitFor((m) => m.type === 'subscribed')
  await socket.waitFor(() => socket.messages.filter((m) => m.type === 'pong').length === 200, 5000)
  t.pass('every message is answered, in order')
  t.equal(server?.isPaused, false, 'and it reads again')
})

t.test('a client restoring its channels, 100 subscribes in one write, gets every one', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const threads: string[] = []
  for (let i = 0; i < 99; i++) threads.push((await h.startThread(member)).threadId)
  const socket = await LiveSocket.open(await liveUrl(h.app))
  t.teardown(() => socket.close())
  const tcp = (socket.ws as unknown as { _socket: import('node:net').Socket })._socket
  tcp.cork()
  socket.send({ type: 'auth', token: member.token })
  socket.send({ type: 'subscribe', channel: 'me' })
  for (const id of threads) socket.send({ type: 'subscribe', channel: `thread:${id}`, since: '1' })
  tcp.uncork()
  await socket.waitFor(() => socket.messages.filter((m) => m.type === 'subscribed').length === 100, 20_000)
  t.equal(await closedWithin(socket, 100), null, 'and stays connected')
})
