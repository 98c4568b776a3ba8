import { eq } from 'drizzle-orm'
import type { Db } from '../../src/db/client.js'
import { accounts } from '../../src/db/schema.js'
import { RuleBook } from '../../src/moderation/rules.js'
import type { TestAccount, TestApp } from './app.js'

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
