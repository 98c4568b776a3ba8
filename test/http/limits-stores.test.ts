import t, { type Test } from 'tap'
import Fastify from 'fastify'
import type { AccountRow } from '../../src/accounts/model.js'
import { type Config, loadConfig } from '../../src/config.js'
import { errorHandling } from '../../src/http/errors.js'
import { addressKey, addressLimit, loginLimit, passwordCheckLimit, security, signupLimit } from '../../src/http/security.js'

/** @fastify/rate-limit's LocalStore keeps 5,000 keys unless told otherwise. */
const PLUGIN_DEFAULT_KEYS = 5000

/**
 * The limiters of the real app (security, plus the routes' own limits as accounts/routes.ts sets them) on routes
 * that do nothing, so thousands of keys can be counted in seconds; an `x-account` header stands in for a session.
 */
async function limitedApp(t: Test, rateLimit: Config['rateLimit']) {
  const config: Config = { ...loadConfig({}), rateLimit, maxEventLoopDelayMs: 0 }
  const app = Fastify()
  app.decorateRequest('account', null)
  await app.register(errorHandling)
  await app.register(security, { config, hashIp: addressKey })
  app.addHook('onRequest', async (request) => {
    const id = request.headers['x-account']
    request.account = typeof id === 'string' ? ({ id, role: 'member' } as AccountRow) : null
  })
  const done = async () => ({ done: true })
  app.post('/api/write', done)
  const signInsPerAddress = addressLimit(app, 'login', rateLimit.loginPerIpPerMinute, 'Too many sign-in attempts from this address')
  app.post('/api/sign-in', { config: { public: true, rateLimit: loginLimit(config) }, preHandler: signInsPerAddress }, done)
  app.post('/api/sign-up', { config: { public: true, rateLimit: signupLimit(config) } }, done)
  app.post('/api/password-check', { config: { rateLimit: passwordCheckLimit(config), writeLimits: false } }, done)
  await app.ready()
  t.teardown(() => app.close())
  return app
}

t.test('more than 5,000 other clients do not make a limiter forget a count (found by the limits review, L6)', async (t) => {
  const app = await limitedApp(t, { loginPerMinute: 3, loginPerIpPerMinute: 3, signupPerHour: 3, writesPerMinute: 3, writesPerIpPerMinute: 3 })
  const urls = ['/api/write', '/api/sign-in', '/api/sign-up', '/api/password-check']
  // Each route from addresses and accounts of its own, so that only its own limiters count.
  const send = (route: number, client: string) =>
    app.inject({
      method: 'POST',
      url: urls[route]!,
      remoteAddress: `2001:db8:${route}:${client}::1`, // each client its own /64
      headers: { 'x-account': `${route}-${client}` },
      payload: { handle: client }
    })
  const early = async (route: number) => (await send(route, 'ea51')).statusCode
  // Two of each limiter's three, for one address and one account.
  for (const [route, url] of urls.entries()) t.same([await early(route), await early(route)], [200, 200], `${url}: two counted`)
  // Then a busy minute: more distinct addresses and accounts than the plugin's default store keeps.
  const clients = PLUGIN_DEFAULT_KEYS + 200
  const started = Date.now()
  const refused: string[] = []
  for (let i = 0; i < clients; i++) {
    for (const [route, url] of urls.entries()) {
      const res = await send(route, i.toString(16))
      if (res.statusCode !== 200) refused.push(`${url} ${i}: ${res.statusCode}`)
    }
  }
  t.same(refused, [], `${clients * urls.length} requests from ${clients} clients in ${Date.now() - started} ms, none refused`)
  // The early counts are still there: the third goes through, the fourth is refused.
  for (const [route, url] of urls.entries()) t.same([await early(route), await early(route)], [200, 429], `${url}: the count of two was kept`)
  const fromElsewhere = await app.inject({ method: 'POST', url: '/api/write', remoteAddress: '203.0.113.2', headers: { 'x-account': '0-ea51' } })
  t.equal(fromElsewhere.statusCode, 429, "the account's own count was kept too (from another address, with a fresh count)")
  t.match(fromElsewhere.json(), { error: { code: 'rate_limited', message: /account/ } })
})
