/**
 * Sockets and messages are limited (M1 in the live review): one account from one address opened 300 sockets, 300
 * sockets without a session were all accepted, and one socket kept up 400 resumes and 12,000 pings a second.
 * The socket limits are settings (LIVE_SOCKETS_PER_ACCOUNT 20, LIVE_SOCKETS_PER_ADDRESS 100,
 * LIVE_UNAUTHENTICATED_SOCKETS_PER_ADDRESS 10; the address test sets 50), the message allowances those of
 * src/live/limits.ts: subscribe and unsubscribe 20 a second with a burst of 100, pings 10 a second with a burst of 250.
 */
import http from 'node:http'
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { LiveSocket, liveUrl, sleep } from '../helpers/live.js'

const closedWithin = (socket: LiveSocket, ms: number) => Promise.race([socket.closed.then((c) => c.code), sleep(ms).then(() => null)])

/** The status an upgrade is refused with, its Retry-After and its body (the test expects a refusal). */
function refusal(url: string, headers: Record<string, string>) {
  return new Promise<{ status: number; retryAfter: string | undefined; body: string }>((resolve, reject) => {
    const request = http.get(url.replace('ws', 'http'), {
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers }
    })
    request.once('upgrade', (_res, socket) => {
      socket.destroy()
      reject(new Error('the upgrade was accepted'))
    })
    request.once('response', (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk.toString()))
      res.once('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body }))
    })
    request.once('error', reject)
  })
}

t.test('an account may hold 20 sockets on an instance; the 21st upgrade is refused with 429 in the contract shape', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const member = await h.signUp()
  const sockets: LiveSocket[] = []
  t.teardown(() => sockets.forEach((s) => s.close()))
  for (let i = 0; i < 20; i++) sockets.push(await LiveSocket.open(url, { token: member.token }))
  const refused = await refusal(url, { authorization: `Bearer ${member.token}` })
  t.equal(refused.status, 429)
  t.ok(refused.retryAfter, 'with Retry-After')
  t.match(JSON.parse(refused.body), { error: { code: 'rate_limited', message: /account/ } })
  await t.rejects(LiveSocket.open(url, { token: member.token }), /refused: 429/)
  const other = await h.signUp()
  const theirs = await LiveSocket.open(url, { token: other.token })
  sockets.push(theirs)
  t.pass('another account of the same address is not refused')
  sockets[0]!.close()
  await sockets[0]!.closed
  await sleep(50)
  sockets.push(await LiveSocket.open(url, { token: member.token }))
  t.pass('once one closes, the account may open another')
})

t.test('a socket that authenticates by message as an account already holding 20 is told rate_limited and closed (1008)', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const member = await h.signUp()
  const sockets: LiveSocket[] = []
  t.teardown(() => sockets.forEach((s) => s.close()))
  for (let i = 0; i < 20; i++) sockets.push(await LiveSocket.open(url, { token: member.token }))
  const late = await LiveSocket.open(url)
  sockets.push(late)
  late.send({ type: 'auth', token: member.token })
  t.match(await late.waitFor((m) => m.type === 'error'), { code: 'rate_limited' })
  t.equal(await closedWithin(late, 2000), 1008)
  await sleep(100)
  t.equal(h.app.liveHub.connectedClients, 20, 'it never joined the hub as the account')
})

t.test('an address may hold 10 sockets that have not authenticated', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const sockets: LiveSocket[] = []
  t.teardown(() => sockets.forEach((s) => s.close()))
  for (let i = 0; i < 10; i++) sockets.push(await LiveSocket.open(url))
  await t.rejects(LiveSocket.open(url), /refused: 429/, 'the 11th is refused')
  t.match(JSON.parse((await refusal(url, {})).body), { error: { code: 'rate_limited', message: /unauthenticated/ } })
  const member = await h.signUp()
  sockets.push(await LiveSocket.open(url, { token: member.token }))
  t.pass('a socket with a session is not refused')
  // Authenticated, a socket no longer counts as unauthenticated.
  sockets[0]!.send({ type: 'auth', token: member.token })
  await sockets[0]!.waitFor((m) => m.type === 'authenticated')
  sockets.push(await LiveSocket.open(url))
  t.pass('one that authenticated leaves room for another')
})

