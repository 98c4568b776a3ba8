import { sql } from 'drizzle-orm'
import pg from 'pg'
import t from 'tap'
import { databaseTimeouts } from '../../src/config.js'
import { openDatabase, rows } from '../../src/db/client.js'
import { createTestDatabase } from '../helpers/database.js'
import { sleep } from '../helpers/live.js'

const real = { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL' }
const setting = async (db: Parameters<typeof rows>[0]) =>
  (await rows<{ value: string }>(db, sql`select current_setting('idle_in_transaction_session_timeout') as value`))[0]?.value

t.test("the server's connections end a transaction left idle after 15 s by default", real, async (t) => {
  const fresh = await createTestDatabase()
  t.teardown(() => fresh.drop())
  t.equal(await setting(fresh.database.db), '15s')
})

t.test('a transaction its instance left idle is ended by PostgreSQL, its locks with it, and the pool serves on', real, async (t) => {
  const fresh = await createTestDatabase()
  t.teardown(() => fresh.drop())
  const database = await openDatabase({ url: fresh.url!, poolSize: 2, timeouts: { ...databaseTimeouts({}), idleInTransactionTimeoutMs: 300 } })
  t.teardown(() => database.close())
  t.equal(await setting(database.db), '300ms', 'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS is the connections’ setting')
  const other = new pg.Client({ connectionString: fresh.url! })
  await other.connect()
  t.teardown(() => other.end())
  const free = async () => (await other.query<{ free: boolean }>('select pg_try_advisory_lock(42) as free')).rows[0]!.free

  // An instance that froze (or was cut off) between two statements of a transaction holding a lock.
  let locked!: () => void
  const holding = new Promise<void>((resolve) => (locked = resolve))
  const stalled = database.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(42)`)
    locked()
    await sleep(1500)
    await tx.execute(sql`select 1`)
  })
  await holding
  t.equal(await free(), false, 'the lock is held meanwhile')
  await sleep(1000)
  t.equal(await free(), true, 'the server ended the transaction and its lock went with it')
  await t.rejects(stalled, 'the transaction did not commit')
  t.same(await rows(database.db, sql`select 1 as one`), [{ one: 1 }], 'the pool serves again')
})

t.test('the embedded database is left without it: its one session must never be ended', { skip: process.env.TEST_DATABASE_URL ? 'PGlite only' : false }, async (t) => {
  const database = await openDatabase({ dataDir: null })
  t.teardown(() => database.close())
  t.equal(await setting(database.db), '0')
})
