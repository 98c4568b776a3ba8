/**
 * A moderator's action on an account and the account's own deletion at the same moment: the account is read and
 * locked inside the action's transaction (src/moderation/accounts.ts target), so a deleted account never comes
 * back as suspended. The deletion lands just before the action's transaction, after anything it read first.
 */
import { eq } from 'drizzle-orm'
import t from 'tap'
import type { Db } from '../../src/db/client.js'
import { accounts } from '../../src/db/schema.js'
import { suspendAccount } from '../../src/moderation/accounts.js'
import { RuleBook } from '../../src/moderation/rules.js'
import { buildTestApp, TEST_PASSWORD } from '../helpers/app.js'

t.test('suspending an account that deletes itself meanwhile: 404, and it stays deleted', async (t) => {
  const h = await buildTestApp(t)
  const moderator = await h.signUp({ role: 'moderator' })
  const member = await h.signUp()
  const db = h.db.database.db
  const deletion = () => h.as(member, { method: 'DELETE', url: '/api/v1/me', payload: { password: TEST_PASSWORD } })
  let deleted = 0
  // The database as the action sees it: its transaction starts only once the member's deletion has committed.
  const racing = new Proxy(db, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property)
      if (property !== 'transaction' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value
      return async (...args: unknown[]) => {
        t.equal((await deletion()).statusCode, 204, 'the deletion commits first')
        deleted++
        return value.apply(target, args)
      }
    }
  }) as Db
  const deps = { db: racing, clock: h.clock, config: h.config, rules: new RuleBook(), crisisResources: [] }
  const [actor] = await db.select().from(accounts).where(eq(accounts.id, moderator.id))
  if (!actor) throw new Error('no moderator')
  await t.rejects(suspendAccount(deps, actor, member.id, { reason: 'spam' }), { code: 'not_found' })
  t.equal(deleted, 1)
  const [row] = await db.select({ status: accounts.status }).from(accounts).where(eq(accounts.id, member.id))
  t.equal(row?.status, 'deleted', 'the account stays deleted')
})
