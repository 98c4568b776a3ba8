import { readFileSync, readdirSync } from 'node:fs'
import { sql } from 'drizzle-orm'
import pg from 'pg'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { systemClock } from '../../src/clock.js'
import { type DatabaseTimeouts, databaseTimeouts } from '../../src/config.js'
import { openDatabase } from '../../src/db/client.js'
import { prepareDatabase } from '../../src/db/prepare.js'
import { isDatabaseUnavailable } from '../../src/http/errors.js'
import { testConfig } from '../helpers/app.js'
import { postgresBin, throwawayCluster } from '../helpers/cluster.js'
import { sleep } from '../helpers/live.js'

const skip = postgresBin() ? false : 'needs the PostgreSQL server binaries (initdb, pg_ctl)'

// Short timeouts, so that the test is quick; production defaults are in src/config.ts.
const TIMEOUTS: DatabaseTimeouts = { statementTimeoutMs: 1500, lockTimeoutMs: 800, queryTimeoutMs: 2500, migrationTimeoutMs: 0, idleInTransactionTimeoutMs: 0 }

async function setup(t: { teardown(fn: () => unknown): void }, timeouts = TIMEOUTS) {
  const cluster = await throwawayCluster()
  const database = await openDatabase({ url: cluster.url, poolSize: 3, timeouts })
  await prepareDatabase(database, systemClock)
  const app = await buildApp({ config: testConfig({ logLevel: 'silent' }), database })
  const sides: pg.Client[] = []
  const side = async () => {
    const c = new pg.Client({ connectionString: cluster.url })
    c.on('error', () => {})
    await c.connect()
    sides.push(c)
    return c
  }
  let frozen: number[] = []
  const thaw = () => {
    for (const pid of frozen) {
      try {
        process.kill(pid, 'SIGCONT')
      } catch {
        // gone already
      }
    }
    frozen = []
  }
  /** SIGSTOPs this test's own throwaway cluster: the postmaster and all its children. */
  const freeze = async () => {
    const probe = await side()
    const backend = (await probe.query('select pg_backend_pid() as pid')).rows[0].pid as number
    const ppid = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1])
    const postmaster = ppid(backend)
    const children = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .filter((pid) => {
        try {
          return ppid(pid) === postmaster
        } catch {
          return false
        }
      })
    frozen = [postmaster, ...children]
    for (const pid of frozen) process.kill(pid, 'SIGSTOP')
  }
  t.teardown(async () => {
    thaw()
    for (const c of sides) await c.end().catch(() => {})
    await app.close()
    await database.close().catch(() => {})
    await cluster.destroy()
  })
  await app.ready()
  const signup = await app.inject({ method: 'POST', url: '/api/v1/accounts', payload: { handle: 'steady-wren', password: 'a long enough password', circle: 'recovery' } })
  const auth = { authorization: `Bearer ${signup.json().token}` }
  return { app, database, auth, side, freeze, thaw }
}

const answerWithin = async (response: Promise<{ statusCode: number; body: string }>, ms: number) =>
  Promise.race([response.then((r) => ({ status: r.statusCode, body: r.body })), sleep(ms).then(() => ({ status: 0, body: 'no answer' }))])

t.test('defaults: a statement timeout, a shorter lock timeout, a longer client-side query timeout', async (t) => {
  const defaults = databaseTimeouts({})
  t.same(defaults, { statementTimeoutMs: 10_000, lockTimeoutMs: 5_000, queryTimeoutMs: 12_000, migrationTimeoutMs: 0, idleInTransactionTimeoutMs: 15_000 })
})

t.test('a database that stops answering (SIGSTOP) gets 503 with Retry-After, not a hang; it serves again once thawed', { skip }, async (t) => {
  const { app, auth, freeze, thaw } = await setup(t)
  // Warm the pool so requests use established connections.
  for (let i = 0; i < 3; i++) t.equal((await app.inject({ url: '/api/v1/me', headers: auth })).statusCode, 200)
  await freeze()
  const started = Date.now()
  const answers = await Promise.all(
    [0, 1, 2, 3, 4].map((i) =>
      answerWithin(
        i % 2 === 0
          ? app.inject({ method: 'POST', url: '/api/v1/boards/general/threads', headers: auth, payload: { title: `Frozen ${i}`, body: 'hello' } })
          : app.inject({ url: '/api/v1/boards/general/threads', headers: auth }),
        15_000
      )
    )
  )
  const elapsed = Date.now() - started
  for (const answer of answers) {
    t.equal(answer.status, 503, `${answer.status} ${answer.body.slice(0, 160)}`)
    if (answer.status === 503) t.equal(JSON.parse(answer.body).error.code, 'unavailable')
  }
  t.ok(elapsed < 2500 + 3000 + 2000, `all answered within the query timeout (and the pool's connect wait): ${elapsed} ms`)
  const one = await app.inject({ url: '/api/v1/me', headers: auth })
  t.equal(one.statusCode, 503)
  t.ok(Number(one.headers['retry-after']) > 0, 'with Retry-After')

  thaw()
  let served = 0
  for (let i = 0; i < 50 && served !== 201; i++) {
    served = (await app.inject({ method: 'POST', url: '/api/v1/boards/general/threads', headers: auth, payload: { title: 'Thawed', body: 'hello' } })).statusCode
    if (served !== 201) await sleep(200)
  }
  t.equal(served, 201, 'the same process serves again')
  const titles = (await app.inject({ url: '/api/v1/boards/general/threads?limit=100', headers: auth })).json().threads.map((x: { title: string }) => x.title)
  t.notOk(titles.some((title: string) => title.startsWith('Frozen')), 'what was answered 503 was not stored')
})

