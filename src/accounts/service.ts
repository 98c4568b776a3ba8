import { and, asc, eq, inArray } from 'drizzle-orm'
import { v7 as uuidv7 } from 'uuid'
import type { Deps } from '../deps.js'
import { accounts, idempotencyKeys, moderationLog, postRevisions, posts, reports, sessions, threads } from '../db/schema.js'
import { DomainError, forbidden, invalid } from '../errors.js'
import { generateHandle, handleKey, handleProblem } from './handles.js'
import { type AccountRow, type Circle, type Role, accountView, effectiveStatus } from './model.js'
import { hashPassword, verifyPassword } from './passwords.js'
import { createSession, invalidateAllSessions, type TokenGenerator } from './sessions.js'
import { forgetAuthorInEvents } from '../live/outbox.js'
import { releaseLostClaims } from '../moderation/queue/claims.js'

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
    const { token, session } = await createSession({ ...sessionDeps(deps), db: tx }, account.id)
    return { account: accountView(account, now), token, session }
  })
}

export async function logIn(deps: AccountDeps, handle: string, password: string) {
  const [account] = await deps.db
    .select()
    .from(accounts)
    .where(eq(accounts.handleKey, handleKey(handle)))
    .limit(1)
  const usable = account && account.status !== 'deleted' ? account : undefined
  // An unknown handle is checked against a decoy hash: same answer, same time, as a wrong password.
  const ok = await verifyPassword(usable?.passwordHash ?? null, password)
  if (!usable || !ok) throw new DomainError('invalid_credentials', 'That handle and password do not match.')
  const { token, session } = await createSession(sessionDeps(deps), usable.id)
  return { account: accountView(usable, deps.clock.now()), token, session }
}

/**
 * Deleting an account ends its sessions, wipes its password, keeps its handle reserved (so nobody can
 * impersonate a former member) and keeps its posts with author null. A moderator's queue claims are released.
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
    // Then its posts' and threads' row locks: an edit, a moderator's decision, a report's hold or a thread's lock in
    // progress on one of them names the author in the live news it is writing, and holds that row until it commits.
    // Waiting for them here means the events below are read after theirs are written; a writer that comes after
    // finds the author gone (each re-reads the row under its lock).
    await tx.select({ id: posts.id }).from(posts).where(eq(posts.authorId, account.id)).orderBy(posts.id).for('update')
    await tx.select({ id: threads.id }).from(threads).where(eq(threads.authorId, account.id)).orderBy(threads.id).for('update')
    await invalidateAllSessions(tx, account.id)
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
    await releaseLostClaims(tx, now, { holderId: account.id, actor: account, cause: 'account.deleted', boardsLeft: [] })
  })
}

/** Everything Lantern stores about the caller, as plain JSON. */
export async function exportAccount(deps: Pick<Deps, 'db' | 'clock'>, account: AccountRow) {
  const now = deps.clock.now()
  const [ownPosts, ownThreads, ownReports, ownSessions, aboutAccount] = await Promise.all([
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
      .orderBy(asc(moderationLog.createdAt), asc(moderationLog.id))
  ])
  const revisions = ownPosts.length
    ? await deps.db
        .select()
        .from(postRevisions)
        .where(inArray(postRevisions.postId, ownPosts.map((p) => p.id)))
        .orderBy(postRevisions.createdAt)
    : []
  const iso = (d: Date | null) => (d ? d.toISOString() : null)
  return {
    exportedAt: now.toISOString(),
    account: {
      ...accountView(account, now),
      suspendedUntil: iso(account.suspendedUntil),
      suspensionReason: account.suspensionReason
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
      revisions: revisions
        .filter((r) => r.postId === p.id)
        .map((r) => ({
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
      const sessionsEnded = await invalidateAllSessions(tx, existing.id)
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

