import t from 'tap'
import { appOnThrowawayCluster, postgresBin } from '../helpers/cluster.js'
import { LiveSocket, liveUrl } from '../helpers/live.js'

t.test(
  'an auth message while the database is down is told to come back later (1013) at once, never that its session ended (4401)',
  { skip: postgresBin() ? false : 'needs the PostgreSQL server binaries (initdb, pg_ctl)' },
  async (t) => {
    const { app, cluster } = await appOnThrowawayCluster(t, { poolSize: 3, live: { authTimeoutMs: 5000 } })
    const signup = await app.inject({ method: 'POST', url: '/api/v1/accounts', payload: { handle: 'steady-wren', password: 'a long enough password', circle: 'recovery' } })
    const token = signup.json().token as string
    const url = await liveUrl(app)
    const socket = await LiveSocket.open(url)
    await cluster.stop()

    const started = Date.now()
    socket.send({ type: 'auth', token })
    const closed = await socket.closed
    t.equal(closed.code, 1013, 'closed with 1013 (try again later)')
    t.ok(Date.now() - started < 4000, 'at once, not when the auth timer runs out')
    t.match(socket.messages, [{ type: 'error', code: 'unavailable' }], 'told why first')

    await cluster.start()
    const again = await LiveSocket.open(url)
    t.teardown(() => again.close())
    again.send({ type: 'auth', token })
    t.match(await again.waitFor((m) => m.type === 'authenticated', 5000), { account: { handle: 'steady-wren' } }, 'the same token authenticates once the database is back')
  }
)
