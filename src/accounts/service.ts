import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm'
import { v7 as uuidv7 } from 'uuid'
import type { Deps } from '../deps.js'
import type { Db } from '../db/client.js'
import { accounts, idempotencyKeys, moderationLog, moderatorBoards, postRevisions, posts, queueItems, reports, sessions, threads, type QueueResolution } from '../db/schema.js'
import { DomainError, forbidden, invalid } from '../errors.js'
import { generateHandle, handleKey, handleProblem } from './handles.js'
import { type AccountRow, type Circle, type Role, accountView, effectiveStatus } from './model.js'
import { hashPassword, verifyPassword } from './passwords.js'
import { createSession, invalidateAllSessions, type TokenGenerator } from './sessions.js'
import { postEvent, queueEvent } from '../live/events.js'
import { forgetAuthorInEvents, type LiveEvent, writeEvents } from '../live/outbox.js'
import { recordAction } from '../moderation/log.js'
import { releaseLostClaims } from '../moderation/queue/claims.js'
import { revisionsByPost } from '../forum/revisions.js'

export interface AccountDeps extends Deps {
  generateToken?: TokenGenerator
}

const sessionDeps = (deps: AccountDeps) => ({
  db: deps.db,
  clock: deps.clock,
  ttlDays: deps.config.sessionTtlDays,
  generateToken: deps.generateToken
})

export async function suggestHandles(deps: Pick<Deps, 'db'>, count = 5): Promise<string[]> {
  const suggestions = new Set<string>()
  for (let round = 0; round < 10 && suggestions.size < count; round++) {
    const candidates = Array.from({ length: count * 2 }, generateHandle).filter((h) => !suggestions.has(h))
    const taken = await deps.db
      .select({ key: accounts.handleKey })
      .from(accounts)
      .where(inArray(accounts.handleKey, candidates.map(handleKey)))
    const takenKeys = new Set(taken.map((t) => t.key))
    for (const candidate of candidates) {
      if (suggestions.size < count && !takenKeys.has(handleKey(candidate))) suggestions.add(candidate)
    }
  }
  return [...suggestions]
}

export interface NewAccount {
  handle: string
  password: string
  circle: Circle
  role?: Role
}

export async function createAccount(deps: AccountDeps, input: NewAccount) {
  const problem = handleProblem(input.handle)
  if (problem) throw invalid(problem, { field: 'handle' })
  const passwordHash = await hashPassword(input.password)
  return deps.db.transaction(async (tx) => {
    const now = deps.clock.now()
    const [account] = await tx
      .insert(accounts)
      .values({
        id: uuidv7(),
        handle: input.handle,
        handleKey: handleKey(input.handle),
        passwordHash,
        circle: input.circle,
        role: input.role ?? 'member',
        createdAt: now
      })
      .onConflictDoNothing({ target: accounts.handleKey })
      .returning()
    if (!account) throw new DomainError('handle_taken', 'That handle is taken. Try one of the suggestions.')
    // Inserted above, in this transaction: it is there for its session.
    const { token, session } = (await createSession({ ...sessionDeps(deps), db: tx }, account.id))!
    return { account: accountView(account, now), token, session }
  })
}

const invalidCredentials = () => new DomainError('invalid_credentials', 'That handle and password do not match.')

export async function logIn(deps: AccountDeps, handle: string, password: string) {
  const [account] = await deps.db
    .select()
    .from(accounts)
    .where(eq(accounts.handleKey, handleKey(handle)))
    .limit(1)
  const usable = account && account.status !== 'deleted' ? account : undefined
  // An unknown handle is checked against a decoy hash: same answer, same time, as a wrong password.
  const ok = await verifyPassword(usable?.passwordHash ?? null, password)
  if (!usable || !ok) throw invalidCredentials()
  // Deleted since it was read (from another device, while the password was checked): as any deleted account.
  const opened = await createSession(sessionDeps(deps), usable.id)
  if (!opened) throw invalidCredentials()
  return { account: accountView(usable, deps.clock.now()), ...opened }
}

/**
 * Deleting an account ends its sessions, wipes its password, keeps its handle reserved (so nobody can
 * impersonate a former member) and keeps its posts with author null, and nothing else it wrote (forgetWords,
 * forgetAuthorInEvents). A moderator's queue claims are released. All of it in one transaction.
 */
