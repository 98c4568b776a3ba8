import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { eq, sql } from 'drizzle-orm'
import t from 'tap'
import { type AccountDeps, createAccount, logIn } from '../src/accounts/service.js'
import { systemClock } from '../src/clock.js'
import { loadConfig } from '../src/config.js'
import { accounts, sessions } from '../src/db/schema.js'
import { type ChildDatabase, childDatabase, runEntry } from './helpers/server.js'

// `npm run cli -- create-admin` against an account that exists, a database that refuses, and a terminal; on both
// databases (TEST_DATABASE_URL), each test on a fresh one.

/** Opens the child's database here for a moment (the embedded one allows one process at a time). */
async function withDatabase<T>(database: ChildDatabase, use: (deps: AccountDeps) => Promise<T>): Promise<T> {
  const opened = await database.open()
  try {
    return await use({ db: opened.db, clock: systemClock, config: loadConfig({}) } as AccountDeps)
  } finally {
    await opened.close()
  }
}

t.test("create-admin on an existing account replaces its password and ends that account's sessions, saying so", async (t) => {
  const database = await childDatabase(t)
  const member = await withDatabase(database, async (deps) => {
    const { account } = await createAccount(deps, { handle: 'old-heron', password: 'the member password', circle: 'family' })
    await logIn(deps, 'old-heron', 'the member password')
    await logIn(deps, 'old-heron', 'the member password')
    return account
  })

  const promoted = await runEntry(['src/cli.ts', 'create-admin', '--handle', 'old-heron'], database.env, 'the new admin password\n')
  t.equal(promoted.code, 0, promoted.stderr)
  t.match(promoted.stdout, /Promoted admin old-heron/)
  t.match(promoted.stdout, /password was replaced/)
  t.match(promoted.stdout, /3 sessions/, "the sign-up's and two sign-ins'")

  await withDatabase(database, async (deps) => {
    t.same(await deps.db.select().from(sessions).where(eq(sessions.accountId, member.id)), [], 'no session of the old password is left')
    const [row] = await deps.db.select().from(accounts).where(eq(accounts.id, member.id))
    t.equal(row?.role, 'admin')
    await t.rejects(logIn(deps, 'old-heron', 'the member password'), { code: 'invalid_credentials' })
    t.ok(await logIn(deps, 'old-heron', 'the new admin password'), 'the new password signs in')
  })

  const again = await runEntry(['src/cli.ts', 'create-admin', '--handle', 'old-heron'], database.env, 'the newer admin password\n')
  t.equal(again.code, 0, again.stderr)
  t.match(again.stdout, /1 session/, "the session made above with the replaced password is ended too")
})

t.test('create-admin refuses a suspended account and changes nothing: no one could ever lift an admin\'s suspension', async (t) => {
  const database = await childDatabase(t)
  const member = await withDatabase(database, async (deps) => {
    const { account } = await createAccount(deps, { handle: 'benched-heron', password: 'the member password', circle: 'recovery' })
    await deps.db
      .update(accounts)
      .set({ status: 'suspended', suspendedUntil: new Date(Date.now() + 30 * 86_400_000), suspensionReason: 'cooling off' })
      .where(eq(accounts.id, account.id))
    await logIn(deps, 'benched-heron', 'the member password')
    return account
  })
  const sessionsOf = (deps: AccountDeps) => deps.db.select().from(sessions).where(eq(sessions.accountId, member.id))
  const before = await withDatabase(database, async (deps) => (await sessionsOf(deps)).map((s) => s.id).sort())
  t.equal(before.length, 2, "the sign-up's and a sign-in's")
  const refused = await runEntry(['src/cli.ts', 'create-admin', '--handle', 'benched-heron'], database.env, 'the new admin password\n')
  t.equal(refused.code, 1)
  t.match(refused.stderr, /suspended/)
  t.match(refused.stderr, /unsuspend/)
  await withDatabase(database, async (deps) => {
    const [row] = await deps.db.select().from(accounts).where(eq(accounts.id, member.id))
    t.equal(row?.role, 'member')
    t.same((await sessionsOf(deps)).map((s) => s.id).sort(), before, 'its sessions are untouched')
    t.ok(await logIn(deps, 'benched-heron', 'the member password'), 'its password is untouched')
  })
})

t.test("a write the database refuses is reported by its code and cause, never with the statement's parameters", async (t) => {
  const database = await childDatabase(t)
  await withDatabase(database, async (deps) => {
    await deps.db.execute(
      sql.raw(`create function refuse_accounts() returns trigger language plpgsql as $$ begin raise exception 'refused by a test trigger' using errcode = 'P0001'; end $$`)
    )
    await deps.db.execute(sql.raw('create trigger refuse_accounts before insert or update on accounts for each row execute function refuse_accounts()'))
  })
  const failed = await runEntry(['src/cli.ts', 'create-admin', '--handle', 'refused-heron'], database.env, 'the secret admin password\n')
  t.equal(failed.code, 1)
  t.match(failed.stderr, /P0001/)
  t.match(failed.stderr, /refused by a test trigger/)
  t.notMatch(failed.stderr + failed.stdout, /argon2|params|refused-heron/, 'neither the hash nor any other parameter')
})

t.test('the password typed at a terminal is not shown, and Enter ends it', { skip: existsSync('/usr/bin/script') ? false : 'needs script(1) for a terminal' }, async (t) => {
  const database = await childDatabase(t)
  const command = `${process.execPath} --import tsx src/cli.ts create-admin --handle tty-heron`
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, DATABASE_URL: '', ...database.env } })
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  let output = ''
  let typed = false
  child.stdout.on('data', (d) => {
    output += d
    // Typed once the prompt is up, as a person would (input typed before it is echoed by any terminal).
    if (!typed && /Password/.test(output)) {
      typed = true
      setTimeout(() => child.stdin.write('a terminal password\r'), 200)
    }
  })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  clearTimeout(timer)
  t.equal(code, 0, `exits after Enter alone: ${output}`)
  t.notMatch(output, /a terminal password/, 'the password is not echoed')
  t.match(output, /Created admin tty-heron/)
  await withDatabase(database, async (deps) => {
    t.ok(await logIn(deps, 'tty-heron', 'a terminal password'), 'the password typed is the one kept')
  })
})
