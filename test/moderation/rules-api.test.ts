import { eq } from 'drizzle-orm'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { ruleSet } from '../../src/db/schema.js'
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

  // Each contact detail names its detector.
  const contact = 'call 415-555-2671 or jane.doe@gmail.com, my IG is @sober.sarah.92, i live at 42 oak street'
  const found = ((await h.as(moderator, { method: 'POST', url: '/api/v1/moderation/rules/test', payload: { text: contact } })).json().matches as Array<{
    ruleId: string | null
    detector?: string
    excerpt: string
  }>).filter((m) => m.ruleId === null)
  t.same(
    found.map((m) => [m.detector, m.excerpt]).sort(),
    [['address', '42 oak street'], ['email', 'jane.doe@gmail.com'], ['handle', 'IG is @sober.sarah.92'], ['phone', '415-555-2671']],
    'each contact detail names its detector'
  )
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

t.test('a PATCH that changes nothing makes no new revision and no log line; one that changes something does', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const db = h.db.database.db
  const revision = async () => (await db.select({ revision: ruleSet.revision }).from(ruleSet).where(eq(ruleSet.id, 1)))[0]?.revision
  const logLength = async () => (await h.as(admin, { url: '/api/v1/moderation/log?limit=100' })).json().actions.length as number
  const created = await h.as(admin, {
    method: 'POST',
    url: '/api/v1/moderation/rules',
    payload: { pattern: 'meet me at * park', category: 'sourcing', action: 'hold', publicReason: null }
  })
  const rule = created.json().rule
  const before = { revision: await revision(), log: await logLength() }

  const same = await h.as(admin, {
    method: 'PATCH',
    url: `/api/v1/moderation/rules/${rule.id}`,
    payload: { enabled: true, pattern: '  meet me at * park ', category: 'sourcing', action: 'hold', publicReason: null }
  })
  t.equal(same.statusCode, 200)
  t.same(same.json().rule, rule, 'the rule as it was, updatedAt included')
  t.equal(await revision(), before.revision, 'no new revision: no instance recompiles')
  t.equal(await logLength(), before.log, 'no log line')

  const changed = await h.as(admin, { method: 'PATCH', url: `/api/v1/moderation/rules/${rule.id}`, payload: { enabled: true, action: 'flag' } })
  t.equal(changed.json().rule.action, 'flag')
  t.equal(await revision(), (before.revision ?? 0) + 1, 'a real change makes a revision')
  t.equal(await logLength(), before.log + 1)
})

t.test('a moderator limited to some boards may read and try the rules but not change them', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const familyMod = await h.signUp({ role: 'moderator', circle: 'family' })
  const everywhereMod = await h.signUp({ role: 'moderator' })
  const scoped = await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${familyMod.id}/role`, payload: { role: 'moderator', boards: ['family'] } })
  t.equal(scoped.statusCode, 200)
  const crisis = (await h.as(admin, { url: '/api/v1/moderation/rules?category=crisis&limit=1' })).json().rules[0]
  const logLength = async () => (await h.as(admin, { url: '/api/v1/moderation/log?limit=100' })).json().actions.length as number
  const before = await logLength()

  const writes = [
    { method: 'POST' as const, url: '/api/v1/moderation/rules', payload: { pattern: 'the', category: 'custom', action: 'block' } },
    { method: 'PATCH' as const, url: `/api/v1/moderation/rules/${crisis.id}`, payload: { enabled: false } },
    { method: 'DELETE' as const, url: `/api/v1/moderation/rules/${crisis.id}` },
    // Refused before the body is looked at, as members are.
    { method: 'POST' as const, url: '/api/v1/moderation/rules', payload: { nonsense: true } }
  ]
  for (const write of writes) {
    const res = await h.as(familyMod, write)
    t.equal(res.statusCode, 403, `${write.method} ${write.url}`)
    t.equal(res.json().error.code, 'forbidden')
  }
  t.equal(await logLength(), before, 'nothing changed')
  t.equal((await h.as(admin, { url: `/api/v1/moderation/rules?category=crisis&limit=1` })).json().rules[0].enabled, true)

  t.equal((await h.as(familyMod, { url: '/api/v1/moderation/rules' })).statusCode, 200, 'reading')
  t.equal((await h.as(familyMod, { method: 'POST', url: '/api/v1/moderation/rules/test', payload: { text: 'anyone holding tonight?' } })).statusCode, 200, 'the dry run')
  const byEverywhereMod = await h.as(everywhereMod, { method: 'POST', url: '/api/v1/moderation/rules', payload: { pattern: 'zebra unicorn', category: 'custom', action: 'flag' } })
  t.equal(byEverywhereMod.statusCode, 201, 'a moderator of every board may')
})

t.test('a `*` glued to a word, or a run of three, is refused with the syntax, not silently read as punctuation', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  for (const pattern of ['overdos*', 'kill* myself', 'zebra *** unicorn', 'k*ll zebra', '*kill zebra', '{overdos*|od} tonight']) {
    const res = await h.as(admin, { method: 'POST', url: '/api/v1/moderation/rules', payload: { pattern, category: 'crisis', action: 'escalate' } })
    t.equal(res.statusCode, 400, pattern)
    t.equal(res.json().error.code, 'validation_failed')
    t.match(res.json().error.message, /`\*` stands alone for one word and `\*\*` alone for a gap.*prefix matching/, pattern)
  }
  const rule = (await h.as(admin, { method: 'POST', url: '/api/v1/moderation/rules', payload: { pattern: 'zebra ** unicorn', category: 'custom', action: 'flag' } })).json().rule
  const edit = await h.as(admin, { method: 'PATCH', url: `/api/v1/moderation/rules/${rule.id}`, payload: { pattern: 'zebra* unicorn' } })
  t.equal(edit.statusCode, 400, 'nor on an edit')
  for (const pattern of ['zebra * unicorn', 'zebra ** unicorn', '{zebra|okapi}** unicorn']) {
    const res = await h.as(admin, { method: 'POST', url: '/api/v1/moderation/rules', payload: { pattern, category: 'custom', action: 'flag' } })
    t.equal(res.statusCode, 201, `${pattern} still means what it says`)
  }
})

t.test('a pattern whose alternatives multiply past the compile budget is refused, naming the budget', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const letters = 'abcdefghijklmnopqrstuvwxyz'
  const words = (n: number, firsts: string) => Array.from({ length: n }, (_, i) => `${firsts[Math.floor(i / 26)]}${letters[i % 26]}`)
  // 60 x 60 x 60 alternatives with two gaps: at worst about 3.5 million word edges, in 548 characters.
  const pattern = `{${words(60, 'abc').join('|')}} ** {${words(60, 'def').join('|')}} ** {${words(60, 'ghi').join('|')}}`
  const res = await h.as(admin, { method: 'POST', url: '/api/v1/moderation/rules', payload: { pattern, category: 'custom', action: 'flag' } })
  t.equal(res.statusCode, 400)
  t.equal(res.json().error.code, 'validation_failed')
  t.match(res.json().error.message, /more than 1,000,000 word steps/)
})
