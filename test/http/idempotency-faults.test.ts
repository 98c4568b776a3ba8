import { sql } from 'drizzle-orm'
import pg from 'pg'
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { ManualClock, systemClock } from '../../src/clock.js'
import { openDatabase, rows } from '../../src/db/client.js'
import { prepareDatabase } from '../../src/db/prepare.js'
import { RESERVATION_LEASE_MS } from '../../src/http/idempotency.js'
import { buildTestApp, type TestAccount, type TestApp, testConfig } from '../helpers/app.js'
import { postgresBin, throwawayCluster } from '../helpers/cluster.js'
import { sleep } from '../helpers/live.js'

const realPostgres = { skip: process.env.TEST_DATABASE_URL ? false : 'races need real PostgreSQL (TEST_DATABASE_URL)' }
const cluster = { skip: postgresBin() ? false : 'needs the PostgreSQL server binaries (initdb, pg_ctl)' }

/**
 * Faults injected by triggers in the test's own database, the same way on both databases: with a row in
 * idem_fault, its operation fails as a dropped connection would (SQLSTATE 08006, which the server maps to 503).
 * STORE: storing a response under a key; DELETE: freeing a key; THREADS: starting a thread; GAP / GAP_ONCE: a
 * key's INSERT inserts nothing and removes the key's row, as if a failed first request freed it just between
 * this request's INSERT and its SELECT.
 */
async function injectFaults(h: TestApp) {
  const db = h.db.database.db
  await rows(db, sql.raw(`create table idem_fault (what text primary key)`))
  await rows(
    db,
    sql.raw(`create function idem_fault() returns trigger language plpgsql as $$
begin
  if tg_table_name = 'threads' and exists (select 1 from idem_fault where what = 'THREADS') then
    raise exception 'injected fault' using errcode = '08006';
  end if;
  if tg_table_name = 'idempotency_keys' then
    if tg_op = 'UPDATE' and new.status is not null and exists (select 1 from idem_fault where what = 'STORE') then
      raise exception 'injected fault' using errcode = '08006';
    end if;
    if tg_op = 'DELETE' and exists (select 1 from idem_fault where what = 'DELETE') then
      raise exception 'injected fault' using errcode = '08006';
    end if;
    if tg_op = 'INSERT' and exists (select 1 from idem_fault where what in ('GAP', 'GAP_ONCE')) then
      delete from idem_fault where what = 'GAP_ONCE';
      delete from idempotency_keys where account_id = new.account_id and key = new.key;
      return null;
    end if;
  end if;
  return case when tg_op = 'DELETE' then old else new end;
end $$`)
  )
  await rows(db, sql.raw(`create trigger idem_fault_keys before insert or update or delete on idempotency_keys for each row execute function idem_fault()`))
  await rows(db, sql.raw(`create trigger idem_fault_threads before insert on threads for each row execute function idem_fault()`))
  return {
    on: async (...what: string[]) => {
      for (const w of what) await rows(db, sql`insert into idem_fault values (${w}) on conflict do nothing`)
    },
    off: async () => {
      await rows(db, sql`delete from idem_fault`)
    }
  }
}

async function keyRow(h: TestApp, key: string) {
  const [row] = await rows<{ status: number | null; n: number }>(
    h.db.database.db,
    sql`select status, count(*) over ()::int as n from idempotency_keys where key = ${key}`
  )
  return row ?? null
}

async function threadCount(h: TestApp, title: string) {
  const [row] = await rows<{ n: number }>(h.db.database.db, sql`select count(*)::int as n from threads where title = ${title}`)
  return row?.n ?? 0
}

async function until(what: () => Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await what()) return true
    await sleep(50)
  }
  return false
}

