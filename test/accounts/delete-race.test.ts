/**
 * A member deletes their account while a reply or a thread of theirs, sent from another tab or device, is past its
 * session check. Whichever commits second must see the other: the post is kept as a former member's (author null
 * in the post, the thread and their live news), never under the deleted member's handle (found by the accounts
 * review). The writes land in the gap through the rule book, which screening reads after the session check.
 */
import { eq } from 'drizzle-orm'
import pg from 'pg'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { accounts, events, idempotencyKeys } from '../../src/db/schema.js'
import { createReply } from '../../src/forum/posts.js'
import { createThread } from '../../src/forum/threads.js'
import { buildTestApp, TEST_PASSWORD, type TestAccount, type TestApp } from '../helpers/app.js'
import { beforeInsertInto, writerWhile } from '../helpers/meanwhile.js'
import { createTestDatabase } from '../helpers/database.js'

async function nothingNames(t: Test, h: TestApp, reader: TestAccount, leaving: TestAccount, threadId: string) {
  const page = (await h.as(reader, { url: `/api/v1/threads/${threadId}` })).json()
  t.notOk(JSON.stringify(page).includes(leaving.handle), 'the thread page names no deleted member')
  const list = (await h.as(reader, { url: '/api/v1/boards/general/threads' })).json()
  t.notOk(JSON.stringify(list).includes(leaving.handle), 'nor does the board list')
  const kept = await h.db.database.db.select().from(events)
  t.notOk(kept.some((e) => JSON.stringify(e.data).includes(leaving.handle)), 'nor any kept live event')
  const [row] = await h.db.database.db.select().from(accounts).where(eq(accounts.id, leaving.id))
  t.equal(row?.status, 'deleted')
}


t.test('a reply and a thread whose session was checked before the deletion are kept as a former member’s', async (t) => {
  const h = await buildTestApp(t)
  const leaving = await h.signUp()
  const reader = await h.signUp()
  const { threadId } = await h.startThread(reader)
  const deleteMe = async () => {
    const res = await h.as(leaving, { method: 'DELETE', url: '/api/v1/me', payload: { password: TEST_PASSWORD } })
    if (res.statusCode !== 204) throw new Error(`${res.statusCode} ${res.body}`)
  }

  const reply = await writerWhile(h, leaving, deleteMe)
  const { post } = await createReply(reply.deps, reply.row, threadId, { body: 'written in the same second as the deletion' })
  const stored = (await h.as(reader, { url: `/api/v1/threads/${threadId}` })).json().posts.find((p: { id: string }) => p.id === post.id)
  t.match(stored, { author: null, bodyHtml: '<p>written in the same second as the deletion</p>' }, 'the reply is kept, by a former member')

  const second = await writerWhile(h, leaving, async () => {})
  const { thread } = await createThread(second.deps, second.row, 'general', { title: 'Racing thread', body: 'also racing' })
  t.equal(thread.author, null, 'the thread is kept, by a former member')
  await nothingNames(t, h, reader, leaving, threadId)
})

