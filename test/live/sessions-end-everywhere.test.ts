/**
 * A session that ends on one instance (sign-out, account deletion, create-admin promoting the account) closes its
 * sockets on every instance as soon as they read the outbox, not at their next session check (15 s by default:
 * a member who signed out of a shared computer left 15 s of their live feed behind). The second instance's session
 * check is set to a minute here, so only the news can close the socket in time.
 */
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { createOrPromoteAdmin } from '../../src/accounts/service.js'
import { openDatabase } from '../../src/db/client.js'
import { buildTestApp, TEST_PASSWORD, testConfig, type TestApp } from '../helpers/app.js'
import { LiveSocket, liveUrl, sleep } from '../helpers/live.js'

async function secondInstance(t: Test, h: TestApp) {
  const databaseB = h.db.url ? await openDatabase({ url: h.db.url, poolSize: 3 }) : h.db.database
  const appB = await buildApp({ config: testConfig({ logLevel: 'silent' }), database: databaseB, clock: h.clock, live: { sessionCheckMs: 60_000 } })
  t.teardown(async () => {
    await appB.close()
    if (databaseB !== h.db.database) await databaseB.close()
  })
  return appB
}

/** The socket's close code if it closes within `ms`, else null. */
const closedWithin = (socket: LiveSocket, ms: number) => Promise.race([socket.closed.then((c) => c.code), sleep(ms).then(() => null)])

async function watching(t: Test, url: string, token: string) {
  const socket = await LiveSocket.open(url, { token })
  t.teardown(() => socket.close())
  t.equal((await socket.subscribe('board:general')).type, 'subscribed')
  return socket
}

t.test('signing out on one instance closes the session’s sockets on the other at once', async (t) => {
  const h = await buildTestApp(t)
  const b = await secondInstance(t, h)
  const member = await h.signUp()
  const other = await h.signUp()
  const url = await liveUrl(b)
  const socket = await watching(t, url, member.token)
  const untouched = await watching(t, url, other.token)
  const out = await h.as(member, { method: 'DELETE', url: '/api/v1/sessions/current' })
  t.equal(out.statusCode, 204)
  t.equal(await closedWithin(socket, 5000), 4401, 'closed with 4401, well before the one-minute session check')
  t.equal(await closedWithin(untouched, 300), null, "another member's socket stays open")
})

t.test('deleting the account on one instance closes its sockets on the other at once', async (t) => {
  const h = await buildTestApp(t)
  const b = await secondInstance(t, h)
  const member = await h.signUp()
  const socket = await watching(t, await liveUrl(b), member.token)
  const gone = await h.as(member, { method: 'DELETE', url: '/api/v1/me', payload: { password: TEST_PASSWORD } })
  t.equal(gone.statusCode, 204)
  t.equal(await closedWithin(socket, 5000), 4401)
})

t.test('create-admin promoting an account closes the sockets of its old sessions (a stolen one among them)', async (t) => {
  const h = await buildTestApp(t)
  const b = await secondInstance(t, h)
  const member = await h.signUp()
  const socket = await watching(t, await liveUrl(b), member.token)
  // The CLI's promotion, as `npm run create-admin` runs it: outside any server, writing the news to the outbox.
  const promoted = await createOrPromoteAdmin({ db: h.db.database.db, clock: h.clock }, member.handle, 'a new long enough password')
  t.equal(promoted.sessionsEnded, 1)
  // No instance was woken (the CLI sends no NOTIFY): the other instance's 2 s poll reads the news.
  t.equal(await closedWithin(socket, 5000), 4401, 'closed by the news, not at the next session check')
})
