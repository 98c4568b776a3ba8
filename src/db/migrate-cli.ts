// `npm run db:migrate`: applies the migrations to the configured database without starting the server.
import { loadConfig } from '../config.js'
import { systemClock } from '../clock.js'
import { openDatabase } from './client.js'
import { prepareDatabase } from './prepare.js'

const config = loadConfig()
const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, timeouts: config.database })
try {
  await prepareDatabase(database, systemClock)
  const status = await database.migrationStatus()
  console.log(`migrations applied: ${status.applied} of ${status.shipped} (${database.kind})`)
} finally {
  await database.close()
}
