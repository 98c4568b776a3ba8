/**
 * The LISTEN connection under faults: its backend terminated, the connection gone silent (a partition behind a
 * middlebox that keeps TCP up), and connections that die as soon as they are made.
 */
import pg from 'pg'
import t from 'tap'
import { openDatabase } from '../../src/db/client.js'
import { buildTestApp } from '../helpers/app.js'
import { createTestDatabase } from '../helpers/database.js'
import { sleep } from '../helpers/live.js'
import { pgProxy } from '../helpers/proxy.js'

const real = { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL' }

async function listenPids(url: string): Promise<number[]> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  const name = new URL(url).pathname.slice(1)
  const r = await c.query("select pid from pg_stat_activity where datname = $1 and query ilike 'listen%' order by pid", [name])
  await c.end()
  return r.rows.map((row) => row.pid as number)
}

/** Polls until `done()` holds; false if it did not within `ms`. */
async function within(ms: number, done: () => boolean | Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await done()) return true
    if (Date.now() > deadline) return false
    await sleep(50)
  }
}

/**
 * A proxy in front of PostgreSQL that knows which of its connections listen (sent a LISTEN). `freeze()` stops every
 * byte of those, both ways, with TCP kept up; `cutAfter` destroys each connection that many ms after its LISTEN.
 */
async function listeningProxy(databaseUrl: string, options: { cutAfter?: number } = {}) {
  const connections: Array<{ frozen: boolean; listens: boolean }> = []
  const proxy = await pgProxy(databaseUrl, ({ end }) => {
    const connection = { frozen: false, listens: false }
    connections.push(connection)
    return {
      toServer(chunk) {
        if (!connection.listens && chunk.toString('latin1').toLowerCase().includes('listen')) {
          connection.listens = true
          if (options.cutAfter !== undefined) setTimeout(end, options.cutAfter)
        }
        return !connection.frozen
      },
      toClient: () => !connection.frozen
    }
  })
  return {
    url: proxy.url,
    /** How many connections sent a LISTEN so far. */
    get listens() {
      return connections.filter((c) => c.listens).length
    },
    freeze() {
      for (const c of connections) if (c.listens) c.frozen = true
    },
    close: proxy.close
  }
}

t.test('the LISTEN backend terminated: a new one within a second, and only one', real, async (t) => {
  const h = await buildTestApp(t)
  const before = await listenPids(h.db.url!)
  t.equal(before.length, 1)
  const admin = new pg.Client({ connectionString: h.db.url! })
  await admin.connect()
  t.teardown(() => admin.end())
  await admin.query('select pg_terminate_backend($1)', [before[0]])
  let after: number[] = []
  const replaced = await within(3000, async () => {
    after = await listenPids(h.db.url!)
    return after.length === 1 && after[0] !== before[0]
  })
  t.ok(replaced, `one new LISTEN connection (before ${before}, after ${after})`)
})

t.test('a LISTEN connection gone silent is noticed and replaced, and notifications are heard again', real, async (t) => {
  const fresh = await createTestDatabase()
  t.teardown(() => fresh.drop())
  const proxy = await listeningProxy(fresh.url!)
  const database = await openDatabase({ url: proxy.url, poolSize: 1 })
  const heard: string[] = []
  let reconnects = 0
  const stop = await database.listen('lantern_test', (payload) => heard.push(payload), () => reconnects++)
  t.teardown(async () => {
    await stop()
    await database.close()
    proxy.close()
  })
  const sender = new pg.Client({ connectionString: fresh.url! })
  await sender.connect()
  t.teardown(() => sender.end())
  const notify = (payload: string) => sender.query('select pg_notify($1, $2)', ['lantern_test', payload])

  await notify('before')
  t.ok(await within(2000, () => heard.includes('before')), 'heard while the connection is healthy')
  proxy.freeze()
  const frozenAt = Date.now()
  await notify('while silent')
  // A check every 10 s, 5 s to answer: 15 s at worst, and room for a loaded machine (it was never noticed before).
  t.ok(await within(20_000, () => reconnects > 0), `noticed and replaced (after ${Date.now() - frozenAt} ms)`)
  t.equal(proxy.listens, 2, 'one new LISTEN connection')
  await notify('after')
  t.ok(await within(2000, () => heard.includes('after')), 'heard again')
})

t.test('a LISTEN connection that dies as soon as it is made is retried ever more slowly, not every 100 ms', real, async (t) => {
  const fresh = await createTestDatabase()
  t.teardown(() => fresh.drop())
  const proxy = await listeningProxy(fresh.url!, { cutAfter: 50 })
  const database = await openDatabase({ url: proxy.url, poolSize: 1 })
  const stop = await database.listen('lantern_test', () => {}, () => {})
  t.teardown(async () => {
    await stop()
    await database.close()
    proxy.close()
  })
  await sleep(3500)
  // Back-off 100, 200, 400, 800, 1600 ms: six connections at most in 3.5 s (about twenty if each one reset it).
  t.ok(proxy.listens <= 7, `${proxy.listens} LISTEN connections in 3.5 s`)
})
