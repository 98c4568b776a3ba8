import t from 'tap'
import { buildTestApp, type TestApp, type TestAccount } from '../helpers/app.js'

async function addRule(h: TestApp, admin: TestAccount, rule: Record<string, unknown>) {
  const res = await h.as(admin, { method: 'POST', url: '/api/v1/moderation/rules', payload: rule })
  if (res.statusCode !== 201) throw new Error(`rule: ${res.statusCode} ${res.body}`)
  return res.json().rule as { id: string }
}

const queue = async (h: TestApp, staff: TestAccount, query = 'status=open') =>
  (await h.as(staff, { url: `/api/v1/moderation/queue?${query}` })).json().items as Array<{
    id: string
    priority: number
    reasons: Array<{ source: string; category: string; detail: string }>
    post: { id: string }
  }>

t.test('a crisis post stays visible, answers with crisis resources and goes first in the queue', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const reader = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const res = await h.as(member, {
    method: 'POST',
    url: '/api/v1/boards/general/threads',
    payload: { title: 'Cannot do this anymore', body: "honestly I don't want to wake up tomorrow" }
  })
  t.equal(res.statusCode, 201)
  const { moderation, post, thread } = res.json()
  t.equal(moderation.state, 'visible')
  t.same(moderation.flags, [{ category: 'crisis', action: 'escalate' }])
  t.ok(moderation.crisisResources.length >= 3, 'crisis resources are listed')
  t.ok(moderation.crisisResources.some((r: { contact: string }) => /988/.test(r.contact)))
  t.equal((await h.as(reader, { url: `/api/v1/threads/${thread.id}` })).statusCode, 200, 'others see the post')
  const items = await queue(h, moderator)
  t.equal(items[0]?.post.id, post.id)
  t.equal(items[0]?.priority, 0)
  t.match(items[0]?.reasons, [{ source: 'rule', category: 'crisis' }])
})

t.test('ordinary recovery talk passes untouched', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  for (const body of ['I used to drink every night.', 'Killer workout at the gym, 30 days clean!', 'Went to overdose awareness training today.']) {
    const res = await h.as(member, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: 'Checking in', body } })
    t.same(res.json().moderation, { state: 'visible', flags: [], crisisResources: [] }, body)
  }
})

t.test('a sourcing post is held: only its author and staff see it', async (t) => {
  const h = await buildTestApp(t)
  const dealer = await h.signUp()
  const newcomer = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(newcomer)
  const res = await h.as(dealer, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'dm me for bars, cheap' } })
  t.equal(res.statusCode, 201)
  t.equal(res.json().moderation.state, 'held')
  t.equal(res.json().post.state, 'held')
  t.same(res.json().moderation.crisisResources, [])
  const seenByNewcomer = (await h.as(newcomer, { url: `/api/v1/threads/${threadId}` })).json()
  t.equal(seenByNewcomer.posts.length, 1, 'the newcomer never sees it')
  t.equal(seenByNewcomer.thread.postCount, 1)
  t.equal((await h.as(dealer, { url: `/api/v1/threads/${threadId}` })).json().posts.length, 2, 'the author sees it, held')
  t.equal((await h.as(moderator, { url: `/api/v1/threads/${threadId}` })).json().posts.length, 2, 'staff see it')
  t.equal((await queue(h, moderator))[0]?.priority, 1)
})

t.test('a thread whose opening post is held does not exist for others', async (t) => {
  const h = await buildTestApp(t)
  const writer = await h.signUp()
  const reader = await h.signUp()
  const res = await h.as(writer, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: 'Call me', body: 'my number is +44 20 7946 0958' } })
  t.equal(res.json().moderation.state, 'held')
  t.same(res.json().moderation.flags, [{ category: 'personal_info', action: 'hold' }])
  const threadId = res.json().thread.id
  t.equal((await h.as(reader, { url: `/api/v1/threads/${threadId}` })).statusCode, 404)
  t.equal((await h.as(reader, { url: '/api/v1/boards/general/threads' })).json().threads.length, 0)
  t.equal((await h.as(writer, { url: `/api/v1/threads/${threadId}` })).statusCode, 200, 'its author still sees it')
})

