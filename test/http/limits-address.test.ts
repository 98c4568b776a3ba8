import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import type { Config } from '../../src/config.js'
import { buildTestApp } from '../helpers/app.js'

const limits = (over: Partial<Config['rateLimit']>): Partial<Config> => ({
  rateLimit: { loginPerMinute: 1000, loginPerIpPerMinute: 1000, signupPerHour: 1000, writesPerMinute: 1000, writesPerIpPerMinute: 1000, ...over }
})

/** A clinic's wifi, a family router, a carrier's shared (CGNAT) address. */
const SHARED = '198.51.100.50'

t.test("sign-in attempts by someone without an account do not spend the members' writes from that address (found by the limits review, M1)", async (t) => {
  const h = await buildTestApp(t, limits({ writesPerIpPerMinute: 20, loginPerIpPerMinute: 5 }))
  // The member and the thread come from another address, so the shared one starts clean.
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  const codes: number[] = []
  for (let i = 0; i < 20; i++) {
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', remoteAddress: SHARED, payload: { handle: `nobody-${i}`, password: 'wrong password' } })
    codes.push(res.statusCode)
  }
  t.same(codes, [...Array(5).fill(401), ...Array(15).fill(429)], `the sign-in limit per address still holds: ${codes}`)
  const post = await h.as(member, {
    method: 'POST',
    url: `/api/v1/threads/${threadId}/posts`,
    remoteAddress: SHARED,
    payload: { body: 'I really need to talk to someone tonight' }
  })
  t.equal(post.statusCode, 201, `the member's reply from that address goes through: ${post.body.slice(0, 120)}`)
  const signOut = await h.as(member, { method: 'DELETE', url: '/api/v1/sessions/current', remoteAddress: SHARED })
  t.equal(signOut.statusCode, 204, 'and so does signing out')
  t.equal((await h.as(member, { url: '/api/v1/me' })).statusCode, 401, 'the session is over')
})

t.test('sign-ups do not spend the writes of an address either', async (t) => {
  const h = await buildTestApp(t, limits({ writesPerIpPerMinute: 3, signupPerHour: 4 }))
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  const codes: number[] = []
  for (let i = 0; i < 6; i++) {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/accounts',
      remoteAddress: SHARED,
      payload: { handle: `shared-${process.pid}-${i}`, password: 'a long enough password', circle: 'recovery' }
    })
    codes.push(res.statusCode)
  }
  t.same(codes, [201, 201, 201, 201, 429, 429], `the sign-up limit per address still holds: ${codes}`)
  const replies: number[] = []
  for (let i = 0; i < 4; i++) {
    replies.push((await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, remoteAddress: SHARED, payload: { body: `reply ${i}` } })).statusCode)
  }
  t.same(replies, [201, 201, 201, 429], `the address's three writes are all the members': ${replies}`)
})

t.test('with the address out of writes, its members can still sign out and delete their accounts', async (t) => {
  const h = await buildTestApp(t, limits({ writesPerIpPerMinute: 2, loginPerMinute: 2 }))
  const [a, b, c] = [await h.signUp(), await h.signUp(), await h.signUp()]
  const { threadId } = await h.startThread(a)
  const reply = (who = a) => h.as(who, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, remoteAddress: SHARED, payload: { body: 'hello' } })
  t.same([(await reply()).statusCode, (await reply()).statusCode, (await reply(b)).statusCode], [201, 201, 429], 'the address is out of writes')
  t.equal((await h.as(b, { method: 'DELETE', url: '/api/v1/sessions/current', remoteAddress: SHARED })).statusCode, 204, 'signing out')
  t.equal((await h.as(b, { url: '/api/v1/me' })).statusCode, 401)
  const deleteMe = (password: string) => h.as(c, { method: 'DELETE', url: '/api/v1/me', remoteAddress: SHARED, payload: { password } })
  // DELETE /me keeps its own limit on password checks (loginPerMinute per account).
  t.same([(await deleteMe('not the password')).statusCode, (await deleteMe('not the password')).statusCode], [401, 401])
  t.equal((await deleteMe('a long enough password')).statusCode, 429, 'the password checks are still limited per account')
  const other = await h.signUp()
  const gone = await h.as(other, { method: 'DELETE', url: '/api/v1/me', remoteAddress: SHARED, payload: { password: 'a long enough password' } })
  t.equal(gone.statusCode, 204, 'deleting an account is not refused by the address write limit')
  t.equal((await reply(a)).statusCode, 429, 'and none of it gave the address writes back')
})

