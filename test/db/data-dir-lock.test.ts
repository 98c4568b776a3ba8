import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { ConfigError } from '../../src/config.js'
import { openDatabase } from '../../src/db/client.js'
import { runEntry, startServer } from '../helpers/server.js'

// The embedded database only: one DATA_DIR, one process. Real PostgreSQL takes any number of instances.

async function freshDataDir(t: Test) {
  const dataDir = await mkdtemp(join(tmpdir(), 'lantern-lock-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  return dataDir
}

const lockFile = (dataDir: string) => join(dataDir, 'lantern.lock')

t.test('while a server runs on a DATA_DIR, a second server, create-admin and db:migrate refuse it, naming the folder and the pid', async (t) => {
  const dataDir = await freshDataDir(t)
  const server = await startServer(t, { DATA_DIR: dataDir })
  const pid = String(server.child.pid)

  const second = await runEntry(['src/server.ts'], { DATA_DIR: dataDir })
  t.equal(second.code, 78, 'a second server stops as on bad configuration')
  t.match(second.stderr, dataDir)
  t.match(second.stderr, pid)
  t.match(second.stderr, /DATABASE_URL/)
  t.notMatch(second.stdout, /Lantern is ready/)

  const cli = await runEntry(['src/cli.ts', 'create-admin', '--handle', 'late-admin'], { DATA_DIR: dataDir }, 'an admin password\n')
  t.equal(cli.code, 78, cli.stderr)
  t.match(cli.stderr, dataDir)
  t.match(cli.stderr, pid)
  t.match(cli.stderr, /stop/i)

  const migrate = await runEntry(['src/db/migrate-cli.ts'], { DATA_DIR: dataDir })
  t.equal(migrate.code, 78, migrate.stderr)
  t.match(migrate.stderr, dataDir)
  t.match(migrate.stderr, pid)

  // The running server was not disturbed, and what it acknowledges is kept.
  const signup = await fetch(`${server.base}/api/v1/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ handle: 'still-alone', password: 'a long enough password', circle: 'recovery' })
  })
  t.equal(signup.status, 201)

  server.child.kill('SIGTERM')
  t.same(await server.exited, { code: 0, signal: null })
  t.notOk(existsSync(lockFile(dataDir)), 'the lock goes with the server')

  const after = await runEntry(['src/cli.ts', 'create-admin', '--handle', 'late-admin'], { DATA_DIR: dataDir }, 'an admin password\n')
  t.equal(after.code, 0, after.stderr)
  const database = await openDatabase({ dataDir })
  t.teardown(() => database.close())
  const handles = (await database.db.query.accounts.findMany()).map((a) => a.handle).sort()
  t.same(handles, ['late-admin', 'still-alone'], 'both writes are there, made one process at a time')
})

t.test('the lock of a process that was killed is taken over', async (t) => {
  const dataDir = await freshDataDir(t)
  const server = await startServer(t, { DATA_DIR: dataDir })
  server.child.kill('SIGKILL')
  await server.exited
  t.ok(existsSync(lockFile(dataDir)), 'SIGKILL leaves the lock behind')
  t.match(await readFile(lockFile(dataDir), 'utf8'), String(server.child.pid))

  const database = await openDatabase({ dataDir })
  t.match(await readFile(lockFile(dataDir), 'utf8'), String(process.pid), 'now held by this process')
  await database.close()
  t.notOk(existsSync(lockFile(dataDir)), 'and given back on close')
})

t.test('one process cannot open the same DATA_DIR twice at once', async (t) => {
  const dataDir = await freshDataDir(t)
  const first = await openDatabase({ dataDir })
  let error: unknown
  try {
    const second = await openDatabase({ dataDir })
    await second.close()
  } catch (e) {
    error = e
  }
  t.ok(error instanceof ConfigError, 'refused')
  t.equal((error as ConfigError).variable, 'DATA_DIR')
  t.match((error as Error).message, String(process.pid))
  await first.close()
  const again = await openDatabase({ dataDir })
  await again.close()
  t.pass('open again once closed')
})

t.test('a lock held by a live process is never taken over, whatever else the file says', async (t) => {
  const dataDir = await freshDataDir(t)
  // This test's own parent (tap's runner) is alive and is not this process.
  await writeFile(lockFile(dataDir), JSON.stringify({ pid: process.ppid, host: hostname(), since: new Date().toISOString() }))
  const refused = await runEntry(['src/db/migrate-cli.ts'], { DATA_DIR: dataDir })
  t.equal(refused.code, 78, refused.stderr)
  t.match(refused.stderr, String(process.ppid))
  t.ok(existsSync(lockFile(dataDir)), 'the holder keeps its lock')
  t.notOk(existsSync(join(dataDir, 'PG_VERSION')), 'nothing was opened')
})

t.test('a DATA_DIR that cannot be made stops start-up with exit 78, naming it', async (t) => {
  const dir = await freshDataDir(t)
  const file = join(dir, 'a-file')
  await writeFile(file, 'not a folder')
  const under = join(file, 'data')
  for (const entry of [['src/server.ts'], ['src/db/migrate-cli.ts']]) {
    const result = await runEntry(entry, { DATA_DIR: under })
    t.equal(result.code, 78, `${entry[0]}: ${result.stderr}`)
    t.match(result.stderr, `DATA_DIR`)
    t.match(result.stderr, under)
  }
  if (process.platform === 'linux') {
    // mkdir -p of a folder under /proc loops forever in Node 20's recursive mkdir; it must stop with the message.
    const proc = await runEntry(['src/server.ts'], { DATA_DIR: '/proc/lantern-data' }, '', 20_000)
    t.equal(proc.code, 78, proc.stderr)
    t.match(proc.stderr, /DATA_DIR.*\/proc\/lantern-data/)
  }
})
