import { sql } from 'drizzle-orm'
import t from 'tap'
import { buildTestApp, type TestAccount, type TestApp } from '../helpers/app.js'

interface Item {
  id: string
  priority: number
  status: string
  reasons: Array<{ source: string; category: string; detail: string }>
  post: { id: string; state: string; bodyHtml: string | null; body: string }
  claimedBy: { id: string } | null
  claimExpiresAt: string | null
  resolution: { decision: string } | null
}

const items = async (h: TestApp, staff: TestAccount, query = 'status=open') => {
  const res = await h.as(staff, { url: `/api/v1/moderation/queue?${query}` })
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`)
  return res.json().items as Item[]
}

const post = async (h: TestApp, account: TestAccount, threadId: string, body: string) => {
  const res = await h.as(account, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body } })
  if (res.statusCode !== 201) throw new Error(`${res.statusCode} ${res.body}`)
  return res.json().post.id as string
}

t.test('the queue is ordered by priority, then oldest first, with one item per post', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const reporter = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(moderator)
  const spam = await post(h, member, threadId, 'great deals at https://spam.example')
  h.clock.advance(1000)
  const reported = await post(h, member, threadId, 'you are all idiots')
  await h.as(reporter, { method: 'POST', url: `/api/v1/posts/${reported}/reports`, payload: { reason: 'harassment', note: 'rude' } })
  h.clock.advance(1000)
  const sourcing = await post(h, member, threadId, "who's holding tonight")
  h.clock.advance(1000)
  const crisis = await post(h, member, threadId, 'I am going to end it all tonight')
  h.clock.advance(1000)
  const crisis2 = await post(h, member, threadId, 'better off dead honestly')
  await h.as(reporter, { method: 'POST', url: `/api/v1/posts/${spam}/reports`, payload: { reason: 'spam' } })

  const queue = await items(h, moderator)
  // The spam post's item is the oldest; the report that joined it raised it to priority 2.
  t.same(queue.map((i) => i.post.id), [crisis, crisis2, sourcing, spam, reported])
  t.same(queue.map((i) => i.priority), [0, 0, 1, 2, 2])
  const spamItem = queue.find((i) => i.post.id === spam)!
  t.same(spamItem.reasons.map((r) => r.source).sort(), ['new_account', 'report'], 'one item gathers every reason')

  const crisisOnly = await items(h, moderator, 'status=open&category=crisis')
  t.same(crisisOnly.map((i) => i.post.id), [crisis, crisis2], 'filter by category')
  const page1 = await h.as(moderator, { url: '/api/v1/moderation/queue?status=open&limit=2' })
  const page2 = await h.as(moderator, { url: `/api/v1/moderation/queue?status=open&limit=2&cursor=${page1.json().nextCursor}` })
  t.same(page2.json().items.map((i: Item) => i.post.id), [sourcing, spam], 'pages continue in order')
})

t.test('a crisis report by a member puts a post first even without a rule match', async (t) => {
  const h = await buildTestApp(t)
  const writer = await h.signUp()
  const friend = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(moderator)
  const spam = await post(h, writer, threadId, 'buy my course at https://x.example')
  const quiet = await post(h, writer, threadId, 'I have given away my things. thanks for everything.')
  const report = await h.as(friend, { method: 'POST', url: `/api/v1/posts/${quiet}/reports`, payload: { reason: 'crisis', note: 'sounds like a goodbye' } })
  t.equal(report.statusCode, 201)
  const queue = await items(h, moderator)
  t.equal(queue[0]?.post.id, quiet)
  t.equal(queue[0]?.priority, 0)
  t.equal(queue[1]?.post.id, spam)
})

t.test('reports from enough distinct accounts hold a visible post; the reporters stay anonymous', async (t) => {
  const h = await buildTestApp(t, { reportHideThreshold: 2 })
  const author = await h.signUp()
  const readers = [await h.signUp(), await h.signUp()]
  const { threadId, postId } = await h.startThread(author, 'general', { body: 'something people object to' })
  await h.as(readers[0]!, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'harassment' } })
  await h.as(readers[0]!, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'harassment' } })
  t.equal((await h.as(readers[1]!, { url: `/api/v1/threads/${threadId}` })).statusCode, 200, 'one account reporting twice does not count twice')
  await h.as(readers[1]!, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'spam' } })
  t.equal((await h.as(readers[1]!, { url: `/api/v1/threads/${threadId}` })).statusCode, 404, 'held: the thread is hidden until reviewed')
  const own = await h.as(author, { url: `/api/v1/threads/${threadId}` })
  t.equal(own.json().posts[0].state, 'held')
  const everything = JSON.stringify([own.json(), (await h.as(author, { url: '/api/v1/me/export' })).json()])
  for (const reader of readers) {
    t.notOk(everything.includes(reader.id) || everything.includes(reader.handle), 'the author never learns who reported')
  }
})

t.test('claims', async (t) => {
  const h = await buildTestApp(t, { claimLeaseSeconds: 600 })
  const member = await h.signUp()
  const [modA, modB] = [await h.signUp({ role: 'moderator' }), await h.signUp({ role: 'moderator' })]
  const { threadId } = await h.startThread(modA)
  await post(h, member, threadId, 'dm me for bars')
  const [item] = await items(h, modA)
  const claim = (who: TestAccount, id = item!.id) => h.as(who, { method: 'POST', url: `/api/v1/moderation/queue/${id}/claim` })

  t.test('a claim takes a lease; a second moderator gets 409 while it lives', async (t) => {
    const first = await claim(modA)
    t.equal(first.statusCode, 200)
    t.match(first.json().item, { status: 'claimed', claimedBy: { id: modA.id } })
    t.equal(Date.parse(first.json().item.claimExpiresAt) - h.clock.now().getTime(), 600_000)
    const second = await claim(modB)
    t.equal(second.statusCode, 409)
    t.equal(second.json().error.code, 'already_claimed')
    t.equal((await items(h, modB)).length, 0, 'a claimed item leaves the open list')
    t.equal((await items(h, modB, 'status=claimed')).length, 1)
    const resolve = await h.as(modB, { method: 'POST', url: `/api/v1/moderation/queue/${item!.id}/resolve`, payload: { decision: 'approve' } })
    t.equal(resolve.statusCode, 409, 'nor can they decide it')
    const release = await h.as(modB, { method: 'POST', url: `/api/v1/moderation/queue/${item!.id}/release` })
    t.equal(release.statusCode, 409, "nor release someone else's claim")
  })

  t.test('an expired lease frees the item', async (t) => {
    h.clock.advance(601_000)
    t.equal((await items(h, modB)).length, 1, 'open again')
    t.equal((await claim(modB)).statusCode, 200)
    t.equal((await claim(modA)).statusCode, 409)
  })

  t.test('release gives it back', async (t) => {
    const released = await h.as(modB, { method: 'POST', url: `/api/v1/moderation/queue/${item!.id}/release` })
    t.equal(released.statusCode, 200)
    t.equal(released.json().item.status, 'open')
    t.equal(released.json().item.claimedBy, null)
    t.equal((await claim(modA)).statusCode, 200)
  })

  t.test('unknown items are 404', async (t) => {
    t.equal((await claim(modA, '01a209e1-a90e-7142-9e55-bbe7ee3ea064')).statusCode, 404)
  })
})

t.test('two moderators claiming at the same instant: exactly one wins', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const moderators = await Promise.all(Array.from({ length: 6 }, () => h.signUp({ role: 'moderator' })))
  const { threadId } = await h.startThread(moderators[0]!)
  for (let round = 0; round < 5; round++) {
    await post(h, member, threadId, `selling xanax round ${round}`)
    const [item] = await items(h, moderators[0]!)
    const results = await Promise.all(moderators.map((m) => h.as(m, { method: 'POST', url: `/api/v1/moderation/queue/${item!.id}/claim` })))
    const codes = results.map((r) => r.statusCode).sort()
    t.same(codes, [200, 409, 409, 409, 409, 409], `round ${round}: one 200, the rest 409`)
    const winner = results.find((r) => r.statusCode === 200)!.json().item.claimedBy.id
    const stored = await items(h, moderators[0]!, 'status=claimed')
    t.equal(stored.find((i) => i.id === item!.id)?.claimedBy?.id, winner, 'the stored claim is the winner')
    await h.as(moderators.find((m) => m.id === winner)!, { method: 'POST', url: `/api/v1/moderation/queue/${item!.id}/resolve`, payload: { decision: 'remove', reason: 'sourcing' } })
  }
})

t.test('decisions and what members see', async (t) => {
  const h = await buildTestApp(t)
  const author = await h.signUp()
  const reader = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(moderator)
  const resolve = (id: string, payload: object) => h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${id}/resolve`, payload })
  const itemFor = async (postId: string) => (await items(h, moderator)).find((i) => i.post.id === postId)!
  const seenBy = async (who: TestAccount) => (await h.as(who, { url: `/api/v1/threads/${threadId}` })).json().posts as Array<{ id: string; state: string; bodyHtml: string | null; removalReason: string | null }>

  t.test('approve publishes a held post', async (t) => {
    const id = await post(h, author, threadId, 'call me on 07700 900123 after the meeting')
    t.notOk((await seenBy(reader)).some((p) => p.id === id))
    const res = await resolve((await itemFor(id)).id, { decision: 'approve' })
    t.equal(res.statusCode, 200)
    t.match(res.json().item, { status: 'resolved', resolution: { decision: 'approve', by: moderator.id } })
    t.match((await seenBy(reader)).find((p) => p.id === id), { state: 'visible' })
    t.equal((await resolve(res.json().item.id, { decision: 'remove' })).statusCode, 409, 'a resolved item stays resolved')
  })

  t.test('redact replaces the body, keeps the revision and publishes', async (t) => {
    const id = await post(h, author, threadId, 'text me 415-555-2671 any time')
    const res = await resolve((await itemFor(id)).id, { decision: 'redact', body: 'text me [number removed] any time', reason: 'phone number' })
    t.equal(res.statusCode, 200)
    const shown = (await seenBy(reader)).find((p) => p.id === id)!
    t.equal(shown.bodyHtml, '<p>text me [number removed] any time</p>')
    t.notMatch(JSON.stringify(await seenBy(reader)), /555-2671/)
    const exported = (await h.as(author, { url: '/api/v1/me/export' })).json()
    const revisions = exported.posts.find((p: { id: string }) => p.id === id).revisions
    t.match(revisions, [{ kind: 'redaction', body: 'text me 415-555-2671 any time' }], 'the original is kept as a revision')
    const missing = await resolve((await itemFor(await post(h, author, threadId, 'my email is a.person@example.com'))).id, { decision: 'redact' })
    t.equal(missing.statusCode, 400, 'a redaction needs a body')
  })

  t.test("redact may replace an opening post's thread title and its content warning, where screening found the number", async (t) => {
    const thread = await h.as(author, {
      method: 'POST',
      url: '/api/v1/boards/triggers/threads',
      payload: { title: 'Text me 415-555-0187', body: 'Rough night, anyone up?', contentWarning: 'or mail jane.doe@gmail.com' }
    })
    t.equal(thread.json().moderation.state, 'held')
    const { id: threadHeld } = thread.json().thread
    const item = await itemFor(thread.json().post.id)
    const refusals = [
      [{ decision: 'approve', title: 'Rough night' }, 'title'],
      [{ decision: 'remove', contentWarning: 'cravings' }, 'contentWarning'],
      [{ decision: 'redact', body: 'Rough night, anyone up?', contentWarning: null }, 'contentWarning']
    ] as const
    for (const [payload, field] of refusals) {
      const res = await resolve(item.id, payload)
      t.equal(res.statusCode, 400, JSON.stringify(payload))
      t.equal(res.json().error.details.field, field)
    }
    t.equal((await itemFor(thread.json().post.id)).status, 'open', 'a refused decision changes nothing')

    const res = await resolve(item.id, { decision: 'redact', body: 'Rough night, anyone up?', title: 'Rough night', contentWarning: 'cravings', reason: 'contact details' })
    t.equal(res.statusCode, 200)
    const listed = (await h.as(reader, { url: '/api/v1/boards/triggers/threads' })).json().threads.find((x: { id: string }) => x.id === threadHeld)
    t.match(listed, { title: 'Rough night', contentWarning: 'cravings' })
    const page = (await h.as(reader, { url: `/api/v1/threads/${threadHeld}` })).json()
    t.notMatch(JSON.stringify(page), /555-0187|jane\.doe/, 'neither the number nor the address is shown')
    const log = (await h.as(moderator, { url: '/api/v1/moderation/log' })).json()
    const entry = (log.actions as Array<{ action: string; targetId: string; details: unknown }>).find((e) => e.action === 'post.redacted' && e.targetId === thread.json().post.id)
    t.match(entry?.details, { replaced: ['body', 'title', 'contentWarning'] }, 'the log says what the redaction replaced')
    t.notMatch(JSON.stringify(log), /555-0187|jane\.doe/, 'but not the words it took out')

    const reply = await post(h, author, threadId, 'call me 415 555 0199')
    const onReply = await resolve((await itemFor(reply)).id, { decision: 'redact', body: 'call me [removed]', title: 'A new title' })
    t.equal(onReply.statusCode, 400, "a reply's redaction has no title to replace")
    t.equal(onReply.json().error.details.field, 'title')
  })

  t.test('remove takes the post down; only its author learns why', async (t) => {
    const id = await post(h, author, threadId, 'selling oxy, hmu')
    const res = await resolve((await itemFor(id)).id, { decision: 'remove', reason: 'Selling drugs is not allowed.' })
    t.equal(res.statusCode, 200)
    t.match((await seenBy(reader)).find((p) => p.id === id) ?? null, null, 'never published, so no placeholder for others')
    t.match((await seenBy(author)).find((p) => p.id === id), { state: 'removed', bodyHtml: null, removalReason: 'Selling drugs is not allowed.' })
    const staffView = (await items(h, moderator, 'status=resolved')).find((i) => i.post.id === id)!
    t.equal(staffView.post.body, 'selling oxy, hmu', 'staff still read the body through the queue')
  })

  t.test('removing a published post leaves a placeholder for others, without the reason', async (t) => {
    const id = await post(h, author, threadId, 'you are all pathetic')
    await h.as(reader, { method: 'POST', url: `/api/v1/posts/${id}/reports`, payload: { reason: 'harassment' } })
    await resolve((await itemFor(id)).id, { decision: 'remove', reason: 'Be kind.' })
    t.match((await seenBy(reader)).find((p) => p.id === id), { state: 'removed', bodyHtml: null, removalReason: null })
    t.match((await seenBy(author)).find((p) => p.id === id), { removalReason: 'Be kind.' })
  })
})

