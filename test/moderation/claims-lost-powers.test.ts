/**
 * Staff who lose their powers (demoted, suspended, narrowed to other boards, account deleted) lose their queue claims in
 * the same transaction: the item is open again for everyone else at once, not when the lease runs out, with the news a
 * release sends and a line in the log. Claims they may still work, and other people's claims, stay as they are.
 */
import { and, asc, eq, sql } from 'drizzle-orm'
import pg from 'pg'
import t, { type Test } from 'tap'
import { rows } from '../../src/db/client.js'
import { events } from '../../src/db/schema.js'
import { buildTestApp, TEST_PASSWORD, type TestAccount, type TestApp } from '../helpers/app.js'

type Item = { id: string; board: string; status: string; claimedBy: { id: string } | null }
type LogLine = { action: string; targetId: string; actor: { id: string } | null }

const CRISIS = "I don't want to wake up tomorrow"

async function setup(t: Test) {
  const h = await buildTestApp(t, { claimLeaseSeconds: 600 })
  const admin = await h.signUp({ role: 'admin' })
  const modA = await h.signUp({ role: 'moderator', circle: 'family' })
  const modB = await h.signUp({ role: 'moderator' })
  const member = await h.signUp()
  const parent = await h.signUp({ circle: 'family' })
  const { threadId } = await h.startThread(admin)
  const general = await h.reply(member, threadId, CRISIS)
  const family = await h.startThread(parent, 'family', { body: CRISIS })
  const items = (await h.as(admin, { url: '/api/v1/moderation/queue?status=open' })).json().items as Array<Item & { post: { id: string } }>
  const onGeneral = items.find((i) => i.post.id === general.postId)!
  const onFamily = items.find((i) => i.post.id === family.postId)!
  return { h, admin, modA, modB, onGeneral, onFamily }
}

const claim = (h: TestApp, staff: TestAccount, id: string) => h.as(staff, { method: 'POST', url: `/api/v1/moderation/queue/${id}/claim` })

/** The item as an admin sees it in the queue (open or claimed). */
async function itemOf(h: TestApp, admin: TestAccount, id: string): Promise<Item | undefined> {
  for (const status of ['open', 'claimed']) {
    const items = (await h.as(admin, { url: `/api/v1/moderation/queue?status=${status}&limit=100` })).json().items as Item[]
    const found = items.find((i) => i.id === id)
    if (found) return found
  }
  return undefined
}

async function releasesLogged(h: TestApp, admin: TestAccount) {
  const actions = (await h.as(admin, { url: '/api/v1/moderation/log?limit=100' })).json().actions as LogLine[]
  return actions.filter((a) => a.action === 'queue.released')
}

/** The moderation channel's news of the item, oldest first. */
async function newsOf(h: TestApp, itemId: string) {
  return h.db.database.db
    .select({ event: events.event, data: events.data })
    .from(events)
    .where(and(eq(events.channel, 'moderation'), sql`${events.data}->>'id' = ${itemId}`))
    .orderBy(asc(events.id))
}

async function releasedForEveryone(t: Test, h: TestApp, admin: TestAccount, other: TestAccount, itemId: string) {
  const item = await itemOf(h, admin, itemId)
  t.match(item, { status: 'open', claimedBy: null }, 'the item is open again')
  const news = await newsOf(h, itemId)
  t.match(news[news.length - 1], { event: 'queue.item.updated', data: { id: itemId, status: 'open', claimedBy: null, claimExpiresAt: null } }, 'staff are told live')
  const res = await claim(h, other, itemId)
  t.equal(res.statusCode, 200, 'another moderator claims it at once')
}

t.test('a moderator demoted to member loses their claims at once', async (t) => {
  const { h, admin, modA, modB, onGeneral, onFamily } = await setup(t)
  t.equal((await claim(h, modA, onGeneral.id)).statusCode, 200)
  t.equal((await claim(h, modA, onFamily.id)).statusCode, 200)
  t.equal((await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${modA.id}/role`, payload: { role: 'member' } })).statusCode, 200)
  await releasedForEveryone(t, h, admin, modB, onGeneral.id)
  await releasedForEveryone(t, h, admin, modB, onFamily.id)
  const released = await releasesLogged(h, admin)
  t.equal(released.length, 2, 'each release is in the log')
  t.ok(released.every((r) => r.actor?.id === admin.id), 'in the name of the admin who demoted them')
})

t.test('a suspended moderator loses their live claims at once; a lapsed one is left alone', async (t) => {
  const { h, admin, modA, modB, onGeneral, onFamily } = await setup(t)
  t.equal((await claim(h, modA, onFamily.id)).statusCode, 200)
  h.clock.advance(601_000)
  t.equal((await claim(h, modA, onGeneral.id)).statusCode, 200)
  const newsOfLapsed = (await newsOf(h, onFamily.id)).length
  t.equal((await h.as(admin, { method: 'POST', url: `/api/v1/moderation/accounts/${modA.id}/suspend`, payload: { days: 1, reason: 'misused the tools' } })).statusCode, 200)
  await releasedForEveryone(t, h, admin, modB, onGeneral.id)
  t.match(await releasesLogged(h, admin), [{ targetId: onGeneral.id, actor: { id: admin.id } }], 'one release in the log, in the name of the admin')
  t.equal((await newsOf(h, onFamily.id)).length, newsOfLapsed, 'no news of the item whose lease had lapsed: it was open already')
  t.match(await itemOf(h, admin, onFamily.id), { status: 'open', claimedBy: null })
})

t.test('a moderator narrowed to other boards loses only the claims on boards they no longer moderate', async (t) => {
  const { h, admin, modA, modB, onGeneral, onFamily } = await setup(t)
  t.equal((await claim(h, modA, onGeneral.id)).statusCode, 200)
  t.equal((await claim(h, modA, onFamily.id)).statusCode, 200)
  t.equal((await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${modA.id}/role`, payload: { role: 'moderator', boards: ['family'] } })).statusCode, 200)
  await releasedForEveryone(t, h, admin, modB, onGeneral.id)
  t.match(await itemOf(h, admin, onFamily.id), { status: 'claimed', claimedBy: { id: modA.id } }, 'the family item, still theirs to work, stays claimed')
  t.equal((await claim(h, modB, onFamily.id)).json().error.code, 'already_claimed')
  t.equal((await h.as(modA, { method: 'POST', url: `/api/v1/moderation/queue/${onFamily.id}/resolve`, payload: { decision: 'approve' } })).statusCode, 200, 'and they decide it')
  t.match(await releasesLogged(h, admin), [{ targetId: onGeneral.id }], 'one release in the log')
})