type Headers = [limit: number, remaining: number]
const rateHeaders = (res: LightMyRequestResponse): Headers => [Number(res.headers['x-ratelimit-limit']), Number(res.headers['x-ratelimit-remaining'])]
const reset = (res: LightMyRequestResponse) => Number(res.headers['x-ratelimit-reset'])

t.test("writes send the x-ratelimit-* headers, with the same values as the plugin's own route limits (found by the limits review, L3)", async (t) => {
  const h = await buildTestApp(t, limits({ writesPerMinute: 3, loginPerMinute: 3 }))
  const member = await h.signUp({ handle: 'header-wren' })
  const other = await h.signUp()
  const { threadId } = await h.startThread(other)
  const writes: LightMyRequestResponse[] = []
  const signIns: LightMyRequestResponse[] = []
  for (let i = 0; i < 4; i++) {
    writes.push(await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: `reply ${i}` } }))
    signIns.push(await h.app.inject({ method: 'POST', url: '/api/v1/sessions', payload: { handle: 'header-wren', password: 'not the password' } }))
  }
  t.same(writes.map((r) => r.statusCode), [201, 201, 201, 429])
  t.same(signIns.map((r) => r.statusCode), [401, 401, 401, 429], 'the sign-in limit, sent by @fastify/rate-limit itself')
  t.same(writes.map(rateHeaders), [[3, 2], [3, 1], [3, 0], [3, 0]], 'limit and remaining on every write, the refused one included')
  t.same(writes.map(rateHeaders), signIns.map(rateHeaders), "as the plugin's route limit counts")
  for (const [i, res] of [...writes, ...signIns].entries()) {
    t.ok(reset(res) > 0 && reset(res) <= 60, `x-ratelimit-reset in seconds within the minute (${i}): ${reset(res)}`)
  }
  const refused = writes[3]!
  t.equal(refused.headers['retry-after'], refused.headers['x-ratelimit-reset'], 'on the 429, Retry-After is the reset, as the plugin sends it')
  t.equal(refused.json().error.details.retryAfterSeconds, reset(refused))
  t.equal(signIns[3]!.headers['retry-after'], signIns[3]!.headers['x-ratelimit-reset'])
})

t.test('the headers describe whichever count, the address or the account, has fewer writes left', async (t) => {
  const h = await buildTestApp(t, limits({ writesPerMinute: 2, writesPerIpPerMinute: 5 }))
  const [starter, a, b, c] = [await h.signUp(), await h.signUp(), await h.signUp(), await h.signUp()]
  const { threadId } = await h.startThread(starter)
  const reply = (who: typeof a) => h.as(who, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, remoteAddress: SHARED, payload: { body: 'hello' } })
  const seen: Array<[number, ...Headers]> = []
  for (const who of [a, a, b, b, c, c]) {
    const res = await reply(who)
    seen.push([res.statusCode, ...rateHeaders(res)])
  }
  t.same(seen, [
    [201, 2, 1], // address 4 left, account 1
    [201, 2, 0], // address 3, account 0
    [201, 2, 1], // address 2, b's account 1
    [201, 2, 0], // address 1, account 0
    [201, 5, 0], // address 0, c's account 1
    [429, 5, 0] // the address refuses
  ])
})

t.test("a staff account's headers show its five times the allowance", async (t) => {
  const h = await buildTestApp(t, limits({ writesPerMinute: 2 }))
  const member = await h.signUp()
  const staff = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(member)
  const res = await h.as(staff, { method: 'PATCH', url: `/api/v1/threads/${threadId}`, payload: { locked: true } })
  t.same([res.statusCode, ...rateHeaders(res)], [200, 10, 9])
})
