/**
 * What a client may send: messages of at most 4 KiB, and at most 32 of them before their answers. Without
 * these bounds (found in review, 2026-11-24) one socket sending 64 KiB messages faster than its subscribes were
 * authorised made the server hold every one of them: over 100 MiB for 2,000 messages.
 */
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { holdReads, LiveSocket, liveUrl, sleep } from '../helpers/live.js'

// The limits README.md documents.
const MAX_MESSAGE_BYTES = 4 * 1024
const MAX_PENDING_MESSAGES = 32

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

t.test(`a client may send ${MAX_PENDING_MESSAGES} messages before their answers; one more closes the socket (1008)`, async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const threads = [(await h.startThread(member)).threadId, (await h.startThread(member)).threadId]
  const socket = await LiveSocket.open(await liveUrl(h.app), { token: member.token })
  t.teardown(() => socket.close())
  const hub = h.app.liveHub as unknown as { db: object; channels: Map<string, Set<unknown>> }
  const pings = (n: number) => {
    for (let i = 0; i < n; i++) socket.send({ type: 'ping' })
  }
  // A subscribe waits on its authorisation (a slow database) while the pings queue up behind it.
  const subscribeHeld = async (threadId: string, then: () => void) => {
    const read = holdReads(hub.db, (fields) => !!fields && 'thread' in fields && 'audience' in fields)
    Object.defineProperty(hub, 'db', { configurable: true, get: () => read.db })
    socket.send({ type: 'subscribe', channel: `thread:${threadId}` })
    await read.answered
    Reflect.deleteProperty(hub, 'db')
    then()
    return read
  }

  let read = await subscribeHeld(threads[0]!, () => pings(MAX_PENDING_MESSAGES - 1))
  t.equal(await closedWithin(socket, 300), null, `${MAX_PENDING_MESSAGES} waiting messages are kept`)
  read.release()
  await socket.waitFor((m) => m.type === 'subscribed')
  await socket.waitFor(() => socket.messages.filter((m) => m.type === 'pong').length === MAX_PENDING_MESSAGES - 1)
  t.pass('and all answered')

  read = await subscribeHeld(threads[1]!, () => pings(MAX_PENDING_MESSAGES))
  t.equal(await closedWithin(socket, 2000), 1008, 'one more closes the socket')
  read.release()
  await sleep(100)
  t.equal(hub.channels.size, 0, 'the closed socket is subscribed to nothing')
})
