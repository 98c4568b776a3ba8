/**
 * A COMMIT whose answer never arrives (the network cut just after it reached PostgreSQL): the write may have landed.
 * The answer says so (503 `unavailable`, `details.outcome` "unknown", not "nothing was changed"), and its
 * Idempotency-Key stays reserved, so a retry with the same key is told the request is in progress rather than posted
 * a second time (found by the review of the timeouts: the retry posted twice).
 */
import { sql } from 'drizzle-orm'
import t from 'tap'
import { rows } from '../../src/db/client.js'
import { isOutcomeUnknown } from '../../src/http/errors.js'
import { appBehindCuttingProxy } from '../helpers/proxy.js'

t.test('a COMMIT whose answer is lost: the outcome is unknown, and a retry with the same key does not post twice', { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL behind a proxy' }, async (t) => {
  let armed = false
  // The COMMIT goes through to the server; its answer, and every later one on that connection, never come back.
  const { h, fresh } = await appBehindCuttingProxy(t, {
    cut: (sent) => {
      if (!armed || !sent.includes('commit')) return false
      armed = false
      return true
    },
    forward: true,
    poolSize: 4
  })
  const member = await h.signUp()
  const send = () =>
    h.as(member, {
      method: 'POST',
      url: '/api/v1/boards/general/threads',
      headers: { 'idempotency-key': 'bad-connection-1' },
      payload: { title: 'Posted on a bad connection', body: 'Hello everyone, checking in today.' }
    })
  const count = async () => (await rows<{ n: number }>(fresh.database.db, sql`select count(*)::int as n from threads where author_id = ${member.id}`))[0]!.n

  armed = true
  const first = await send()
  t.equal(first.statusCode, 503)
  t.match(first.json().error, { code: 'unavailable', details: { outcome: 'unknown' } }, 'the answer says the write may have landed')
  t.notMatch(first.json().error.message, /nothing was changed/)
  t.equal(await count(), 1, 'and it did')
  const retry = await send()
  t.equal(retry.statusCode, 409, 'a retry with the same key is not run again')
  t.equal(retry.json().error.code, 'request_in_progress')
  t.equal(await count(), 1, 'one thread')
  t.equal((await h.as(member, { url: '/api/v1/me' })).statusCode, 200, 'and the process serves on')
})

t.test('which failures leave a write’s outcome unknown', async (t) => {
  const failed = (query: string, cause: object) => Object.assign(new Error(`Failed query: ${query}`), { query, cause })
  const timeout = new Error('Query read timeout')
  const terminated = new Error('Connection terminated unexpectedly')
  t.ok(isOutcomeUnknown(failed('commit', timeout)), 'a COMMIT never answered')
  t.ok(isOutcomeUnknown(failed('with "counted" as (update "accounts" …) insert into "events" …', terminated)), 'a reply’s one statement, its connection lost')
  t.notOk(isOutcomeUnknown(failed('begin', timeout)), 'a BEGIN: nothing was written yet')
  t.notOk(isOutcomeUnknown(failed('select "id" from "threads"', timeout)), 'a read')
  t.notOk(isOutcomeUnknown(failed('commit', Object.assign(new Error('could not serialize access'), { code: '40001' }))), 'PostgreSQL answered the COMMIT: it rolled back')
  t.notOk(isOutcomeUnknown(timeout), 'no statement known')
})
