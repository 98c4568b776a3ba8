/**
 * A replay serves only what this instance's hub has read (L3 in the live review): it used to read the outbox ahead of
 * the hub, and so could send, under the authorisation of the moment, events written after news (a demotion, a thread
 * hidden) that the instance had not applied yet. What comes later reaches the subscription live, after that news.
 */
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { openDatabase } from '../../src/db/client.js'
import { buildTestApp, testConfig } from '../helpers/app.js'
import { LiveSocket, liveUrl } from '../helpers/live.js'

t.test('a demoted moderator resuming on an instance that has not read the demotion gets no family news written after it', async (t) => {
  // Instance B falls behind on the outbox (a NOTIFY lost while its listener reconnects, or a slow round): its hub
  // reads nothing until the test lets it.
  const h = await buildTestApp(t)
  const databaseB = h.db.url ? await openDatabase({ url: h.db.url, poolSize: 3 }) : h.db.database
  const appB = await buildApp({ config: testConfig({ logLevel: 'silent' }), database: databaseB, clock: h.clock })
  t.teardown(async () => {
    await appB.close()
    if (databaseB !== h.db.database) await databaseB.close()
  })
  const urlB = await liveUrl(appB)
  const admin = await h.signUp({ role: 'admin' })
  const mod = await h.signUp({ circle: 'recovery', role: 'moderator' })
  const parent = await h.signUp({ circle: 'family' })
  const s = await LiveSocket.open(urlB, { token: mod.token })
  t.teardown(() => s.close())
  const cursor = (await s.subscribe('me')).cursor!
  t.equal((await s.subscribe('board:general')).type, 'subscribed')

  const hubB = appB.liveHub as unknown as { poll: () => Promise<void> }
  const realPoll = hubB.poll.bind(hubB)
  hubB.poll = () => Promise.resolve()
  const demoted = await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${mod.id}/role`, payload: { role: 'member' } })
  t.equal(demoted.json().account.role, 'member')
  await h.startThread(parent, 'family', { title: 'AFTERDEMOTION my son', body: 'written after the demotion committed' })

  const from = s.messages.length
  await s.subscribe('board:family', cursor)
  const leaked = await s.waitFor((m) => JSON.stringify(m).includes('AFTERDEMOTION'), 1000, from).catch(() => null)
  t.notOk(leaked, 'the replay stops at what B has read: nothing written after the demotion')
  hubB.poll = realPoll
  await realPoll()
  t.match(await s.waitFor((m) => m.type === 'error' && m.channel === 'board:family', 3000, from), { code: 'not_found' }, 'once B reads the demotion, the channel ends')
  t.notOk(JSON.stringify(s.messages.slice(from)).includes('AFTERDEMOTION'), 'and the family thread never reaches the socket')
})

t.test('events B has not read yet reach a resumed subscription live, once B reads them, in order and once each', async (t) => {
  const h = await buildTestApp(t)
  const databaseB = h.db.url ? await openDatabase({ url: h.db.url, poolSize: 3 }) : h.db.database
  const appB = await buildApp({ config: testConfig({ logLevel: 'silent' }), database: databaseB, clock: h.clock })
  t.teardown(async () => {
    await appB.close()
    if (databaseB !== h.db.database) await databaseB.close()
  })
  const urlB = await liveUrl(appB)
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  const channel = `thread:${threadId}`
  const first = await h.reply(member, threadId, 'read by B')
  await appB.liveHub.poll()
  const s = await LiveSocket.open(urlB, { token: member.token })
  t.teardown(() => s.close())
  const hubB = appB.liveHub as unknown as { poll: () => Promise<void> }
  const realPoll = hubB.poll.bind(hubB)
  hubB.poll = () => Promise.resolve()
  const later = await h.reply(member, threadId, 'not read by B yet')
  t.equal((await s.subscribe(channel, '0')).type, 'subscribed')
  await s.waitFor((m) => m.data?.id === first.postId)
  t.notOk(s.events(channel).some((m) => m.data?.id === later.postId), 'the replay ends at what B has read')
  hubB.poll = realPoll
  await realPoll()
  await s.waitFor((m) => m.data?.id === later.postId)
  const ids = s.events(channel).map((m) => m.data?.id)
  t.same(ids.slice(-2), [first.postId, later.postId], 'then the rest, live, in order')
  t.equal(new Set(s.events(channel).map((m) => m.id)).size, s.events(channel).length, 'once each')
})
