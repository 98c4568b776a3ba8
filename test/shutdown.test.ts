import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import http from 'node:http'
import { connect } from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { childDatabase, type ServerProcess, startServer } from './helpers/server.js'

async function signUp(server: ServerProcess, handle: string): Promise<string> {
  const res = await fetch(`${server.base}/api/v1/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ handle, password: 'a long enough password', circle: 'recovery' })
  })
  if (res.status !== 201) throw new Error(`sign-up: ${res.status}`)
  return ((await res.json()) as { token: string }).token
}

/**
 * A POST whose body is only half sent: the request is in flight (headers read, body awaited) until `finish()`.
 * On a keep-alive agent, as browsers and HTTP clients send them.
 */
function halfSentPost(t: Test, server: ServerProcess, path: string, token: string, body: unknown) {
  const agent = new http.Agent({ keepAlive: true })
  t.teardown(() => agent.destroy())
  const payload = Buffer.from(JSON.stringify(body))
  const request = http.request(`${server.base}${path}`, {
    method: 'POST',
    agent,
    headers: { 'content-type': 'application/json', 'content-length': payload.length, authorization: `Bearer ${token}` }
  })
  request.on('error', () => {})
  const response = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
    request.on('response', (res) => {
      let text = ''
      res.on('data', (d) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body: text }))
    })
    request.on('error', reject)
  })
  response.catch(() => {})
  request.write(payload.subarray(0, 5))
  request.flushHeaders()
  return { response, finish: () => request.end(payload.subarray(5)) }
}

/** A keep-alive connection that made one request and now sits idle in its agent's pool. */
async function idleKeepAlive(t: Test, server: ServerProcess) {
  const agent = new http.Agent({ keepAlive: true })
  t.teardown(() => agent.destroy())
  await new Promise<void>((resolve, reject) =>
    http.get(`${server.base}/healthz`, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject)
  )
}

/** A live socket whose peer completed the upgrade and then answers nothing, not even the close handshake (a phone gone). */
async function unresponsiveSocket(t: Test, server: ServerProcess, token: string) {
  const raw = connect(server.port, '127.0.0.1')
  t.teardown(() => raw.destroy())
  raw.on('error', () => {})
  raw.write(
    `GET /api/v1/live HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${token}\r\n\r\n`
  )
  const answer = await new Promise<string>((resolve) => raw.once('data', (d) => resolve(String(d))))
  if (!answer.startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${answer}`)
  raw.on('data', () => {})
  return { closed: new Promise<void>((resolve) => raw.on('close', () => resolve())) }
}

t.test('SIGTERM: an in-flight write completes, every connection is let go, and the process exits 0 within seconds', async (t) => {
  const database = await childDatabase(t)
  const server = await startServer(t, database.env)
  const token = await signUp(server, 'closing-heron')
  const thread = await fetch(`${server.base}/api/v1/boards/general/threads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ title: 'Still open at shutdown', body: 'the opening post' })
  })
  const threadId = ((await thread.json()) as { thread: { id: string } }).thread.id

  await idleKeepAlive(t, server)
  const live = new WebSocket(`ws://127.0.0.1:${server.port}/api/v1/live`, { headers: { authorization: `Bearer ${token}` } })
  await new Promise((resolve, reject) => live.once('open', resolve).once('error', reject))
  const liveClosed = new Promise<number>((resolve) => live.on('close', (code) => resolve(code)))
  const gone = await unresponsiveSocket(t, server, token)
  const inFlight = halfSentPost(t, server, `/api/v1/threads/${threadId}/posts`, token, { body: 'sent while the server stops' })
  await new Promise((resolve) => setTimeout(resolve, 200))

  const signalled = Date.now()
  server.child.kill('SIGTERM')
  await new Promise((resolve) => setTimeout(resolve, 300))
  inFlight.finish()
  const reply = await inFlight.response
  t.equal(reply.status, 201, 'the write in flight completes')
  t.equal(reply.connection, 'close', 'and its connection is not kept alive')
  t.equal(await liveClosed, 1001, 'a live socket is told the server is going away')
  await gone.closed
  t.pass('a live socket that never answers is cut')
  const exit = await server.exited
  const took = Date.now() - signalled
  t.same(exit, { code: 0, signal: null }, 'exits 0: the database was closed')
  t.ok(took < 5000, `exited ${took} ms after SIGTERM`)
  t.match(server.output(), /database closed/)
  if (database.dataDir) t.notOk(existsSync(join(database.dataDir, 'lantern.lock')), 'the embedded database is let go')

  const reopened = await database.open()
  t.teardown(() => reopened.close())
  const bodies = (await reopened.db.query.posts.findMany()).map((p) => p.bodySource).sort()
  t.same(bodies, ['sent while the server stops', 'the opening post'], 'the acknowledged write is kept')
})

t.test('a second SIGTERM or SIGINT ends a shutdown that is waiting, at once', async (t) => {
  const database = await childDatabase(t)
  const server = await startServer(t, database.env)
  const token = await signUp(server, 'hurried-heron')
  // Never finished: the graceful shutdown waits for it.
  halfSentPost(t, server, '/api/v1/boards/general/threads', token, { title: 'Never sent whole', body: 'x' })
  await new Promise((resolve) => setTimeout(resolve, 200))

  server.child.kill('SIGTERM')
  await new Promise((resolve) => setTimeout(resolve, 700))
  t.equal(server.child.exitCode, null, 'the first signal waits for the request in flight')
  const second = Date.now()
  server.child.kill('SIGINT')
  const exit = await server.exited
  const took = Date.now() - second
  t.ok(took < 1500, `exited ${took} ms after the second signal`)
  t.not(exit.code, 0, 'not a clean stop')
  t.match(server.output(), /second signal/i)
  if (database.dataDir) t.notOk(existsSync(join(database.dataDir, 'lantern.lock')), 'the embedded database is let go even so')
})
