/**
 * Staff powers end with a suspension and stop at a moderator's boards; every staff action is logged; an
 * escalate rule is a crisis in the queue whatever its category.
 */
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('a suspended moderator keeps no moderation power', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const mod = await h.signUp()
  await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${mod.id}/role`, payload: { role: 'moderator' } })
  const member = await h.signUp()
  const { threadId, postId } = await h.startThread(member)
  await h.as(admin, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'spam' } })
  const [item] = (await h.as(mod, { url: '/api/v1/moderation/queue' })).json().items as Array<{ id: string }>
  const rules = (await h.as(mod, { url: '/api/v1/moderation/rules?category=crisis&limit=1' })).json().rules as Array<{ id: string }>
  t.equal((await h.as(admin, { method: 'POST', url: `/api/v1/moderation/accounts/${mod.id}/suspend`, payload: { reason: 'misused the tools' } })).statusCode, 200)

  const attempts = {
    'read the queue': { url: '/api/v1/moderation/queue' },
    'claim an item': { method: 'POST', url: `/api/v1/moderation/queue/${item!.id}/claim` },
    'redact a post': { method: 'POST', url: `/api/v1/moderation/queue/${item!.id}/resolve`, payload: { decision: 'redact', body: 'words they never wrote' } },
    'suspend a member': { method: 'POST', url: `/api/v1/moderation/accounts/${member.id}/suspend`, payload: { reason: 'revenge' } },
    'turn a crisis rule off': { method: 'PATCH', url: `/api/v1/moderation/rules/${rules[0]!.id}`, payload: { enabled: false } },
    'lock a thread': { method: 'PATCH', url: `/api/v1/threads/${threadId}`, payload: { locked: true } }
  } as const
  for (const [what, request] of Object.entries(attempts)) {
    const res = await h.as(mod, request)
    t.equal(res.statusCode, 403, what)
    t.equal(res.json().error.code, 'suspended', `${what}: suspended`)
  }
  const page = (await h.as(member, { url: `/api/v1/threads/${threadId}` })).json()
  t.notOk(page.thread.locked, 'nothing changed: the thread is not locked')
  t.notMatch(page.posts[0].bodyHtml, /never wrote/, 'nor the post redacted')
  t.equal((await h.as(member, { url: '/api/v1/me' })).json().account.status, 'active', 'nor the member suspended')
  t.equal((await h.as(mod, { url: `/api/v1/threads/${threadId}` })).statusCode, 200, 'reading the forum is still allowed')
  // Lifted, the tools come back.
  await h.as(admin, { method: 'POST', url: `/api/v1/moderation/accounts/${mod.id}/unsuspend`, payload: {} })
  t.equal((await h.as(mod, { url: '/api/v1/moderation/queue' })).statusCode, 200)
})

t.test('a moderator of some boards locks threads on those boards only', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const familyMod = await h.signUp({ circle: 'family' })
  await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${familyMod.id}/role`, payload: { role: 'moderator', boards: ['family'] } })
  const member = await h.signUp()
  const parent = await h.signUp({ circle: 'family' })
  const general = await h.startThread(member, 'general')
  const family = await h.startThread(parent, 'family')
  const outside = await h.as(familyMod, { method: 'PATCH', url: `/api/v1/threads/${general.threadId}`, payload: { locked: true } })
  t.equal(outside.statusCode, 403)
  t.equal(outside.json().error.code, 'forbidden')
  t.equal((await h.as(member, { method: 'POST', url: `/api/v1/threads/${general.threadId}/posts`, payload: { body: 'still open' } })).statusCode, 201, 'the thread stays open')
  t.equal((await h.as(familyMod, { method: 'PATCH', url: `/api/v1/threads/${family.threadId}`, payload: { locked: true } })).statusCode, 200, 'their own board: allowed')
  t.equal((await h.as(admin, { method: 'PATCH', url: `/api/v1/threads/${general.threadId}`, payload: { locked: true } })).statusCode, 200, 'an admin: every board')
  t.equal((await h.as(familyMod, { method: 'PATCH', url: '/api/v1/threads/01a20b94-0000-7000-8000-000000000000', payload: { locked: true } })).statusCode, 404)
})