export async function deleteAccount(deps: Pick<Deps, 'db' | 'clock'>, account: AccountRow, password: string): Promise<void> {
  if (!(await verifyPassword(account.passwordHash, password))) {
    throw new DomainError('invalid_credentials', 'That password is not right.')
  }
  await deps.db.transaction(async (tx) => {
    const now = deps.clock.now()
    // The admins' rows, in the order role changes lock them (src/moderation/accounts.ts changeRole): the last active
    // admin cannot leave the forum with none by deleting their account, any more than by being demoted.
    const admins = await tx.select().from(accounts).where(eq(accounts.role, 'admin')).orderBy(asc(accounts.id)).for('no key update')
    if (admins.some((a) => a.id === account.id) && !admins.some((a) => a.id !== account.id && effectiveStatus(a, now) === 'active')) {
      throw forbidden('The forum needs an active admin: make another admin before deleting this account.', { reason: 'last_admin' })
    }
    // The account's row lock first: a reply or a thread whose session was checked before this deletion takes it too
    // (counting the post), so it either commits first, and its post is among those forgotten below, or waits and
    // then finds the account deleted, and keeps its post as a former member's (src/forum/posts.ts, threads.ts).
    await tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, account.id)).for('update')
    // Then the queue items of its posts, before the posts: the order every writer takes an item and its post in (a
    // moderator's decision, an edit, a report: src/moderation/queue/enqueue.ts lockOpenItem), so a decision in
    // progress and this deletion wait for each other one way only. Their reasons lose their quotes below, and the
    // items of posts withdrawn are closed.
    await tx
      .select({ id: queueItems.id })
      .from(queueItems)
      .innerJoin(posts, eq(posts.id, queueItems.postId))
      .where(eq(posts.authorId, account.id))
      .orderBy(queueItems.id)
      .for('update', { of: queueItems })
    // Then its posts' and threads' row locks: an edit, a moderator's decision, a report's hold or a thread's lock in
    // progress on one of them names the author in the live news it is writing, and holds that row until it commits.
    // Waiting for them here means the events below are read after theirs are written; a writer that comes after
    // finds the author gone (each re-reads the row under its lock).
    await tx.select({ id: posts.id }).from(posts).where(eq(posts.authorId, account.id)).orderBy(posts.id).for('update')
    await tx.select({ id: threads.id }).from(threads).where(eq(threads.authorId, account.id)).orderBy(threads.id).for('update')
    await invalidateAllSessions(tx, account.id, now)
    const withdrawn = await forgetWords(tx, account.id)
    await forgetAuthorInEvents(tx, account.id)
    await tx.update(posts).set({ authorId: null }).where(eq(posts.authorId, account.id))
    await tx.update(threads).set({ authorId: null }).where(eq(threads.authorId, account.id))
    await tx.update(reports).set({ reporterId: null }).where(eq(reports.reporterId, account.id))
    await tx.update(postRevisions).set({ editorId: null }).where(eq(postRevisions.editorId, account.id))
    // Stored responses to the member's own requests hold their handle and their words: a retry has no one to answer now.
    await tx.delete(idempotencyKeys).where(eq(idempotencyKeys.accountId, account.id))
    await tx
      .update(accounts)
      .set({ status: 'deleted', passwordHash: null, deletedAt: now, suspendedUntil: null, suspensionReason: null })
      .where(eq(accounts.id, account.id))
    // Last, so the items' news is built with the member's authorship already forgotten.
    await closeWithdrawn(tx, now, withdrawn)
    await releaseLostClaims(tx, now, { holderId: account.id, actor: account, cause: 'account.deleted', boardsLeft: [] })
  })
}

/** What a queue reason that quoted a former member's words says instead (its category stays). */
const WORDS_GONE = ' (text removed: its writer left)'

/**
 * A queue item's reasons without the words screening quoted from the post (a rule's match, a model's excerpt, a
 * phone number found, a new account's link): each keeps its category. Reports, other members' words, stay as they
 * are, and so does a new account's hold, which quotes nothing.
 */
const reasonsWithoutWords = sql`coalesce((
  select jsonb_agg(case when r->>'source' = 'report' or r->>'category' = 'new_account' then r
                   else jsonb_set(r, '{detail}', to_jsonb((r->>'category') || ${WORDS_GONE})) end order by i)
    from jsonb_array_elements(${queueItems.reasons}) with ordinality as reason(r, i)), '[]'::jsonb)`

/**
 * A deleted account's words go with it, but for its posts the forum still shows as a former member's: the earlier
 * texts of its posts (an edit or a redaction took a phone number out, it is there), the words its posts' queue
 * reasons quote, and the text of the posts it had deleted (a placeholder is all the forum shows of them; staff read
 * the rest in the queue). Its held posts that were never published are withdrawn, as it could have done itself
 * (DELETE /posts/:id: deleted, and an opening post's thread stays held, hidden from readers): published after it
 * left, by a moderator's approval, they would show what it never let anyone read. Answers those posts.
 */
