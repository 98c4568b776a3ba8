/**
 * A suspension takes the moderation tools with it, live ones included: a suspended moderator loses `moderation`, and on
 * board and thread channels reads as a member of their circle (no held posts, no hidden threads, no family board).
 */
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { LiveSocket, liveUrl, sleep } from '../helpers/live.js'

t.test('a suspended moderator gets no held post on a thread channel, and staff reading back once it is lifted', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const admin = await h.signUp({ role: 'admin' })
  const mod = await h.signUp({ role: 'moderator' })
  const author = await h.signUp()
  const { threadId } = await h.startThread(admin)
  const s = await LiveSocket.open(url, { token: mod.token })
  t.teardown(() => s.close())
  t.equal((await s.subscribe(`thread:${threadId}`)).type, 'subscribed')
  t.equal((await s.subscribe('moderation')).type, 'subscribed')

  const hold = (body: string) => h.as(author, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body } })
  t.equal((await hold('BEFORE please call me 07700 900123')).json().moderation.state, 'held')
  await s.waitFor((m) => m.channel === `thread:${threadId}` && JSON.stringify(m).includes('BEFORE'))
  t.pass('as staff, the held reply comes on the thread channel')

  t.equal((await h.as(admin, { method: 'POST', url: `/api/v1/moderation/accounts/${mod.id}/suspend`, payload: { reason: 'misused the tools' } })).statusCode, 200)
  await s.waitFor((m) => m.type === 'error' && m.channel === 'moderation')
  t.equal((await hold('DURING please call me 07700 900124')).json().moderation.state, 'held')
  await h.reply(author, threadId, 'VISIBLE a reply anyone may read')
  await s.waitFor((m) => JSON.stringify(m).includes('VISIBLE'))
  t.notOk(JSON.stringify(s.messages).includes('DURING'), 'suspended: the held reply does not come, the visible one does')
  t.match(await s.subscribe(`thread:${threadId}`, '0'), { type: 'subscribed' })
  await sleep(300)
  t.notOk(JSON.stringify(s.messages).includes('DURING'), 'nor in a resume of the channel')

  t.equal((await h.as(admin, { method: 'POST', url: `/api/v1/moderation/accounts/${mod.id}/unsuspend`, payload: {} })).statusCode, 200)
  // The instance has read the lifting once `moderation` opens again.
  for (let i = 0; i < 50 && (await s.subscribe('moderation')).type !== 'subscribed'; i++) await sleep(100)
  const from = s.messages.length
  t.equal((await s.subscribe(`thread:${threadId}`, '0')).type, 'subscribed')
  await s.waitFor((m) => JSON.stringify(m).includes('DURING'), 3000, from)
  t.pass('lifted: a resume brings the held reply')
})

t.test('a suspended moderator cannot open a held thread or the family board live', async (t) => {
  const h = await buildTestApp(t)
  const url = await liveUrl(h.app)
  const admin = await h.signUp({ role: 'admin' })
  const mod = await h.signUp({ role: 'moderator', circle: 'recovery' })
  const author = await h.signUp()
  const held = await h.as(author, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: 'A thread', body: 'ring me 07700 900456' } })
  t.equal(held.json().moderation.state, 'held')
  const heldThread = held.json().thread.id as string
  const s = await LiveSocket.open(url, { token: mod.token })
  t.teardown(() => s.close())
  t.equal((await s.subscribe(`thread:${heldThread}`)).type, 'subscribed', 'as staff: the held thread')
  t.equal((await s.subscribe('board:family')).type, 'subscribed', 'and the family board')

  t.equal((await h.as(admin, { method: 'POST', url: `/api/v1/moderation/accounts/${mod.id}/suspend`, payload: { reason: 'misused the tools' } })).statusCode, 200)
  await s.waitFor((m) => m.type === 'error' && m.channel === 'board:family')
  t.pass('suspended: the family board channel ends')
  await s.waitFor((m) => m.type === 'error' && m.channel === `thread:${heldThread}`)
  t.pass('and the held thread channel')
  t.match(await s.subscribe(`thread:${heldThread}`), { type: 'error', code: 'not_found' }, 'neither opens again')
  t.match(await s.subscribe('board:family'), { type: 'error', code: 'not_found' })
  t.match(await s.subscribe('board:general'), { type: 'subscribed' }, 'their own circle’s boards stay open')
})
