/**
 * A post a rule blocks is "422, nothing stored": sent with an Idempotency-Key, its refusal (which quotes the writer's
 * words in details.body) is not kept under the key either. A retry is screened again (found by the review of a
 * member's data from start to finish).
 */
import { eq } from 'drizzle-orm'
import t from 'tap'
import { idempotencyKeys } from '../../src/db/schema.js'
import { buildTestApp } from '../helpers/app.js'

t.test('a blocked post leaves no stored response under its key, and a retry runs again', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const member = await h.signUp()
  const { threadId } = await h.startThread(admin)
  const rule = await h.as(admin, { method: 'POST', url: '/api/v1/moderation/rules', payload: { pattern: 'forbidden phrase', category: 'custom', action: 'block' } })
  t.equal(rule.statusCode, 201)
  const send = () =>
    h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, headers: { 'idempotency-key': 'blocked-1' }, payload: { body: 'BLOCKEDWORDS a forbidden phrase' } })
  const stored = () => h.db.database.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.accountId, member.id))

  const first = await send()
  t.equal(first.statusCode, 422)
  t.match(first.json().error, { code: 'blocked_by_rule', details: { body: /BLOCKEDWORDS/ } }, 'the writer gets their words back')
  t.same(await stored(), [], 'nothing is stored under the key')

  const again = await send()
  t.equal(again.statusCode, 422, 'a retry is screened again, and blocked again')
  t.notOk(again.headers['idempotent-replayed'], 'not a replay')
  t.same(again.json(), first.json())
  t.same(await stored(), [])

  // Once the rule is gone, the same retry is a new request: it posts.
  t.equal((await h.as(admin, { method: 'DELETE', url: `/api/v1/moderation/rules/${rule.json().rule.id}` })).statusCode, 204)
  const posted = await send()
  t.equal(posted.statusCode, 201)
  t.notOk(posted.headers['idempotent-replayed'])
  t.equal((await stored()).length, 1, 'the post that was made is kept under the key, as any')
})
