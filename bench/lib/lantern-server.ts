/**
 * Child process: Lantern itself (buildApp, production code path) on 127.0.0.1, on the bench database.
 * Env: BENCH_DB_URL (PostgreSQL) or BENCH_DB_DIR (PGlite folder). Announces `{type: 'ready', port}`.
 * Requests: `memory` (after a full GC; run with --expose-gc), `heapSnapshot {file}` and `stop`.
 */
import { queriesSent } from './count-queries.js'
import { buildApp } from '../../src/app.js'
import { openDatabase } from '../../src/db/client.js'
import { benchConfig } from './config.js'
import { writeHeapSnapshot } from 'node:v8'
import { announce, type Message, measureMemory, serve } from './proc.js'

const url = process.env.BENCH_DB_URL || null
const database = await openDatabase(url ? { url } : { dataDir: process.env.BENCH_DB_DIR ?? null })
const app = await buildApp({ config: benchConfig(), database })
const address = await app.listen({ host: '127.0.0.1', port: 0 })

serve(
  {
    cpu: () => ({ ...process.cpuUsage(), queries: queriesSent() }),
    memory: () => ({ ...measureMemory(), sockets: app.liveHub.connectedClients }),
    // For investigating memory per socket: a heap snapshot after a full GC.
    heapSnapshot: (message: Message) => {
      measureMemory()
      return writeHeapSnapshot(String(message.file))
    }
  },
  async () => {
    await app.close()
    await database.close()
  }
)
announce({ type: 'ready', port: Number(new URL(address).port) })
