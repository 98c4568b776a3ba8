import { and, asc, eq, inArray, sql } from 'drizzle-orm'
import { v7 as uuidv7 } from 'uuid'
import type { AccountRow } from '../accounts/model.js'
import type { Clock } from '../clock.js'
import type { Db } from '../db/client.js'
import { defaultRuleKeys, ruleSet, rules } from '../db/schema.js'
import { invalid, notFound } from '../errors.js'
import { decodeCursor, page } from '../forum/cursor.js'
import { type CompiledRules, compileRulesInSlices, loadDefaultRules, loadRetiredDefaultRules, validatePattern } from './flagging/index.js'
import { recordAction } from './log.js'

export type RuleRow = typeof rules.$inferSelect

export interface RuleView {
  id: string
  pattern: string
  category: RuleRow['category']
  action: RuleRow['action']
  publicReason: string | null
  enabled: boolean
  createdAt: string
  updatedAt: string
  defaultKey: string | null
}

export const ruleView = (r: RuleRow): RuleView => ({
  id: r.id,
  pattern: r.pattern,
  category: r.category,
  action: r.action,
  publicReason: r.publicReason,
  enabled: r.enabled,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  defaultKey: r.defaultKey
})

export interface CompiledRuleBook {
  revision: number
  compiled: CompiledRules
  byId: Map<string, RuleRow>
}

/**
 * The enabled rules, compiled once per change. Each scan first asks the database for the rule-set
 * revision (one indexed single-row read); when another instance changed a rule, this one recompiles,
 * so a rule change takes effect for the next post everywhere without a restart.
 *
 * The next post waits for that compile: it is screened with rules at least as new as the revision it read,
 * never with the older set (a new crisis rule must apply to it, a rule just disabled must not). What it
 * costs is latency for the posts that arrive during the compile, not the instance: the compile runs in
 * slices of a few milliseconds (compileRulesInSlices), so other requests, sockets and timers go on meanwhile,
 * where the shipped set compiled in one piece held the event loop for about a second. One compile runs at a
 * time; revisions read while it runs are compiled once after it, as the newest of them, so a burst of
 * changes costs two compiles, not one each. The instance that made a change starts the compile at once
 * (refresh), so its next post usually finds it done.
 */
export class RuleBook {
  private current: CompiledRuleBook | null = null
  /** The newest revision a caller has read: what the next compile is for. */
  private wanted = -1
  private compiling: Promise<void> | null = null
  private readonly waiting: Array<{ revision: number; resolve(book: CompiledRuleBook): void; reject(error: unknown): void }> = []

  /** `knownRevision`: the caller already read the revision in one of its own queries (one round trip less). */
  async get(db: Db, knownRevision?: number): Promise<CompiledRuleBook> {
    const revision = knownRevision ?? (await currentRevision(db))
    // Revisions only rise: rules compiled at this revision or a later one are current for this caller.
    if (this.current && this.current.revision >= revision) return this.current
    if (revision > this.wanted) this.wanted = revision
    const ready = new Promise<CompiledRuleBook>((resolve, reject) => this.waiting.push({ revision, resolve, reject }))
    this.compiling ??= this.compileNewest(db)
    return ready
  }

  /**
   * Starts compiling the current revision without waiting for it, after a rule change made here. A failure
   * is left to the next caller of get, whose own compile then reports it.
   */
  refresh(db: Db): void {
    this.get(db).catch(() => {})
  }

  /** Compiles the newest wanted revision until none newer is wanted, answering each caller once rules at least as new as theirs are ready. */
  private async compileNewest(db: Db): Promise<void> {
    try {
      while (!this.current || this.current.revision < this.wanted) {
        const revision = this.wanted
        let book: CompiledRuleBook
        try {
          book = await this.load(db, revision)
        } catch (error) {
          for (const caller of this.waiting.splice(0)) caller.reject(error)
          return
        }
        // An older load finishing after a newer one must not put its rules back.
        if (!this.current || this.current.revision < book.revision) this.current = book
        const current = this.current
        const later: typeof this.waiting = []
        for (const caller of this.waiting.splice(0)) {
          if (caller.revision <= current.revision) caller.resolve(current)
          else later.push(caller)
        }
        this.waiting.push(...later)
      }
    } finally {
      this.compiling = null
    }
  }

  /** The rules as they are now, which is at least `revision` since a caller read that before this began. */
  private async load(db: Db, revision: number): Promise<CompiledRuleBook> {
    const enabled = await db.select().from(rules).where(eq(rules.enabled, true))
    // Patterns are validated on the way in; one that a newer engine refuses is skipped, not fatal (checked by the
    // compile as it reads each, in its slices: checking them all first held the event loop for ~50 ms).
    const compiled = await compileRulesInSlices(
      enabled.map((r) => ({ id: r.id, pattern: r.pattern, category: r.category, action: r.action })),
      { skipInvalid: true }
    )
    return { revision, compiled, byId: new Map(enabled.map((r) => [r.id, r])) }
  }
}