/** What must never be in an answer or a log line: a failed query and its parameters. */
function checkClean(t: Test, h: TestApp, body: string, secrets: string[]) {
  t.notMatch(body, /Failed query|params:|injected fault/, 'no SQL, parameters or database message in the answer')
  const logs = h.logs.join('')
  for (const secret of secrets) t.notOk(logs.includes(secret), `"${secret.slice(0, 30)}" is in no log line`)
  const failed = h.logs.filter((l) => l.includes('idempotency bookkeeping failed'))
  t.ok(failed.length > 0, 'the failure is logged')
  for (const line of failed) {
    const entry = JSON.parse(line) as { err?: { type?: string; message?: string } }
    t.match(entry.err, { type: String, message: String }, 'as an error, through errorForLog')
    t.notMatch(entry.err?.message ?? '', /params: (?!\[redacted\])/, 'without its parameters')
  }
}

t.test('the bookkeeping after an answer never changes the answer (both databases)', async (t) => {
  const h = await buildTestApp(t)
  const faults = await injectFaults(h)
  const member = await h.signUp()
  const admin = await h.signUp({ role: 'admin' })
  t.equal(
    (await h.as(admin, { method: 'POST', url: '/api/v1/moderation/rules', payload: { pattern: 'forbidden phrase', category: 'custom', action: 'block' } })).statusCode,
    201
  )
  const start = (who: TestAccount, key: string, title: string, body = 'hello') =>
    h.as(who, { method: 'POST', url: '/api/v1/boards/general/threads', headers: { 'idempotency-key': key }, payload: { title, body } })
  t.afterEach(() => faults.off())

  t.test('a refusal (404) whose storing fails goes out as the contract\'s 404; nothing leaks', async (t) => {
    await faults.on('STORE')
    const missing = '01900000-0000-7000-8000-000000000000'
    const res = await h.as(member, {
      method: 'POST',
      url: `/api/v1/posts/${missing}/reports`,
      headers: { 'idempotency-key': 'fault-key-404' },
      payload: { reason: 'other', note: 'a private note about what I saw' }
    })
    t.equal(res.statusCode, 404, res.body.slice(0, 300))
    t.equal(res.json().error.code, 'not_found')
    checkClean(t, h, res.body, ['fault-key-404', 'a private note about what I saw', member.id])
  })

  t.test('a blocked post (422) whose storing fails keeps the writer\'s words in the answer, and out of the log', async (t) => {
    await faults.on('STORE')
    const words = 'my sponsor Dana at St Jude said the forbidden phrase'
    const res = await start(member, 'fault-key-422', 'Private words', words)
    t.equal(res.statusCode, 422, res.body.slice(0, 300))
    t.equal(res.json().error.code, 'blocked_by_rule')
    t.equal(res.json().error.details.body, words, 'the writer keeps their text')
    checkClean(t, h, res.body, ['fault-key-422', 'Dana at St Jude', member.id])
  })

  t.test('a 503 whose key cannot be freed is the contract\'s 503; the retry it invites goes through after the lease', async (t) => {
    await faults.on('THREADS', 'DELETE')
    const res = await start(member, 'fault-key-503', 'Through a fault')
    t.equal(res.statusCode, 503, res.body.slice(0, 300))
    t.equal(res.json().error.code, 'unavailable')
    t.ok(res.headers['retry-after'], 'with Retry-After')
    checkClean(t, h, res.body, ['fault-key-503', 'Through a fault', member.id])
    t.equal(await threadCount(h, 'Through a fault'), 0, 'the request had no effect')
    t.equal((await keyRow(h, 'fault-key-503'))?.status, null, 'the reservation is left behind')

    await faults.off()
    await faults.on('DELETE') // nor can the background retry free it: only the lease does
    const early = await start(member, 'fault-key-503', 'Through a fault')
    t.equal(early.statusCode, 409, 'within the lease, the key is still taken')
    t.equal(early.json().error.code, 'request_in_progress')
    h.clock.advance(RESERVATION_LEASE_MS + 1000)
    const retry = await start(member, 'fault-key-503', 'Through a fault')
    t.equal(retry.statusCode, 201, `after the lease the retry takes the key over; ${retry.body.slice(0, 200)}`)
    t.equal(await threadCount(h, 'Through a fault'), 1)
    const again = await start(member, 'fault-key-503', 'Through a fault')
    t.equal(again.headers['idempotent-replayed'], 'true', 'and its answer is stored')
    t.equal(again.json().thread.id, retry.json().thread.id)
  })

  t.test('a 503 whose key cannot be freed: once the database answers, the key is freed in the background', async (t) => {
    await faults.on('THREADS', 'DELETE')
    const res = await start(member, 'fault-key-free', 'Freed later')
    t.equal(res.statusCode, 503)
    await faults.off()
    t.ok(await until(async () => (await keyRow(h, 'fault-key-free')) === null), 'the reservation is deleted by a retry of the bookkeeping')
    const retry = await start(member, 'fault-key-free', 'Freed later')
    t.equal(retry.statusCode, 201, 'the retry goes through without waiting for the lease')
    t.equal(await threadCount(h, 'Freed later'), 1)
  })

  t.test('a write that committed is answered 201 even when storing its response fails; a retry never posts twice', async (t) => {
    await faults.on('STORE')
    const res = await start(member, 'fault-key-201', 'Stored after all')
    t.equal(res.statusCode, 201, `the real answer, not 503 "nothing was changed": ${res.body.slice(0, 200)}`)
    t.equal(await threadCount(h, 'Stored after all'), 1)
    checkClean(t, h, res.body, ['fault-key-201', member.id])
    const early = await start(member, 'fault-key-201', 'Stored after all')
    t.equal(early.statusCode, 409, 'a retry while the response is not stored is told the request is in progress')
    t.equal(early.json().error.code, 'request_in_progress')
    await faults.off()
    t.ok(await until(async () => (await keyRow(h, 'fault-key-201'))?.status === 201), 'the response is stored by a retry of the bookkeeping')
    const again = await start(member, 'fault-key-201', 'Stored after all')
    t.equal(again.statusCode, 201)
    t.equal(again.headers['idempotent-replayed'], 'true')
    t.equal(again.json().thread.id, res.json().thread.id, 'the first response')
    t.equal(await threadCount(h, 'Stored after all'), 1, 'one thread')
  })

  t.test('a key freed between the INSERT and the SELECT is reserved again, never run unreserved', async (t) => {
    await faults.on('GAP_ONCE')
    const first = await start(member, 'gap-1', 'Gap once')
    t.equal(first.statusCode, 201, first.body.slice(0, 200))
    t.equal((await keyRow(h, 'gap-1'))?.status, 201, 'the response is stored under the key')
    const again = await start(member, 'gap-1', 'Gap once')
    t.equal(again.headers['idempotent-replayed'], 'true')
    t.equal(await threadCount(h, 'Gap once'), 1, 'one thread')

    await faults.on('GAP')
    const thrashing = await start(member, 'gap-2', 'Gap always')
    t.equal(thrashing.statusCode, 409, 'a key that keeps vanishing is refused after a few tries')
    t.equal(thrashing.json().error.code, 'request_in_progress')
    t.equal(await threadCount(h, 'Gap always'), 0, 'and nothing ran')
  })
})

