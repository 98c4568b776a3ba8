import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

const slugs = (res: { json(): { boards: Array<{ slug: string }> } }) => res.json().boards.map((b) => b.slug)

t.test('the board list shows only what the caller may read', async (t) => {
  const h = await buildTestApp(t)
  const recovery = await h.signUp({ circle: 'recovery' })
  const family = await h.signUp({ circle: 'family' })
  const moderator = await h.signUp({ role: 'moderator' })

  t.same(slugs(await h.app.inject({ url: '/api/v1/boards' })), ['triggers', 'relapse-prevention', 'general'], 'anonymous')
  t.same(slugs(await h.as(recovery, { url: '/api/v1/boards' })), ['triggers', 'relapse-prevention', 'general'], 'recovery circle')
  t.same(slugs(await h.as(family, { url: '/api/v1/boards' })), ['triggers', 'relapse-prevention', 'family', 'general'], 'family circle')
  t.same(slugs(await h.as(moderator, { url: '/api/v1/boards' })), ['triggers', 'relapse-prevention', 'family', 'general'], 'staff')

  const boards = (await h.as(family, { url: '/api/v1/boards' })).json().boards
  t.match(boards[0], { slug: 'triggers', name: 'Triggers and cravings', audience: 'everyone', requiresContentWarning: true, threadCount: 0 })
  t.match(boards[2], { slug: 'family', audience: 'family', requiresContentWarning: false })
})

t.test('threadCount counts the threads others can see', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  await h.startThread(member)
  await h.startThread(member)
  const general = (await h.as(member, { url: '/api/v1/boards' })).json().boards.find((b: { slug: string }) => b.slug === 'general')
  t.equal(general.threadCount, 2)
})

t.test('admins create boards; others cannot', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const moderator = await h.signUp({ role: 'moderator' })
  const member = await h.signUp({ circle: 'family' })
  const payload = { slug: 'parents-of-teens', name: 'Parents of teens', description: 'For parents.', audience: 'family', requiresContentWarning: false }

  t.equal((await h.as(member, { method: 'POST', url: '/api/v1/boards', payload })).statusCode, 403)
  t.equal((await h.as(moderator, { method: 'POST', url: '/api/v1/boards', payload })).statusCode, 403)
  t.equal((await h.app.inject({ method: 'POST', url: '/api/v1/boards', payload })).statusCode, 401)
  const created = await h.as(admin, { method: 'POST', url: '/api/v1/boards', payload })
  t.equal(created.statusCode, 201)
  t.match(created.json().board, { ...payload, threadCount: 0 })
  t.ok(slugs(await h.as(member, { url: '/api/v1/boards' })).includes('parents-of-teens'), 'family sees the new family board')

  const again = await h.as(admin, { method: 'POST', url: '/api/v1/boards', payload })
  t.equal(again.statusCode, 409)
  t.equal(again.json().error.code, 'slug_taken')
  for (const bad of [{ ...payload, slug: 'Bad Slug' }, { ...payload, audience: 'staff' }, { ...payload, extra: 1 }, { slug: 'x-y' }]) {
    const res = await h.as(admin, { method: 'POST', url: '/api/v1/boards', payload: bad })
    t.equal(res.statusCode, 400, JSON.stringify(bad))
    t.equal(res.json().error.code, 'validation_failed')
  }
})