async function currentRevision(db: Db): Promise<number> {
  const [row] = await db.select({ revision: ruleSet.revision }).from(ruleSet).where(eq(ruleSet.id, 1))
  return row?.revision ?? 0
}

/** The rule-set revision as a subquery, for a caller to read along with its own row. */
export const ruleRevisionOf = sql<number>`(select ${ruleSet.revision} from ${ruleSet} where ${ruleSet.id} = 1)`

async function bumpRevision(tx: Db) {
  await tx.update(ruleSet).set({ revision: sql`${ruleSet.revision} + 1` }).where(eq(ruleSet.id, 1))
}

/**
 * Seeds the shipped default rules that this database has never seen, and takes out the retired ones it still
 * holds as shipped. A default rule an admin deleted stays deleted; a later version of the file adds only its
 * new keys, each with a `rule.seeded` line in the moderation log (the first seeding, which installs the set,
 * logs none: it changes no rule anyone had); a retired rule staff edited is theirs and stays.
 */
export async function seedDefaultRules(db: Db, clock: Clock): Promise<number> {
  const defaults = loadDefaultRules()
  return db.transaction(async (tx) => {
    const now = clock.now()
    const retiredCount = await retireDefaultRules(tx, now)
    const [seededBefore] = await tx.select({ key: defaultRuleKeys.key }).from(defaultRuleKeys).limit(1)
    const fresh = await tx
      .insert(defaultRuleKeys)
      .values(defaults.map((d) => ({ key: d.key, seededAt: now })))
      .onConflictDoNothing()
      .returning({ key: defaultRuleKeys.key })
    if (fresh.length === 0) {
      if (retiredCount > 0) await bumpRevision(tx)
      return 0
    }
    const keys = new Set(fresh.map((f) => f.key))
    const added = defaults.filter((d) => keys.has(d.key))
    const inserted = await tx
      .insert(rules)
      .values(
        added.map((d) => ({
          id: uuidv7(),
          pattern: d.pattern,
          category: d.category,
          action: d.action,
          publicReason: d.publicReason,
          enabled: true,
          defaultKey: d.key,
          createdAt: now,
          updatedAt: now
        }))
      )
      .returning()
    if (seededBefore !== undefined) {
      const why = new Map(added.map((d) => [d.key, d.why]))
      await logShippedRules(tx, now, 'rule.seeded', inserted, (row) => why.get(row.defaultKey!) ?? null)
    }
    await bumpRevision(tx)
    return fresh.length
  })
}

/**
 * Deletes the retired shipped rules still as they shipped (never edited), each with a line in the moderation log:
 * only those this call deleted, so that two instances starting at once do not both log one rule's retirement.
 */
async function retireDefaultRules(tx: Db, now: Date): Promise<number> {
  const retired = new Map(loadRetiredDefaultRules().map((r) => [r.key, r]))
  if (retired.size === 0) return 0
  const candidates = await tx
    .select()
    .from(rules)
    .where(and(inArray(rules.defaultKey, [...retired.keys()]), eq(rules.updatedAt, rules.createdAt)))
  const unedited = candidates.filter((row) => row.defaultKey !== null && retired.get(row.defaultKey)?.pattern === row.pattern)
  if (unedited.length === 0) return 0
  // Still unedited when the row lock is had: staff may have changed one meanwhile.
  const deleted = await tx
    .delete(rules)
    .where(and(inArray(rules.id, unedited.map((row) => row.id)), eq(rules.updatedAt, rules.createdAt)))
    .returning()
  await logShippedRules(tx, now, 'rule.retired', deleted, (row) => retired.get(row.defaultKey!)?.why ?? null)
  return deleted.length
}

/** A line per shipped rule a release added or took out: no one acted, and the reason is why it ships or went. */
async function logShippedRules(tx: Db, now: Date, action: 'rule.seeded' | 'rule.retired', rows: RuleRow[], why: (row: RuleRow) => string | null) {
  for (const row of rows) {
    await recordAction(tx, now, { actor: null, action, targetType: 'rule', targetId: row.id, reason: why(row), details: ruleView(row) })
  }
}

/** For a rule being written: the pattern as the syntax now stands (a stored one may keep an older reading). */
function checkPattern(pattern: string) {
  const problem = validatePattern(pattern)
  if (problem) throw invalid(`That pattern cannot be used: ${problem}`, { field: 'pattern', reason: problem })
}

export interface RuleFilter {
  limit: number
  cursor?: string | undefined
  category?: RuleRow['category'] | undefined
  action?: RuleRow['action'] | undefined
  enabled?: boolean | undefined
}

