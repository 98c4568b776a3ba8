/**
 * A BEGIN the database does not answer (a host that froze just then) times out client-side, and the connection is
 * dropped. drizzle's transaction() sends BEGIN before its try/finally, so its client was never released: each such
 * timeout took a pool slot for good, and once the pool was empty the process never served again (found by the
 * review of the timeouts). Now a dead connection goes back to the pool at once (src/db/client.ts giveBackDead).
 */
import t from 'tap'
import { appBehindCuttingProxy } from '../helpers/proxy.js'

t.test('BEGINs that time out do not use up the pool: once the database answers, the same process serves', { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL behind a proxy' }, async (t) => {
  let armed = false
  const POOL = 3
  // While armed, a BEGIN is never answered (as from a host that froze just then).
  const { h, database } = await appBehindCuttingProxy(t, { cut: (sent) => armed && sent.includes('begin\u0000'), forward: false, poolSize: POOL })
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
