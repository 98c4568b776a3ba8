/**
 * Which database the bench runs on, and a fresh one per run: DATABASE_URL, else TEST_DATABASE_URL, else the
 * local PostgreSQL at 127.0.0.1:5432 if it answers, else embedded PGlite persisted in a temporary folder (so
 * the Lantern server and the floor, each in its own process, open the same data one after the other).
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

export interface BenchDatabase {
  kind: 'postgres' | 'pglite'
  /** Where the choice came from, for the report. */
  source: string
  /** postgres:// URL of the fresh database (postgres), or null. */
  url: string | null
  /** PGlite data folder (pglite), or null. */
  dataDir: string | null
  drop(): Promise<void>
}

const LOCAL = 'postgres://postgres@127.0.0.1:5432/postgres'

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('select 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

export async function createBenchDatabase(): Promise<BenchDatabase> {
  const fromEnv = process.env.DATABASE_URL?.trim()
    ? { url: process.env.DATABASE_URL.trim(), source: 'DATABASE_URL' }
    : process.env.TEST_DATABASE_URL?.trim()
      ? { url: process.env.TEST_DATABASE_URL.trim(), source: 'TEST_DATABASE_URL' }
      : null
  const candidate = fromEnv ?? ((await reachable(LOCAL)) ? { url: LOCAL, source: 'local 127.0.0.1:5432' } : null)
  if (!candidate) {
    const dataDir = mkdtempSync(join(tmpdir(), 'lantern-bench-'))
    return {
      kind: 'pglite',
      source: 'embedded PGlite (no PostgreSQL reachable)',
      url: null,
      dataDir,
      async drop() {
        rmSync(dataDir, { recursive: true, force: true })
      }
    }
  }
  const name = `lantern_bench_${randomBytes(5).toString('hex')}`
  const admin = new pg.Client({ connectionString: candidate.url })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(candidate.url)
  url.pathname = `/${name}`
  return {
    kind: 'postgres',
    source: `${candidate.source} (fresh database ${name})`,
    url: url.toString(),
    dataDir: null,
    async drop() {
      const cleanup = new pg.Client({ connectionString: candidate.url })
      await cleanup.connect()
      await cleanup.query(`drop database if exists ${name} with (force)`)
      await cleanup.end()
    }
  }
}
