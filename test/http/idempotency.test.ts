import t from 'tap'
import { canonicalJson } from '../../src/http/idempotency.js'
import { buildTestApp } from '../helpers/app.js'

t.test('idempotency keys make a double tap post once', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const other = await h.signUp()
  const { threadId } = await h.startThread(member)
  const send = (who = member, key: string | null = 'tap-1', body = 'posted once, I hope') =>
    h.as(who, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, headers: key === null ? {} : { 'idempotency-key': key }, payload: { body } })
  const count = async () => (await h.as(member, { url: `/api/v1/threads/${threadId}` })).json().posts.length as number

  t.test('a retry with the same key and body returns the first response and creates nothing', async (t) => {
    const first = await send()
    t.equal(first.statusCode, 201)
    const again = await send()
    t.equal(again.statusCode, 201)
    t.same(again.json(), first.json())
    t.equal(again.headers['idempotent-replayed'], 'true')
    t.equal(await count(), 2)
  })

  t.test('the same key with another body is 409', async (t) => {
    const res = await send(member, 'tap-1', 'something else')
    t.equal(res.statusCode, 409)
    t.equal(res.json().error.code, 'idempotency_key_reused')
    t.equal(await count(), 2)
  })

  t.test('keys belong to one account', async (t) => {
    t.equal((await send(other, 'tap-1')).statusCode, 201)
    t.equal(await count(), 3)
  })

  t.test('without a key, every request creates', async (t) => {
    await send(member, null, 'no key')
    await send(member, null, 'no key')
    t.equal(await count(), 5)
  })

  t.test('a key is kept 24 hours', async (t) => {
    h.clock.advance(24 * 3_600_000 + 1000)
    t.equal((await send(member, 'tap-1', 'a new day')).statusCode, 201)
    t.equal(await count(), 6)
  })

  t.test('a refused request replays its refusal', async (t) => {
    const admin = await h.signUp({ role: 'admin' })
    await h.as(admin, { method: 'POST', url: '/api/v1/moderation/rules', payload: { pattern: 'forbidden phrase', category: 'custom', action: 'block' } })
    const first = await send(member, 'blocked-1', 'a forbidden phrase')
    t.equal(first.statusCode, 422)
    const again = await send(member, 'blocked-1', 'a forbidden phrase')
    t.equal(again.statusCode, 422)
    t.same(again.json(), first.json())
  })

  t.test('a bad key is 400', async (t) => {
    t.equal((await send(member, 'x'.repeat(129))).statusCode, 400)
    t.equal((await send(member, '')).statusCode, 400)
  })

  t.test('concurrent retries with one key create one post', async (t) => {
    const before = await count()
    const results = await Promise.all(Array.from({ length: 5 }, () => send(member, 'burst-1', 'burst')))
    const codes = results.map((r) => r.statusCode)
    t.ok(codes.includes(201), `codes ${codes}`)
    t.ok(codes.every((c) => c === 201 || c === 409), 'the others replay or wait')
    t.equal(await count(), before + 1)
  })

  t.test('threads and reports take keys too', async (t) => {
    const start = () =>
      h.as(member, { method: 'POST', url: '/api/v1/boards/general/threads', headers: { 'idempotency-key': 'thread-1' }, payload: { title: 'Once only', body: 'hello' } })
    const a = await start()
    const b = await start()
    t.equal(a.json().thread.id, b.json().thread.id)
    const threads = (await h.as(member, { url: '/api/v1/boards/general/threads?limit=100' })).json().threads.filter((x: { title: string }) => x.title === 'Once only')
    t.equal(threads.length, 1)
  })

  t.test('the same fields in another order are the same body', async (t) => {
    const before = await count()
    const post = (payload: object) => h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, headers: { 'idempotency-key': 'order-1' }, payload })
    const first = await post({ body: 'said once', contentWarning: 'loss' })
    t.equal(first.statusCode, 201)
    const again = await post({ contentWarning: 'loss', body: 'said once' })
    t.equal(again.statusCode, 201, again.body.slice(0, 200))
    t.same(again.json(), first.json())
    t.equal(again.headers['idempotent-replayed'], 'true')
    t.equal(await count(), before + 1)

    const changed = await post({ contentWarning: 'grief', body: 'said once' })
    t.equal(changed.statusCode, 409, 'a different value in another order is still another body')
    t.equal(changed.json().error.code, 'idempotency_key_reused')
    const dropped = await post({ body: 'said once' })
    t.equal(dropped.statusCode, 409, 'a missing field is another body')
    t.equal(await count(), before + 1)
  })
})

t.test('a canonical body sorts object keys at every depth and keeps array order', async (t) => {
  t.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}')
  t.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }))
  t.not(canonicalJson([1, 2]), canonicalJson([2, 1]))
  t.equal(canonicalJson('x'), '"x"')
  t.equal(canonicalJson(null), 'null')
  t.equal(canonicalJson({ '\u00e9': 'é', e: '"' }), JSON.stringify({ e: '"', '\u00e9': 'é' }))
})
