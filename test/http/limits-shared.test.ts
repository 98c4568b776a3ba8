import t from 'tap'
import type { Config } from '../../src/config.js'
import { addressKey } from '../../src/http/security.js'
import { buildTestApp } from '../helpers/app.js'

const limits = (over: Partial<Config['rateLimit']>): Partial<Config> => ({
  rateLimit: { loginPerMinute: 1000, loginPerIpPerMinute: 1000, signupPerHour: 1000, writesPerMinute: 1000, writesPerIpPerMinute: 1000, ...over }
})

t.test('the per-account write limit is one count across every write route', async (t) => {
  const h = await buildTestApp(t, limits({ writesPerMinute: 4 }))
  const member = await h.signUp()
  const other = await h.signUp()
  const { threadId, postId } = await h.startThread(other)
  const codes: number[] = []
  const send = async (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) => {
    const res = await h.as(member, { method, url, ...(payload ? { payload } : {}) })
    codes.push(res.statusCode)
    return res
  }
  // Four writes on four routes spend the allowance...
  const reply = (await send('POST', `/api/v1/threads/${threadId}/posts`, { body: 'a reply' })).json().post.id as string
  await send('POST', '/api/v1/boards/general/threads', { title: 'A thread of mine', body: 'hello' })
  await send('PATCH', `/api/v1/posts/${reply}`, { body: 'an edited reply' })
  await send('POST', `/api/v1/posts/${postId}/reports`, { reason: 'spam' })
  t.same(codes, [201, 201, 200, 201], 'four writes on four routes')
  // ...so every write route now refuses, in the contract's shape with Retry-After.
  const refused = [
    await send('POST', `/api/v1/threads/${threadId}/posts`, { body: 'one more' }),
    await send('POST', '/api/v1/boards/general/threads', { title: 'Another thread', body: 'hello' }),
    await send('PATCH', `/api/v1/posts/${reply}`, { body: 'edited again' }),
    await send('DELETE', `/api/v1/posts/${reply}`)
  ]
  for (const res of refused) {
    t.equal(res.statusCode, 429, `${res.statusCode} ${res.body.slice(0, 100)}`)
    t.match(res.json(), { error: { code: 'rate_limited', message: String, details: { retryAfterSeconds: Number } } })
    t.ok(Number(res.headers['retry-after']) > 0 && Number(res.headers['retry-after']) <= 60, `Retry-After ${res.headers['retry-after']}`)
  }
  t.equal(codes.filter((c) => c < 400).length, 4, `accepted 4 writes in all: ${codes}`)
  // Another account, from the same address, is not affected; reads are not limited.
  t.equal((await h.as(other, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'from someone else' } })).statusCode, 201)
  t.equal((await h.as(member, { url: `/api/v1/threads/${threadId}` })).statusCode, 200, 'reads are not counted')
})

t.test('staff get five times the allowance, counted once across forum and moderation routes', async (t) => {
  const h = await buildTestApp(t, limits({ writesPerMinute: 1 }))
  const member = await h.signUp()
  const staff = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(member)
  const codes: number[] = []
  for (let i = 0; i < 3; i++) {
    codes.push((await h.as(staff, { method: 'PATCH', url: `/api/v1/threads/${threadId}`, payload: { locked: i % 2 === 0 } })).statusCode)
    codes.push((await h.as(staff, { method: 'POST', url: `/api/v1/moderation/accounts/${member.id}/unsuspend`, payload: {} })).statusCode)
  }
  t.same(
    codes.map((c) => (c === 429 ? 429 : 'ok')),
    ['ok', 'ok', 'ok', 'ok', 'ok', 429],
    `5 staff writes a minute in all (thread locks and moderation actions together): ${codes}`
  )
})

t.test('the route-specific limits remain: sign-in per handle, sign-up per address, the password check on DELETE /me', async (t) => {
  const h = await buildTestApp(t, limits({ loginPerMinute: 2, signupPerHour: 2 }))
  const member = await h.signUp({ handle: 'limited-wren' })
  const signIns: number[] = []
  for (let i = 0; i < 3; i++) {
    signIns.push((await h.app.inject({ method: 'POST', url: '/api/v1/sessions', payload: { handle: 'limited-wren', password: 'not the password' } })).statusCode)
  }
  t.same(signIns, [401, 401, 429], 'sign-in per address and handle')
  const signUps: number[] = []
  for (let i = 0; i < 2; i++) {
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/accounts', payload: { handle: `limited-more-${i}`, password: 'a long enough password', circle: 'recovery' } })
    signUps.push(res.statusCode)
  }
  t.same(signUps, [201, 429], 'sign-up per address (the helper used the first)')
  const guesses: number[] = []
  for (let i = 0; i < 3; i++) {
    guesses.push((await h.as(member, { method: 'DELETE', url: '/api/v1/me', remoteAddress: '198.51.100.40', payload: { password: 'not the password' } })).statusCode)
  }
  t.same(guesses, [401, 401, 429], 'password checks per account')
})