t.test('the queue names the contact detail found: a phone number, an e-mail address, a handle on another platform, a home address', async (t) => {
  const h = await buildTestApp(t)
  const moderator = await h.signUp({ role: 'moderator' })
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  const writer = await h.signUp()
  await h.reply(writer, threadId, 'first words, so the new-account hold is behind me')
  const cases: Array<[string, string]> = [
    ['Text me on 212-555-0187 if you need anything.', 'phone number: 212-555-0187'],
    ['email me at jane.doe@gmail.com please', 'e-mail address: jane.doe@gmail.com'],
    ['my IG is @sober.sarah.92 if you want to talk', 'handle on another platform: IG is @sober.sarah.92'],
    ['i live at 42 oak street, come say hi', 'home address: 42 oak street']
  ]
  for (const [body, detail] of cases) {
    const res = await h.as(writer, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body } })
    t.same(res.json().moderation, { state: 'held', flags: [{ category: 'personal_info', action: 'hold' }], crisisResources: [] }, body)
    const item = (await queue(h, moderator)).find((i: { post: { id: string } }) => i.post.id === res.json().post.id)
    t.match(item, { priority: 1, reasons: [{ source: 'pii', category: 'personal_info', detail }] }, detail)
  }
})

t.test('actions of custom rules', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const member = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  await addRule(h, admin, { pattern: 'buy followers', category: 'spam', action: 'block', publicReason: 'Advertising is not allowed here.' })
  await addRule(h, admin, { pattern: 'rehab scam', category: 'custom', action: 'flag' })
  await addRule(h, admin, { pattern: 'needle', category: 'custom', action: 'content_warning', publicReason: 'needles' })
  const { threadId } = await h.startThread(member)

  t.test('block refuses with 422, gives the writer their text back and stores nothing', async (t) => {
    const body = 'You can b.u.y f0llowers here'
    const res = await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body } })
    t.equal(res.statusCode, 422)
    t.same(res.json().error.details, { category: 'spam', publicReason: 'Advertising is not allowed here.', body })
    t.equal(res.json().error.code, 'blocked_by_rule')
    t.equal((await h.as(member, { url: `/api/v1/threads/${threadId}` })).json().posts.length, 1)
  })

  t.test('a refused post that also reads as a crisis gives its writer the crisis lines with their text, and stores nothing', async (t) => {
    const body = 'buy followers here, last thing i do before i kill myself tonight'
    const res = await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body } })
    t.equal(res.statusCode, 422)
    t.match(res.json().error.details, { category: 'spam', body })
    t.ok(res.json().error.details.crisisResources.length > 0, 'the crisis lines')
    t.equal((await h.as(member, { url: `/api/v1/threads/${threadId}` })).json().posts.length, 1, 'nothing stored')
    const plain = await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'buy followers here' } })
    t.notOk('crisisResources' in plain.json().error.details, 'a refusal without a crisis has none')
  })

  t.test('flag publishes and queues', async (t) => {
    const res = await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'That place is a rehab scam' } })
    t.equal(res.json().moderation.state, 'visible')
    t.same(res.json().moderation.flags, [{ category: 'custom', action: 'flag' }])
    t.ok((await queue(h, moderator)).some((i) => i.post.id === res.json().post.id))
  })

  t.test('content_warning publishes with a warning added', async (t) => {
    const res = await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'I saw a needle on the street' } })
    t.equal(res.json().post.state, 'visible')
    t.equal(res.json().post.contentWarning, 'needles')
  })
})

t.test('an edit is scanned again', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const reader = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(reader)
  const { postId } = await h.reply(member, threadId, 'harmless words')
  const res = await h.as(member, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { body: 'who is holding? hmu for bars' } })
  t.equal(res.statusCode, 200)
  t.equal(res.json().moderation.state, 'held')
  t.equal((await h.as(reader, { url: `/api/v1/threads/${threadId}` })).json().posts.length, 1, 'hidden again from others')
  t.ok((await queue(h, moderator)).some((i) => i.post.id === postId))
})

