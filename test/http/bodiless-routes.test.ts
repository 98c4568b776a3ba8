import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildTestApp, type TestAccount, type TestApp } from '../helpers/app.js'

/**
 * Routes that take no body still validate one: the contract allows no unknown properties anywhere. Clients and
 * proxies that send nothing, or `{}`, are served as before.
 */

const UNKNOWN = { nonsense: true }

function refusesUnknownProperty(t: Test, res: LightMyRequestResponse) {
  t.equal(res.statusCode, 400, `unknown property refused: ${res.statusCode} ${res.body.slice(0, 200)}`)
  const error = res.json().error
  t.equal(error.code, 'validation_failed')
  t.type(error.message, 'string')
  t.match(error.details, [{ in: 'body', property: 'nonsense' }])
}

/** The three ways to call a bodiless route: no body at all, an empty object, an object with an unknown property. */
const withBody = (options: InjectOptions, body: 'none' | 'empty' | 'unknown'): InjectOptions =>
  body === 'none' ? options : { ...options, payload: body === 'empty' ? {} : UNKNOWN }

async function spamItem(h: TestApp, mod: TestAccount) {
  const member = await h.signUp()
  const { threadId } = await h.startThread(mod)
  const { postId } = await h.reply(member, threadId, 'great deals at https://spam.example')
  const items = (await h.as(mod, { url: '/api/v1/moderation/queue?limit=100' })).json().items as Array<{ id: string; post: { id: string } }>
  const item = items.find((i) => i.post.id === postId)
  if (!item) throw new Error('the spam reply was not queued')
  return { member, postId, itemId: item.id }
}

const itemStatus = async (h: TestApp, mod: TestAccount, itemId: string) => {
  for (const status of ['open', 'claimed', 'resolved']) {
    const items = (await h.as(mod, { url: `/api/v1/moderation/queue?status=${status}&limit=100` })).json().items as Array<{ id: string }>
    if (items.some((i) => i.id === itemId)) return status
  }
  return 'missing'
}

t.test('claiming and releasing a queue item', async (t) => {
  const h = await buildTestApp(t)
  const mod = await h.signUp({ role: 'moderator' })

  t.test('an unknown property is 400 and the item stays unclaimed', async (t) => {
    const { itemId } = await spamItem(h, mod)
    refusesUnknownProperty(t, await h.as(mod, withBody({ method: 'POST', url: `/api/v1/moderation/queue/${itemId}/claim` }, 'unknown')))
    t.equal(await itemStatus(h, mod, itemId), 'open')
  })

  t.test('a claimed item refuses a release with an unknown property and stays claimed', async (t) => {
    const { itemId } = await spamItem(h, mod)
    t.equal((await h.as(mod, { method: 'POST', url: `/api/v1/moderation/queue/${itemId}/claim` })).statusCode, 200)
    refusesUnknownProperty(t, await h.as(mod, withBody({ method: 'POST', url: `/api/v1/moderation/queue/${itemId}/release` }, 'unknown')))
    t.equal(await itemStatus(h, mod, itemId), 'claimed')
  })

  for (const body of ['none', 'empty'] as const) {
    t.test(`with ${body === 'none' ? 'no body' : 'an empty object'}, claim and release work`, async (t) => {
      const { itemId } = await spamItem(h, mod)
      const claim = await h.as(mod, withBody({ method: 'POST', url: `/api/v1/moderation/queue/${itemId}/claim` }, body))
      t.equal(claim.statusCode, 200, claim.body.slice(0, 200))
      t.equal(claim.json().item.status, 'claimed')
      const release = await h.as(mod, withBody({ method: 'POST', url: `/api/v1/moderation/queue/${itemId}/release` }, body))
      t.equal(release.statusCode, 200, release.body.slice(0, 200))
      t.equal(release.json().item.status, 'open')
    })
  }
})

