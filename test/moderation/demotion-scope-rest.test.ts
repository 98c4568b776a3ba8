/**
 * Over HTTP as live: a board moderator demoted while their request is being authorised never reads every board. The
 * role and the boards come from one statement, so a read that sees the boards deleted also sees the member. The
 * demotion is slipped in just before the request's first statement that reads the moderator's boards.
 */
import t, { type Test } from 'tap'
import { buildTestApp, type TestAccount, type TestApp } from '../helpers/app.js'

type Query = (...args: unknown[]) => Promise<unknown>

/**
 * Runs `before` once, just before the next statement sent outside a transaction that reads moderator_boards: on
 * either driver, the pool (or the PGlite instance) behind drizzle.
 */
function beforeNextBoardsRead(t: Test, h: TestApp, before: () => Promise<void>) {
  const client = (h.db.database.db as unknown as { $client: { query: Query } }).$client
  const query = client.query
  let armed = true
  client.query = async function (this: unknown, ...args: unknown[]) {
    const first = args[0] as string | { text?: string }
    const text = typeof first === 'string' ? first : (first?.text ?? '')
    if (armed && text.includes('moderator_boards')) {
      armed = false
      await before()
    }
    return query.apply(this, args)
  }
  t.teardown(() => {
    client.query = query
  })
  return { ran: () => !armed }
}

async function setUp(t: Test) {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const mod = await h.signUp({ circle: 'recovery' })
  const made = await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${mod.id}/role`, payload: { role: 'moderator', boards: ['general'] } })
  t.equal(made.statusCode, 200)
  const parent = await h.signUp({ circle: 'family' })
  const family = await h.startThread(parent, 'family', { title: 'Family', body: 'hello' })
  const held = await h.as(parent, { method: 'POST', url: `/api/v1/threads/${family.threadId}/posts`, payload: { body: 'FAMILYQUEUE call me 07700 900123' } })
  t.equal(held.json().moderation.state, 'held')
  const demote = async () => {
    const res = await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${mod.id}/role`, payload: { role: 'member' } })
    if (res.json().account?.role !== 'member') throw new Error(`demotion failed: ${res.body}`)
  }
  return { h, mod, demote, familyThread: family.threadId }
}

const readAs = (h: TestApp, mod: TestAccount, url: string) => h.as(mod, { url })

t.test('a board moderator demoted during their request does not read the family board', async (t) => {
  const { h, mod, demote, familyThread } = await setUp(t)
  t.equal((await readAs(h, mod, `/api/v1/threads/${familyThread}`)).statusCode, 404, 'as a moderator of general: no family thread')

  const slipped = beforeNextBoardsRead(t, h, demote)
  const res = await readAs(h, mod, `/api/v1/threads/${familyThread}`)
  t.ok(slipped.ran(), 'the demotion came during the request')
  t.equal(res.statusCode, 404, 'demoted meanwhile: still no family thread')
  t.notOk(res.body.includes('FAMILYQUEUE'), 'and never its held reply')
})

t.test('a board moderator demoted during their queue request is refused, never shown every board', async (t) => {
  const { h, mod, demote } = await setUp(t)
  const before = await readAs(h, mod, '/api/v1/moderation/queue')
  t.equal(before.statusCode, 200)
  t.notOk(before.body.includes('FAMILYQUEUE'), 'as a moderator of general: no family item')

  const slipped = beforeNextBoardsRead(t, h, demote)
  const res = await readAs(h, mod, '/api/v1/moderation/queue')
  t.ok(slipped.ran(), 'the demotion came during the request')
  t.equal(res.statusCode, 403, 'demoted meanwhile: refused as a member')
  t.notOk(res.body.includes('FAMILYQUEUE'), 'and never shown the family item')
})