t.test(
  'a reply waiting on a deletion in progress finds the account deleted when the deletion commits',
  { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL: PGlite has one connection, so transactions cannot overlap' },
  async (t) => {
    const h = await buildTestApp(t)
    const leaving = await h.signUp()
    const reader = await h.signUp()
    const { threadId } = await h.startThread(reader)
    const deletion = new pg.Client({ connectionString: h.db.url! })
    await deletion.connect()
    t.teardown(() => deletion.end())
    // A deletion in progress, as deleteAccount does it: the account's row lock first, then its writes.
    const reply = await writerWhile(h, leaving, async () => {
      await deletion.query('begin')
      await deletion.query('select id from accounts where id = $1 for update', [leaving.id])
    })
    const writing = createReply(reply.deps, reply.row, threadId, { body: 'sent from the other tab' })
    // The reply's statement now waits for the account's row lock; the deletion finishes and commits.
    await new Promise((resolve) => setTimeout(resolve, 300))
    await deletion.query(`update posts set author_id = null where author_id = $1`, [leaving.id])
    await deletion.query(`update accounts set status = 'deleted', password_hash = null, deleted_at = now() where id = $1`, [leaving.id])
    await deletion.query('commit')
    const { post } = await writing
    const stored = (await h.as(reader, { url: `/api/v1/threads/${threadId}` })).json().posts.find((p: { id: string }) => p.id === post.id)
    t.match(stored, { author: null }, 'the reply, written after the deletion committed, names no one')
    await nothingNames(t, h, reader, leaving, threadId)
  }
)

t.test("a reply racing its thread author's deletion tells the board of a former member's thread (found by the session review)", async (t) => {
  const h = await buildTestApp(t)
  const leaving = await h.signUp()
  const replier = await h.signUp()
  const reader = await h.signUp()
  const { threadId } = await h.startThread(leaving)
  const reply = await writerWhile(h, replier, async () => {
    const res = await h.as(leaving, { method: 'DELETE', url: '/api/v1/me', payload: { password: TEST_PASSWORD } })
    if (res.statusCode !== 204) throw new Error(`${res.statusCode} ${res.body}`)
  })
  await createReply(reply.deps, reply.row, threadId, { body: 'a reply to a thread whose author is leaving' })
  const news = (await h.db.database.db.select().from(events)).filter((e) => e.channel === 'board:general' && e.event === 'thread.updated')
  t.equal(news.length, 1)
  t.equal((news[0]!.data as { author: unknown }).author, null, "the board's news of the reply names no one")
  t.match((news[0]!.data as { postCount: number }).postCount, 2)
  await nothingNames(t, h, reader, leaving, threadId)
})

t.test('a deletion between a request\'s session check and its idempotency reservation leaves no stored response (found by the session review)', async (t) => {
  const real = await createTestDatabase()
  const before: { run: (() => Promise<void>) | null } = { run: null }
  const h = await buildTestApp(t, {}, { ...beforeInsertInto(real, idempotencyKeys, before), drop: () => real.drop() })
  t.teardown(() => real.drop())
  const leaving = await h.signUp()
  const reader = await h.signUp()
  const { threadId } = await h.startThread(reader)
  // The other tab deletes the account right after this request's session was checked.
  const other = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', payload: { handle: leaving.handle, password: TEST_PASSWORD } })
  const otherToken = other.json().token as string
  before.run = async () => {
    const res = await h.app.inject({ method: 'DELETE', url: '/api/v1/me', headers: { authorization: `Bearer ${otherToken}` }, payload: { password: TEST_PASSWORD } })
    if (res.statusCode !== 204) throw new Error(`${res.statusCode} ${res.body}`)
  }
  const res = await h.as(leaving, {
    method: 'POST',
    url: `/api/v1/threads/${threadId}/posts`,
    headers: { 'idempotency-key': 'k-1' },
    payload: { body: 'my private words, sent as I left' }
  })
  t.comment(`reply: ${res.statusCode}`)
  const [acct] = await real.database.db.select({ status: accounts.status }).from(accounts).where(eq(accounts.id, leaving.id))
  const rows = await real.database.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.accountId, leaving.id))
  t.comment(`account ${acct?.status}; stored: ${JSON.stringify(rows.map((r) => r.response))}`)
  t.equal(acct?.status, 'deleted')
  t.equal(rows.length, 0, 'nothing of the deleted account is kept in idempotency_keys')
})

/** Waits until `count` of this database's backends wait on a lock. */
async function untilWaiting(client: pg.Client, count: number) {
  for (let i = 0; i < 200; i++) {
    const { rows } = await client.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)
    if ((rows[0] as { n: number }).n >= count) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`fewer than ${count} backends waited on a lock`)
}

/**
 * Starts `write`, stops it inside its transaction at its first write to `table` (a side connection holds that table in
 * share mode), deletes `leaving`'s account while it waits there, then lets both go; returns both answers.
 */
async function deletionDuringWrite(t: Test, h: TestApp, leaving: TestAccount, table: string, write: () => Promise<LightMyRequestResponse>) {
  const blocker = new pg.Client({ connectionString: h.db.url! })
  await blocker.connect()
  t.teardown(() => blocker.end())
  await blocker.query('begin')
  await blocker.query(`lock table ${table} in share mode`)
  const written = write()
  await untilWaiting(blocker, 1)
  const deletion = h.as(leaving, { method: 'DELETE', url: '/api/v1/me', payload: { password: TEST_PASSWORD } })
  await untilWaiting(blocker, 2)
  await blocker.query('commit')
  return Promise.all([written, deletion])
}

