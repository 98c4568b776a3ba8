/**
 * A BEGIN the database does not answer (a host that froze just then) times out client-side, and the connection is
 * dropped. drizzle's transaction() sends BEGIN before its try/finally, so its client was never released: each such
 * timeout took a pool slot for good, and once the pool was empty the process never served again (found by the
 * review of the timeouts). Now a dead connection goes back to the pool at once (src/db/client.ts giveBackDead).
 */
import t from 'tap'
import { openDatabase } from '../../src/db/client.js'
import { buildTestApp } from '../helpers/app.js'
import { createTestDatabase } from '../helpers/database.js'
import { cuttingProxy } from '../helpers/proxy.js'

t.test('BEGINs that time out do not use up the pool: once the database answers, the same process serves', { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL behind a proxy' }, async (t) => {
  const fresh = await createTestDatabase()
  let armed = false
  // While armed, a BEGIN is never answered (as from a host that froze just then).
  const proxy = await cuttingProxy(fresh.url!, { cut: (sent) => armed && sent.includes('begin\u0000'), forward: false })
  const POOL = 3
  const database = await openDatabase({
    url: proxy.url,
    poolSize: POOL,
    timeouts: { statementTimeoutMs: 1000, lockTimeoutMs: 500, queryTimeoutMs: 1500, migrationTimeoutMs: 0 }
  })
  t.teardown(async () => {
    // Before the fix pool.end() waited for the leaked clients for ever: never wait long for it.
    await Promise.race([database.close().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 500))])
    proxy.close()
    await fresh.drop()
  })
  const h = await buildTestApp(t, {}, { database, url: proxy.url, drop: async () => {} })
  const member = await h.signUp()
  const post = (title: string) =>
    h.as(member, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title, body: 'Hello everyone, checking in today.' } })
  t.equal((await post('Before')).statusCode, 201)

  armed = true
  for (let i = 0; i < POOL; i++) {
    const res = await post(`Frozen ${i}`)
    t.equal(res.statusCode, 503, 'a frozen database answers 503')
  }
  armed = false // the database answers again

  const pool = (database as unknown as { db: { $client: { totalCount: number; idleCount: number; waitingCount: number } } }).db.$client
  t.equal(pool.totalCount - pool.idleCount, 0, 'no connection is left checked out')
  const statuses: number[] = []
  for (let i = 0; i < 3; i++) statuses.push((await h.as(member, { url: '/api/v1/me' })).statusCode)
  t.same(statuses, [200, 200, 200], 'the process serves again once the database answers')
})
