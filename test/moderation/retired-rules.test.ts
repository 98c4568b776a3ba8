/**
 * Shipped rules taken out of the default set leave a database that still holds them as shipped; a copy staff
 * edited stays theirs. Start-up does it (seedDefaultRules), logged, once.
 */
import { eq } from 'drizzle-orm'
import t from 'tap'
import { v7 as uuidv7 } from 'uuid'
import { systemClock } from '../../src/clock.js'
import { moderationLog, rules } from '../../src/db/schema.js'
import { loadDefaultRules, loadRetiredDefaultRules } from '../../src/moderation/flagging/index.js'
import { seedDefaultRules } from '../../src/moderation/rules.js'
import { createTestDatabase } from '../helpers/database.js'

t.test('the retired list is sound', async (t) => {
  const retired = loadRetiredDefaultRules()
  const current = new Set(loadDefaultRules().map((r) => r.key))
  t.ok(retired.length > 0)
  for (const r of retired) t.notOk(current.has(r.key), `${r.key} is not also current`)
  t.equal(new Set(retired.map((r) => r.key)).size, retired.length, 'no key twice')
})

t.test('an unedited retired rule is removed at start-up and logged; an edited one stays', async (t) => {
  const db = await createTestDatabase()
  t.teardown(() => db.drop())
  const d = db.database.db
  const [first, second] = loadRetiredDefaultRules()
  if (!first || !second) throw new Error('two retired rules are needed for this test')
  const shipped = new Date('2026-11-01T00:00:00Z')
  // As an older release seeded them; staff later edited the second.
  const asShipped = { id: uuidv7(), pattern: first.pattern, category: 'sourcing' as const, action: 'hold' as const, publicReason: 'x', enabled: true, defaultKey: first.key, createdAt: shipped, updatedAt: shipped }
  const edited = { ...asShipped, id: uuidv7(), pattern: `${second.pattern} now`, defaultKey: second.key, updatedAt: new Date('2026-11-10T00:00:00Z') }
  await d.insert(rules).values([asShipped, edited])

  t.equal(await seedDefaultRules(d, systemClock), 0, 'no new default rule')
  const left = await d.select({ id: rules.id }).from(rules).where(eq(rules.id, asShipped.id))
  t.same(left, [], 'the unedited retired rule is gone')
  const kept = await d.select({ pattern: rules.pattern }).from(rules).where(eq(rules.id, edited.id))
  t.same(kept, [{ pattern: `${second.pattern} now` }], 'the edited one stays')
  const log = await d.select().from(moderationLog).where(eq(moderationLog.targetId, asShipped.id))
  t.equal(log.length, 1)
  t.match(log[0], { action: 'rule.retired', actorId: null, targetType: 'rule', reason: /^Retired/ })

  await seedDefaultRules(d, systemClock)
  t.equal((await d.select().from(moderationLog).where(eq(moderationLog.action, 'rule.retired'))).length, 1, 'a second start changes nothing')
})
