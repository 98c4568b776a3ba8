/**
 * The rule book compiles the enabled rules once per revision (src/moderation/rules.ts). A caller that read a newer
 * revision must scan with rules at least that new; one compile runs at a time, and revisions read while it runs
 * are compiled once after it, as the newest; the compile does not hold the event loop.
 */
import { eq, sql } from 'drizzle-orm'
import t from 'tap'
import { v7 as uuidv7 } from 'uuid'
import type { Db } from '../../src/db/client.js'
import { rules, ruleSet } from '../../src/db/schema.js'
import { type CompiledRuleBook, RuleBook } from '../../src/moderation/rules.js'
import { buildTestApp } from '../helpers/app.js'

/** A book whose loads are counted, the first one held (after it read the rules) until released. */
function heldBook() {
  const book = new RuleBook()
  const internals = book as unknown as { load(db: Db, revision: number): Promise<CompiledRuleBook> }
  const load = internals.load.bind(book)
  let release = () => {}
  const released = new Promise<void>((resolve) => (release = resolve))
  const loads: number[] = []
  internals.load = async (d, revision) => {
    loads.push(revision)
    const result = await load(d, revision)
    if (loads.length === 1) await released
    return result
  }
  return { book, loads, release }
}

t.test('revisions read during a compile are compiled once after it, as the newest; every caller gets rules at least as new as it read', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const db = h.db.database.db
  const { book, loads, release } = heldBook()

  const older = book.get(db, 1_000)
  await new Promise((resolve) => setTimeout(resolve, 100))
  const added = await h.as(admin, { method: 'POST', url: '/api/v1/moderation/rules', payload: { pattern: 'purple elephant banana', category: 'sourcing', action: 'hold' } })
  t.equal(added.statusCode, 201)
  const ruleId = added.json().rule.id as string

  // Five changes seen while the first compile runs: they cost one more compile, not five.
  const newer = [1_001, 1_002, 1_003, 1_004, 1_005].map((revision) => book.get(db, revision))
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.same(loads, [1_000], 'nothing else starts while a compile runs')
  release()
  const books = await Promise.all(newer)
  t.same(loads, [1_000, 1_005], 'then one compile, for the newest revision')
  for (const got of books) {
    t.equal(got.revision, 1_005)
    t.ok(got.byId.has(ruleId), 'with the rule added after the first compile read the rules')
  }
  t.equal((await older).revision, 1_000, 'the first caller gets the rules it waited for')
  t.equal(await book.get(db, 1_003), books[0], 'a caller of an older revision gets the newest rules')
  t.same(loads, [1_000, 1_005])
})

t.test('compiling the shipped rules lets the event loop run', async (t) => {
  const h = await buildTestApp(t)
  const db = h.db.database.db
  const book = new RuleBook()
  // Counted, not timed (a loaded machine stretches any time): how often the loop got a turn while the compile ran.
  let turns = 0
  let compiling = true
  const turn = () => {
    if (!compiling) return
    turns++
    setImmediate(turn)
  }
  setImmediate(turn)
  const got = await book.get(db)
  compiling = false
  t.ok(got.byId.size > 1_000, 'the shipped rules')
  // In one piece the compile held the loop from start to end (a turn or two: the rules' read); in slices of a few
  // milliseconds, the loop turns between every two of them.
  t.ok(turns > 20, `the event loop turned ${turns} times during the compile`)
})

t.test('stored rules: one the engine now refuses is skipped, not fatal; one with a glued `*` keeps its old reading', async (t) => {
  const h = await buildTestApp(t)
  const db = h.db.database.db
  const letters = 'abcdefghijklmnopqrstuvwxyz'
  const words = (firsts: string) => Array.from({ length: 60 }, (_, i) => `${firsts[Math.floor(i / 26)]}${letters[i % 26]}`)
  const now = new Date()
  const stored = (pattern: string) => ({ id: uuidv7(), pattern, category: 'custom' as const, action: 'flag' as const, enabled: true, createdAt: now, updatedAt: now })
  const overBudget = stored(`{${words('abc').join('|')}} ** {${words('def').join('|')}} ** {${words('ghi').join('|')}}`)
  const glued = stored('k*ll zebra')
  await db.insert(rules).values([overBudget, glued])
  await db.update(ruleSet).set({ revision: sql`${ruleSet.revision} + 1` }).where(eq(ruleSet.id, 1))

  const book = await new RuleBook().get(db)
  t.same(book.compiled.scan('aa bb dd ee gg').filter((m) => m.ruleId === overBudget.id), [], 'the refused rule matches nothing')
  t.same(book.compiled.scan('k*ll zebra').map((m) => m.ruleId), [glued.id], 'the glued `*` read as a split, as before')
  t.ok(book.compiled.scan('i want to kill myself').some((m) => m.category === 'crisis'), 'the other rules apply')
})