t.test(
  "an edit in progress when the author deletes their account: the edit's news is forgotten with the rest (found by reading the edit against the deletion)",
  { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL: PGlite has one connection, so transactions cannot overlap' },
  async (t) => {
    const h = await buildTestApp(t)
    const leaving = await h.signUp()
    const reader = await h.signUp()
    const { threadId } = await h.startThread(reader)
    const { postId } = await h.reply(leaving, threadId, 'words I will edit from my phone')
    // The edit stops inside its transaction, holding its post's row lock, at its revision's insert: the news naming
    // its author is not written yet.
    const [edited, deleted] = await deletionDuringWrite(t, h, leaving, 'post_revisions', () =>
      h.as(leaving, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { body: 'edited from my phone' } })
    )
    t.equal(edited.statusCode, 200, 'the edit, in first, lands')
    t.equal(deleted.statusCode, 204)
    const shown = (await h.as(reader, { url: `/api/v1/threads/${threadId}` })).json().posts.find((p: { id: string }) => p.id === postId)
    t.match(shown, { author: null, bodyHtml: '<p>edited from my phone</p>' })
    await nothingNames(t, h, reader, leaving, threadId)
  }
)

t.test('deleting a post from a second tab as the account goes: a 404, never a 500', async (t) => {
  const h = await buildTestApp(t)
  const leaving = await h.signUp()
  const reader = await h.signUp()
  const { threadId } = await h.startThread(reader)
  const { postId } = await h.reply(leaving, threadId, 'a reply deleted twice')
  const first = await h.as(leaving, { method: 'DELETE', url: `/api/v1/posts/${postId}` })
  t.equal(first.statusCode, 204)
  const again = await h.as(leaving, { method: 'DELETE', url: `/api/v1/posts/${postId}` })
  t.equal(again.statusCode, 404)
  t.equal(again.json().error.code, 'not_found')
})

t.test(
  "a moderator's decision in progress when the author deletes their account: its news is forgotten with the rest",
  { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL: PGlite has one connection, so transactions cannot overlap' },
  async (t) => {
    const h = await buildTestApp(t)
    const leaving = await h.signUp()
    const reader = await h.signUp()
    const moderator = await h.signUp({ role: 'moderator' })
    const { threadId } = await h.startThread(reader)
    const held = await h.as(leaving, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'ring me on 415 555 0187 tonight' } })
    const postId = held.json().post.id as string
    t.equal(held.json().moderation.state, 'held')
    const items = (await h.as(moderator, { url: '/api/v1/moderation/queue?status=open' })).json().items as Array<{ id: string; post: { id: string } }>
    const item = items.find((i) => i.post.id === postId)!
    // The decision stops inside its transaction, holding the post's row lock, at its moderation log entry: the news
    // naming the author comes after it.
    const [decided, deleted] = await deletionDuringWrite(t, h, leaving, 'moderation_log', () =>
      h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${item.id}/resolve`, payload: { decision: 'approve' } })
    )
    t.equal(decided.statusCode, 200, 'the decision, in first, lands')
    t.equal(deleted.statusCode, 204)
    await nothingNames(t, h, reader, leaving, threadId)
  }
)

t.test("a deleted account's own news (a post approved, with its words) is not kept", async (t) => {
  const h = await buildTestApp(t)
  const leaving = await h.signUp()
  const reader = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(reader)
  const held = await h.as(leaving, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'ring me on 415 555 0187 tonight' } })
  const postId = held.json().post.id as string
  const items = (await h.as(moderator, { url: '/api/v1/moderation/queue?status=open' })).json().items as Array<{ id: string; post: { id: string } }>
  const approved = await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${items.find((i) => i.post.id === postId)!.id}/resolve`, payload: { decision: 'approve' } })
  t.equal(approved.statusCode, 200)
  const own = async () => (await h.db.database.db.select().from(events)).filter((e) => e.channel === `me:${leaving.id}`)
  t.ok((await own()).length > 0, 'the approval was news on the account’s own channel')
  const deleted = await h.as(leaving, { method: 'DELETE', url: '/api/v1/me', payload: { password: TEST_PASSWORD } })
  t.equal(deleted.statusCode, 204)
  t.same(await own(), [], 'that news is gone with the account')
  await nothingNames(t, h, reader, leaving, threadId)
})
