import { eq, sql } from 'drizzle-orm'
import t from 'tap'
import { rows } from '../../src/db/client.js'
import { posts } from '../../src/db/schema.js'
import { appOnThrowawayCluster, postgresBin } from '../helpers/cluster.js'
import { sleep } from '../helpers/live.js'

t.test(
  'with PostgreSQL stopped, requests answer 503 quickly; when it is back, the same process serves again',
  { skip: postgresBin() ? false : 'needs the PostgreSQL server binaries (initdb, pg_ctl)' },
  async (t) => {
    const { app, database, cluster } = await appOnThrowawayCluster(t, { poolSize: 5 })
    const signup = await app.inject({ method: 'POST', url: '/api/v1/accounts', payload: { handle: 'steady-wren', password: 'a long enough password', circle: 'recovery' } })
    const auth = { authorization: `Bearer ${signup.json().token}` }
    const thread = await app.inject({ method: 'POST', url: '/api/v1/boards/general/threads', headers: auth, payload: { title: 'Through the outage', body: 'first' } })
    const threadId = thread.json().thread.id as string

    // Traffic runs throughout: replies every few milliseconds, each recording its answer.
    const acknowledged: string[] = []
    const answers: Array<{ status: number; ms: number; phase: string }> = []
    let phase = 'up'
    let running = true
    const traffic = (async () => {
      let n = 0
      while (running) {
        const started = Date.now()
        const res = await app.inject({ method: 'POST', url: `/api/v1/threads/${threadId}/posts`, headers: auth, payload: { body: `reply ${n++}` } })
        answers.push({ status: res.statusCode, ms: Date.now() - started, phase })
        if (res.statusCode === 201) acknowledged.push(res.json().post.id)
        else t.match(res.json(), { error: { code: 'unavailable' } }, 'a failure is 503 unavailable')
        await sleep(10)
      }
    })()

    await sleep(500)
    phase = 'stopping'
    await cluster.stop()
    phase = 'down'
    await sleep(1500)
    const ready = await app.inject({ url: '/readyz' })
    t.equal(ready.statusCode, 503, 'readyz says so')
    const down = answers.filter((a) => a.phase === 'down')
    t.ok(down.length > 5, `${down.length} requests while down`)
    t.ok(down.every((a) => a.status === 503), 'every one answered 503')
    t.ok(down.every((a) => a.ms < 3500), `quickly: slowest ${Math.max(...down.map((a) => a.ms))} ms`)
    t.ok(answers.every((a) => a.status === 201 || a.status === 503), 'never a 500 or a hang')

    phase = 'restarting'
    await cluster.start()
    phase = 'back'
    let served = false
    for (let i = 0; i < 100 && !served; i++) {
      await sleep(100)
      served = answers.some((a) => a.phase === 'back' && a.status === 201)
    }
    running = false
    await traffic
    t.ok(served, 'the same process serves again without a restart')
    t.equal((await app.inject({ url: '/readyz' })).statusCode, 200)

    // Nothing half-written: every acknowledged reply is there, and every stored reply is whole.
    const stored = await database.db.select({ id: posts.id, bodyHtml: posts.bodyHtml }).from(posts).where(eq(posts.threadId, threadId))
    const ids = new Set(stored.map((p) => p.id))
    t.ok(acknowledged.every((id) => ids.has(id)), `all ${acknowledged.length} acknowledged replies are stored`)
    const [orphans] = await rows<{ n: number }>(database.db, sql`select count(*)::int as n from posts p where not exists (select 1 from events e where e.channel = 'thread:' || p.thread_id::text and (e.data->>'id') = p.id::text)`)
    t.equal(orphans?.n, 1, 'every post but the opening one has its live event (written in the same transaction)')
  }
)
