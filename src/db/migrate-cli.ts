// `npm run db:migrate`: applies the migrations to the configured database without starting the server.
import { ConfigError, loadConfig } from '../config.js'
import { systemClock } from '../clock.js'
import { type Database, openDatabase } from './client.js'
import { DataDirInUseError } from './data-dir-lock.js'
import { prepareDatabase } from './prepare.js'

let database: Database
try {
  const config = loadConfig()
  database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, timeouts: config.database })
} catch (error) {
  // As the server does: one line naming the variable, exit 78 (EX_CONFIG), not a stack.
  if (!(error instanceof ConfigError)) throw error
  console.error(`db:migrate cannot start: ${error instanceof DataDirInUseError ? '' : 'bad configuration: '}${error.message}`)
  process.exit(78)
}
try {
  await prepareDatabase(database, systemClock)
  const status = await database.migrationStatus()
  console.log(`migrations applied: ${status.applied} of ${status.shipped} (${database.kind})`)
} finally {
  await database.close()
}
