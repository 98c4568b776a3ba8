/**
 * The forum keeps an admin: a role change locks the admin rows and checks its actor again inside its transaction, so
 * two admins demoting each other at once are serialised and the second is refused.
 */
import { eq } from 'drizzle-orm'
import t from 'tap'
import { accounts } from '../../src/db/schema.js'
import { changeRole } from '../../src/moderation/accounts.js'
import { RuleBook } from '../../src/moderation/rules.js'
import { buildTestApp, TEST_PASSWORD, type TestAccount, type TestApp } from '../helpers/app.js'

const demote = (h: TestApp, actor: TestAccount, subject: TestAccount) =>
  h.as(actor, { method: 'PATCH', url: `/api/v1/accounts/${subject.id}/role`, payload: { role: 'member' } })

const roleOf = async (h: TestApp, account: TestAccount) => (await h.as(account, { url: '/api/v1/me' })).json().account.role as string

t.test(
  'two admins demoting each other at the same moment: one wins, the other is refused, one admin remains',
  { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL: PGlite has one connection, so transactions cannot overlap' },
  async (t) => {
    const h = await buildTestApp(t)
    for (let round = 0; round < 5; round++) {
      const a = await h.signUp({ role: 'admin' })
      const b = await h.signUp({ role: 'admin' })
      const answers = await Promise.all([demote(h, a, b), demote(h, b, a)])
      t.same(answers.map((r) => r.statusCode).sort(), [200, 403], `round ${round}: one demotion goes through`)
      const refused = answers.find((r) => r.statusCode === 403)
      t.equal(refused?.json().error.code, 'forbidden', 'the other is refused in the contract shape')
      t.same([await roleOf(h, a), await roleOf(h, b)].sort(), ['admin', 'member'], 'one admin remains')
    }
  }
)

t.test('an admin demoted while their own change waits is refused, and nothing changes', async (t) => {
  const h = await buildTestApp(t)
  const a = await h.signUp({ role: 'admin' })
  const b = await h.signUp({ role: 'admin' })
  const mod = await h.signUp({ role: 'moderator' })
  const db = h.db.database.db
  // `a` as their session read it, before `b` demoted them.
  const [stale] = await db.select().from(accounts).where(eq(accounts.id, a.id))
  t.equal((await demote(h, b, a)).statusCode, 200)
  const deps = { db, clock: h.clock, config: h.config, rules: new RuleBook(), crisisResources: [] }
  await t.rejects(changeRole(deps, stale!, b.id, { role: 'member' }), { code: 'forbidden' }, 'demoting the admin who demoted them')
  await t.rejects(changeRole(deps, stale!, mod.id, { role: 'admin' }), { code: 'forbidden' }, 'or promoting someone')
  t.equal(await roleOf(h, b), 'admin')
  t.equal(await roleOf(h, mod), 'moderator')
  const log = (await h.as(b, { url: '/api/v1/moderation/log' })).json().actions as Array<{ action: string }>
  t.equal(log.filter((l) => l.action === 'account.role_changed').length, 1, 'only the demotion that went through is logged')
})

t.test('an admin still demotes another admin while one remains', async (t) => {
  const h = await buildTestApp(t)
  const a = await h.signUp({ role: 'admin' })
  const b = await h.signUp({ role: 'admin' })
  t.equal((await demote(h, a, b)).statusCode, 200)
  t.equal(await roleOf(h, b), 'member')
  t.equal((await demote(h, b, a)).statusCode, 403, 'the demoted admin can no longer change roles')
  t.equal((await h.as(a, { method: 'PATCH', url: `/api/v1/accounts/${a.id}/role`, payload: { role: 'member' } })).statusCode, 403, 'nor can the last admin demote themselves')
  t.equal(await roleOf(h, a), 'admin')
})

t.test('the last active admin cannot delete their account either; with another admin, they can', async (t) => {
  const h = await buildTestApp(t)
  const only = await h.signUp({ role: 'admin' })
  const refused = await h.as(only, { method: 'DELETE', url: '/api/v1/me', payload: { password: TEST_PASSWORD } })
  t.equal(refused.statusCode, 403)
  t.match(refused.json().error, { code: 'forbidden', details: { reason: 'last_admin' } })
  t.equal(await roleOf(h, only), 'admin', 'the account is as it was, its session still works')
  const second = await h.signUp({ role: 'admin' })
  const suspendedOther = await h.as(only, { method: 'POST', url: `/api/v1/moderation/accounts/${second.id}/suspend`, payload: { reason: 'testing' } })
  t.equal(suspendedOther.statusCode, 403, 'admins are not suspended (so a second admin is an active one)')
  const left = await h.as(only, { method: 'DELETE', url: '/api/v1/me', payload: { password: TEST_PASSWORD } })
  t.equal(left.statusCode, 204, 'with another active admin, the first may leave')
  t.equal(await roleOf(h, second), 'admin')
  const last = await h.as(second, { method: 'DELETE', url: '/api/v1/me', payload: { password: TEST_PASSWORD } })
  t.equal(last.statusCode, 403, 'a deleted admin is no admin: the second is now the last')
})