t.test('board-scoped moderators see and work only their boards', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const familyMod = await h.signUp({ circle: 'family' })
  const role = await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${familyMod.id}/role`, payload: { role: 'moderator', boards: ['family'] } })
  t.equal(role.statusCode, 200)
  t.equal(role.json().account.role, 'moderator')
  const parent = await h.signUp({ circle: 'family' })
  const member = await h.signUp()
  const familyThread = await h.startThread(admin, 'family')
  const generalThread = await h.startThread(admin, 'general')
  await post(h, parent, familyThread.threadId, 'anyone selling xanax near me')
  await post(h, member, generalThread.threadId, 'anyone selling xanax near me')

  const scoped = await items(h, familyMod)
  t.equal(scoped.length, 1)
  t.same(scoped.map((i) => (i as unknown as { board: string }).board), ['family'])
  t.equal((await items(h, admin)).length, 2, 'admins see every board')
  const other = (await items(h, admin)).find((i) => (i as unknown as { board: string }).board === 'general')!
  t.equal((await h.as(familyMod, { method: 'POST', url: `/api/v1/moderation/queue/${other.id}/claim` })).statusCode, 404)
  t.equal((await h.as(familyMod, { method: 'POST', url: `/api/v1/moderation/queue/${other.id}/resolve`, payload: { decision: 'approve' } })).statusCode, 404)
  const bad = await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${familyMod.id}/role`, payload: { role: 'moderator', boards: ['no-such-board'] } })
  t.equal(bad.statusCode, 400)
})