t.test('deleting a post', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()

  const postState = async (threadId: string, postId: string) =>
    ((await h.as(member, { url: `/api/v1/threads/${threadId}` })).json().posts as Array<{ id: string; state: string }>).find((p) => p.id === postId)?.state

  t.test('an unknown property is 400 and the post stays', async (t) => {
    const { threadId } = await h.startThread(member)
    const { postId } = await h.reply(member, threadId)
    refusesUnknownProperty(t, await h.as(member, withBody({ method: 'DELETE', url: `/api/v1/posts/${postId}` }, 'unknown')))
    t.equal(await postState(threadId, postId), 'visible')
  })

  for (const body of ['none', 'empty'] as const) {
    t.test(`with ${body === 'none' ? 'no body' : 'an empty object'}, the post is deleted`, async (t) => {
      const { threadId } = await h.startThread(member)
      const { postId } = await h.reply(member, threadId)
      t.equal((await h.as(member, withBody({ method: 'DELETE', url: `/api/v1/posts/${postId}` }, body))).statusCode, 204)
      t.equal(await postState(threadId, postId), 'deleted')
    })
  }
})

t.test('deleting a rule', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  let n = 0
  const newRule = async () => {
    const res = await h.as(admin, { method: 'POST', url: '/api/v1/moderation/rules', payload: { pattern: `zqxrule${++n}`, category: 'custom', action: 'flag' } })
    return res.json().rule.id as string
  }
  const exists = async (id: string) =>
    ((await h.as(admin, { url: '/api/v1/moderation/rules?limit=100&category=custom' })).json().rules as Array<{ id: string }>).some((r) => r.id === id)

  t.test('an unknown property is 400 and the rule stays', async (t) => {
    const id = await newRule()
    refusesUnknownProperty(t, await h.as(admin, withBody({ method: 'DELETE', url: `/api/v1/moderation/rules/${id}` }, 'unknown')))
    t.ok(await exists(id))
  })

  for (const body of ['none', 'empty'] as const) {
    t.test(`with ${body === 'none' ? 'no body' : 'an empty object'}, the rule is deleted`, async (t) => {
      const id = await newRule()
      t.equal((await h.as(admin, withBody({ method: 'DELETE', url: `/api/v1/moderation/rules/${id}` }, body))).statusCode, 204)
      t.notOk(await exists(id))
    })
  }
})

t.test('signing out', async (t) => {
  const h = await buildTestApp(t)

  t.test('an unknown property is 400 and the session stays valid', async (t) => {
    const member = await h.signUp()
    refusesUnknownProperty(t, await h.as(member, withBody({ method: 'DELETE', url: '/api/v1/sessions/current' }, 'unknown')))
    t.equal((await h.as(member, { url: '/api/v1/me' })).statusCode, 200)
  })

  for (const body of ['none', 'empty'] as const) {
    t.test(`with ${body === 'none' ? 'no body' : 'an empty object'}, the session ends`, async (t) => {
      const member = await h.signUp()
      t.equal((await h.as(member, withBody({ method: 'DELETE', url: '/api/v1/sessions/current' }, body))).statusCode, 204)
      t.equal((await h.as(member, { url: '/api/v1/me' })).statusCode, 401)
    })
  }
})

t.test('lifting a suspension takes no body, an empty object or a reason, and nothing else', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const member = await h.signUp()
  const suspend = () => h.as(admin, { method: 'POST', url: `/api/v1/moderation/accounts/${member.id}/suspend`, payload: { reason: 'cooling off' } })
  const url = `/api/v1/moderation/accounts/${member.id}/unsuspend`
  t.equal((await suspend()).statusCode, 200)
  refusesUnknownProperty(t, await h.as(admin, withBody({ method: 'POST', url }, 'unknown')))
  t.equal((await h.as(member, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: 'Still here', body: 'x' } })).statusCode, 403, 'still suspended')
  for (const body of ['none', 'empty'] as const) {
    const res = await h.as(admin, withBody({ method: 'POST', url }, body))
    t.equal(res.statusCode, 200, `${body}: ${res.body.slice(0, 200)}`)
    t.equal(res.json().account.status, 'active')
    t.equal((await suspend()).statusCode, 200)
  }
})

t.test('every write route documents a body schema that allows no unknown properties', async (t) => {
  const h = await buildTestApp(t)
  const doc = await h.app.inject({ url: '/docs/json' })
  t.equal(doc.statusCode, 200)
  const paths = doc.json().paths as Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: { additionalProperties?: unknown } }> } }>>
  const missing: string[] = []
  for (const [path, operations] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(operations)) {
      if (!['post', 'put', 'patch', 'delete'].includes(method)) continue
      if (op.requestBody?.content?.['application/json']?.schema?.additionalProperties !== false) missing.push(`${method.toUpperCase()} ${path}`)
    }
  }
  t.same(missing, [])
})
