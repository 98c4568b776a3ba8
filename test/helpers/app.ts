import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { eq } from 'drizzle-orm'
import { buildApp } from '../../src/app.js'
import { ManualClock } from '../../src/clock.js'
import { type Config, loadConfig } from '../../src/config.js'
import { accounts } from '../../src/db/schema.js'
import { createTestDatabase, type TestDatabase } from './database.js'

type Tap = { teardown(fn: () => unknown): void }

export interface TestAccount {
  id: string
  handle: string
  token: string
  /** Bearer headers for inject. */
  auth: { authorization: string }
}

export interface TestApp {
  app: FastifyInstance
  config: Config
  clock: ManualClock
  db: TestDatabase
  /** Every log line the app wrote. */
  logs: string[]
  signUp(options?: { circle?: 'recovery' | 'family'; handle?: string; role?: 'member' | 'moderator' | 'admin' }): Promise<TestAccount>
  /** inject with a bearer token. */
  as(account: TestAccount, options: InjectOptions): Promise<LightMyRequestResponse>
  /** Starts a thread and returns its id and the opening post's id. */
  startThread(account: TestAccount, board?: string, fields?: Record<string, unknown>): Promise<{ threadId: string; postId: string }>
  reply(account: TestAccount, threadId: string, body?: string): Promise<{ postId: string }>
  /** `reporter` reports the post and `staff` resolves its queue item with `decision`; throws unless both succeed. */
  reportAndResolve(reporter: TestAccount, staff: TestAccount, postId: string, decision: Record<string, unknown>): Promise<void>
}

let handleCounter = 0
let auditCounter = 0

/** Every password the helpers use: it must never appear in a log. */
export const TEST_PASSWORD = 'a long enough password'

async function writeAudit(logs: string[], secrets: Set<string>) {
  const dir = process.env.LANTERN_LOG_AUDIT_DIR
  if (!dir) return
  await mkdir(dir, { recursive: true })
  const name = join(dir, `${process.pid}-${++auditCounter}`)
  await writeFile(`${name}.log`, logs.join(''))
  await writeFile(`${name}.secrets.json`, JSON.stringify([TEST_PASSWORD, ...secrets]))
}

export const testConfig = (overrides: Partial<Config> = {}): Config => ({
  ...loadConfig({ LOG_LEVEL: 'info' }),
  // Tests would trip the production limits; a test of a limit sets its own.
  rateLimit: { loginPerMinute: 10_000, loginPerIpPerMinute: 10_000, signupPerHour: 10_000, writesPerMinute: 10_000, writesPerIpPerMinute: 100_000 },
  newAccountHoldPosts: 0,
  // As newAccountHoldPosts: every test's accounts are made moments before they report; a test of the age sets its own.
  reportHoldMinAccountDays: 0,
  // PGlite runs queries on the event loop, and a loaded CI machine lags: shedding is tested on its own.
  maxEventLoopDelayMs: 0,
  ...overrides
})

export async function buildTestApp(t: Tap, overrides: Partial<Config> = {}, existing?: TestDatabase): Promise<TestApp> {
  const db = existing ?? (await createTestDatabase())
  const config = testConfig(overrides)
  const clock = new ManualClock(new Date())
  const logs: string[] = []
  const logStream = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk))
      done()
    }
  })
  const app = await buildApp({ config, database: db.database, clock, logStream })
  await app.ready()
  // What this app was told in confidence; with LANTERN_LOG_AUDIT_DIR set, scripts/audit-test-logs.ts
  // checks after the whole run that none of it reached a log line.
  const secrets = new Set<string>()
  t.teardown(async () => {
    await app.close()
    if (!existing) await db.drop()
    await writeAudit(logs, secrets)
  })

  const as: TestApp['as'] = (account, options) =>
    app.inject({ ...options, headers: { ...account.auth, ...(options.headers ?? {}) } })

  const signUp: TestApp['signUp'] = async (options = {}) => {
    const handle = options.handle ?? `member-${process.pid % 1000}-${++handleCounter}`
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/accounts',
      payload: { handle, password: TEST_PASSWORD, circle: options.circle ?? 'recovery' }
    })
    if (res.statusCode !== 201) throw new Error(`sign-up failed: ${res.statusCode} ${res.body}`)
    const body = res.json() as { account: { id: string; handle: string }; token: string }
    secrets.add(body.token)
    if (options.role && options.role !== 'member') {
      await db.database.db.update(accounts).set({ role: options.role }).where(eq(accounts.id, body.account.id))
    }
    return { id: body.account.id, handle: body.account.handle, token: body.token, auth: { authorization: `Bearer ${body.token}` } }
  }

  const startThread: TestApp['startThread'] = async (account, board = 'general', fields = {}) => {
    if (typeof fields.body === 'string' && fields.body.length >= 12) secrets.add(fields.body)
    const res = await as(account, {
      method: 'POST',
      url: `/api/v1/boards/${board}/threads`,
      payload: { title: 'A thread to talk in', body: 'Hello everyone, checking in today.', ...fields }
    })
    if (res.statusCode !== 201) throw new Error(`startThread failed: ${res.statusCode} ${res.body}`)
    const body = res.json() as { thread: { id: string }; post: { id: string } }
    return { threadId: body.thread.id, postId: body.post.id }
  }

  const reply: TestApp['reply'] = async (account, threadId, body = 'Thanks for sharing, I hear you.') => {
    if (body.length >= 12) secrets.add(body)
    const res = await as(account, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body } })
    if (res.statusCode !== 201) throw new Error(`reply failed: ${res.statusCode} ${res.body}`)
    return { postId: (res.json() as { post: { id: string } }).post.id }
  }

  const reportAndResolve: TestApp['reportAndResolve'] = async (reporter, staff, postId, decision) => {
    const report = await as(reporter, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'harassment' } })
    if (report.statusCode >= 300) throw new Error(`report failed: ${report.statusCode} ${report.body}`)
    const items = (await as(staff, { url: '/api/v1/moderation/queue?status=open&limit=100' })).json() as { items: Array<{ id: string; post: { id: string } }> }
    const item = items.items.find((i) => i.post.id === postId)
    if (!item) throw new Error(`no open queue item for post ${postId}`)
    const res = await as(staff, { method: 'POST', url: `/api/v1/moderation/queue/${item.id}/resolve`, payload: decision })
    if (res.statusCode !== 200) throw new Error(`resolve failed: ${res.statusCode} ${res.body}`)
  }

  return { app, config, clock, db, logs, signUp, as, startThread, reply, reportAndResolve }
}
