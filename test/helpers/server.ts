import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { systemClock } from '../../src/clock.js'
import { type Database, openDatabase } from '../../src/db/client.js'
import { prepareDatabase } from '../../src/db/prepare.js'
import { createTestDatabase, testDatabaseUrl } from './database.js'

/** What a child process was started with: everything but the database comes from here, never the caller's shell. */
const BASE_ENV = { DATABASE_URL: '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', MAX_EVENT_LOOP_DELAY_MS: '0', NEW_ACCOUNT_HOLD_POSTS: '0' }

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface ServerProcess {
  child: ChildProcess
  base: string
  port: number
  output(): string
  exited: Promise<Exit>
}

/** Starts a process that runs the server (by default `node --import tsx src/server.ts`) and waits until it is ready. */
export async function startServer(t: Test, env: Record<string, string>, command: [string, string[]] = [process.execPath, ['--import', 'tsx', 'src/server.ts']]): Promise<ServerProcess> {
  // Its own process group: a test that checks what a signal to one process does may leave others behind, and the
  // teardown ends the whole group (only processes this test started).
  const child = spawn(command[0], command[1], { env: { ...process.env, ...BASE_ENV, ...env }, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
  const exited = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  t.teardown(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL')
    } catch {
      // already gone
    }
  })
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${output}`)), 90_000)
    const check = () => {
      const match = /listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(output)
      if (match && output.includes('Lantern is ready')) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    }
    child.stdout!.on('data', check)
    void exited.then(() => {
      clearTimeout(timer)
      reject(new Error(`the server exited before it was ready: ${output}`))
    })
  })
  return { child, base: `http://127.0.0.1:${port}`, port, output: () => output, exited }
}

/**
 * Runs one of the entry points (`src/cli.ts`, `src/db/migrate-cli.ts`, `src/server.ts`) to its end; one still running
 * after `timeoutMs` is killed (code null), so that a hang fails the test instead of stalling the run.
 */
export function runEntry(args: string[], env: Record<string, string>, stdin = '', timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { env: { ...process.env, ...BASE_ENV, ...env } })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.on('error', () => {})
    child.stdin.end(stdin)
  })
}

export interface ChildDatabase {
  /** The variables that point a child process at this database. */
  env: Record<string, string>
  /** The embedded database's folder, or null on real PostgreSQL. */
  dataDir: string | null
  /**
   * Opens the database in this process. On the embedded database only one process may have it open at a time, so
   * a test opens it between the child processes, and closes it before starting the next.
   */
  open(): Promise<Database>
}

/**
 * A fresh database for child processes: one on TEST_DATABASE_URL's server when set, otherwise an embedded one in a
 * folder of its own (what `npm start` uses on a bare machine).
 */
export async function childDatabase(t: Test): Promise<ChildDatabase> {
  if (testDatabaseUrl) {
    const test = await createTestDatabase()
    await test.database.close()
    t.teardown(() => test.drop())
    return { env: { DATABASE_URL: test.url! }, dataDir: null, open: () => openDatabase({ url: test.url!, poolSize: 2 }) }
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'lantern-child-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  return {
    env: { DATA_DIR: dataDir },
    dataDir,
    async open() {
      // Made here or by the first child: either way migrated, as the server would leave it.
      const database = await openDatabase({ dataDir })
      await prepareDatabase(database, systemClock)
      return database
    }
  }
}