t.test('suspensions', async (t) => {
  const h = await buildTestApp(t)
  const moderator = await h.signUp({ role: 'moderator' })
  const otherMod = await h.signUp({ role: 'moderator' })
  const member = await h.signUp()
  const { threadId, postId } = await h.startThread(member)

  const res = await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/accounts/${member.id}/suspend`, payload: { days: 3, reason: 'harassment' } })
  t.equal(res.statusCode, 200)
  t.equal(res.json().account.status, 'suspended')

  for (const [method, url, payload] of [
    ['POST', `/api/v1/threads/${threadId}/posts`, { body: 'let me back' }],
    ['POST', '/api/v1/boards/general/threads', { title: 'New thread', body: 'x' }],
    ['PATCH', `/api/v1/posts/${postId}`, { body: 'edited' }],
    ['POST', `/api/v1/posts/${postId}/reports`, { reason: 'spam' }]
  ] as const) {
    const blocked = await h.as(member, { method, url, payload })
    t.equal(blocked.statusCode, 403, `${method} ${url}`)
    t.equal(blocked.json().error.code, 'suspended')
  }
  t.equal((await h.as(member, { url: `/api/v1/threads/${threadId}` })).statusCode, 200, 'can still read')
  t.equal((await h.as(member, { url: '/api/v1/me/export' })).statusCode, 200, 'can still export')
  t.equal((await h.as(member, { url: '/api/v1/me' })).json().account.status, 'suspended')

  h.clock.advance(3 * 86_400_000 + 1000)
  t.equal((await h.as(member, { url: '/api/v1/me' })).json().account.status, 'active', 'a suspension for days lapses by itself')
  t.equal((await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'back' } })).statusCode, 201)

  await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/accounts/${member.id}/suspend`, payload: { reason: 'until we talk' } })
  h.clock.advance(20 * 86_400_000)
  t.equal((await h.as(member, { url: '/api/v1/me' })).json().account.status, 'suspended', 'no days: until lifted')
  const lifted = await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/accounts/${member.id}/unsuspend`, payload: {} })
  t.equal(lifted.json().account.status, 'active')

  t.equal((await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/accounts/${otherMod.id}/suspend`, payload: { reason: 'x' } })).statusCode, 403, 'moderators cannot suspend moderators')
  t.equal((await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/accounts/${moderator.id}/suspend`, payload: { reason: 'x' } })).statusCode, 403, 'nor themselves')
  t.equal((await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/accounts/${member.id}/suspend`, payload: { days: 0, reason: 'x' } })).statusCode, 400)
})

