import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

// Numbers Ajv makes from text: "Infinity" and "1e400" coerce to Infinity, which integer, minimum and maximum
// checks would otherwise let through (a 500 at the database, or an empty page for -1e400).
const NOT_FINITE = ['Infinity', '-Infinity', '%2BInfinity', '1e400', '-1e400', '1E999', 'NaN']
const NOT_A_PAGE_SIZE = ['0', '-0', '-1', '101', '9007199254740993', '1.5', 'abc', '', '1e400000000']

t.test('every paginated route refuses a limit that is not a finite whole number from 1 to 100 (400, never 500)', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const admin = await h.signUp({ role: 'admin' })
  const { threadId } = await h.startThread(member)
  const urls = [
    `/api/v1/threads/${threadId}`,
    '/api/v1/boards/general/threads',
    '/api/v1/moderation/queue',
    '/api/v1/moderation/log',
    '/api/v1/moderation/rules'
  ]
  for (const url of urls) {
    t.equal((await h.as(admin, { url })).statusCode, 200, `${url} answers without a limit`)
    for (const limit of [...NOT_FINITE, ...NOT_A_PAGE_SIZE]) {
      const res = await h.as(admin, { url: `${url}?limit=${limit}` })
      t.equal(res.statusCode, 400, `${url}?limit=${limit}: ${res.statusCode} ${res.body.slice(0, 160)}`)
      t.match(res.json(), { error: { code: 'validation_failed', message: String, details: [{ in: 'querystring', path: '/limit' }] } })
    }
    for (const limit of ['1', '25', '100', '1e1', '1.0']) {
      const res = await h.as(admin, { url: `${url}?limit=${limit}` })
      t.equal(res.statusCode, 200, `${url}?limit=${limit}: ${res.statusCode} ${res.body.slice(0, 160)}`)
    }
  }
  // Other query parameters next to an infinite limit, and combined routes' own filters.
  const mixed = await h.as(admin, { url: '/api/v1/moderation/queue?status=open&limit=Infinity' })
  t.equal(mixed.statusCode, 400)
  const text = await h.as(admin, { url: '/api/v1/moderation/queue?category=Infinity' })
  t.equal(text.statusCode, 200, 'a text parameter may still say "Infinity"')
  t.notOk(h.logs.some((l) => l.includes('unhandled error')), 'no unhandled error was logged')
})

t.test('a JSON body number of 1e400 (JSON.parse reads Infinity) is 400, never 500', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const staff = await h.signUp({ role: 'moderator' })
  for (const days of ['1e400', '-1e400']) {
    const res = await h.as(staff, {
      method: 'POST',
      url: `/api/v1/moderation/accounts/${member.id}/suspend`,
      headers: { 'content-type': 'application/json' },
      payload: `{"days": ${days}, "reason": "testing"}`
    })
    t.equal(res.statusCode, 400, `days ${days}: ${res.body.slice(0, 160)}`)
    t.equal(res.json().error.code, 'validation_failed')
  }
  t.equal((await h.as(member, { url: '/api/v1/me' })).json().account.status, 'active', 'not suspended by a refused request')
})
