// `npm run db:migrate`: applies the migrations to the configured database without starting the server.
import { loadConfig } from '../config.js'
import { openDatabase } from './client.js'

const config = loadConfig()
const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir })
try {
  await database.migrate()
  const status = await database.migrationStatus()
  console.log(`migrations applied: ${status.applied} of ${status.shipped} (${database.kind})`)
} finally {
  await database.close()
}