t.test('an abandoned reservation is taken over after its lease, by a retry of the same request only', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  const send = (key: string, body: string) =>
    h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, headers: { 'idempotency-key': key }, payload: { body } })
  // A reservation whose request died with its process: the INSERT happened, the answer never came.
  const first = await send('lease-1', 'before the crash')
  t.equal(first.statusCode, 201)
  await rows(h.db.database.db, sql`update idempotency_keys set status = null, response = null where key = 'lease-1'`)
  const posts = async (body: string) =>
    ((await h.as(member, { url: `/api/v1/threads/${threadId}?limit=100` })).json().posts as Array<{ bodyHtml: string }>).filter((p) =>
      p.bodyHtml.includes(body)
    ).length

  h.clock.advance(RESERVATION_LEASE_MS - 1000)
  t.equal((await send('lease-1', 'before the crash')).json().error?.code, 'request_in_progress', 'within the lease: in progress')
  h.clock.advance(2000)
  t.equal((await send('lease-1', 'another body')).json().error?.code, 'idempotency_key_reused', 'another body is still 409 reused')
  const retry = await send('lease-1', 'before the crash')
  t.equal(retry.statusCode, 201, 'after the lease, the same request takes the key over')
  t.equal((await send('lease-1', 'before the crash')).headers['idempotent-replayed'], 'true')
  t.equal(await posts('before the crash'), 2, 'the retry ran once (the first had stored nothing as far as the key knew)')
})

