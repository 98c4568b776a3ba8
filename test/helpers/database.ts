import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { systemClock } from '../../src/clock.js'
import { type Database, openDatabase } from '../../src/db/client.js'
import { prepareDatabase } from '../../src/db/prepare.js'

/**
 * Each test file gets a database of its own: a fresh PostgreSQL database on the server named by
 * TEST_DATABASE_URL (CI), or an in-memory PGlite otherwise, so `npm test` passes on a bare machine.
 */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL?.trim() || null

export interface TestDatabase {
  database: Database
  /** The URL of the fresh database (real PostgreSQL only), for a second instance or a child process. */
  url: string | null
  drop(): Promise<void>
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (!testDatabaseUrl) {
    const database = await openDatabase({ dataDir: null })
    await prepareDatabase(database, systemClock)
    return { database, url: null, drop: () => database.close() }
  }
  const name = `lantern_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: testDatabaseUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(testDatabaseUrl)
  url.pathname = `/${name}`
  const database = await openDatabase({ url: url.toString(), poolSize: 5 })
  await prepareDatabase(database, systemClock)
  return {
    database,
    url: url.toString(),
    async drop() {
      await database.close().catch(() => {})
      const cleanup = new pg.Client({ connectionString: testDatabaseUrl })
      await cleanup.connect()
      await cleanup.query(`drop database if exists ${name} with (force)`)
      await cleanup.end()
    }
  }
}
