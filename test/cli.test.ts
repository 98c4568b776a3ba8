import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { type AddressInfo, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import t from 'tap'
import { openDatabase } from '../src/db/client.js'
import { accounts } from '../src/db/schema.js'
import { runEntry } from './helpers/server.js'

function run(args: string[], env: Record<string, string>, stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { env: { ...process.env, DATABASE_URL: '', ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(stdin)
  })
}

t.test('create-admin reads the password from stdin, then promotes on a second run', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'lantern-cli-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const created = await run(['src/cli.ts', 'create-admin', '--handle', 'night-owl'], { DATA_DIR: dataDir }, 'an admin password\n')
  t.equal(created.code, 0, created.stderr)
  t.match(created.stdout, /Created admin night-owl/)
  t.notMatch(created.stdout + created.stderr, /an admin password/, 'the password is not echoed')
  const again = await run(['src/cli.ts', 'create-admin', '--handle', 'night-owl'], { DATA_DIR: dataDir }, 'another admin password\n')
  t.equal(again.code, 0, again.stderr)
  t.match(again.stdout, /Promoted admin night-owl/)

  const database = await openDatabase({ dataDir })
  t.teardown(() => database.close())
  const rows = await database.db.select().from(accounts)
  t.equal(rows.length, 1)
  t.equal(rows[0]?.role, 'admin')
})

t.test('create-admin refuses a short password and a missing handle', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'lantern-cli-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const short = await run(['src/cli.ts', 'create-admin', '--handle', 'night-owl'], { DATA_DIR: dataDir }, 'short\n')
  t.equal(short.code, 1)
  t.match(short.stderr, /10 to 256/)
  const missing = await run(['src/cli.ts', 'create-admin'], { DATA_DIR: dataDir })
  t.equal(missing.code, 1)
  t.match(missing.stderr, /--handle/)
})

t.test('the server refuses to start on bad configuration, naming the variable', async (t) => {
  const result = await run(['src/server.ts'], { PORT: 'eighty' })
  t.equal(result.code, 78)
  t.match(result.stderr, /PORT/)
})

t.test('the server starts on the embedded database and stops cleanly on SIGTERM', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'lantern-server-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, DATABASE_URL: '', DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' }
  })
  let output = ''
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start: ${output}`)), 60_000)
    child.stdout.on('data', (d) => {
      output += d
      const match = /listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(output)
      if (match && /Lantern is ready/.test(output)) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    })
  })
  const ready = await fetch(`http://127.0.0.1:${port}/readyz`)
  t.equal(ready.status, 200)
  const boards = (await (await fetch(`http://127.0.0.1:${port}/api/v1/boards`)).json()) as { boards: unknown[] }
  t.equal(boards.boards.length, 3, 'the seeded boards exist after the first start')
  const exit = new Promise<number | null>((resolve) => child.on('close', resolve))
  child.kill('SIGTERM')
  t.equal(await exit, 0, 'exits 0 after closing')
  t.match(output, /shutting down/)
})

t.test('create-admin and db:migrate stop on bad configuration with 78, before asking for a password', async (t) => {
  const cli = await runEntry(['src/cli.ts', 'create-admin', '--handle', 'night-owl'], { PORT: 'eighty' }, 'an admin password\n')
  t.equal(cli.code, 78, cli.stderr)
  t.match(cli.stderr, /PORT/)
  t.notMatch(cli.stdout, /Password/)
  const migrate = await runEntry(['src/db/migrate-cli.ts'], { PORT: 'eighty' })
  t.equal(migrate.code, 78, migrate.stderr)
  t.match(migrate.stderr, /PORT/)
  t.notMatch(migrate.stderr, /at loadConfig|\n\s+at /, 'a message, not a stack')
})

t.test('the server stops with 78, naming the variable, on a HOST or a crisis resources file it cannot use, before opening the database', async (t) => {
  const dataDir = join(await mkdtemp(join(tmpdir(), 'lantern-server-')), 'data')
  t.teardown(() => rm(dirname(dataDir), { recursive: true, force: true }))
  const cases: Array<[string, Record<string, string>]> = [
    ['HOST', { HOST: 'not a host!' }],
    ['CRISIS_RESOURCES_FILE', { CRISIS_RESOURCES_FILE: join(dataDir, 'nowhere.json') }]
  ]
  for (const [name, env] of cases) {
    const result = await runEntry(['src/server.ts'], { DATA_DIR: dataDir, ...env })
    t.equal(result.code, 78, `${name}: ${result.stderr}`)
    t.match(result.stderr, new RegExp(`Lantern cannot start: .*${name}`))
    t.notMatch(result.stderr, /\n\s+at /, 'a message, not a stack')
    t.notOk(existsSync(dataDir), 'the database was not opened (nor migrated)')
  }
})

t.test('the server stops with 78, naming HOST and PORT, when it cannot listen there', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'lantern-server-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const taken = createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => taken.close(() => resolve())))
  const port = String((taken.address() as AddressInfo).port)
  const result = await runEntry(['src/server.ts'], { DATA_DIR: dataDir, PORT: port })
  t.equal(result.code, 78, result.stderr)
  t.match(result.stderr, `Lantern cannot start: HOST 127.0.0.1, PORT ${port}: the port is in use`)
  t.notMatch(result.stderr, /\n\s+at /, 'a message, not a stack')
  t.notOk(existsSync(join(dataDir, 'lantern.lock')), 'the database was closed')
})