export async function listRules(db: Db, filter: RuleFilter) {
  const after = decodeCursor(filter.cursor)
  const rows = await db
    .select()
    .from(rules)
    .where(
      and(
        filter.category ? eq(rules.category, filter.category) : undefined,
        filter.action ? eq(rules.action, filter.action) : undefined,
        filter.enabled === undefined ? undefined : eq(rules.enabled, filter.enabled),
        after ? sql`(${rules.createdAt}, ${rules.id}) > (${after.at.toISOString()}::timestamptz, ${after.id}::uuid)` : undefined
      )
    )
    .orderBy(asc(rules.createdAt), asc(rules.id))
    .limit(filter.limit + 1)
  const { items, nextCursor } = page(rows, filter.limit, (r) => ({ at: r.createdAt, id: r.id }))
  return { rules: items.map(ruleView), nextCursor }
}

export interface NewRule {
  pattern: string
  category: RuleRow['category']
  action: RuleRow['action']
  publicReason?: string | null | undefined
  enabled?: boolean | undefined
}

export async function createRule(db: Db, clock: Clock, actor: AccountRow, input: NewRule) {
  checkPattern(input.pattern)
  return db.transaction(async (tx) => {
    const now = clock.now()
    const [rule] = await tx
      .insert(rules)
      .values({
        id: uuidv7(),
        pattern: input.pattern.trim(),
        category: input.category,
        action: input.action,
        publicReason: input.publicReason ?? null,
        enabled: input.enabled ?? true,
        createdAt: now,
        updatedAt: now
      })
      .returning()
    await bumpRevision(tx)
    await recordAction(tx, now, {
      actor,
      action: 'rule.created',
      targetType: 'rule',
      targetId: rule!.id,
      details: { pattern: rule!.pattern, category: rule!.category, action: rule!.action, enabled: rule!.enabled }
    })
    return ruleView(rule!)
  })
}

export type RuleChange = Partial<NewRule>

export async function updateRule(db: Db, clock: Clock, actor: AccountRow, id: string, change: RuleChange) {
  if (change.pattern !== undefined) checkPattern(change.pattern)
  return db.transaction(async (tx) => {
    const now = clock.now()
    const [before] = await tx.select().from(rules).where(eq(rules.id, id)).for('update')
    if (!before) throw notFound('That rule')
    // A change to what the rule already is changes nothing: no new revision (every instance would recompile
    // for it), no line in the log, and a shipped rule stays unedited.
    if (changesNothing(before, change)) return ruleView(before)
    const [rule] = await tx
      .update(rules)
      .set({
        ...(change.pattern !== undefined ? { pattern: change.pattern.trim() } : {}),
        ...(change.category !== undefined ? { category: change.category } : {}),
        ...(change.action !== undefined ? { action: change.action } : {}),
        ...(change.publicReason !== undefined ? { publicReason: change.publicReason } : {}),
        ...(change.enabled !== undefined ? { enabled: change.enabled } : {}),
        updatedAt: now
      })
      .where(eq(rules.id, id))
      .returning()
    await bumpRevision(tx)
    await recordAction(tx, now, {
      actor,
      action: 'rule.updated',
      targetType: 'rule',
      targetId: id,
      details: { before: ruleView(before), after: ruleView(rule!) }
    })
    return ruleView(rule!)
  })
}

function changesNothing(rule: RuleRow, change: RuleChange): boolean {
  return (
    (change.pattern === undefined || change.pattern.trim() === rule.pattern) &&
    (change.category === undefined || change.category === rule.category) &&
    (change.action === undefined || change.action === rule.action) &&
    (change.publicReason === undefined || change.publicReason === rule.publicReason) &&
    (change.enabled === undefined || change.enabled === rule.enabled)
  )
}

export async function deleteRule(db: Db, clock: Clock, actor: AccountRow, id: string) {
  await db.transaction(async (tx) => {
    const now = clock.now()
    const [gone] = await tx.delete(rules).where(eq(rules.id, id)).returning()
    if (!gone) throw notFound('That rule')
    await bumpRevision(tx)
    await recordAction(tx, now, { actor, action: 'rule.deleted', targetType: 'rule', targetId: id, details: ruleView(gone) })
  })
}

/** Dry run: what the current rules (and the built-in detectors) find in a text, with offsets into it. */
export async function testRules(db: Db, book: RuleBook, text: string, models: { detectCrisis: boolean; detectSourcing: boolean }) {
  const { compiled } = await book.get(db)
  return {
    matches: compiled.scan(text, { detectLinks: true, ...models }).map((m) => ({
      ruleId: m.ruleId,
      category: m.category,
      action: m.action,
      start: m.start,
      end: m.end,
      excerpt: m.excerpt,
      ...(m.detector ? { detector: m.detector } : {}),
      ...(m.score !== undefined ? { score: m.score } : {})
    }))
  }
}