async function forgetWords(tx: Db, accountId: string): Promise<string[]> {
  const own = tx.select({ id: posts.id }).from(posts).where(eq(posts.authorId, accountId))
  await tx.delete(postRevisions).where(inArray(postRevisions.postId, own))
  await tx.update(queueItems).set({ reasons: reasonsWithoutWords }).where(inArray(queueItems.postId, own))
  const withdrawn = await tx
    .update(posts)
    .set({ state: 'deleted' })
    .where(and(eq(posts.authorId, accountId), eq(posts.state, 'held'), isNull(posts.publishedAt)))
    .returning({ id: posts.id })
  await tx
    .update(posts)
    .set({ bodySource: '', bodyHtml: '', contentWarning: null })
    .where(and(eq(posts.authorId, accountId), eq(posts.state, 'deleted')))
  return withdrawn.map((p) => p.id)
}

/** Who closed a queue item at its writer's deletion: no one (a staff member's id stands there after a decision). */
const NO_ONE = '00000000-0000-0000-0000-000000000000'

/**
 * The open queue items of posts withdrawn at their writer's deletion close as a decision on a post its author
 * deleted closes them (src/moderation/queue/service.ts resolveItem): resolved, claim released, logged (in no one's
 * name: the log would tie the former member's post to their account), and told to staff live, with the post's own
 * news (deleted; for staff only, as it was never published). Run once the author is forgotten.
 */
async function closeWithdrawn(tx: Db, now: Date, postIds: string[]): Promise<void> {
  if (postIds.length === 0) return
  const resolution: QueueResolution = { decision: 'remove', reason: 'Withdrawn: its writer deleted their account.', by: NO_ONE, at: now.toISOString() }
  const closed = await tx
    .update(queueItems)
    .set({ status: 'resolved', resolution, claimedBy: null, claimExpiresAt: null, updatedAt: now })
    .where(and(inArray(queueItems.postId, postIds), eq(queueItems.status, 'open')))
    .returning()
  const gone = await tx
    .select({ post: posts, board: threads.boardSlug })
    .from(posts)
    .innerJoin(threads, eq(threads.id, posts.threadId))
    .where(inArray(posts.id, postIds))
    .orderBy(posts.id)
  const news: LiveEvent[] = gone.map(({ post, board }) => postEvent('post.deleted', post, null, board))
  for (const item of closed.sort((a, b) => (a.id < b.id ? -1 : 1))) {
    await recordAction(tx, now, {
      actor: null,
      action: 'post.withdrawn',
      targetType: 'post',
      targetId: item.postId,
      details: { queueItemId: item.id, cause: 'account.deleted' }
    })
    news.push(await queueEvent(tx, item, false, now))
  }
  await writeEvents(tx, now, news)
}

/** Everything Lantern stores about the caller, as plain JSON. */
export async function exportAccount(deps: Pick<Deps, 'db' | 'clock'>, account: AccountRow) {
  const now = deps.clock.now()
  const [ownPosts, ownThreads, ownReports, ownSessions, aboutAccount, scope] = await Promise.all([
    deps.db.select().from(posts).where(eq(posts.authorId, account.id)).orderBy(posts.createdAt),
    deps.db.select().from(threads).where(eq(threads.authorId, account.id)).orderBy(threads.createdAt),
    deps.db.select().from(reports).where(eq(reports.reporterId, account.id)).orderBy(reports.createdAt),
    deps.db
      .select({ createdAt: sessions.createdAt, expiresAt: sessions.expiresAt })
      .from(sessions)
      .where(eq(sessions.accountId, account.id)),
    // What staff did to the account itself (suspensions and their lifting, role changes), with their reasons: a
    // suspension lifted leaves no trace on the account row, only here. Who acted is staff's to know, not exported.
    deps.db
      .select({ action: moderationLog.action, reason: moderationLog.reason, details: moderationLog.details, createdAt: moderationLog.createdAt })
      .from(moderationLog)
      .where(and(eq(moderationLog.targetType, 'account'), eq(moderationLog.targetId, account.id)))
      .orderBy(asc(moderationLog.createdAt), asc(moderationLog.id)),
    deps.db.select({ board: moderatorBoards.boardSlug }).from(moderatorBoards).where(eq(moderatorBoards.accountId, account.id)).orderBy(moderatorBoards.boardSlug)
  ])
  const revisions = await revisionsByPost(deps.db, ownPosts.map((p) => p.id))
  const iso = (d: Date | null) => (d ? d.toISOString() : null)
  return {
    exportedAt: now.toISOString(),
    account: {
      ...accountView(account, now),
      suspendedUntil: iso(account.suspendedUntil),
      suspensionReason: account.suspensionReason,
      // The boards a moderator is limited to (none: a moderator of every board, or no moderator).
      moderatesBoards: scope.map((s) => s.board)
    },
    threads: ownThreads.map((t) => ({
      id: t.id,
      board: t.boardSlug,
      title: t.title,
      contentWarning: t.contentWarning,
      state: t.state,
      createdAt: t.createdAt.toISOString()
    })),
    posts: ownPosts.map((p) => ({
      id: p.id,
      threadId: p.threadId,
      body: p.bodySource,
      bodyHtml: p.bodyHtml,
      contentWarning: p.contentWarning,
      state: p.state,
      removalReason: p.removalReason,
      createdAt: p.createdAt.toISOString(),
      editedAt: iso(p.editedAt),
      revisions: (revisions.get(p.id) ?? []).map((r) => ({
          body: r.bodySource,
          contentWarning: r.contentWarning,
          kind: r.kind,
          createdAt: r.createdAt.toISOString()
        }))
    })),
    reports: ownReports.map((r) => ({
      id: r.id,
      postId: r.postId,
      reason: r.reason,
      note: r.note,
      createdAt: r.createdAt.toISOString()
    })),
    sessions: ownSessions.map((s) => ({ createdAt: s.createdAt.toISOString(), expiresAt: s.expiresAt.toISOString() })),
    moderation: aboutAccount.map((a) => ({ action: a.action, reason: a.reason, details: a.details, createdAt: a.createdAt.toISOString() }))
  }
}

