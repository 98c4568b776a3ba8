import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { createTestDatabase, testDatabaseUrl } from '../helpers/database.js'

// Responses are read loosely here; the contract's shapes are asserted elsewhere.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>

interface Server {
  child: ChildProcess
  base: string
  exited: Promise<number | null>
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, DATABASE_URL: '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', NEW_ACCOUNT_HOLD_POSTS: '0', RATE_LIMIT_WRITES_PER_MINUTE: '100000', RATE_LIMIT_WRITES_PER_IP_PER_MINUTE: '100000', RATE_LIMIT_SIGNUP_PER_HOUR: '1000', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  let output = ''
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 60_000)
    child.stdout!.on('data', (d) => {
      output += d
      const match = /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match && output.includes('Lantern is ready')) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
    child.stderr!.on('data', (d) => (output += d))
  })
  return { child, base, exited }
}

const json = async (base: string, path: string, init: { method?: string; token?: string; body?: unknown } = {}) => {
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
    ...(init.body ? { body: JSON.stringify(init.body) } : {})
  })
  return { status: res.status, body: (await res.json()) as Json }
}

/**
 * Posts under load, kills the server with SIGKILL mid-stream, restarts it on the same data, and checks that
 * every reply that got a 201 is there, whole, and that nothing else is half there.
 */
async function killMidWrite(t: Test, env: Record<string, string>) {
  const first = await startServer(env)
  const accounts: string[] = []
  for (let i = 0; i < 4; i++) {
    const res = await json(first.base, '/api/v1/accounts', { method: 'POST', body: { handle: `durable-${i}-${process.pid}`, password: 'a long enough password', circle: 'recovery' } })
    accounts.push(res.body.token as string)
  }
  const thread = await json(first.base, '/api/v1/boards/general/threads', { method: 'POST', token: accounts[0], body: { title: 'Under load', body: 'the opening post' } })
  const threadId = thread.body.thread.id as string

  const acknowledged = new Map<string, string>()
  let stop = false
  const writer = async (w: number) => {
    for (let n = 0; !stop; n++) {
      const body = `writer ${w} reply ${n}`
      try {
        const res = await json(first.base, `/api/v1/threads/${threadId}/posts`, { method: 'POST', token: accounts[w % accounts.length], body: { body } })
        if (res.status === 201) acknowledged.set(res.body.post.id, `<p>${body}</p>`)
      } catch {
        return // the server is gone
      }
    }
  }
  const writers = Array.from({ length: 8 }, (_, w) => writer(w))
  await new Promise((resolve) => setTimeout(resolve, 1500))
  first.child.kill('SIGKILL')
  await first.exited
  stop = true
  await Promise.all(writers)
  t.ok(acknowledged.size > 10, `${acknowledged.size} replies acknowledged before the kill`)

  const second = await startServer(env)
  t.teardown(async () => {
    second.child.kill('SIGTERM')
    await second.exited
  })
  t.equal((await json(second.base, '/readyz')).status, 200, 'the restarted server is ready')
  const stored: Array<{ id: string; bodyHtml: string; author: unknown; state: string }> = []
  let cursor: string | null = null
  let threadView: Json | undefined
  do {
    const page = await json(second.base, `/api/v1/threads/${threadId}?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { token: accounts[1] })
    t.equal(page.status, 200)
    threadView = page.body.thread
    stored.push(...page.body.posts)
    cursor = page.body.nextCursor
  } while (cursor)
  const byId = new Map(stored.map((p) => [p.id, p]))
  const missing = [...acknowledged.keys()].filter((id) => !byId.has(id))
  t.same(missing, [], 'every acknowledged reply survived the kill')
  for (const [id, html] of acknowledged) {
    if (byId.get(id)?.bodyHtml !== html) t.fail(`reply ${id} is not whole`)
  }
  t.ok(stored.every((p) => p.state === 'visible' && p.author && typeof p.bodyHtml === 'string' && /^<p>(the opening post|writer \d+ reply \d+)<\/p>$/.test(p.bodyHtml)), 'nothing half there')
  t.equal(threadView?.postCount, stored.length, "the thread's count agrees with its posts")
  t.ok(stored.length - 1 >= acknowledged.size, 'unacknowledged replies may exist only if they committed whole')
}

t.test('SIGKILL under load loses no acknowledged post, on real PostgreSQL', { skip: testDatabaseUrl ? false : 'needs TEST_DATABASE_URL' }, async (t) => {
  const db = await createTestDatabase()
  await db.database.close()
  t.teardown(() => db.drop())
  await killMidWrite(t, { DATABASE_URL: db.url! })
})

t.test('SIGKILL under load loses no acknowledged post, on the embedded database', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'lantern-kill-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  await killMidWrite(t, { DATA_DIR: dataDir })
})
