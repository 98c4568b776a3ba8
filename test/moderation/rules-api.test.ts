import t from 'tap'
import { buildApp } from '../../src/app.js'
import { buildTestApp, testConfig } from '../helpers/app.js'

t.test('staff manage rules; each change is logged and takes effect for the next post', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const member = await h.signUp()

  const defaults = await h.as(admin, { url: '/api/v1/moderation/rules?category=crisis&limit=100' })
  t.equal(defaults.statusCode, 200)
  t.equal(defaults.json().rules.length, 100, 'the default crisis rules ship enabled')
  t.type(defaults.json().nextCursor, 'string')
  t.ok(defaults.json().rules.every((r: { action: string; enabled: boolean }) => r.action === 'escalate' && r.enabled))

  const created = await h.as(admin, {
    method: 'POST',
    url: '/api/v1/moderation/rules',
    payload: { pattern: 'meet me at * park', category: 'sourcing', action: 'hold', publicReason: 'Meeting up to trade is not allowed.' }
  })
  t.equal(created.statusCode, 201)
  const rule = created.json().rule
  t.match(rule, { pattern: 'meet me at * park', category: 'sourcing', action: 'hold', enabled: true, defaultKey: null })

  const held = await h.as(member, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: 'Tonight', body: 'meet me at riverside park at 9' } })
  t.equal(held.json().moderation.state, 'held', 'the new rule applies to the next post')

  const disabled = await h.as(admin, { method: 'PATCH', url: `/api/v1/moderation/rules/${rule.id}`, payload: { enabled: false } })
  t.equal(disabled.statusCode, 200)
  t.equal(disabled.json().rule.enabled, false)
  const free = await h.as(member, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: 'Tonight', body: 'meet me at riverside park at 9' } })
  t.equal(free.json().moderation.state, 'visible', 'a disabled rule no longer applies')

  t.equal((await h.as(admin, { method: 'DELETE', url: `/api/v1/moderation/rules/${rule.id}` })).statusCode, 204)
  t.equal((await h.as(admin, { method: 'DELETE', url: `/api/v1/moderation/rules/${rule.id}` })).statusCode, 404)
  t.equal((await h.as(admin, { method: 'PATCH', url: `/api/v1/moderation/rules/${rule.id}`, payload: { enabled: true } })).statusCode, 404)

  const log = (await h.as(admin, { url: '/api/v1/moderation/log' })).json().actions
  t.same(log.slice(0, 3).map((a: { action: string }) => a.action), ['rule.deleted', 'rule.updated', 'rule.created'])
  t.ok(log.slice(0, 3).every((a: { actor: { id: string }; targetId: string }) => a.actor.id === admin.id && a.targetId === rule.id))
})

t.test('invalid rules get 400 and change nothing', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const before = (await h.as(admin, { url: '/api/v1/moderation/log' })).json().actions.length
  for (const payload of [
    { pattern: '*', category: 'custom', action: 'flag' },
    { pattern: '   ', category: 'custom', action: 'flag' },
    { pattern: '!!!', category: 'custom', action: 'flag' },
    { pattern: 'x'.repeat(1001), category: 'custom', action: 'flag' },
    { pattern: '** after a gap', category: 'custom', action: 'flag' },
    { pattern: 'an {open brace', category: 'custom', action: 'flag' },
    { pattern: '{one|one two|one two three} ** {four|four five|four five six} ** {seven|seven eight|seven eight nine} ** {ten|ten eleven|ten eleven twelve}', category: 'custom', action: 'flag' },
    { pattern: 'fine', category: 'nonsense', action: 'flag' },
    { pattern: 'fine', category: 'custom', action: 'explode' },
    { pattern: 'fine', category: 'custom', action: 'flag', extra: true }
  ]) {
    const res = await h.as(admin, { method: 'POST', url: '/api/v1/moderation/rules', payload })
    t.equal(res.statusCode, 400, JSON.stringify(payload).slice(0, 60))
    t.equal(res.json().error.code, 'validation_failed')
  }
  t.equal((await h.as(admin, { url: '/api/v1/moderation/log' })).json().actions.length, before, 'nothing logged')
})

t.test('the dry run reports matches with offsets into the original text', async (t) => {
  const h = await buildTestApp(t)
  const moderator = await h.signUp({ role: 'moderator' })
  const text = 'ok so… I want to k i l l   my$elf. call 415-555-2671'
  const res = await h.as(moderator, { method: 'POST', url: '/api/v1/moderation/rules/test', payload: { text } })
  t.equal(res.statusCode, 200)
  const { matches } = res.json() as { matches: Array<{ ruleId: string | null; category: string; action: string; start: number; end: number; excerpt: string }> }
  t.ok(matches.some((m) => m.category === 'crisis' && m.action === 'escalate'), 'the crisis phrase')
  t.ok(matches.some((m) => m.category === 'personal_info' && m.ruleId === null), 'the phone number, by the detector')
  for (const m of matches) t.equal(text.slice(m.start, m.end), m.excerpt, `offsets of ${m.excerpt}`)
})

t.test('a rule change on one instance applies on another without a restart', async (t) => {
  const h = await buildTestApp(t)
  // A second app on the same database: its own rule cache, like a second server process.
  const other = await buildApp({ config: testConfig({ logLevel: 'silent' }), database: h.db.database, clock: h.clock })
  t.teardown(() => other.close())
  const admin = await h.signUp({ role: 'admin' })
  const member = await h.signUp()
  const post = () =>
    other.inject({ method: 'POST', url: '/api/v1/boards/general/threads', headers: member.auth, payload: { title: 'Hello', body: 'purple elephant sighting' } })
  t.equal((await post()).json().moderation.state, 'visible', 'the second instance has compiled its rules')
  await h.as(admin, { method: 'POST', url: '/api/v1/moderation/rules', payload: { pattern: 'purple elephant', category: 'custom', action: 'hold' } })
  t.equal((await post()).json().moderation.state, 'held', 'and picks up the change for the next post')
})
