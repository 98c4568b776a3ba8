import { eq } from 'drizzle-orm'
import type { Db } from '../../src/db/client.js'
import { accounts } from '../../src/db/schema.js'
import { RuleBook } from '../../src/moderation/rules.js'
import type { TestAccount, TestApp } from './app.js'
import type { TestDatabase } from './database.js'

/**
 * Deps for calling a write's domain function directly, with `meanwhile` run once when its screening first reads
 * the rule book: after the write read what it needed (its session, the post) and before its transaction. Races
 * with a moderator's decision or an account's deletion land there, the same way on both databases.
 */
export async function writerWhile(h: TestApp, writer: TestAccount, meanwhile: () => Promise<void>) {
  class SomethingWhileScreening extends RuleBook {
    pending: (() => Promise<void>) | null = meanwhile
    override async get(db: Db, knownRevision?: number) {
      const run = this.pending
      this.pending = null
      if (run) await run()
      return super.get(db, knownRevision)
    }
  }
  const deps = { db: h.db.database.db, clock: h.clock, config: h.config, rules: new SomethingWhileScreening(), crisisResources: [] }
  // The account as the session check read it, before whatever happens meanwhile.
  const [row] = await deps.db.select().from(accounts).where(eq(accounts.id, writer.id))
  if (!row) throw new Error('no account')
  return { deps, row }
}

/**
 * The test database, with `before.run` run once just before the first statement inserting into `table` is sent (and
 * then cleared): a race with another request (an account's deletion from another device) lands exactly there.
 */
export function beforeInsertInto(real: TestDatabase, table: unknown, before: { run: (() => Promise<void>) | null }): TestDatabase {
  const wrap = (builder: object): object =>
    new Proxy(builder, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown
        if (typeof value !== 'function') return value
        if (prop === 'then') {
          return async (ok: (v: unknown) => unknown, ko: (e: unknown) => unknown) => {
            const run = before.run
            before.run = null
            if (run) await run()
            return (target as unknown as Promise<unknown>).then(ok, ko)
          }
        }
        return (...args: unknown[]) => {
          const result = (value as (...a: unknown[]) => unknown).apply(target, args)
          return result && typeof result === 'object' ? wrap(result) : result
        }
      }
    })
  const db = new Proxy(real.database.db, {
    get(target, prop) {
      if (prop === 'insert') {
        return (into: unknown) => {
          const builder = (target.insert as (t: unknown) => object)(into)
          return into === table ? wrap(builder) : builder
        }
      }
      const value = Reflect.get(target, prop, target) as unknown
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    }
  })
  const database = new Proxy(real.database, { get: (target, prop) => (prop === 'db' ? db : Reflect.get(target, prop, target)) })
  return { ...real, database }
}