t.test('addressKey: IPv4 as is, IPv4-mapped IPv6 as IPv4, IPv6 by its /64', async (t) => {
  const cases: Array<[string, string]> = [
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::FFFF:192.0.2.1', '192.0.2.1'],
    ['0:0:0:0:0:ffff:192.0.2.1', '192.0.2.1'],
    ['::ffff:c000:0201', '192.0.2.1'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:0000:0000:0000:0001', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:db8:0:0:1::1', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['fe80::abcd:1%25', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['::', '0:0:0:0::/64'],
    ['2001:db8:1:2:3:4:192.0.2.1', '2001:db8:1:2::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    ['1:2:3:4:5:6:7::', '1:2:3:4::/64'],
    ['not an address', 'not an address'],
    ['', '']
  ]
  for (const [ip, key] of cases) t.equal(addressKey(ip), key, `${ip} → ${key}`)
  t.not(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:3::1'), 'another /64 is another client')
  t.equal(addressKey('::ffff:198.51.100.7'), addressKey('198.51.100.7'), 'a mapped address is its IPv4 address')
})

t.test('per-address write limits count an IPv6 client by its /64, and a mapped address with its IPv4 address', async (t) => {
  // The sign-ups and the thread come from 127.0.0.1: the addresses below start clean.
  const h = await buildTestApp(t, limits({ writesPerIpPerMinute: 5 }))
  const accounts = [await h.signUp(), await h.signUp(), await h.signUp()]
  const { threadId } = await h.startThread(accounts[0]!)
  const post = (i: number, remoteAddress: string) =>
    h.as(accounts[i % 3]!, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, remoteAddress, payload: { body: `post ${i}` } })
  const codes: number[] = []
  for (let i = 0; i < 7; i++) codes.push((await post(i, `2001:db8:1:2::${(i + 1).toString(16)}`)).statusCode)
  t.same(codes, [201, 201, 201, 201, 201, 429, 429], `rotating inside one /64: ${codes}`)
  t.equal((await post(0, '2001:db8:1:3::1')).statusCode, 201, 'the next /64 is another client')
  const mapped: number[] = []
  for (let i = 0; i < 3; i++) mapped.push((await post(i, '198.51.100.9')).statusCode)
  for (let i = 0; i < 3; i++) mapped.push((await post(i, '::ffff:198.51.100.9')).statusCode)
  t.same(mapped, [201, 201, 201, 201, 201, 429], `the IPv4 address and its mapped form count together: ${mapped}`)
  const logs = h.logs.join('')
  t.notMatch(logs, /2001:db8|198\.51\.100\.9/, 'no address (nor a /64) in the logs')
})

t.test('sign-ups per address count an IPv6 client by its /64', async (t) => {
  const h = await buildTestApp(t, limits({ signupPerHour: 2 }))
  const codes: number[] = []
  for (let i = 0; i < 4; i++) {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/accounts',
      remoteAddress: `2001:db8:1:2:${i}::${(i + 1).toString(16)}`,
      payload: { handle: `ipv6-member-${i}`, password: 'a long enough password', circle: 'recovery' }
    })
    codes.push(res.statusCode)
  }
  t.same(codes, [201, 201, 429, 429], `${codes}`)
})

t.test('behind one trusted proxy, X-Forwarded-For cannot choose the limited address', async (t) => {
  const h = await buildTestApp(t, { ...limits({ writesPerIpPerMinute: 3 }), trustProxy: '10.0.0.1' })
  const member = await h.signUp()
  const { threadId } = await h.startThread(member, 'general')
  const codes: number[] = []
  for (let i = 0; i < 5; i++) {
    const res = await h.as(member, {
      method: 'POST',
      url: `/api/v1/threads/${threadId}/posts`,
      remoteAddress: '10.0.0.1',
      // nginx's proxy_add_x_forwarded_for: whatever the client sent, then the address it came from
      headers: { 'x-forwarded-for': `203.0.113.${i}, 198.51.100.99` },
      payload: { body: `post ${i}` }
    })
    codes.push(res.statusCode)
  }
  t.same(codes, [201, 201, 201, 429, 429], `the real client 198.51.100.99 is limited: ${codes}`)
  // Another client behind the same proxy has its own allowance: the proxy's hop is read, not the proxy counted.
  const other = await h.as(member, {
    method: 'POST',
    url: `/api/v1/threads/${threadId}/posts`,
    remoteAddress: '10.0.0.1',
    headers: { 'x-forwarded-for': '198.51.100.100' },
    payload: { body: 'from another client behind the proxy' }
  })
  t.equal(other.statusCode, 201, 'another client behind the proxy is not limited with the first')
})

t.test('a hop count in a Config built by hand is refused: Fastify would trust no hop of it', async (t) => {
  await t.rejects(buildTestApp(t, { trustProxy: 1 as unknown as false }), /trustProxy/)
})

t.test('a Config with trustProxy true is refused by buildApp too', async (t) => {
  await t.rejects(buildTestApp(t, { trustProxy: true as unknown as false }), /trustProxy/)
})
