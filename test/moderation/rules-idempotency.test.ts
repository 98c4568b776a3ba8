import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('a rule sent twice with one Idempotency-Key is added once; the key with another rule is 409', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const add = (pattern: string) =>
    h.as(admin, { method: 'POST', url: '/api/v1/moderation/rules', headers: { 'idempotency-key': 'rule-1' }, payload: { pattern, category: 'spam', action: 'flag' } })
  const count = async () =>
    ((await h.as(admin, { url: '/api/v1/moderation/rules?limit=100&category=spam' })).json().rules as Array<{ pattern: string }>).filter((r) => r.pattern === 'cheap followers').length
  const first = await add('cheap followers')
  t.equal(first.statusCode, 201)
  const again = await add('cheap followers')
  t.equal(again.statusCode, 201)
  t.same(again.json(), first.json(), 'the first answer, the same rule')
  t.equal(again.headers['idempotent-replayed'], 'true')
  t.equal(await count(), 1, 'one rule')
  const other = await add('buy likes')
  t.equal(other.statusCode, 409)
  t.equal(other.json().error.code, 'idempotency_key_reused')
})
