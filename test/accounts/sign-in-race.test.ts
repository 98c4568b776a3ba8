/**
 * A sign-in whose password check passed just before the account's deletion committed (from another device) must not
 * answer 200 with a session, nor leave a session row for the deleted account (found by the review of a member's data
 * from start to finish).
 */
import { eq } from 'drizzle-orm'
import pg from 'pg'
import t from 'tap'
import { accounts, sessions } from '../../src/db/schema.js'
import { buildTestApp, TEST_PASSWORD } from '../helpers/app.js'
import { createTestDatabase } from '../helpers/database.js'
import { beforeInsertInto } from '../helpers/meanwhile.js'

t.test('the account deleted between the password check and the session: 401, and no session row', async (t) => {
  const real = await createTestDatabase()
  t.teardown(() => real.drop())
  const before: { run: (() => Promise<void>) | null } = { run: null }
  const h = await buildTestApp(t, {}, beforeInsertInto(real, sessions, before))
  const leaving = await h.signUp()
  before.run = async () => {
    const res = await h.as(leaving, { method: 'DELETE', url: '/api/v1/me', payload: { password: TEST_PASSWORD } })
    if (res.statusCode !== 204) throw new Error(`${res.statusCode} ${res.body}`)
  }
  const login = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', payload: { handle: leaving.handle, password: TEST_PASSWORD } })
  t.equal(before.run, null, 'the deletion ran in the gap')
  t.equal(login.statusCode, 401, 'refused as a deleted account is')
  t.equal(login.json().error.code, 'invalid_credentials')
  t.notOk(login.headers['set-cookie'], 'no session cookie')
  const [row] = await real.database.db.select({ status: accounts.status }).from(accounts).where(eq(accounts.id, leaving.id))
  t.equal(row?.status, 'deleted')
  t.same(await real.database.db.select().from(sessions).where(eq(sessions.accountId, leaving.id)), [], 'no session row')
})

t.test(
  'a sign-in waiting on a deletion in progress reads the account again when it commits',
  { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL: PGlite has one connection, so transactions cannot overlap' },
  async (t) => {
    const h = await buildTestApp(t)
    const leaving = await h.signUp()
    const deletion = new pg.Client({ connectionString: h.db.url! })
    await deletion.connect()
    t.teardown(() => deletion.end())
    // A deletion in progress, as deleteAccount does it: the account's row lock first, then its writes.
    await deletion.query('begin')
    await deletion.query('select id from accounts where id = $1 for update', [leaving.id])
    const signingIn = h.app.inject({ method: 'POST', url: '/api/v1/sessions', payload: { handle: leaving.handle, password: TEST_PASSWORD } })
    // The sign-in read the account (active) and checked the password; its session's statement now waits for the lock.
    // (Activity is read afresh each time: inside a transaction PostgreSQL would answer the first reading again.)
    const waiting = async () => {
      await deletion.query('select pg_stat_clear_snapshot()')
      return (await deletion.query(`select 1 from pg_stat_activity where wait_event_type = 'Lock' and query ilike 'insert into "sessions"%'`)).rowCount
    }
    for (let tries = 0; !(await waiting()) && tries < 200; tries++) await new Promise((resolve) => setTimeout(resolve, 50))
    t.ok(await waiting(), 'the session insert waits for the deletion')
    await deletion.query('delete from sessions where account_id = $1', [leaving.id])
    await deletion.query(`update accounts set status = 'deleted', password_hash = null, deleted_at = now() where id = $1`, [leaving.id])
    await deletion.query('commit')
    const login = await signingIn
    t.equal(login.statusCode, 401, 'refused: the account is deleted now')
    t.same(await h.db.database.db.select().from(sessions).where(eq(sessions.accountId, leaving.id)), [], 'no session outlives the deletion')
  }
)