t.test('an address may hold LIVE_SOCKETS_PER_ADDRESS sockets (50 here), signed in or not', async (t) => {
  const h = await buildTestApp(t, { liveSockets: { perAccount: 20, perAddress: 50, unauthenticatedPerAddress: 10 } })
  const url = await liveUrl(h.app)
  const sockets: LiveSocket[] = []
  t.teardown(() => sockets.forEach((s) => s.close()))
  const headers = {}
  for (let a = 0; a < 5; a++) {
    const member = await h.signUp()
    for (let i = 0; i < 10; i++) sockets.push(await LiveSocket.open(url, { token: member.token, headers }))
  }
  const member = await h.signUp()
  await t.rejects(LiveSocket.open(url, { token: member.token, headers }), /refused: 429/, 'the 51st is refused, whatever its account')
  await t.rejects(LiveSocket.open(url, { headers }), /refused: 429/, 'and one without a session')
  t.match(JSON.parse((await refusal(url, { authorization: `Bearer ${member.token}` })).body), { error: { code: 'rate_limited', message: /address/ } })
  sockets.shift()!.close()
  await sleep(100)
  sockets.push(await LiveSocket.open(url, { token: member.token, headers }))
  t.pass('once one closes, another may open')
})

t.test('behind a trusted proxy, sockets count per client address, as X-Forwarded-For gives it', async (t) => {
  const h = await buildTestApp(t, { trustProxy: 'loopback', liveSockets: { perAccount: 20, perAddress: 2, unauthenticatedPerAddress: 10 } })
  const url = await liveUrl(h.app)
  const sockets: LiveSocket[] = []
  t.teardown(() => sockets.forEach((s) => s.close()))
  for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
    for (let i = 0; i < 2; i++) sockets.push(await LiveSocket.open(url, { headers: { 'x-forwarded-for': ip } }))
  }
  t.equal(sockets.length, 6, 'three clients behind the proxy, two sockets each')
  await t.rejects(LiveSocket.open(url, { headers: { 'x-forwarded-for': '203.0.113.1' } }), /refused: 429/, "a client's third is refused")
})

t.test('subscribes over 20 a second past a burst of 100 are answered rate_limited; a client that keeps going is closed (1008)', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const member = await h.signUp()
  const s = await LiveSocket.open(url, { token: member.token })
  t.teardown(() => s.close())
  for (let i = 0; i < 150; i++) s.send({ type: 'unsubscribe', channel: `board:b${i}` })
  await s.waitFor(() => s.messages.length >= 150, 5000)
  const limited = s.messages.filter((m) => m.type === 'error' && m.code === 'rate_limited')
  t.ok(s.messages.filter((m) => m.type === 'unsubscribed').length >= 100, 'a burst of 100 is served')
  t.ok(limited.length >= 40, `the rest is refused (${limited.length})`)
  t.match(limited[0], { channel: /^board:b\d+$/ }, 'naming the channel')
  t.equal(await closedWithin(s, 100), null, 'the socket stays open')
  // The refused ones counted too: 50 over the burst, 2.5 s at 20 a second.
  await sleep(3000)
  t.equal((await s.subscribe('me')).type, 'subscribed', 'after a pause, subscribing works again')
  for (let i = 0; i < 250; i++) s.send({ type: 'unsubscribe', channel: 'me' })
  t.equal(await closedWithin(s, 3000), 1008, 'another burst without waiting closes the socket')
})

t.test('pings past a burst of 250 are answered rate_limited, then the socket is closed (1008)', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const member = await h.signUp()
  const s = await LiveSocket.open(url, { token: member.token })
  t.teardown(() => s.close())
  for (let i = 0; i < 300; i++) s.send({ type: 'ping' })
  await s.waitFor(() => s.messages.length >= 300, 5000)
  t.ok(s.messages.filter((m) => m.type === 'pong').length >= 250, 'a burst of 250 is answered')
  t.ok(s.messages.some((m) => m.type === 'error' && m.code === 'rate_limited'), 'the rest is refused')
  t.equal(await closedWithin(s, 100), null, 'the socket stays open')
  for (let i = 0; i < 300; i++) s.send({ type: 'ping' })
  t.equal(await closedWithin(s, 3000), 1008, 'another burst closes it')
})

t.test('auth messages after authenticating count like any other message', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const member = await h.signUp()
  const s = await LiveSocket.open(url, { token: member.token })
  t.teardown(() => s.close())
  for (let i = 0; i < 300; i++) s.send({ type: 'auth', token: member.token })
  await s.waitFor(() => s.messages.length >= 300, 5000)
  t.ok(s.messages.some((m) => m.type === 'error' && m.code === 'rate_limited'), 'past the burst, refused')
  for (let i = 0; i < 300; i++) s.send({ type: 'auth', token: member.token })
  t.equal(await closedWithin(s, 3000), 1008, 'another burst closes it')
})