/**
 * `npm run cli -- create-admin`: creates the admin, or promotes an existing account and resets its password.
 *
 * A reset password ends the account's sessions in the same transaction: they were opened with the old password,
 * possibly by someone else, and would otherwise carry admin rights from now on. A suspended account is refused,
 * not promoted: no one acts on an admin, so its suspension could never be lifted (an admin who can read everything
 * and act on nothing), and the operator may not know of the suspension at all. Nothing is changed then.
 */
export async function createOrPromoteAdmin(deps: Pick<Deps, 'db' | 'clock'>, handle: string, password: string) {
  const problem = handleProblem(handle)
  if (problem) throw invalid(problem, { field: 'handle' })
  if (password.length < 10 || password.length > 256) throw invalid('A password is 10 to 256 characters.')
  const passwordHash = await hashPassword(password)
  return deps.db.transaction(async (tx) => {
    const now = deps.clock.now()
    // Locked: a suspension committing meanwhile is seen, not promoted over.
    const [existing] = await tx.select().from(accounts).where(eq(accounts.handleKey, handleKey(handle))).limit(1).for('update')
    if (existing?.status === 'deleted') throw invalid('That handle belongs to a deleted account.')
    if (existing && effectiveStatus(existing, now) === 'suspended') {
      const until = existing.suspendedUntil ? `until ${existing.suspendedUntil.toISOString()}` : 'with no end date'
      throw new DomainError(
        'suspended',
        `${existing.handle} is suspended ${until}, and no one can lift an admin's suspension, so it is not promoted (nothing ` +
          `was changed). Have an admin or moderator unsuspend it first (POST /api/v1/moderation/accounts/${existing.id}/unsuspend), ` +
          'or make an admin with another handle.',
        { until: existing.suspendedUntil?.toISOString() ?? null }
      )
    }
    if (existing) {
      const [updated] = await tx
        .update(accounts)
        .set({ role: 'admin', passwordHash })
        .where(eq(accounts.id, existing.id))
        .returning()
      const sessionsEnded = await invalidateAllSessions(tx, existing.id, now)
      return { account: accountView(updated!, now), created: false, sessionsEnded }
    }
    const [created] = await tx
      .insert(accounts)
      .values({
        id: uuidv7(),
        handle,
        handleKey: handleKey(handle),
        passwordHash,
        circle: 'recovery',
        role: 'admin',
        createdAt: now
      })
      .returning()
    return { account: accountView(created!, now), created: true, sessionsEnded: 0 }
  })
}

/** Writing (posting, editing, reporting) needs an active account; a suspended one may still read. */
export function assertCanWrite(account: AccountRow, now: Date): void {
  if (effectiveStatus(account, now) === 'suspended') {
    const until = account.suspendedUntil ? ` until ${account.suspendedUntil.toISOString()}` : ''
    throw new DomainError('suspended', `This account is suspended${until}.`, {
      until: account.suspendedUntil?.toISOString() ?? null,
      reason: account.suspensionReason
    })
  }
}

