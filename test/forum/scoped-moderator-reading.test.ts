/**
 * A moderator limited to some boards is staff on those boards only. Elsewhere they read as a member of their circle:
 * a peer volunteer in recovery who moderates the general board does not read the family board at all, over REST,
 * live or through the moderation log (found by the family-board review: the queue hid family items from them, but
 * the thread page, the board list, the thread's channel and the log showed the same held words).
 */
import t, { type Test } from 'tap'
import { buildTestApp, type TestAccount, type TestApp } from '../helpers/app.js'
import { LiveSocket, liveUrl, sleep } from '../helpers/live.js'

async function moderatorOf(t: Test, h: TestApp, admin: TestAccount, circle: 'recovery' | 'family', boards: string[]) {
  const account = await h.signUp({ circle })
  const res = await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${account.id}/role`, payload: { role: 'moderator', boards } })
  t.equal(res.statusCode, 200)
  return account
}

t.test('a recovery moderator of the general board: the family board does not exist for them, held or not', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const generalMod = await moderatorOf(t, h, admin, 'recovery', ['general'])
  const familyMod = await moderatorOf(t, h, admin, 'family', ['family'])
  const parent = await h.signUp({ circle: 'family' })
  const { threadId, postId } = await h.startThread(parent, 'family', { title: 'My son relapsed', body: 'We are struggling at home.' })
  const held = await h.as(parent, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'FAMILYSECRET call me on 415-555-0187' } })
  t.equal(held.json().moderation.state, 'held')

  const boards = (await h.as(generalMod, { url: '/api/v1/boards' })).json().boards.map((b: { slug: string }) => b.slug)
  t.notOk(boards.includes('family'), 'the family board is not listed')
  t.ok(boards.includes('general') && boards.includes('relapse-prevention'), 'their own board and their circle’s are')
  for (const url of [`/api/v1/threads/${threadId}`, '/api/v1/boards/family/threads']) {
    const res = await h.as(generalMod, { url })
    t.equal(res.statusCode, 404, `${url}: 404, as for any member of their circle`)
    t.notOk(res.body.includes('FAMILYSECRET'))
  }
  const reply = await h.as(generalMod, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'hello' } })
  t.equal(reply.statusCode, 404, 'nor can they write there')
  const report = await h.as(generalMod, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'other' } })
  t.equal(report.statusCode, 404)

  // The family board's own moderator still reads the held reply.
  const page = (await h.as(familyMod, { url: `/api/v1/threads/${threadId}` })).json()
  t.ok(JSON.stringify(page).includes('FAMILYSECRET'), 'the family moderator reads the held reply')

  // Live: the family channels are not found for them.
  const url = await liveUrl(h.app)
  const s = await LiveSocket.open(url, { token: generalMod.token })
  t.teardown(() => s.close())
  t.match(await s.subscribe(`thread:${threadId}`), { type: 'error', code: 'not_found' })
  t.match(await s.subscribe('board:family'), { type: 'error', code: 'not_found' })
})

t.test('a family-circle moderator of the general board reads the family board as a member: nothing held', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const mod = await moderatorOf(t, h, admin, 'family', ['general'])
  const parent = await h.signUp({ circle: 'family' })
  const { threadId } = await h.startThread(parent, 'family', { title: 'Holidays are hard', body: 'Any advice for the holidays?' })
  await h.as(parent, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'HELDREPLY my number 415-555-0187' } })
  await h.as(parent, { method: 'POST', url: '/api/v1/boards/family/threads', payload: { title: 'HELDTITLE ring 415-555-0122', body: 'please call' } })

  const page = await h.as(mod, { url: `/api/v1/threads/${threadId}` })
  t.equal(page.statusCode, 200, 'the family board is theirs to read, as a family member')
  t.notOk(page.body.includes('HELDREPLY'), 'but not its held replies')
  const list = await h.as(mod, { url: '/api/v1/boards/family/threads' })
  t.equal(list.statusCode, 200)
  t.notOk(list.body.includes('HELDTITLE'), 'nor its held threads')

  const url = await liveUrl(h.app)
  const s = await LiveSocket.open(url, { token: mod.token })
  t.teardown(() => s.close())
  t.equal((await s.subscribe(`thread:${threadId}`)).type, 'subscribed')
  t.equal((await s.subscribe('board:family')).type, 'subscribed')
  await h.as(parent, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'HELDLIVE my number is 415-555-0111' } })
  await h.as(parent, { method: 'POST', url: '/api/v1/boards/family/threads', payload: { title: 'HELDLIVETITLE call 415-555-0133', body: 'please' } })
  await h.as(parent, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'a published reply after them' } })
  await s.waitFor((m) => JSON.stringify(m).includes('a published reply after them'))
  await sleep(100)
  t.notOk(JSON.stringify(s.messages).includes('HELDLIVE'), 'held news of the family board does not reach them live')

  // On their own board they are staff: a held reply there is theirs to read.
  const member = await h.signUp()
  const general = await h.startThread(member, 'general')
  await h.as(member, { method: 'POST', url: `/api/v1/threads/${general.threadId}/posts`, payload: { body: 'GENERALHELD 415-555-0144' } })
  const own = await h.as(mod, { url: `/api/v1/threads/${general.threadId}` })
  t.ok(own.body.includes('GENERALHELD'), 'on the general board they read held replies')
})

t.test('the moderation log a limited moderator reads: their boards, the rules and their own actions', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const generalMod = await moderatorOf(t, h, admin, 'recovery', ['general'])
  const familyMod = await moderatorOf(t, h, admin, 'family', ['family'])
  const parent = await h.signUp({ circle: 'family' })
  const member = await h.signUp()
  const family = await h.startThread(parent, 'family', { title: 'At home', body: 'A hard week.' })
  const general = await h.startThread(member, 'general')
  for (const [who, threadId] of [[parent, family.threadId], [member, general.threadId]] as const) {
    await h.as(who, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'call me on 415-555-0187' } })
  }
  const resolveAll = async (mod: TestAccount, reason: string) => {
    const items = (await h.as(mod, { url: '/api/v1/moderation/queue?status=open&limit=100' })).json().items as Array<{ id: string }>
    t.equal(items.length, 1)
    const res = await h.as(mod, { method: 'POST', url: `/api/v1/moderation/queue/${items[0]!.id}/resolve`, payload: { decision: 'remove', reason } })
    t.equal(res.statusCode, 200)
  }
  await resolveAll(familyMod, 'FAMILYREASON named her son and his school')
  await resolveAll(generalMod, 'GENERALREASON a phone number')
  await h.as(familyMod, { method: 'PATCH', url: `/api/v1/threads/${family.threadId}`, payload: { locked: true } })
  const rule = await h.as(admin, { method: 'POST', url: '/api/v1/moderation/rules', payload: { pattern: 'zzyzx road', category: 'custom', action: 'flag' } })
  t.equal(rule.statusCode, 201)

  const log = (await h.as(generalMod, { url: '/api/v1/moderation/log?limit=100' })).json().actions as Array<{ action: string; reason: string | null; targetType: string }>
  const text = JSON.stringify(log)
  t.notOk(text.includes('FAMILYREASON'), 'not what was done on the family board')
  t.notOk(log.some((a) => a.targetType === 'thread'), 'not the family thread’s lock')
  t.ok(text.includes('GENERALREASON'), 'what was done on the general board')
  t.ok(log.some((a) => a.targetType === 'rule'), 'the rules')
  const all = JSON.stringify((await h.as(admin, { url: '/api/v1/moderation/log?limit=100' })).json())
  t.ok(all.includes('FAMILYREASON') && all.includes('GENERALREASON'), 'an admin reads the whole log')
  const familyLog = JSON.stringify((await h.as(familyMod, { url: '/api/v1/moderation/log?limit=100' })).json())
  t.ok(familyLog.includes('FAMILYREASON') && !familyLog.includes('GENERALREASON'), 'and the family moderator their board’s')
})
