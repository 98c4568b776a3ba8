import { asc, eq, inArray } from 'drizzle-orm'
import { type AccountRow, accountView, effectiveStatus, isStaff } from '../accounts/model.js'
import { assertCanWrite } from '../accounts/service.js'
import type { Deps } from '../deps.js'
import type { Db } from '../db/client.js'
import { accounts, boards, moderatorBoards } from '../db/schema.js'
import { forbidden, invalid, notFound } from '../errors.js'
import { accountUpdatedEvent, suspendedEvent } from '../live/events.js'
import { writeEvents } from '../live/outbox.js'
import { recordAction } from './log.js'
import { releaseLostClaims } from './queue/claims.js'
import { moderatedBoards } from './queue/scope.js'

/**
 * The account acted on, locked in the caller's transaction: a deletion or a role given meanwhile is seen, not
 * overwritten. `no key update`: the member's own writes (rows whose foreign keys name the account) need not wait.
 */
async function target(tx: Db, id: string): Promise<AccountRow> {
  const [account] = await tx.select().from(accounts).where(eq(accounts.id, id)).limit(1).for('no key update')
  if (!account || account.status === 'deleted') throw notFound('That account')
  return account
}

/** Moderators act on members; only admins act on moderators; nobody acts on themselves or on admins. */
function assertMayAct(actor: AccountRow, subject: AccountRow) {
  if (!isStaff(actor)) throw forbidden('Only moderators and admins may do that.')
  if (actor.id === subject.id) throw forbidden('You cannot do that to your own account.')
  if (subject.role === 'admin' || (subject.role === 'moderator' && actor.role !== 'admin')) {
    throw forbidden('Only an admin can act on a moderator, and no one on an admin.')
  }
}

/**
 * A suspension applies on every board, so, as for rule changes, only admins and moderators of every board suspend
 * or lift one: a moderator limited to some boards acts only on those.
 */
async function assertModeratesEveryBoard(tx: Db, actor: AccountRow) {
  if ((await moderatedBoards(tx, actor)) !== null) {
    throw forbidden('Only admins and moderators of every board may suspend or unsuspend: a suspension applies on every board.')
  }
}

/**
 * A suspended account can still read and export, but cannot post, edit or report. A suspended moderator's claims
 * are released at once: they can no longer work or release the items, and no one else could until the lease ended.
 */
export async function suspendAccount(deps: Deps, actor: AccountRow, id: string, input: { days?: number | undefined; reason: string }) {
  return deps.db.transaction(async (tx) => {
    await assertModeratesEveryBoard(tx, actor)
    assertMayAct(actor, await target(tx, id))
    const now = deps.clock.now()
    const until = input.days ? new Date(now.getTime() + input.days * 86_400_000) : null
    const [updated] = await tx
      .update(accounts)
      .set({ status: 'suspended', suspendedUntil: until, suspensionReason: input.reason })
      .where(eq(accounts.id, id))
      .returning()
    await recordAction(tx, now, {
      actor,
      action: 'account.suspended',
      targetType: 'account',
      targetId: id,
      reason: input.reason,
      details: { until: until?.toISOString() ?? null }
    })
    await releaseLostClaims(tx, now, { holderId: id, actor, cause: 'account.suspended', boardsLeft: [] })
    const view = accountView(updated!, now)
    await writeEvents(tx, now, suspendedEvent(view, until?.toISOString() ?? null, input.reason))
    return view
  })
}

export async function unsuspendAccount(deps: Deps, actor: AccountRow, id: string, reason: string | null) {
  return deps.db.transaction(async (tx) => {
    await assertModeratesEveryBoard(tx, actor)
    assertMayAct(actor, await target(tx, id))
    const now = deps.clock.now()
    const [updated] = await tx
      .update(accounts)
      .set({ status: 'active', suspendedUntil: null, suspensionReason: null })
      .where(eq(accounts.id, id))
      .returning()
    await recordAction(tx, now, { actor, action: 'account.unsuspended', targetType: 'account', targetId: id, reason })
    const view = accountView(updated!, now)
    await writeEvents(tx, now, accountUpdatedEvent(view))
    return view
  })
}

/**
 * Admins set roles. A moderator may be limited to some boards (`boards`); an empty or missing list
 * means every board. Claims the account holds on items it may no longer work (every item for a member, items of
 * other boards for a narrowed moderator) are released in the same transaction.
 */
export async function changeRole(
  deps: Deps,
  actor: AccountRow,
  id: string,
  input: { role: AccountRow['role']; boards?: string[] | undefined; reason?: string | undefined }
) {
  if (actor.role !== 'admin') throw forbidden('Only admins change roles.')
  assertCanWrite(actor, deps.clock.now())
  if (actor.id === id) throw forbidden('You cannot change your own role.')
  const scoped = input.role === 'moderator' ? [...new Set(input.boards ?? [])] : []
  if (scoped.length) {
    const known = await deps.db.select({ slug: boards.slug }).from(boards).where(inArray(boards.slug, scoped))
    const missing = scoped.filter((s) => !known.some((k) => k.slug === s))
    if (missing.length) throw invalid(`Unknown boards: ${missing.join(', ')}`, { field: 'boards' })
  }
  return deps.db.transaction(async (tx) => {
    const now = deps.clock.now()
    // Every admin row locked, in one order, before anything else: two admins demoting each other at once are
    // serialised, and the second finds that its actor is no admin any more (the session was read before the
    // transaction and cannot tell). `no key update`, as in target: the admins' own posts need not wait.
    const admins = await tx
      .select()
      .from(accounts)
      .where(eq(accounts.role, 'admin'))
      .orderBy(asc(accounts.id))
      .for('no key update')
    const activeAdmins = admins.filter((a) => effectiveStatus(a, now) === 'active')
    if (!activeAdmins.some((a) => a.id === actor.id)) throw forbidden('Only admins change roles, and yours was changed meanwhile.')
    const subject = await target(tx, id)
    // The forum keeps an active admin whatever the order of the changes (recovering needs shell access).
    if (input.role !== 'admin' && !activeAdmins.some((a) => a.id !== subject.id)) {
      throw forbidden('The forum needs an active admin: this change would leave none.', { reason: 'last_admin' })
    }
    const [updated] = await tx.update(accounts).set({ role: input.role }).where(eq(accounts.id, subject.id)).returning()
    await tx.delete(moderatorBoards).where(eq(moderatorBoards.accountId, subject.id))
    if (scoped.length) await tx.insert(moderatorBoards).values(scoped.map((slug) => ({ accountId: subject.id, boardSlug: slug })))
    await recordAction(tx, now, {
      actor,
      action: 'account.role_changed',
      targetType: 'account',
      targetId: subject.id,
      reason: input.reason ?? null,
      details: { from: subject.role, to: input.role, boards: scoped.length ? scoped : null }
    })
    if (input.role === 'member' || scoped.length) {
      await releaseLostClaims(tx, now, { holderId: subject.id, actor, cause: 'account.role_changed', boardsLeft: scoped })
    }
    const view = accountView(updated!, now)
    // Open sockets of the account learn of it at once, on every instance (LiveHub re-authorises them).
    await writeEvents(tx, now, accountUpdatedEvent(view))
    return view
  })
}
