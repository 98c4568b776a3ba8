import { eq } from 'drizzle-orm'
import t from 'tap'
import { idempotencyKeys } from '../../src/db/schema.js'
import { buildTestApp, TEST_PASSWORD } from '../helpers/app.js'

t.test('creating an account', async (t) => {
  const h = await buildTestApp(t)

  t.test('gives a token, sets the session cookie, and the account can see itself', async (t) => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/accounts',
      payload: { handle: 'Quiet-Heron-42', password: 'correct horse battery', circle: 'family' }
    })
    t.equal(res.statusCode, 201)
    const body = res.json()
    t.match(body.account, { handle: 'Quiet-Heron-42', circle: 'family', role: 'member', status: 'active' })
    t.type(body.token, 'string')
    const cookie = res.cookies.find((c) => c.name === 'lantern_session')
    t.ok(cookie, 'cookie set')
    t.equal(cookie?.value, body.token)
    t.equal(cookie?.httpOnly, true)
    t.equal(cookie?.sameSite, 'Lax')
    t.equal(cookie?.path, '/')
    t.notOk(cookie?.secure, 'not Secure unless COOKIE_SECURE=true')
    const me = await h.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${body.token}` } })
    t.equal(me.statusCode, 200)
    t.equal(me.json().account.id, body.account.id)
  })

  t.test('refuses a handle taken by someone else, ignoring case', async (t) => {
    await h.signUp({ handle: 'steady-otter' })
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/accounts',
      payload: { handle: 'STEADY-otter', password: 'correct horse battery', circle: 'recovery' }
    })
    t.equal(res.statusCode, 409)
    t.equal(res.json().error.code, 'handle_taken')
  })

  const refused: Array<[string, string]> = [
    ['ab', 'too short'],
    ['a'.repeat(25), 'too long'],
    ['has space', 'a space'],
    ['dot.ted', 'a dot'],
    ['émile', 'an accented letter'],
    ['me@example.com', 'an e-mail address'],
    ['jane_gmail', 'a mail provider'],
    ['jane-at-mail-dot-com', 'a spelled-out e-mail address'],
    ['jane-at-mail-dot-ru', 'a spelled-out e-mail address with a country ending'],
    ['jdoe-at-example-dot-info', 'a spelled-out e-mail address with a longer ending'],
    ['jane_doe_at_example_com', 'an e-mail address spelled with underscores for every dot'],
    ['4155552671', 'a phone number'],
    ['call-415-555-2671', 'a phone number with dashes'],
    ['07700_900123', 'a UK mobile number']
  ]
  for (const [handle, why] of refused) {
    t.test(`refuses a handle with ${why}`, async (t) => {
      const res = await h.app.inject({
        method: 'POST',
        url: '/api/v1/accounts',
        payload: { handle, password: 'correct horse battery', circle: 'recovery' }
      })
      t.equal(res.statusCode, 400, handle)
      t.equal(res.json().error.code, 'validation_failed')
    })
  }

  t.test('accepts generated-style handles with a few digits', async (t) => {
    for (const handle of ['gentle-fern-17', 'day_365', 'river2024']) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/api/v1/accounts',
        payload: { handle, password: 'correct horse battery', circle: 'recovery' }
      })
      t.equal(res.statusCode, 201, handle)
    }
  })

  t.test('refuses short or long passwords, unknown circles and unknown properties', async (t) => {
    const base = { handle: 'valid-handle-1', password: 'correct horse battery', circle: 'recovery' }
    for (const payload of [
      { ...base, password: 'short' },
      { ...base, password: 'x'.repeat(257) },
      { ...base, circle: 'staff' },
      { ...base, role: 'admin' },
      { handle: 'valid-handle-1', circle: 'recovery' }
    ]) {
      const res = await h.app.inject({ method: 'POST', url: '/api/v1/accounts', payload })
      t.equal(res.statusCode, 400, JSON.stringify(payload))
      t.equal(res.json().error.code, 'validation_failed')
    }
    const check = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', payload: { handle: 'valid-handle-1', password: 'correct horse battery' } })
    t.equal(check.statusCode, 401, 'nothing was created by the refused requests')
  })

  t.test('suggests five unused handles, without a session', async (t) => {
    const taken = await h.signUp()
    const res = await h.app.inject({ url: '/api/v1/handles/suggestions' })
    t.equal(res.statusCode, 200)
    const { handles } = res.json() as { handles: string[] }
    t.equal(handles.length, 5)
    t.equal(new Set(handles).size, 5)
    for (const handle of handles) {
      t.match(handle, /^[a-z]+-[a-z]+-\d{2}$/)
      t.not(handle, taken.handle)
    }
  })
})

t.test('signing in', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp({ handle: 'brave-finch' })

  t.test('works with the right password and gives a new session', async (t) => {
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', payload: { handle: 'BRAVE-finch', password: 'a long enough password' } })
    t.equal(res.statusCode, 200)
    t.equal(res.json().account.id, member.id)
    t.not(res.json().token, member.token)
  })

  t.test('gives the same answer for an unknown handle and a wrong password', async (t) => {
    const wrong = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', payload: { handle: 'brave-finch', password: 'not the password' } })
    const unknown = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', payload: { handle: 'nobody-here', password: 'not the password' } })
    t.equal(wrong.statusCode, 401)
    t.equal(unknown.statusCode, 401)
    t.same(wrong.json(), unknown.json())
    t.equal(wrong.json().error.code, 'invalid_credentials')
  })
})

t.test('login is throttled per address and handle with 429 and Retry-After', async (t) => {
  const h = await buildTestApp(t, { rateLimit: { loginPerMinute: 3, loginPerIpPerMinute: 100, signupPerHour: 100, writesPerMinute: 100, writesPerIpPerMinute: 100 } })
  await h.signUp({ handle: 'calm-lark' })
  const statuses: number[] = []
  let last
  for (let i = 0; i < 5; i++) {
    last = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', payload: { handle: 'calm-lark', password: 'guess number ' + i } })
    statuses.push(last.statusCode)
  }
  t.same(statuses, [401, 401, 401, 429, 429])
  t.equal(last!.json().error.code, 'rate_limited')
  t.ok(Number(last!.headers['retry-after']) > 0, 'Retry-After header')
  const right = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', payload: { handle: 'calm-lark', password: 'a long enough password' } })
  t.equal(right.statusCode, 429, 'even the right password waits out the limit')
  const other = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', payload: { handle: 'someone-else', password: 'a guess' } })
  t.equal(other.statusCode, 401, 'guessing one handle does not lock out sign-ins to others')
})

t.test('spraying many handles from one address is throttled too', async (t) => {
  const h = await buildTestApp(t, { rateLimit: { loginPerMinute: 100, loginPerIpPerMinute: 4, signupPerHour: 100, writesPerMinute: 100, writesPerIpPerMinute: 100 } })
  const statuses: number[] = []
  for (let i = 0; i < 6; i++) {
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', payload: { handle: `handle-${i}`, password: 'a guess' } })
    statuses.push(res.statusCode)
  }
  t.same(statuses, [401, 401, 401, 401, 429, 429])
  const fromElsewhere = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', remoteAddress: '203.0.113.9', payload: { handle: 'handle-9', password: 'a guess' } })
  t.equal(fromElsewhere.statusCode, 401, 'another address is not affected')
})

t.test('sessions', async (t) => {
  const h = await buildTestApp(t)

  t.test('signing out ends the session', async (t) => {
    const member = await h.signUp()
    const out = await h.as(member, { method: 'DELETE', url: '/api/v1/sessions/current' })
    t.equal(out.statusCode, 204)
    const me = await h.as(member, { url: '/api/v1/me' })
    t.equal(me.statusCode, 401)
    t.equal(me.json().error.code, 'unauthenticated')
  })

  t.test('expire after 30 days unused, and slide forward when used', async (t) => {
    const member = await h.signUp()
    h.clock.advance(20 * 86_400_000)
    t.equal((await h.as(member, { url: '/api/v1/me' })).statusCode, 200, 'used on day 20: renewed for 30 days')
    h.clock.advance(25 * 86_400_000)
    t.equal((await h.as(member, { url: '/api/v1/me' })).statusCode, 200, 'still valid on day 45')
    h.clock.advance(31 * 86_400_000)
    t.equal((await h.as(member, { url: '/api/v1/me' })).statusCode, 401, 'expired after 31 idle days')
  })

  t.test('a garbage or unknown token is 401 on private routes and ignored on public ones', async (t) => {
    for (const authorization of ['Bearer nonsense', 'Bearer ' + 'a'.repeat(32), 'Basic abc']) {
      t.equal((await h.app.inject({ url: '/api/v1/me', headers: { authorization } })).statusCode, 401)
      t.equal((await h.app.inject({ url: '/api/v1/boards', headers: { authorization } })).statusCode, 200)
    }
  })

  t.test('without a session, only the public routes answer', async (t) => {
    for (const [method, url] of [
      ['GET', '/api/v1/me'],
      ['GET', '/api/v1/me/export'],
      ['DELETE', '/api/v1/me'],
      ['DELETE', '/api/v1/sessions/current'],
      ['GET', '/api/v1/boards/general/threads'],
      ['POST', '/api/v1/boards/general/threads'],
      ['GET', '/api/v1/threads/01a209e1-a90e-7142-9e55-bbe7ee3ea064'],
      ['POST', '/api/v1/posts/01a209e1-a90e-7142-9e55-bbe7ee3ea064/reports']
    ] as const) {
      const res = await h.app.inject({ method, url, payload: method === 'GET' ? undefined : {} })
      t.equal(res.statusCode, 401, `${method} ${url}`)
      t.equal(res.json().error.code, 'unauthenticated')
    }
  })
})

t.test('cookie-authenticated writes need an allowed Origin', async (t) => {
  const h = await buildTestApp(t, { allowedOrigins: ['https://forum.example.org'] })
  const member = await h.signUp()
  const cookies = { lantern_session: member.token }
  const post = (headers: Record<string, string>) =>
    h.app.inject({ method: 'POST', url: '/api/v1/boards/general/threads', cookies, headers, payload: { title: 'Hello there', body: 'checking in' } })

  const none = await post({})
  t.equal(none.statusCode, 403)
  t.equal(none.json().error.code, 'bad_origin')
  const evil = await post({ origin: 'https://evil.example' })
  t.equal(evil.statusCode, 403)
  t.equal(evil.json().error.code, 'bad_origin')
  t.equal((await post({ origin: 'https://forum.example.org' })).statusCode, 201, 'an allowed origin')
  t.equal((await post({ origin: 'http://localhost:80' })).statusCode, 201, "the server's own origin")
  const read = await h.app.inject({ url: '/api/v1/me', cookies })
  t.equal(read.statusCode, 200, 'reads need no Origin')
  const bearer = await h.as(member, { method: 'POST', url: '/api/v1/boards/general/threads', headers: { origin: 'https://evil.example' }, payload: { title: 'Bearer post', body: 'fine' } })
  t.equal(bearer.statusCode, 201, 'bearer requests are not subject to the cookie check')
})

t.test('deleting an account', async (t) => {
  const h = await buildTestApp(t)
  const leaving = await h.signUp({ handle: 'leaving-soon' })
  const other = await h.signUp()
  const { threadId } = await h.startThread(leaving)
  await h.reply(leaving, threadId, 'My last words here.')

  const wrong = await h.as(leaving, { method: 'DELETE', url: '/api/v1/me', payload: { password: 'not my password' } })
  t.equal(wrong.statusCode, 401)
  t.equal(wrong.json().error.code, 'invalid_credentials')
  t.equal((await h.as(leaving, { url: '/api/v1/me' })).statusCode, 200, 'a wrong password changes nothing')

  const res = await h.as(leaving, { method: 'DELETE', url: '/api/v1/me', payload: { password: 'a long enough password' } })
  t.equal(res.statusCode, 204)
  t.equal((await h.as(leaving, { url: '/api/v1/me' })).statusCode, 401, 'its sessions end')

  const thread = await h.as(other, { url: `/api/v1/threads/${threadId}` })
  t.equal(thread.statusCode, 200)
  const body = thread.json()
  t.equal(body.thread.author, null, 'the thread stays, by a former member')
  t.equal(body.posts.length, 2)
  for (const post of body.posts) t.equal(post.author, null, 'posts stay with author null')
  t.match(body.posts[1].bodyHtml, /My last words here/)

  const login = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', payload: { handle: 'leaving-soon', password: 'a long enough password' } })
  t.equal(login.statusCode, 401, 'cannot sign in again')
  const reuse = await h.app.inject({ method: 'POST', url: '/api/v1/accounts', payload: { handle: 'Leaving-Soon', password: 'another long password', circle: 'recovery' } })
  t.equal(reuse.statusCode, 409, 'the handle stays reserved')
})

t.test("deleting an account forgets its stored responses, which held its handle and words (found by the accounts review)", async (t) => {
  const h = await buildTestApp(t)
  const leaving = await h.signUp()
  const other = await h.signUp()
  const { threadId } = await h.startThread(other)
  const sent = await h.as(leaving, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, headers: { 'idempotency-key': 'tap-once' }, payload: { body: 'kept for a retry' } })
  t.equal(sent.statusCode, 201)
  const stored = async () => (await h.db.database.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.accountId, leaving.id))).length
  t.equal(await stored(), 1)
  t.equal((await h.as(leaving, { method: 'DELETE', url: '/api/v1/me', payload: { password: TEST_PASSWORD } })).statusCode, 204)
  t.equal(await stored(), 0)
})

t.test('the export holds what staff did to the account and why, not who did it (found by the accounts review)', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const suspend = await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/accounts/${member.id}/suspend`, payload: { days: 2, reason: 'sharing a dealer number' } })
  t.equal(suspend.statusCode, 200)
  h.clock.advance(60_000)
  t.equal((await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/accounts/${member.id}/unsuspend`, payload: { reason: 'talked it through' } })).statusCode, 200)
  const res = await h.as(member, { url: '/api/v1/me/export' })
  t.equal(res.statusCode, 200)
  const data = res.json()
  t.equal(data.account.status, 'active', 'the account row no longer says it was suspended')
  t.match(data.moderation, [
    { action: 'account.suspended', reason: 'sharing a dealer number', details: { until: String } },
    { action: 'account.unsuspended', reason: 'talked it through' }
  ])
  t.equal(data.moderation.length, 2)
  t.notMatch(res.body, new RegExp(moderator.id), 'who acted is not exported')
  t.notMatch(res.body, new RegExp(moderator.handle), 'nor their handle')
})

t.test('the export holds everything stored about the caller and nothing about others', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const other = await h.signUp()
  const { threadId, postId } = await h.startThread(member, 'general', { title: 'My export thread', body: 'first words' })
  await h.as(member, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { body: 'edited words' } })
  const { postId: otherPost } = await h.reply(other, threadId, 'a reply by someone else')
  await h.as(member, { method: 'POST', url: `/api/v1/posts/${otherPost}/reports`, payload: { reason: 'spam', note: 'looks like an ad' } })

  const res = await h.as(member, { url: '/api/v1/me/export' })
  t.equal(res.statusCode, 200)
  const data = res.json()
  t.equal(data.account.id, member.id)
  t.same(data.threads.map((x: { title: string }) => x.title), ['My export thread'])
  t.equal(data.posts.length, 1)
  t.equal(data.posts[0].body, 'edited words')
  t.same(data.posts[0].revisions.map((r: { body: string }) => r.body), ['first words'])
  t.equal(data.reports.length, 1)
  t.match(data.reports[0], { postId: otherPost, reason: 'spam', note: 'looks like an ad' })
  t.ok(data.sessions.length >= 1)
  t.notMatch(res.body, /a reply by someone else/, "another member's words are not in my export")
  t.notMatch(res.body, /\$argon2/, 'no password hash')
  t.notMatch(res.body, new RegExp(member.token), 'no token')
})