t.test('a write stuck behind a lock is cancelled by lock_timeout: 503, and nothing stored', { skip }, async (t) => {
  const { app, auth, side } = await setup(t)
  const lock = await side()
  await lock.query('begin')
  await lock.query('lock table threads in access exclusive mode')
  const started = Date.now()
  const answer = await answerWithin(
    app.inject({ method: 'POST', url: '/api/v1/boards/general/threads', headers: auth, payload: { title: 'Behind a lock', body: 'hello' } }),
    10_000
  )
  const elapsed = Date.now() - started
  await lock.query('rollback')
  t.equal(answer.status, 503, answer.body.slice(0, 200))
  t.equal(JSON.parse(answer.body).error?.code, 'unavailable')
  // Each statement that meets the lock waits lock_timeout at most (a hang would be the 10 s above).
  t.ok(elapsed < 5000, `after ${elapsed} ms`)
  const count = await side()
  t.equal((await count.query(`select count(*)::int as n from threads where title = 'Behind a lock'`)).rows[0].n, 0, 'nothing stored')
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/boards/general/threads', headers: auth, payload: { title: 'After the lock', body: 'hello' } })).statusCode, 201)
})

t.test('statement_timeout, lock_timeout and the query timeout are unavailable (503); other errors are not', { skip }, async (t) => {
  const { database, side } = await setup(t)
  const caught = async (work: Promise<unknown>) => work.then(() => null, (error: unknown) => error)
  const slow = await caught(database.db.execute(sql`select pg_sleep(3)`))
  t.ok(slow, 'a statement longer than the statement timeout fails')
  t.equal((slow as { cause?: { code?: string } }).cause?.code ?? (slow as { code?: string }).code, '57014')
  t.ok(isDatabaseUnavailable(slow), 'statement_timeout (57014) is unavailable')
  const lock = await side()
  await lock.query('begin')
  await lock.query('lock table accounts in access exclusive mode')
  const locked = await caught(database.db.execute(sql`select count(*) from accounts`))
  await lock.query('rollback')
  t.equal((locked as { cause?: { code?: string } }).cause?.code ?? (locked as { code?: string }).code, '55P03')
  t.ok(isDatabaseUnavailable(locked), 'lock_timeout (55P03) is unavailable')
  t.ok(isDatabaseUnavailable(new Error('Query read timeout')), 'the client-side query timeout is unavailable')
  t.notOk(isDatabaseUnavailable(Object.assign(new Error('duplicate key'), { code: '23505' })), 'a constraint violation is not')
  const one = (await database.db.execute(sql`select 1 as one`)) as unknown as { rows: unknown[] }
  t.equal(one.rows.length, 1, 'the pool still serves')
})

t.test('migrations run on their own connection, without the requests\' statement timeout', { skip }, async (t) => {
  const cluster = await throwawayCluster()
  // A statement timeout far shorter than a migration: migrate() must not be cut off by it.
  const database = await openDatabase({ url: cluster.url, poolSize: 2, timeouts: { statementTimeoutMs: 1, lockTimeoutMs: 1, queryTimeoutMs: 5000, migrationTimeoutMs: 0, idleInTransactionTimeoutMs: 0 } })
  t.teardown(async () => {
    await database.close().catch(() => {})
    await cluster.destroy()
  })
  await database.migrate()
  const status: { applied: number; shipped: number } | null = await database.migrationStatus().catch(() => null)
  if (status) t.equal(status.applied, status.shipped, 'every migration applied')
  else t.pass('migrated (the status query itself may meet the 1 ms statement timeout)')
  const check = new pg.Client({ connectionString: cluster.url })
  await check.connect()
  const applied = (await check.query('select count(*)::int as n from drizzle.__drizzle_migrations')).rows[0].n as number
  await check.end()
  t.ok(applied > 0, `${applied} migrations applied`)
})
