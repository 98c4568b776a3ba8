/**
 * Shipped rules taken out of the default set leave a database that still holds them as shipped; a copy staff
 * edited stays theirs. Start-up does it (seedDefaultRules), logged, once.
 */
import { eq, inArray, sql } from 'drizzle-orm'
import t from 'tap'
import { v7 as uuidv7 } from 'uuid'
import { systemClock } from '../../src/clock.js'
import { defaultRuleKeys, moderationLog, rules } from '../../src/db/schema.js'
import { compileRules, loadDefaultRules, loadRetiredDefaultRules, validatePattern } from '../../src/moderation/flagging/index.js'
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

t.test('a retirement is logged only for the rows this start deleted (two instances starting at once)', async (t) => {
  const db = await createTestDatabase()
  t.teardown(() => db.drop())
  const d = db.database.db
  const [first] = loadRetiredDefaultRules()
  if (!first) throw new Error('a retired rule is needed for this test')
  const shipped = new Date('2026-11-01T00:00:00Z')
  const row = { id: uuidv7(), pattern: first.pattern, category: 'sourcing' as const, action: 'hold' as const, publicReason: 'x', enabled: true, defaultKey: first.key, createdAt: shipped, updatedAt: shipped }
  await d.insert(rules).values(row)
  // The other instance deletes the row between this one's reading it and its delete: here a trigger makes the
  // delete find nothing, as a delete waiting on the other's row lock does once that one commits.
  await d.execute(sql.raw('create function pretend_already_deleted() returns trigger language plpgsql as $$ begin return null; end $$'))
  await d.execute(sql.raw('create trigger pretend_already_deleted before delete on rules for each row execute function pretend_already_deleted()'))
  await seedDefaultRules(d, systemClock)
  t.same(await d.select().from(moderationLog).where(eq(moderationLog.action, 'rule.retired')), [], 'no retirement logged for a row it did not delete')
})

t.test('default rules added by an upgrade are logged, one line each; the first seeding, which installs the set, is not', async (t) => {
  const db = await createTestDatabase()
  t.teardown(() => db.drop())
  const d = db.database.db
  t.same(await d.select().from(moderationLog).where(eq(moderationLog.action, 'rule.seeded')), [], 'a fresh database has the set, without a line per rule')

  // As if these two keys were new in this release: the database has never seen them.
  const [one, two] = loadDefaultRules()
  if (!one || !two) throw new Error('two default rules are needed for this test')
  await d.delete(rules).where(inArray(rules.defaultKey, [one.key, two.key]))
  await d.delete(defaultRuleKeys).where(inArray(defaultRuleKeys.key, [one.key, two.key]))
  t.equal(await seedDefaultRules(d, systemClock), 2)

  const seeded = await d.select().from(moderationLog).where(eq(moderationLog.action, 'rule.seeded'))
  t.equal(seeded.length, 2)
  const added = await d.select().from(rules).where(inArray(rules.defaultKey, [one.key, two.key]))
  t.same(new Set(seeded.map((line) => line.targetId)), new Set(added.map((rule) => rule.id)), 'one line for each added rule')
  for (const line of seeded) {
    t.match(line, { actorId: null, targetType: 'rule', details: { defaultKey: /./, pattern: /./ } })
    t.ok(line.reason === one.why || line.reason === two.why, 'the reason is why the rule ships')
  }
  await seedDefaultRules(d, systemClock)
  t.equal((await d.select().from(moderationLog).where(eq(moderationLog.action, 'rule.seeded'))).length, 2, 'a second start adds nothing')
})

t.test('the shipped `s*icide` rule, which glued `*` to a word, is replaced by one that matches the same texts', async (t) => {
  const db = await createTestDatabase()
  t.teardown(() => db.drop())
  const d = db.database.db
  t.match(validatePattern('s*icide'), /stands alone/, 'such a pattern is refused on the way in')
  // A database seeded by the release that shipped it, the copy unedited.
  const shipped = new Date('2026-11-01T00:00:00Z')
  await d.delete(rules).where(eq(rules.defaultKey, 's-icide-split'))
  await d.delete(defaultRuleKeys).where(eq(defaultRuleKeys.key, 's-icide-split'))
  const old = { id: uuidv7(), pattern: 's*icide', category: 'crisis' as const, action: 'escalate' as const, publicReason: 'x', enabled: true, defaultKey: 's-icide', createdAt: shipped, updatedAt: shipped }
  await d.insert(rules).values(old)
  await seedDefaultRules(d, systemClock)
  t.same(await d.select().from(rules).where(eq(rules.id, old.id)), [], 'the old copy is gone')
  const [replacement] = await d.select().from(rules).where(eq(rules.defaultKey, 's-icide-split'))
  t.equal(replacement?.pattern, 's icide')
  const compiled = compileRules([{ id: 'new', pattern: replacement!.pattern, category: 'crisis', action: 'escalate' }])
  const legacy = compileRules([{ id: 'old', pattern: 's*icide', category: 'crisis', action: 'escalate' }])
  for (const text of ['thinking about s*icide again', 'thinking about s.icide', 'suicide', 's icide']) {
    t.same(
      compiled.scan(text).map((m) => [m.start, m.end]),
      legacy.scan(text).map((m) => [m.start, m.end]),
      `the same matches in "${text}"`
    )
  }
})
