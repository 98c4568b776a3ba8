import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { sql, type SQL } from 'drizzle-orm'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import pg from 'pg'
import { ConfigError, type DatabaseTimeouts, databaseTimeouts } from '../config.js'
import { lockDataDir } from './data-dir-lock.js'
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
  /**
   * LISTEN on a channel. `onNotify` runs for each NOTIFY, with its payload; `onReconnect` after the listening
   * connection was lost and re-established (the caller catches up on what it may have missed). Resolves to a
   * stop function.
   */
  listen(channel: string, onNotify: (payload: string) => void, onReconnect: () => void): Promise<() => Promise<void>>
  /** NOTIFY a channel (outside any transaction). */
  notify(channel: string, payload: string): Promise<void>
}

export interface OpenDatabaseOptions {
  /** A postgres:// URL: real PostgreSQL through `pg`. */
  url?: string | null
  /** Without url: PGlite persisted in this folder; null keeps it in memory (tests). */
  dataDir?: string | null
  /** pg pool size per instance. */
  poolSize?: number
  /** Statement, lock and query timeouts; by default read from the environment (src/config.ts). */
  timeouts?: DatabaseTimeouts
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
  if (options.url) return openPostgres(options.url, options.poolSize ?? 10, options.timeouts ?? databaseTimeouts())
  return openPglite(options.dataDir ?? null)
}

/** TCP keepalive on every connection: an idle connection to a vanished host is found dead, not kept forever. */
const KEEPALIVE = { keepAlive: true, keepAliveInitialDelayMillis: 10_000 }

/** pg's error for a query the server did not answer within query_timeout. */
export const isQueryTimeout = (error: unknown) => error instanceof Error && error.message === 'Query read timeout'

/**
 * After a client-side query timeout the connection still waits for the answer (pg keeps the query as the active
 * one): anything sent on it next, a transaction's ROLLBACK included, would wait as long. Dropping the socket fails
 * what is queued at once, and the pool discards the client (not queryable) instead of handing it out again.
 * PostgreSQL rolls back the transaction of a connection that went away.
 */
