/**
 * A JSON body is validated as sent: its types are never coerced (a query string's are: it is text).
 */
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('bodies of the wrong type are refused, and nothing is created', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const member = await h.signUp()
  const cases: Array<[string, { method: 'POST'; url: string; payload: Record<string, unknown> }, 'member' | 'admin' | 'anonymous']> = [
    ['numbers for strings', { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: 12345, body: 67890 } }, 'member'],
    ['arrays for strings', { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: ['an array title'], body: ['x'] } }, 'member'],
    ['a string for a boolean', { method: 'POST', url: '/api/v1/boards', payload: { slug: 'typed', name: 'Typed', description: 'd', audience: 'everyone', requiresContentWarning: 'true' } }, 'admin'],
    ['a number for a password', { method: 'POST', url: '/api/v1/accounts', payload: { handle: 'numeric-pass', password: 12345678901, circle: 'recovery' } }, 'anonymous'],
    ['null for a string', { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: null, body: 'a body' } }, 'member']
  ]
  for (const [what, request, who] of cases) {
    const res = who === 'anonymous' ? await h.app.inject(request) : await h.as(who === 'admin' ? admin : member, request)
    t.equal(res.statusCode, 400, what)
    t.equal(res.json().error.code, 'validation_failed', `${what}: validation_failed`)
  }
  const threads = (await h.as(member, { url: '/api/v1/boards/general/threads' })).json().threads
  t.same(threads, [], 'no thread was created')
  t.equal((await h.as(admin, { url: '/api/v1/boards' })).json().boards.some((b: { slug: string }) => b.slug === 'typed'), false, 'no board')
  t.equal((await h.app.inject({ method: 'POST', url: '/api/v1/sessions', payload: { handle: 'numeric-pass', password: '12345678901' } })).statusCode, 401, 'no account')
})

t.test('query strings are still read as numbers and booleans', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const res = await h.as(admin, { url: '/api/v1/moderation/rules?limit=2&enabled=true' })
  t.equal(res.statusCode, 200)
  t.equal(res.json().rules.length, 2)
  t.equal((await h.as(admin, { url: '/api/v1/moderation/rules?limit=two' })).statusCode, 400)
})
