// The only side-effecting entry point: reads configuration, opens and migrates the database, listens,
// and shuts down gracefully on SIGTERM/SIGINT.
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'
import { systemClock } from './clock.js'
import { openDatabase } from './db/client.js'
import { DataDirInUseError } from './db/data-dir-lock.js'
import { prepareDatabase } from './db/prepare.js'

/** sysexits.h's EX_CONFIG: what a process manager can tell from a crash (1), and need not restart in a loop. */
const EXIT_CONFIG = 78
/** How long a graceful shutdown may take before the process exits anyway (within docker stop's 10 s). */
const SHUTDOWN_LIMIT_MS = 8000

/** Configuration the server cannot start with, DATA_DIR held by another process included: one line, exit 78. */
function stopOnConfigError(error: unknown): void {
  if (!(error instanceof ConfigError)) return
  console.error(`Lantern cannot start: ${error instanceof DataDirInUseError ? '' : 'bad configuration: '}${error.message}`)
  process.exit(EXIT_CONFIG)
}

/** What listen fails with on a HOST or PORT it cannot have: the operator's to change, named as such. */
const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the port is in use by another process',
  EADDRNOTAVAIL: 'HOST is not an address of this machine',
  EACCES: 'this user may not listen on that port',
  ENOTFOUND: 'HOST is not a name this machine can resolve'
}

async function main() {
  let config
  let database
  try {
    config = loadConfig()
    database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, timeouts: config.database })
  } catch (error) {
    stopOnConfigError(error)
    throw error
  }
  await prepareDatabase(database, systemClock)
  const app = await buildApp({ config, database })

  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) {
      // The operator asked twice: whatever is still in flight is given up. Committed writes are kept either way.
      app.log.warn({ signal }, 'second signal: exiting now, without waiting for what is in flight')
      process.exit(1)
    }
    closing = true
    app.log.info({ signal }, 'shutting down: finishing in-flight requests')
    const force = setTimeout(() => {
      app.log.error(`shutdown took longer than ${SHUTDOWN_LIMIT_MS / 1000} s; exiting`)
      process.exit(1)
    }, SHUTDOWN_LIMIT_MS)
    force.unref()
    try {
      // Stops accepting, lets what is in flight finish, lets connections and live sockets go (src/app.ts).
      await app.close()
      // Last: nothing is left that could still use it.
      await database.close()
      app.log.info('stopped; database closed')
      process.exit(0)
    } catch (error) {
      app.log.error({ err: error }, 'error during shutdown')
      process.exit(1)
    }
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))

  try {
    await app.listen({ port: config.port, host: config.host })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? ''
    if (!LISTEN_ERRORS[code]) throw error
    console.error(`Lantern cannot start: HOST ${config.host}, PORT ${config.port}: ${LISTEN_ERRORS[code]} (${code})`)
    await app.close().catch(() => {})
    await database.close().catch(() => {})
    process.exit(EXIT_CONFIG)
  }
  app.log.info(
    { database: database.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL' },
    'Lantern is ready'
  )
}

main().catch((error: unknown) => {
  console.error('Lantern failed to start:', error)
  process.exit(1)
})