function dropConnection(client: pg.PoolClient | pg.Client) {
  const stream = (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream
  stream?.destroy()
}

const isRollback = (query: unknown) => /^\s*rollback\s*$/i.test(typeof query === 'string' ? query : ((query as { text?: string } | null)?.text ?? ''))

type PooledClient = pg.PoolClient & { lanternCheckedOut?: boolean; lanternDead?: boolean; _queryable?: boolean }

/**
 * Gives a checked-out client whose connection is gone back to the pool at once, with the error, so the pool drops it
 * and frees its slot; the caller's own release later does nothing. drizzle's transaction sends BEGIN before its
 * try/finally: a BEGIN that timed out or lost its connection would otherwise never be released, and each such
 * failure would take a pool slot for good (found by the review of the timeouts: three frozen BEGINs emptied a pool
 * of three, and the process never served again).
 */
function giveBackDead(client: PooledClient, error: unknown) {
  client.lanternDead = true
  if (!client.lanternCheckedOut) return
  client.lanternCheckedOut = false
  const release = client.release
  client.release = () => {}
  release(error instanceof Error ? error : new Error('connection lost'))
}

function openPostgres(url: string, poolSize: number, timeouts: DatabaseTimeouts): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // Fail fast while the database is down, so requests answer 503 instead of hanging.
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30_000,
    // A database that stops answering (frozen host, partition, a long lock) is given up on (503), not waited for.
    ...(timeouts.statementTimeoutMs ? { statement_timeout: timeouts.statementTimeoutMs } : {}),
    ...(timeouts.lockTimeoutMs ? { lock_timeout: timeouts.lockTimeoutMs } : {}),
    ...(timeouts.queryTimeoutMs ? { query_timeout: timeouts.queryTimeoutMs } : {}),
    // A transaction left open by an instance that froze or was cut off is ended by the server, and its row locks
    // with it (a rewrite of earlier events, a thread's counters), instead of lasting until TCP keepalive notices.
    ...(timeouts.idleInTransactionTimeoutMs ? { idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs } : {}),
    ...KEEPALIVE
  })
  // A client losing its connection (database restart) must not crash the process: idle ones report through
  // the pool, checked-out ones (between two statements of a transaction) through their own 'error' event.
  // The statement in flight fails (503 to the caller) and the pool discards the dead client on release.
  pool.on('error', () => {})
  pool.on('acquire', (client) => {
    ;(client as PooledClient).lanternCheckedOut = true
  })
  pool.on('release', (_error, client) => {
    ;(client as PooledClient).lanternCheckedOut = false
  })
  pool.on('connect', (client) => {
    client.on('error', () => {})
    // pool.query releases its client with the error (the pool drops it); a checked-out client (a transaction) is
    // released without one, so a timed-out query drops its connection here.
    const query = client.query.bind(client) as (...args: unknown[]) => unknown
    ;(client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      // The ROLLBACK drizzle sends after a failed statement, on a connection already gone: PostgreSQL rolled the
      // transaction back when it went. Answered here, so the statement's own error is the one thrown (a COMMIT whose
      // answer was lost must say so: src/http/errors.ts isOutcomeUnknown), not "not queryable" from the ROLLBACK.
      if ((client as PooledClient).lanternDead && isRollback(args[0])) return Promise.resolve({ command: 'ROLLBACK', rowCount: null, rows: [], fields: [] })
      const result = query(...args)
      if (result instanceof Promise) {
        result.catch((error: unknown) => {
          if (isQueryTimeout(error)) dropConnection(client)
          if (isQueryTimeout(error) || (client as PooledClient)._queryable === false) giveBackDead(client as PooledClient, error)
        })
      }
      return result
    }
  })
  const db = drizzlePg({ client: pool, schema }) as unknown as Db
  return {
    db,
    kind: 'postgres',
    async ping() {
      await pool.query('select 1')
    },
    listen: (channel, onNotify, onReconnect) => listenPostgres(url, channel, onNotify, onReconnect, timeouts),
    async notify(channel, payload) {
      await pool.query('select pg_notify($1, $2)', [channel, payload])
    },
    async migrate() {
      // A connection of its own, without the requests' timeouts: a migration may rewrite a big table, and
      // waiting for another instance's migrations (the advisory lock) is expected. DATABASE_MIGRATION_TIMEOUT_MS
      // bounds both when set.
      const client = new pg.Client({
        connectionString: url,
        connectionTimeoutMillis: 3000,
        ...(timeouts.migrationTimeoutMs ? { statement_timeout: timeouts.migrationTimeoutMs, lock_timeout: timeouts.migrationTimeoutMs } : {}),
        ...KEEPALIVE
      })
      client.on('error', () => {})
      await client.connect()
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK])
        try {
          await migratePg(drizzlePg({ client, schema }), { migrationsFolder })
        } finally {
          await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK])
        }
      } finally {
        await client.end().catch(() => {})
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

/**
 * The embedded database. In a folder it is held for the life of the process (src/db/data-dir-lock.ts): the server,
 * `npm run cli` and `npm run db:migrate` all open it here, and a second process is refused, not let in to write over
 * the first one's files. Any failure to open it names DATA_DIR.
 */
async function openPglite(dataDir: string | null): Promise<Database> {
  const lock = dataDir ? lockDataDir(dataDir) : null
  let client: PGlite
  try {
    client = dataDir ? new PGlite(dataDir) : new PGlite()
    await client.waitReady
  } catch (error) {
    lock?.release()
    if (!dataDir) throw error
    throw new ConfigError('DATA_DIR', `${dataDir}: the embedded database cannot be opened: ${error instanceof Error ? error.message : String(error)}`)
  }
  const db = drizzlePglite({ client, schema }) as unknown as Db
  return {
    db,
    kind: 'pglite',
    // In-process: PGlite delivers NOTIFY to listeners in the same process, after the writer commits.
    async listen(channel, onNotify) {
      const stop = await client.listen(channel, (payload) => onNotify(payload))
      return async () => {
        if (!client.closed) await stop()
      }
    },
    async notify(channel, payload) {
      await client.query('select pg_notify($1, $2)', [channel, payload])
    },
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
      try {
        if (!client.closed) await client.close()
      } finally {
        // Last: the folder is free only once the database's files are closed.
        lock?.release()
      }
    }
  }
}

