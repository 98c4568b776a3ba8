// The only side-effecting entry point: reads configuration, opens and migrates the database, listens,
// and shuts down gracefully on SIGTERM/SIGINT.
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'
import { systemClock } from './clock.js'
import { openDatabase } from './db/client.js'
import { prepareDatabase } from './db/prepare.js'

async function main() {
  let config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Lantern cannot start: bad configuration: ${error.message}`)
      process.exit(78)
    }
    throw error
  }

  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, timeouts: config.database })
  await prepareDatabase(database, systemClock)
  const app = await buildApp({ config, database })

  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down: finishing in-flight requests')
    // Fastify stops accepting connections and waits for in-flight requests before resolving.
    const force = setTimeout(() => {
      app.log.error('shutdown took longer than 10 s; exiting')
      process.exit(1)
    }, 10_000)
    force.unref()
    try {
      await app.close()
      await database.close()
      process.exit(0)
    } catch (error) {
      app.log.error({ err: error }, 'error during shutdown')
      process.exit(1)
    }
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))

  await app.listen({ port: config.port, host: config.host })
  app.log.info(
    { database: database.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL' },
    'Lantern is ready'
  )
}

main().catch((error: unknown) => {
  console.error('Lantern failed to start:', error)
  process.exit(1)
})
