/**
 * The forum keeps an admin: a role change locks the admin rows and checks its actor again inside its transaction, so
 * two admins demoting each other at once are serialised and the second is refused.
 */
import { eq } from 'drizzle-orm'
import t from 'tap'
import { accounts } from '../../src/db/schema.js'
import { changeRole } from '../../src/moderation/accounts.js'
import { RuleBook } from '../../src/moderation/rules.js'
import { buildTestApp, type TestAccount, type TestApp } from '../helpers/app.js'

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
