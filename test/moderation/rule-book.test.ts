/**
 * The rule book compiles the enabled rules once per revision (src/moderation/rules.ts). A caller that read a newer
 * revision must scan with rules at least that new, even while a load of an older revision is still under way.
 */
import t from 'tap'
import type { Db } from '../../src/db/client.js'
import { type CompiledRuleBook, RuleBook } from '../../src/moderation/rules.js'
import { buildTestApp } from '../helpers/app.js'

t.test('a caller that knows a newer revision never waits for an older load, and an older load never replaces a newer one', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const db = h.db.database.db
  const book = new RuleBook()
  // The first load waits, after reading the rules, until released: it is the older load, still under way.
  const internals = book as unknown as { load(db: Db, revision: number): Promise<CompiledRuleBook> }
  const load = internals.load.bind(book)
  let release = () => {}
  const released = new Promise<void>((resolve) => (release = resolve))
  let loads = 0
  internals.load = async (d, revision) => {
    const result = await load(d, revision)
    if (loads++ === 0) await released
    return result
  }

  const older = book.get(db, 1_000)
  await new Promise((resolve) => setTimeout(resolve, 100))
  const added = await h.as(admin, { method: 'POST', url: '/api/v1/moderation/rules', payload: { pattern: 'purple elephant banana', category: 'sourcing', action: 'hold' } })
  t.equal(added.statusCode, 201)
  const ruleId = added.json().rule.id as string

  const newer = await book.get(db, 1_001)
  t.equal(newer.revision, 1_001)
  t.ok(newer.byId.has(ruleId), 'the newer caller scans with the rule added since the older load read the rules')
  release()
  t.equal(await older, newer, 'the older caller too gets the newer rules once its load ends')
  t.equal(await book.get(db, 1_001), newer, 'the older load finishing later does not put its rules back')
  t.equal(await book.get(db, 1_000), newer, 'and a caller of an older revision gets the newer rules')
  t.equal(loads, 2)
})