t.test("a new account's first posts are held, unless they are a crisis", async (t) => {
  const h = await buildTestApp(t, { newAccountHoldPosts: 1 })
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(moderator)
  const newcomer = await h.signUp()
  const first = await h.as(newcomer, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'Hi all, first post' } })
  t.equal(first.json().moderation.state, 'held')
  const item = (await queue(h, moderator)).find((i) => i.post.id === first.json().post.id)
  t.match(item, { priority: 3, reasons: [{ source: 'new_account' }] })
  const second = await h.as(newcomer, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'second post' } })
  t.equal(second.json().moderation.state, 'visible', 'only the first NEW_ACCOUNT_HOLD_POSTS are held')

  const inCrisis = await h.signUp()
  const crisis = await h.as(inCrisis, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'i want to kms tonight' } })
  t.equal(crisis.json().moderation.state, 'visible', 'a person in crisis is never silenced')
  t.ok(crisis.json().moderation.crisisResources.length > 0)
})

t.test('links from new accounts are flagged as possible spam', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const res = await h.as(member, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: 'Great offer', body: 'visit https://example.com/deal now' } })
  t.same(res.json().moderation.flags, [{ category: 'spam', action: 'flag' }])
  t.equal(res.json().moderation.state, 'visible')
  h.clock.advance(8 * 86_400_000)
  const later = await h.as(member, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: 'A resource', body: 'this helped me https://example.org/help' } })
  t.same(later.json().moderation.flags, [], 'an older account may share links')
})

t.test("passing on one of the forum's own helplines is not a personal number; any other number still holds", async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  const writer = await h.signUp()
  await h.reply(writer, threadId, 'first words, so the new-account hold is behind me')
  for (const body of [
    'If you need someone tonight, SAMHSA is 1-800-662-4357, free and confidential.',
    'The helpline (800) 662-4357 got me into detox.',
    'call 1 800 662 4357, they answer at 3am'
  ]) {
    const res = await h.as(writer, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body } })
    t.same(res.json().moderation, { state: 'visible', flags: [], crisisResources: [] }, body)
  }
  for (const body of ['Text me on 212-555-0187 if you need anything.', 'my cell 1-800-662-4358 is always on', 'SAMHSA is 1-800-662-4357 and I am on 07700 900123']) {
    const res = await h.as(writer, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body } })
    t.equal(res.json().moderation.state, 'held', body)
    // Held as personal information only: "text me on <a number>" names nothing sold, so the sourcing model does not read it.
    t.same(res.json().moderation.flags, [{ category: 'personal_info', action: 'hold' }])
  }
})

t.test('a crisis post no rule names is escalated by the crisis model, unless CRISIS_MODEL is off', async (t) => {
  const body = "Took everything I had left about twenty minutes ago. Just wanted someone to know. Tell my sister I'm sorry."
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const res = await h.as(member, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: 'tonight', body } })
  t.equal(res.statusCode, 201)
  const { moderation, post } = res.json()
  t.equal(moderation.state, 'visible', 'published as written')
  t.same(moderation.flags, [{ category: 'crisis', action: 'escalate' }])
  t.ok(moderation.crisisResources.length >= 3, 'crisis resources are listed')
  const items = await queue(h, moderator)
  t.equal(items[0]?.post.id, post.id)
  t.equal(items[0]?.priority, 0)
  t.match(items[0]?.reasons, [{ source: 'rule', category: 'crisis', detail: /^reads as a crisis \(model, \d+ %\): "Just wanted someone to know"$/ }])
  const dryRun = await h.as(moderator, { method: 'POST', url: '/api/v1/moderation/rules/test', payload: { text: body } })
  t.match(dryRun.json().matches, [{ ruleId: null, category: 'crisis', action: 'escalate', detector: 'crisis_model', excerpt: 'Just wanted someone to know' }])

  const off = await buildTestApp(t, { crisisModel: false })
  const other = await off.signUp()
  const quiet = await off.as(other, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: 'tonight', body } })
  t.same(quiet.json().moderation.flags.filter((f: { category: string }) => f.category === 'crisis'), [], 'CRISIS_MODEL=false: the rules alone')
})