t.test('concurrent retries taking over a key create one post (real PostgreSQL)', realPostgres, async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  const send = (key: string, body: string) =>
    h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, headers: { 'idempotency-key': key }, payload: { body } })
  const created = async (body: string) =>
    ((await h.as(member, { url: `/api/v1/threads/${threadId}?limit=100` })).json().posts as Array<{ bodyHtml: string }>).filter((p) =>
      p.bodyHtml.includes(body)
    ).length

  for (let round = 0; round < 4; round++) {
    t.equal((await send(`old-${round}`, 'first use')).statusCode, 201)
    h.clock.advance(24 * 3_600_000 + 1000)
    const results = await Promise.all(Array.from({ length: 8 }, () => send(`old-${round}`, `next day ${round}`)))
    const codes = results.map((r) => r.statusCode)
    t.equal(await created(`next day ${round}`), 1, `a key older than 24 h: one post; codes ${codes}`)
    t.ok(codes.every((c) => c === 201 || c === 409), 'the others replay or are told it is in progress')
  }

  for (let round = 0; round < 4; round++) {
    t.equal((await send(`lost-${round}`, `lost ${round}`)).statusCode, 201)
    await rows(h.db.database.db, sql`update idempotency_keys set status = null, response = null where key = ${`lost-${round}`}`)
    h.clock.advance(RESERVATION_LEASE_MS + 1000)
    const results = await Promise.all(Array.from({ length: 8 }, () => send(`lost-${round}`, `lost ${round}`)))
    const codes = results.map((r) => r.statusCode)
    t.equal(await created(`lost ${round}`), 2, `an abandoned reservation: one more post; codes ${codes}`)
    t.ok(codes.every((c) => c === 201 || c === 409), 'the others replay or are told it is in progress')
  }
})

