import t from 'tap'
import type { Test } from 'tap'
import { buildTestApp } from '../helpers/app.js'

const hasErrorShape = (t: Test, body: unknown, code: string) => {
  t.match(body, { error: { code, message: String } })
  const keys = Object.keys((body as { error: object }).error)
  t.ok(keys.every((k) => ['code', 'message', 'details'].includes(k)), `only code, message, details: ${keys}`)
}

t.test('every failure has the one error shape', async (t) => {
  const h = await buildTestApp(t, { bodyLimitBytes: 64 * 1024 })
  const member = await h.signUp()

  t.test("Fastify's own 404", async (t) => {
    const res = await h.app.inject({ url: '/api/v1/nothing-here' })
    t.equal(res.statusCode, 404)
    hasErrorShape(t, res.json(), 'not_found')
  })

  t.test('a body over the limit is 413', async (t) => {
    const res = await h.as(member, {
      method: 'POST',
      url: '/api/v1/boards/general/threads',
      payload: { title: 'Too big', body: 'x'.repeat(70 * 1024) }
    })
    t.equal(res.statusCode, 413)
    hasErrorShape(t, res.json(), 'payload_too_large')
  })

  t.test('malformed JSON is 400', async (t) => {
    const res = await h.as(member, {
      method: 'POST',
      url: '/api/v1/boards/general/threads',
      headers: { 'content-type': 'application/json' },
      payload: '{"title": "oops",'
    })
    t.equal(res.statusCode, 400)
    hasErrorShape(t, res.json(), 'validation_failed')
  })

  t.test('text with a NUL character is 400 and stores nothing; an escaped backslash before u0000 is fine', async (t) => {
    const post = (payload: string) =>
      h.as(member, { method: 'POST', url: '/api/v1/boards/general/threads', headers: { 'content-type': 'application/json' }, payload })
    const refused = await post('{"title": "Has a NUL", "body": "a\\u0000b"}')
    t.equal(refused.statusCode, 400)
    hasErrorShape(t, refused.json(), 'validation_failed')
    const listed = (await h.as(member, { url: '/api/v1/boards/general/threads?limit=100' })).json().threads
    t.notOk(listed.some((x: { title: string }) => x.title === 'Has a NUL'), 'nothing was stored')
    const fine = await post('{"title": "Talks about escapes", "body": "write \\\\u0000 in C"}')
    t.equal(fine.statusCode, 201)
    t.match(fine.json().post.bodyHtml, /\\u0000/)
  })

  t.test('half of a surrogate pair is 400 and stores nothing, in a thread or a reply; a whole pair is kept', async (t) => {
    const post = (url: string, payload: string) => h.as(member, { method: 'POST', url, headers: { 'content-type': 'application/json' }, payload })
    for (const lone of ['\\ud800', '\\uDFFF', 'x\\ud83d y']) {
      const refused = await post('/api/v1/boards/general/threads', `{"title": "Lone surrogate", "body": "a${lone}b"}`)
      t.equal(refused.statusCode, 400, lone)
      hasErrorShape(t, refused.json(), 'validation_failed')
      t.match(refused.json().error.message, /surrogate/)
    }
    const listed = (await h.as(member, { url: '/api/v1/boards/general/threads?limit=100' })).json().threads
    t.notOk(listed.some((x: { title: string }) => x.title === 'Lone surrogate'), 'nothing was stored')
    const fine = await post('/api/v1/boards/general/threads', '{"title": "A whole pair", "body": "smile \\ud83d\\ude00 today"}')
    t.equal(fine.statusCode, 201)
    t.match(fine.json().post.bodyHtml, /smile 😀 today/)
    const reply = await post(`/api/v1/threads/${fine.json().thread.id}/posts`, '{"body": "\\ud800"}')
    t.equal(reply.statusCode, 400, 'a reply too (found by the hostile-input test: it answered 500)')
  })

  t.test('a body that is not JSON is 415', async (t) => {
    const res = await h.as(member, {
      method: 'POST',
      url: '/api/v1/boards/general/threads',
      headers: { 'content-type': 'text/plain' },
      payload: 'title=hello'
    })
    t.equal(res.statusCode, 415)
    hasErrorShape(t, res.json(), 'unsupported_media_type')
  })

  t.test('schema violations name what is wrong', async (t) => {
    const res = await h.as(member, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: 'Fine', body: 'x', mood: 'sad' } })
    t.equal(res.statusCode, 400)
    hasErrorShape(t, res.json(), 'validation_failed')
    t.match(res.json().error.details, [{ in: 'body', property: 'mood' }])
  })

  t.test('401 and 403', async (t) => {
    hasErrorShape(t, (await h.app.inject({ url: '/api/v1/me' })).json(), 'unauthenticated')
    hasErrorShape(t, (await h.as(member, { method: 'POST', url: '/api/v1/boards', payload: { slug: 'abc', name: 'x', audience: 'everyone' } })).json(), 'forbidden')
  })
})

t.test('operations routes', async (t) => {
  const h = await buildTestApp(t)
  for (const prefix of ['', '/api/v1']) {
    const health = await h.app.inject({ url: `${prefix}/healthz` })
    t.equal(health.statusCode, 200)
    t.same(health.json(), { status: 'ok' })
    const ready = await h.app.inject({ url: `${prefix}/readyz` })
    t.equal(ready.statusCode, 200)
  }
  const doc = await h.app.inject({ url: '/docs/json' })
  t.equal(doc.statusCode, 200)
  const openapi = doc.json()
  t.match(openapi.openapi, /^3\./)
  for (const path of ['/api/v1/accounts', '/api/v1/sessions', '/api/v1/boards/{slug}/threads', '/api/v1/threads/{id}', '/api/v1/posts/{id}/reports', '/api/v1/me/export']) {
    t.ok(openapi.paths[path], `documents ${path}`)
  }
  const ui = await h.app.inject({ url: '/docs' })
  t.ok([200, 302].includes(ui.statusCode), 'the docs UI answers')
  t.equal((await h.app.inject({ url: "/healthz" })).headers['x-content-type-options'], 'nosniff', 'helmet headers are set')
})

t.test('readyz answers 503 when the database is gone', async (t) => {
  const h = await buildTestApp(t)
  await h.db.database.close()
  const res = await h.app.inject({ url: '/readyz' })
  t.equal(res.statusCode, 503)
  hasErrorShape(t, res.json(), 'unavailable')
})
