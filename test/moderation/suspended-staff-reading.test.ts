/**
 * A suspension takes the moderation tools with it, reading included: a suspended moderator (or admin) reads the forum
 * as a member of their circle, with no held posts, no hidden threads and no boards of the other circle, until the
 * suspension ends.
 */
import t, { type Test } from 'tap'
import { buildTestApp, type TestAccount, type TestApp } from '../helpers/app.js'

async function setUp(t: Test, role: 'moderator' | 'admin') {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const staff = role === 'admin' ? await h.signUp({ role: 'admin' }) : await h.signUp({ role: 'moderator' })
  const author = await h.signUp()
  const { threadId } = await h.startThread(author)
  const heldReply = await h.as(author, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'HELDREPLY please call me 07700 900123' } })
  t.equal(heldReply.json().moderation.state, 'held')
  const heldThread = await h.as(author, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: 'A thread', body: 'ring me 07700 900456' } })
  t.equal(heldThread.json().moderation.state, 'held')
  const parent = await h.signUp({ circle: 'family' })
  await h.startThread(parent, 'family', { title: 'Family', body: 'hello' })
  return { h, admin, staff, threadId, heldThreadId: heldThread.json().thread.id as string }
}

async function reads(h: TestApp, staff: TestAccount, threadId: string, heldThreadId: string) {
  const thread = await h.as(staff, { url: `/api/v1/threads/${threadId}` })
  const boards = await h.as(staff, { url: '/api/v1/boards' })
  return {
    heldReply: thread.body.includes('HELDREPLY'),
    heldThread: (await h.as(staff, { url: `/api/v1/threads/${heldThreadId}` })).statusCode,
    familyListed: (boards.json().boards as Array<{ slug: string }>).some((b) => b.slug === 'family'),
    familyBoard: (await h.as(staff, { url: '/api/v1/boards/family/threads' })).statusCode
  }
}

for (const role of ['moderator', 'admin'] as const) {
  t.test(`a suspended ${role} reads as a member of their circle, and as staff again once the suspension is lifted`, async (t) => {
    const { h, admin, staff, threadId, heldThreadId } = await setUp(t, role)
    t.same(await reads(h, staff, threadId, heldThreadId), { heldReply: true, heldThread: 200, familyListed: true, familyBoard: 200 }, 'as staff')

    // An admin is suspended only by the database (no one acts on an admin through the API).
    if (role === 'admin') await h.db.database.db.execute(`update accounts set status = 'suspended' where id = '${staff.id}'`)
    else t.equal((await h.as(admin, { method: 'POST', url: `/api/v1/moderation/accounts/${staff.id}/suspend`, payload: { reason: 'misused the tools' } })).statusCode, 200)
    t.same(
      await reads(h, staff, threadId, heldThreadId),
      { heldReply: false, heldThread: 404, familyListed: false, familyBoard: 404 },
      'suspended: no held reply, no held thread, no family board'
    )

    if (role === 'admin') await h.db.database.db.execute(`update accounts set status = 'active' where id = '${staff.id}'`)
    else t.equal((await h.as(admin, { method: 'POST', url: `/api/v1/moderation/accounts/${staff.id}/unsuspend`, payload: {} })).statusCode, 200)
    t.same(await reads(h, staff, threadId, heldThreadId), { heldReply: true, heldThread: 200, familyListed: true, familyBoard: 200 }, 'staff again')
  })
}

t.test('a suspension that has run out gives staff reading back by itself', async (t) => {
  const { h, admin, staff, threadId, heldThreadId } = await setUp(t, 'moderator')
  const res = await h.as(admin, { method: 'POST', url: `/api/v1/moderation/accounts/${staff.id}/suspend`, payload: { reason: 'cool off', days: 1 } })
  t.equal(res.statusCode, 200)
  t.equal((await reads(h, staff, threadId, heldThreadId)).heldReply, false, 'suspended: no held reply')
  h.clock.advance(2 * 86_400_000)
  t.equal((await reads(h, staff, threadId, heldThreadId)).heldReply, true, 'two days on: the held reply again')
})