t.test('the log records every staff action and cannot be changed', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const moderator = await h.signUp({ role: 'moderator' })
  const member = await h.signUp()
  const { threadId } = await h.startThread(admin)
  await post(h, member, threadId, 'dm me for bars')
  const [item] = await items(h, moderator)
  await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${item!.id}/claim` })
  await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${item!.id}/resolve`, payload: { decision: 'remove', reason: 'no dealing' } })
  await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/accounts/${member.id}/suspend`, payload: { reason: 'dealing', days: 7 } })
  await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/accounts/${member.id}/unsuspend` })
  await h.as(moderator, { method: 'PATCH', url: `/api/v1/threads/${threadId}`, payload: { locked: true } })
  await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${member.id}/role`, payload: { role: 'moderator' } })

  const log = (await h.as(admin, { url: '/api/v1/moderation/log?limit=100' })).json().actions as Array<{ action: string; actor: { id: string }; reason: string | null; targetId: string }>
  t.same(log.map((a) => a.action), ['account.role_changed', 'thread.locked', 'account.unsuspended', 'account.suspended', 'post.removed', 'queue.claimed'])
  t.match(log.find((a) => a.action === 'post.removed'), { actor: { id: moderator.id }, reason: 'no dealing', targetId: item!.post.id })

  for (const method of ['PATCH', 'PUT', 'DELETE'] as const) {
    t.equal((await h.as(admin, { method, url: '/api/v1/moderation/log', payload: {} })).statusCode, 404, `no ${method} on the log`)
  }
  const db = h.db.database.db
  await t.rejects(db.execute(sql`update moderation_log set reason = 'rewritten'`), 'the database refuses updates')
  await t.rejects(db.execute(sql`delete from moderation_log`), 'and deletes')
  t.equal((await h.as(admin, { url: '/api/v1/moderation/log?limit=100' })).json().actions.length, log.length)
})

t.test('members get 403 on every /moderation route', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const family = await h.signUp({ circle: 'family' })
  const id = '01a209e1-a90e-7142-9e55-bbe7ee3ea064'
  const routes = [
    ['GET', '/api/v1/moderation/rules'],
    ['POST', '/api/v1/moderation/rules'],
    ['PATCH', `/api/v1/moderation/rules/${id}`],
    ['DELETE', `/api/v1/moderation/rules/${id}`],
    ['POST', '/api/v1/moderation/rules/test'],
    ['GET', '/api/v1/moderation/queue'],
    ['POST', `/api/v1/moderation/queue/${id}/claim`],
    ['POST', `/api/v1/moderation/queue/${id}/release`],
    ['POST', `/api/v1/moderation/queue/${id}/resolve`],
    ['POST', `/api/v1/moderation/accounts/${id}/suspend`],
    ['POST', `/api/v1/moderation/accounts/${id}/unsuspend`],
    ['GET', '/api/v1/moderation/log']
  ] as const
  for (const who of [member, family]) {
    for (const [method, url] of routes) {
      const res = await h.as(who, { method, url, ...(method === 'GET' ? {} : { payload: { text: 'x' } }) })
      t.equal(res.statusCode, 403, `${method} ${url}`)
      t.equal(res.json().error.code, 'forbidden')
    }
  }
  const moderator = await h.signUp({ role: 'moderator' })
  t.equal((await h.as(moderator, { method: 'PATCH', url: `/api/v1/accounts/${member.id}/role`, payload: { role: 'admin' } })).statusCode, 403, 'only admins set roles')
  t.equal((await h.as(member, { method: 'PATCH', url: `/api/v1/accounts/${member.id}/role`, payload: { role: 'admin' } })).statusCode, 403)
})

t.test('a query PostgreSQL cannot keep (a NUL) is refused with 400, not failed with 500 (found by the hostile-input test)', async (t) => {
  const h = await buildTestApp(t)
  const moderator = await h.signUp({ role: 'moderator' })
  const res = await h.as(moderator, { url: '/api/v1/moderation/queue?category=a%00b' })
  t.equal(res.statusCode, 400)
  t.equal(res.json().error.code, 'validation_failed')
  t.equal((await h.as(moderator, { url: '/api/v1/moderation/queue?category=crisis' })).statusCode, 200)
})