t.test('with the database stopped and started again (a throwaway cluster)', cluster, async (t) => {
  const pgCluster = await throwawayCluster()
  const database = await openDatabase({ url: pgCluster.url, poolSize: 5 })
  await prepareDatabase(database, systemClock)
  const logs: string[] = []
  const { Writable } = await import('node:stream')
  const logStream = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk))
      done()
    }
  })
  const clock = new ManualClock(new Date())
  const app = await buildApp({ config: testConfig({ logLevel: 'info' }), database, logStream, clock })
  const sides: pg.Client[] = []
  const side = async () => {
    const c = new pg.Client({ connectionString: pgCluster.url })
    c.on('error', () => {})
    await c.connect()
    sides.push(c)
    return c
  }
  t.teardown(async () => {
    for (const c of sides) await c.end().catch(() => {})
    await app.close()
    await database.close().catch(() => {})
    await pgCluster.destroy()
  })
  await app.ready()
  const signup = await app.inject({ method: 'POST', url: '/api/v1/accounts', payload: { handle: 'steady-wren', password: 'a long enough password', circle: 'recovery' } })
  const auth = { authorization: `Bearer ${signup.json().token}` }
  const accountId = signup.json().account.id as string
  const start = (key: string, title: string) =>
    app.inject({ method: 'POST', url: '/api/v1/boards/general/threads', headers: { ...auth, 'idempotency-key': key }, payload: { title, body: 'hello' } })
  const count = async (title: string) => {
    const [n] = await rows<{ n: number }>(database.db, sql`select count(*)::int as n from threads where title = ${title}`)
    return n?.n ?? 0
  }
  const back = async () => {
    await pgCluster.start()
    t.ok(await until(async () => (await app.inject({ url: '/readyz' })).statusCode === 200, 20_000), 'database back')
  }

  t.test('a 503 during an outage is the contract\'s 503, and the retry it invites goes through once the database is back', async (t) => {
    const lock = await side()
    await lock.query('begin')
    await lock.query('lock table threads in access exclusive mode')
    const first = start('outage-1', 'During the outage')
    const watcher = await side()
    t.ok(await until(async () => (await watcher.query(`select count(*)::int as n from idempotency_keys where key = 'outage-1'`)).rows[0].n === 1), 'the key is reserved and the handler waits')
    await pgCluster.stop()
    const res = await first
    t.equal(res.statusCode, 503, res.body.slice(0, 300))
    t.equal(res.json().error.code, 'unavailable')
    t.notMatch(res.body, /Failed query|params:/)
    await back()
    t.equal(await count('During the outage'), 0, 'the first request had no effect, as its 503 said')
    let retry = await start('outage-1', 'During the outage')
    // The key is freed by the bookkeeping's retries within seconds; failing that, by the lease.
    for (let i = 0; i < 80 && retry.statusCode === 409; i++) {
      await sleep(500)
      retry = await start('outage-1', 'During the outage')
    }
    t.equal(retry.statusCode, 201, `the retry with the same key goes through; got ${retry.statusCode} ${retry.body.slice(0, 200)}`)
    t.equal(await count('During the outage'), 1)
    t.notOk(logs.join('').includes('outage-1'), 'the key is in no log line')
    t.notOk(logs.join('').includes(accountId), 'nor the account id')
  })

  t.test('a post committed just before the database goes away is answered 201, and a retry replays it', async (t) => {
    const lock = await side()
    await lock.query('begin')
    await lock.query('lock table threads in access exclusive mode')
    const first = start('late-1', 'Stored after all')
    const watcher = await side()
    t.ok(await until(async () => (await watcher.query(`select count(*)::int as n from idempotency_keys where key = 'late-1'`)).rows[0].n === 1), 'key reserved')
    // Hold the response's bookkeeping (the key's UPDATE in onSend), then let the post commit.
    const keyLock = await side()
    await keyLock.query('begin')
    await keyLock.query('lock table idempotency_keys in share mode')
    await lock.query('commit')
    t.ok(await until(async () => (await watcher.query(`select count(*)::int as n from threads where title = 'Stored after all'`)).rows[0].n === 1), 'the thread is committed')
    let pid = 0
    t.ok(
      await until(async () => {
        const r = await watcher.query(`select pid from pg_stat_activity where wait_event_type = 'Lock' and query like 'update "idempotency_keys"%'`)
        pid = (r.rows[0] as { pid?: number } | undefined)?.pid ?? 0
        return pid !== 0
      }),
      'the response is being stored under the key'
    )
    // Its connection drops (the database goes away), then the whole database does.
    await watcher.query('select pg_terminate_backend($1)', [pid])
    const res = await first
    t.equal(res.statusCode, 201, `the real answer: ${res.body.slice(0, 200)}`)
    t.ok(logs.some((l) => l.includes('idempotency bookkeeping failed') && l.includes('"statusCode":201')), 'storing it did fail (logged)')
    await pgCluster.stop()
    await back()
    t.equal(await count('Stored after all'), 1)
    let retry = await start('late-1', 'Stored after all')
    for (let i = 0; i < 80 && retry.statusCode === 409; i++) {
      await sleep(500)
      retry = await start('late-1', 'Stored after all')
    }
    t.equal(retry.statusCode, 201, retry.body.slice(0, 200))
    t.equal(retry.headers['idempotent-replayed'], 'true', 'the stored first response')
    t.equal(retry.json().thread.id, res.json().thread.id)
    t.equal(await count('Stored after all'), 1, 'one thread')
  })
})
