import type { Clock } from '../clock.js'
import { seedDefaultRules } from '../moderation/rules.js'
import type { Database } from './client.js'

/** Brings a database up to date: migrations, then the default rules it has not seen yet. */
export async function prepareDatabase(database: Database, clock: Clock): Promise<void> {
  await database.migrate()
  await seedDefaultRules(database.db, clock)
}