t.test('a moderator of some boards neither suspends nor lifts a suspension: it applies on every board', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const familyMod = await h.signUp({ circle: 'family' })
  await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${familyMod.id}/role`, payload: { role: 'moderator', boards: ['family'] } })
  const everyBoardMod = await h.signUp({ role: 'moderator' })
  const parent = await h.signUp({ circle: 'family' })
  await h.startThread(parent, 'family')
  const member = await h.signUp()
  const suspend = (actor: typeof admin, id: string) => h.as(actor, { method: 'POST', url: `/api/v1/moderation/accounts/${id}/suspend`, payload: { reason: 'heated' } })
  const unsuspend = (actor: typeof admin, id: string) => h.as(actor, { method: 'POST', url: `/api/v1/moderation/accounts/${id}/unsuspend`, payload: {} })

  for (const [who, id] of [['a member of another circle', member.id], ['a parent who posts on their own board', parent.id]] as const) {
    const res = await suspend(familyMod, id)
    t.equal(res.statusCode, 403, `suspending ${who}`)
    t.equal(res.json().error.code, 'forbidden')
  }
  t.equal((await suspend(familyMod, '01a20b94-0000-7000-8000-000000000000')).statusCode, 403, 'refused before the account is looked up')
  t.equal((await h.as(parent, { url: '/api/v1/me' })).json().account.status, 'active', 'nothing changed')

  t.equal((await suspend(everyBoardMod, parent.id)).statusCode, 200, 'a moderator of every board suspends')
  const lift = await unsuspend(familyMod, parent.id)
  t.equal(lift.statusCode, 403, 'the board moderator cannot lift it either')
  t.equal(lift.json().error.code, 'forbidden')
  t.equal((await h.as(parent, { url: '/api/v1/me' })).json().account.status, 'suspended')
  t.equal((await unsuspend(admin, parent.id)).statusCode, 200, 'an admin lifts it')
  t.equal((await suspend(admin, member.id)).statusCode, 200, 'and suspends')
  const log = (await h.as(admin, { url: '/api/v1/moderation/log' })).json().actions as Array<{ action: string; actor: { id: string } }>
  t.notOk(log.some((a) => a.actor.id === familyMod.id), 'no refused attempt is logged')
})

t.test('creating a board is in the moderation log', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const created = await h.as(admin, {
    method: 'POST',
    url: '/api/v1/boards',
    payload: { slug: 'newcomers', name: 'Newcomers', description: 'First steps', audience: 'everyone', requiresContentWarning: false }
  })
  t.equal(created.statusCode, 201)
  const again = await h.as(admin, {
    method: 'POST',
    url: '/api/v1/boards',
    payload: { slug: 'newcomers', name: 'Twice', description: 'x', audience: 'everyone', requiresContentWarning: false }
  })
  t.equal(again.statusCode, 409, 'a taken slug')
  const actions = (await h.as(admin, { url: '/api/v1/moderation/log' })).json().actions as Array<Record<string, unknown>>
  t.equal(actions.length, 1, 'one entry: the refused second board is not logged')
  t.match(actions[0], { action: 'board.created', targetType: 'board', targetId: 'newcomers', actor: { id: admin.id } })
})

t.test('an escalate rule of any category queues at priority 0', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const rule = await h.as(admin, {
    method: 'POST',
    url: '/api/v1/moderation/rules',
    payload: { pattern: 'going to hurt him', category: 'harassment', action: 'escalate', publicReason: 'A moderator will look at this.' }
  })
  t.equal(rule.statusCode, 201)
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  const writer = await h.signUp()
  await h.reply(writer, threadId, 'warming up first')
  const res = await h.as(writer, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'I am going to hurt him when I see him' } })
  t.equal(res.statusCode, 201)
  t.ok(res.json().moderation.crisisResources.length > 0)
  const items = (await h.as(admin, { url: '/api/v1/moderation/queue' })).json().items as Array<{ priority: number; post: { id: string } }>
  t.equal(items.find((i) => i.post.id === res.json().post.id)?.priority, 0)
})
