/**
 * A write the database fails keeps what the member wrote out of the logs: a failed query's error carries
 * its parameters (the post, the handle, the password hash), and only the kind of error and its code are logged.
 */
import { sql } from 'drizzle-orm'
import { DrizzleQueryError } from 'drizzle-orm/errors'
import t from 'tap'
import { errorForLog } from '../../src/http/errors.js'
import { buildTestApp } from '../helpers/app.js'

t.test('failed writes log no body, title, handle or password hash', async (t) => {
  const h = await buildTestApp(t, { logLevel: 'info' })
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  // SQLSTATEs PostgreSQL itself raises: XX000 (an internal error, a 500) and 57P01 (shutdown, a 503).
  for (const statement of [
    `create function test_fail_posts() returns trigger language plpgsql as $$ begin raise exception 'could not read block' using errcode = 'XX000'; end $$`,
    `create trigger test_fail_posts before insert on posts for each row execute function test_fail_posts()`,
    `create function test_fail_accounts() returns trigger language plpgsql as $$ begin raise exception 'terminating connection due to administrator command' using errcode = '57P01'; end $$`,
    `create trigger test_fail_accounts before insert on accounts for each row execute function test_fail_accounts()`
  ]) {
    await h.db.database.db.execute(sql.raw(statement))
  }
  const body = 'I relapsed last night at my sister house on Elm Road'
  const reply = await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body } })
  t.equal(reply.statusCode, 500)
  const thread = await h.as(member, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: 'A title nobody else may read', body } })
  t.equal(thread.statusCode, 500)
  const signup = await h.app.inject({ method: 'POST', url: '/api/v1/accounts', payload: { handle: 'secret-otter', password: 'another long password', circle: 'family' } })
  t.equal(signup.statusCode, 503)

  const logs = h.logs.join('\n')
  t.match(logs, /could not read block/, 'the failure itself is logged')
  t.match(logs, /"code":"XX000"/, 'with its code')
  t.match(logs, /params: \[redacted\]/, 'and its statement without the values')
  for (const secret of ['Elm Road', 'A title nobody else may read', 'secret-otter', '$argon2', 'another long password']) {
    t.notOk(logs.includes(secret), `no ${secret} in the logs`)
  }
})

t.test('errorForLog keeps the kind, code, statement and frames of an error and its causes, no values', async (t) => {
  const cause = Object.assign(new Error('duplicate key value violates unique constraint "accounts_handle_key_idx"'), {
    code: '23505',
    detail: 'Key (handle_key)=(jane-doe) already exists.'
  })
  const error = new Error('Failed query: insert into "accounts" ("handle") values ($1)\nparams: jane-doe,$argon2id$v=19$secret', { cause })
  const logged = errorForLog(error)
  const text = JSON.stringify(logged)
  t.notMatch(text, /jane-doe|argon2/, 'no parameter and no detail')
  t.match(logged, { type: 'Error', message: 'Failed query: insert into "accounts" ("handle") values ($1)\nparams: [redacted]' })
  t.match(logged.stack, /^ {4}at /, 'the stack is its frames only (its first line repeats the message)')
  t.match(logged.cause, { code: '23505', message: /duplicate key/ })
  t.same(errorForLog('plain'), { type: 'string', message: 'plain', stack: '' })
})

t.test("a parameter that looks like a stack frame stays out of the logged stack", async (t) => {
  // drizzle's message ends with the parameters, one of which has an indented line starting with "at".
  const body = 'What helped me:\n    at night I call Jane Doe on 07700 900123'
  const error = new DrizzleQueryError('insert into "posts" ("body_source") values ($1)', [body], new Error('connection terminated'))
  const logged = errorForLog(error)
  t.notOk(JSON.stringify(logged).includes('07700'), 'no parameter value in the log line')
  t.match(logged.stack, /^ {4}at /, 'the frames are there')
  // An error whose stack no longer starts with its message keeps only the lines that are frames.
  const altered = Object.assign(new Error('first'), { message: 'second' })
  altered.stack = 'Error: first\n  secret line\n    at night I call 07700\n    at run (file:///app/x.js:1:2)\n    at Array.map (<anonymous>)'
  t.equal(errorForLog(altered).stack, '    at run (file:///app/x.js:1:2)\n    at Array.map (<anonymous>)')
})

t.test('a transaction PostgreSQL rolls back to end a deadlock or a serialization conflict answers 503: nothing changed, try again', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  for (const code of ['40P01', '40001']) {
    await h.db.database.db.execute(sql.raw(`create or replace function test_conflict() returns trigger language plpgsql as $$ begin raise exception 'conflict' using errcode = '${code}'; end $$`))
    await h.db.database.db.execute(sql.raw(`create or replace trigger test_conflict before insert on posts for each row execute function test_conflict()`))
    const reply = await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'words that will wait' } })
    t.equal(reply.statusCode, 503, code)
    t.equal(reply.json().error.code, 'unavailable')
    t.ok(reply.headers['retry-after'], 'with Retry-After')
  }
  await h.db.database.db.execute(sql.raw('drop trigger test_conflict on posts'))
  t.equal((await h.as(member, { url: `/api/v1/threads/${threadId}` })).json().posts.length, 1, 'nothing was written')
})
