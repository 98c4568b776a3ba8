import { readFileSync } from 'node:fs'
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { sql, type SQL } from 'drizzle-orm'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import pg from 'pg'
import * as schema from './schema.js'

export type Schema = typeof schema
/** One type for both drivers; a transaction is also a Db, so services accept either. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>

export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url))

/** Same number for every instance: migrations run under this advisory lock, one instance at a time. */
const MIGRATION_LOCK = 0x4c414e54 // "LANT"

export interface Database {
  readonly db: Db
  readonly kind: 'postgres' | 'pglite'
  /** Resolves when the database answers a query. */
  ping(): Promise<void>
  migrate(): Promise<void>
  /** How many of the shipped migrations the database has applied, and how many ship. */
  migrationStatus(): Promise<{ applied: number; shipped: number }>
  close(): Promise<void>
  /** The pg pool (real PostgreSQL only), for LISTEN/NOTIFY. */
  readonly pool: pg.Pool | null
}

export interface OpenDatabaseOptions {
  /** A postgres:// URL: real PostgreSQL through `pg`. */
  url?: string | null
  /** Without url: PGlite persisted in this folder; null keeps it in memory (tests). */
  dataDir?: string | null
  /** pg pool size per instance. */
  poolSize?: number
}

/** Runs a raw statement on either driver and returns its rows. */
export async function rows<T>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] }
  return result.rows
}

function shippedMigrations(): number {
  const journal = JSON.parse(readFileSync(`${migrationsFolder}/meta/_journal.json`, 'utf8')) as {
    entries: unknown[]
  }
  return journal.entries.length
}

async function appliedMigrations(db: Db): Promise<number> {
  const [exists] = await rows<{ present: boolean }>(
    db,
    sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`
  )
  if (!exists?.present) return 0
  const [row] = await rows<{ n: number | string }>(db, sql`select count(*) as n from drizzle.__drizzle_migrations`)
  return Number(row?.n ?? 0)
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 10)
  return openPglite(options.dataDir ?? null)
}

function openPostgres(url: string, poolSize: number): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // Fail fast while the database is down, so requests answer 503 instead of hanging.
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30_000
  })
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', () => {})
  const db = drizzlePg({ client: pool, schema }) as unknown as Db
  return {
    db,
    kind: 'postgres',
    pool,
    async ping() {
      await pool.query('select 1')
    },
    async migrate() {
      const client = await pool.connect()
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK])
        try {
          await migratePg(drizzlePg({ client, schema }), { migrationsFolder })
        } finally {
          await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK])
        }
      } finally {
        client.release()
      }
    },
    async migrationStatus() {
      return { applied: await appliedMigrations(db), shipped: shippedMigrations() }
    },
    async close() {
      await pool.end()
    }
  }
}

async function openPglite(dataDir: string | null): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true })
  const client = dataDir ? new PGlite(dataDir) : new PGlite()
  await client.waitReady
  const db = drizzlePglite({ client, schema }) as unknown as Db
  return {
    db,
    kind: 'pglite',
    pool: null,
    async ping() {
      await client.query('select 1')
    },
    async migrate() {
      await migratePglite(drizzlePglite({ client, schema }), { migrationsFolder })
    },
    async migrationStatus() {
      return { applied: await appliedMigrations(db), shipped: shippedMigrations() }
    },
    async close() {
      if (!client.closed) await client.close()
    }
  }
}