/** How often the LISTEN connection is asked a `select 1`, and how long it has to answer before it is taken for lost. */
const LISTEN_CHECK_MS = 10_000
const LISTEN_CHECK_TIMEOUT_MS = 5_000
/** A LISTEN connection that stayed up this long was a working one: the next loss retries from 100 ms again. */
const LISTEN_STABLE_MS = 30_000

/**
 * One dedicated connection per instance for LISTEN (a pooled one would be handed to queries). When the
 * database restarts or the connection drops, it reconnects with exponential back-off (100 ms up to 5 s)
 * and tells the caller to catch up from the outbox. A listening connection only ever receives, so one that went
 * silent (a partition behind a middlebox that keeps TCP up, a frozen backend) would look idle for good: it is
 * asked a `select 1` every LISTEN_CHECK_MS, and one that does not answer in time is dropped and replaced. The
 * back-off starts again from 100 ms only after a connection that stayed up LISTEN_STABLE_MS: one that dies at
 * once (a proxy accepting and cutting, a database refusing after authentication) is retried ever more slowly.
 */
async function listenPostgres(
  url: string,
  channel: string,
  onNotify: (payload: string) => void,
  onReconnect: () => void,
  timeouts: DatabaseTimeouts
) {
  let stopped = false
  let client: pg.Client | null = null
  let connectedAt = 0
  let check: NodeJS.Timeout | null = null
  let retry: NodeJS.Timeout | null = null
  let delay = 100

  const connect = async (isReconnect: boolean): Promise<void> => {
    // Keepalive: a LISTEN connection is idle by nature, and a partition would otherwise leave it deaf for good.
    const next = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: 3000,
      ...(timeouts.queryTimeoutMs ? { query_timeout: timeouts.queryTimeoutMs } : {}),
      ...KEEPALIVE
    })
    next.on('notification', (message) => onNotify(message.payload ?? ''))
    next.on('error', () => lost(next))
    next.on('end', () => lost(next))
    try {
      await next.connect()
      await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`)
    } catch (error) {
      // Dropped, not ended: a connection that timed out would wait as long again for the answer to its Terminate.
      dropConnection(next)
      if (!isReconnect) throw error
      schedule()
      return
    }
    if (stopped) {
      await next.end().catch(() => {})
      return
    }
    client = next
    connectedAt = Date.now()
    check = setInterval(() => checkAlive(next), LISTEN_CHECK_MS)
    check.unref()
    if (isReconnect) onReconnect()
  }

  function checkAlive(which: pg.Client) {
    const late = setTimeout(() => lost(which), LISTEN_CHECK_TIMEOUT_MS)
    late.unref()
    which.query('select 1').then(
      () => clearTimeout(late),
      () => {
        clearTimeout(late)
        lost(which)
      }
    )
  }

  function schedule() {
    if (stopped || retry) return
    retry = setTimeout(() => {
      retry = null
      void connect(true)
    }, delay)
    delay = Math.min(delay * 2, 5000)
  }

  function lost(which: pg.Client) {
    if (client !== which) return
    client = null
    if (check) clearInterval(check)
    check = null
    if (Date.now() - connectedAt >= LISTEN_STABLE_MS) delay = 100
    // Dropped, not ended: a silent connection would never answer the Terminate that end() waits for.
    dropConnection(which)
    schedule()
  }

  await connect(false)
  return async () => {
    stopped = true
    if (retry) clearTimeout(retry)
    if (check) clearInterval(check)
    const current = client
    client = null
    await current?.end().catch(() => {})
  }
}