t.test('a sourcing post no rule names is held by the sourcing model, unless SOURCING_MODEL is off', async (t) => {
  const body = 'My cousin works at a pharmacy and can get 80s, who wants in? Cash only.'
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const reader = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const res = await h.as(member, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: 'pharmacy', body } })
  t.equal(res.statusCode, 201)
  const { moderation, post, thread } = res.json()
  t.equal(moderation.state, 'held', 'it waits for a moderator')
  t.same(moderation.flags, [{ category: 'sourcing', action: 'hold' }])
  t.same(moderation.crisisResources, [])
  t.equal((await h.as(reader, { url: `/api/v1/threads/${thread.id}` })).statusCode, 404, 'no one else sees it')
  t.equal((await h.as(member, { url: `/api/v1/threads/${thread.id}` })).statusCode, 200, 'its writer still does')
  const items = await queue(h, moderator)
  t.equal(items[0]?.post.id, post.id)
  t.equal(items[0]?.priority, 1, 'sourcing priority')
  t.match(items[0]?.reasons, [{ source: 'rule', category: 'sourcing', detail: /^reads as sourcing \(model, \d+ %\): "My cousin works at a pharmacy and can get 80s, who wants in"$/ }])
  const dryRun = await h.as(moderator, { method: 'POST', url: '/api/v1/moderation/rules/test', payload: { text: body } })
  t.match(dryRun.json().matches, [{ ruleId: null, category: 'sourcing', action: 'hold', detector: 'sourcing_model', excerpt: 'My cousin works at a pharmacy and can get 80s, who wants in', score: Number }])
  t.ok(dryRun.json().matches[0].score >= 0.3 && dryRun.json().matches[0].score <= 1, "the model's probability")

  const off = await buildTestApp(t, { sourcingModel: false })
  const other = await off.signUp()
  const open = await off.as(other, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: 'pharmacy', body } })
  t.equal(open.json().moderation.state, 'visible', 'SOURCING_MODEL=false: the rules alone')
  const offDryRun = await off.as(await off.signUp({ role: 'moderator' }), { method: 'POST', url: '/api/v1/moderation/rules/test', payload: { text: body } })
  t.same(offDryRun.json().matches, [], 'the dry run follows the setting')
})

t.test('the same words matched twice give the moderator one reason, not two', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const member = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  await addRule(h, admin, { pattern: 'blue lantern', category: 'spam', action: 'flag' })
  const { threadId } = await h.startThread(member)
  // The post says the words twice: one line.
  const res = await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'The blue lantern again. Yes, the blue lantern.' } })
  t.equal(res.statusCode, 201)
  const item = (await queue(h, moderator)).find((i) => i.post.id === res.json().post.id)
  t.ok(item, 'the post is queued')
  t.same(
    item?.reasons.map((r) => r.detail),
    ['matched "blue lantern" (rule "blue lantern")'],
    'one reason for the rule'
  )
  // Different words give a line each.
  const other = await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'The blue lantern and the Blue Lantern.' } })
  const second = (await queue(h, moderator)).find((i) => i.post.id === other.json().post.id)
  t.equal(second?.reasons.length, 2, 'two spellings, two lines')
  // Two rules with the same pattern stay two lines: the one that holds must show.
  await addRule(h, admin, { pattern: 'blue lantern', category: 'spam', action: 'hold' })
  const third = await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'Where is the blue lantern?' } })
  t.equal(third.json().moderation.state, 'held')
  const held = (await queue(h, moderator)).find((i) => i.post.id === third.json().post.id)
  t.equal(held?.reasons.length, 2, 'a line per rule')
  t.equal(new Set(held?.reasons.map((r) => (r as { ruleId?: string }).ruleId)).size, 2, 'each rule named')
})