t.test('a moderator who deletes their account loses their claims at once; a wrong password changes nothing', async (t) => {
  const { h, admin, modA, modB, onGeneral } = await setup(t)
  t.equal((await claim(h, modA, onGeneral.id)).statusCode, 200)
  const remove = (password: string) => h.as(modA, { method: 'DELETE', url: '/api/v1/me', payload: { password } })
  t.equal((await remove('not the password at all')).statusCode, 401)
  t.equal((await claim(h, modB, onGeneral.id)).json().error.code, 'already_claimed', 'the claim stays with the account that stays')
  t.equal((await remove(TEST_PASSWORD)).statusCode, 204)
  await releasedForEveryone(t, h, admin, modB, onGeneral.id)
  t.match(await releasesLogged(h, admin), [{ targetId: onGeneral.id, actor: { id: modA.id } }], 'one release in the log, naming the account that went')
})

t.test('staff who keep their powers keep their claims', async (t) => {
  const { h, admin, modA, modB, onGeneral, onFamily } = await setup(t)
  t.equal((await claim(h, modA, onGeneral.id)).statusCode, 200)
  t.equal((await claim(h, modB, onFamily.id)).statusCode, 200)
  const role = (account: TestAccount, payload: Record<string, unknown>) => h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${account.id}/role`, payload })
  t.equal((await role(modA, { role: 'moderator', boards: ['general', 'family'] })).statusCode, 200, 'narrowed to boards that include the item')
  t.equal((await role(modA, { role: 'moderator' })).statusCode, 200, 'widened to every board')
  t.equal((await role(modA, { role: 'admin' })).statusCode, 200, 'promoted')
  t.equal((await role(modB, { role: 'moderator', boards: ['no-such-board'] })).statusCode, 400, 'a refused change')
  t.equal((await h.as(modB, { method: 'PATCH', url: `/api/v1/accounts/${modA.id}/role`, payload: { role: 'member' } })).statusCode, 403, 'a demotion by a moderator')
  t.equal((await h.as(admin, { method: 'POST', url: `/api/v1/moderation/accounts/${modA.id}/suspend`, payload: { reason: 'x' } })).statusCode, 403, 'a refused suspension (of an admin)')
  t.match(await itemOf(h, admin, onGeneral.id), { status: 'claimed', claimedBy: { id: modA.id } })
  t.match(await itemOf(h, admin, onFamily.id), { status: 'claimed', claimedBy: { id: modB.id } })
  t.equal((await role(modB, { role: 'member' })).statusCode, 200, "demoting one moderator releases theirs only")
  t.match(await itemOf(h, admin, onGeneral.id), { status: 'claimed', claimedBy: { id: modA.id } }, "the other moderator's claim stays")
  t.match(await itemOf(h, admin, onFamily.id), { status: 'open', claimedBy: null })
  t.match(await releasesLogged(h, admin), [{ targetId: onFamily.id }])
})

t.test(
  'a claim whose session was read before a demotion and that lands after it is refused: no claim outlives its powers',
  { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL: PGlite has one connection, so transactions cannot overlap' },
  async (t) => {
    const { h, modB, onGeneral } = await setup(t)
    const demotion = new pg.Client({ connectionString: h.db.url! })
    await demotion.connect()
    t.teardown(() => demotion.end())
    // A demotion in progress, holding the account's row lock, as changeRole's update does.
    await demotion.query('begin')
    await demotion.query(`update accounts set role = 'member' where id = $1`, [modB.id])
    const claim = h.as(modB, { method: 'POST', url: `/api/v1/moderation/queue/${onGeneral.id}/claim` })
    await new Promise((resolve) => setTimeout(resolve, 300))
    await demotion.query('commit')
    const res = await claim
    t.equal(res.statusCode, 403, 'the claim, checked against the account as the demotion left it, is refused')
    const [row] = await rows<{ claimed_by: string | null }>(h.db.database.db, sql`select claimed_by from queue_items where id = ${onGeneral.id}`)
    t.equal(row?.claimed_by, null, 'and the item stays unclaimed')
  }
)
