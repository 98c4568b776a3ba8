/**
 * Where a client written to the contract met something else (found by the contract review): ids are opaque, so a
 * path naming something in a form this server never gives out is 404, as any missing thing; unknown query
 * parameters (a cache buster) are ignored; an empty body sent as JSON is no body; and a web client on one of
 * ALLOWED_ORIGINS can call the API across origins (CORS), while any other origin gets no CORS headers.
 */
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('a path naming nothing in a form ids never take is 404, as any missing thing', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const admin = await h.signUp({ role: 'admin' })
  const paths: Array<[string, string, typeof member]> = [
    ['GET', '/api/v1/threads/nonexistent', member],
    ['GET', '/api/v1/threads/0', member],
    ['POST', '/api/v1/threads/nonexistent/posts', member],
    ['PATCH', '/api/v1/posts/-1', member],
    ['DELETE', '/api/v1/posts/abc', member],
    ['POST', '/api/v1/posts/abc/reports', member],
    ['GET', '/api/v1/boards/No_Such_Board/threads', member],
    ['GET', '/api/v1/boards/x/threads', member],
    ['POST', '/api/v1/boards/x/threads', member],
    ['POST', '/api/v1/moderation/queue/nope/claim', admin],
    ['PATCH', '/api/v1/moderation/rules/nope', admin],
    ['POST', '/api/v1/moderation/accounts/nope/suspend', admin],
    ['PATCH', '/api/v1/accounts/nope/role', admin]
  ]
  const bodies: Record<string, unknown> = {
    '/api/v1/threads/nonexistent/posts': { body: 'hello' },
    '/api/v1/posts/-1': { body: 'hello' },
    '/api/v1/posts/abc/reports': { reason: 'spam' },
    '/api/v1/boards/x/threads': { title: 'Hello there', body: 'hello' },
    '/api/v1/moderation/rules/nope': { enabled: false },
    '/api/v1/moderation/accounts/nope/suspend': { reason: 'test' },
    '/api/v1/accounts/nope/role': { role: 'member' }
  }
  for (const [method, url, who] of paths) {
    const payload = method === 'GET' || method === 'DELETE' ? undefined : bodies[url]
    const res = await h.as(who, { method: method as 'GET', url, ...(payload === undefined ? {} : { payload: payload as object }) })
    t.equal(res.statusCode, 404, `${method} ${url}: ${res.body.slice(0, 160)}`)
    t.equal(res.json().error.code, 'not_found')
  }
  // A well-formed id of nothing is 404 as before; a bad body on a real path is still 400.
  t.equal((await h.as(member, { url: '/api/v1/threads/0190b2a4-0000-7000-8000-000000000000' })).statusCode, 404)
  const { threadId } = await h.startThread(member)
  const bad = await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'x', mood: 'ok' } })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().error.code, 'validation_failed')
  t.equal((await h.app.inject({ url: '/api/v1/threads/nonexistent' })).statusCode, 401, 'without a session: 401, whatever the path names')
})

t.test('unknown query parameters are ignored; known ones are still checked', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(member)
  for (const [who, url] of [
    [member, '/api/v1/boards/general/threads?_=1700000000'],
    [member, `/api/v1/threads/${threadId}?_=1700000000&limit=10`],
    [moderator, '/api/v1/moderation/queue?status=open&_=1'],
    [moderator, '/api/v1/moderation/rules?category=crisis&utm_source=x'],
    [moderator, '/api/v1/moderation/log?_=1']
  ] as const) {
    const res = await h.as(who, { url })
    t.equal(res.statusCode, 200, `${url}: ${res.body.slice(0, 160)}`)
  }
  const bad = await h.as(member, { url: '/api/v1/boards/general/threads?limit=0&_=1' })
  t.equal(bad.statusCode, 400)
  t.match(bad.json().error.details, [{ in: 'querystring' }])
  t.equal((await h.as(moderator, { url: '/api/v1/moderation/queue?status=sideways' })).statusCode, 400)
})

t.test('an empty body sent as JSON is no body: a bodiless route serves it, a route that needs a body answers 400', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const { threadId, postId } = await h.startThread(member)
  const json = { 'content-type': 'application/json' }
  const other = await h.signUp()
  const deleted = await h.as(member, { method: 'DELETE', url: `/api/v1/posts/${postId}`, headers: json, payload: '' })
  t.equal(deleted.statusCode, 204, deleted.body)
  const reply = await h.as(other, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, headers: json, payload: '' })
  t.equal(reply.statusCode, 400)
  t.equal(reply.json().error.code, 'validation_failed')
  const signOut = await h.as(other, { method: 'DELETE', url: '/api/v1/sessions/current', headers: json, payload: '' })
  t.equal(signOut.statusCode, 204, signOut.body)
  t.equal((await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, headers: json, payload: '{' })).json().error.code, 'validation_failed', 'broken JSON still 400')
})

t.test('a web client on an allowed origin may call the API across origins; no other origin gets CORS headers', async (t) => {
  const allowed = 'https://app.forum.example.org'
  const h = await buildTestApp(t, { allowedOrigins: [allowed] })
  const member = await h.signUp()
  const preflight = (origin: string) =>
    h.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/boards/general/threads',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,idempotency-key' }
    })
  const ok = await preflight(allowed)
  t.equal(ok.statusCode, 204)
  t.equal(ok.headers['access-control-allow-origin'], allowed)
  t.equal(ok.headers['access-control-allow-credentials'], 'true')
  t.match(String(ok.headers['access-control-allow-methods']), /POST/)
  t.match(String(ok.headers['access-control-allow-headers']), /idempotency-key/)
  const evil = await preflight('https://evil.example')
  t.notOk(evil.headers['access-control-allow-origin'], 'another origin is not allowed')

  const cookies = { lantern_session: member.token }
  const write = await h.app.inject({
    method: 'POST',
    url: '/api/v1/boards/general/threads',
    cookies,
    headers: { origin: allowed },
    payload: { title: 'Hello there', body: 'checking in' }
  })
  t.equal(write.statusCode, 201)
  t.equal(write.headers['access-control-allow-origin'], allowed, 'the browser may read the answer')
  t.match(String(write.headers['access-control-expose-headers']), /retry-after/)
  const read = await h.app.inject({ url: '/api/v1/me', cookies, headers: { origin: 'https://evil.example' } })
  t.notOk(read.headers['access-control-allow-origin'], "another origin's page cannot read it")

  const closed = await buildTestApp(t)
  const none = await closed.app.inject({ method: 'OPTIONS', url: '/api/v1/boards', headers: { origin: allowed, 'access-control-request-method': 'GET' } })
  t.notOk(none.headers['access-control-allow-origin'], 'without ALLOWED_ORIGINS, no CORS at all')
})
