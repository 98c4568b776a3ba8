import { eq, sql } from 'drizzle-orm'
import type { AccountRow, Role } from '../../accounts/model.js'
import { effectiveStatus, isStaff } from '../../accounts/model.js'
import type { Db } from '../../db/client.js'
import { accounts, moderatorBoards } from '../../db/schema.js'
import { forbidden } from '../../errors.js'
import type { StaffFacts } from '../../forum/audience.js'

/**
 * The boards of the account in the same statement's row, read with its role: a moderator's list (null when they
 * have none, i.e. every board), null for anyone else. A demotion sets the role to member and deletes the list in
 * one transaction, so a statement that sees the list gone also sees the member: never "a moderator with no boards",
 * which would be every board. Any read that decides staff rights takes the role and the boards from one such
 * statement, never a role read earlier (a session, a socket's copy) with boards read now.
 */
export const boardsOfModerator = sql<string[] | null>`case when ${accounts.role} = 'moderator' then (select array_agg(${moderatorBoards.boardSlug} order by ${moderatorBoards.boardSlug}) from ${moderatorBoards} where ${moderatorBoards.accountId} = ${accounts.id}) end`

/**
 * An account's role, the boards it moderates and its status (a suspension and its end), from one statement; undefined
 * if there is no such account.
 */
export async function roleAndBoards(
  db: Db,
  accountId: string
): Promise<{ role: Role; moderates: string[] | null } & Pick<AccountRow, 'status' | 'suspendedUntil'> | undefined> {
  const [row] = await db
    .select({ role: accounts.role, moderates: boardsOfModerator, status: accounts.status, suspendedUntil: accounts.suspendedUntil })
    .from(accounts)
    .where(eq(accounts.id, accountId))
    .limit(1)
  return row && { ...row, moderates: row.moderates ?? null }
}

/**
 * What the reading rules need of the account now (src/forum/audience.ts StaffFacts): its role, boards and suspension
 * from one read (roleAndBoards), never mixed with an earlier copy of any of them. No such account reads as a member.
 */
export async function staffFactsNow(db: Db, accountId: string, now: Date): Promise<Required<StaffFacts> & { moderates: string[] | null }> {
  const read = await roleAndBoards(db, accountId)
  if (!read) return { role: 'member', moderates: null, suspended: false }
  return { role: read.role, moderates: read.moderates, suspended: effectiveStatus(read, now) === 'suspended' }
}

/**
 * The boards a staff member moderates: null means every board (admins, and moderators with no board list). A
 * family-board moderator sees no queue items from other boards, and vice versa. The role is read again with the
 * boards, whatever the caller's copy says: an account that is a member by that read has no staff rights at all.
 */
export async function moderatedBoards(db: Db, staff: Pick<AccountRow, 'id'>): Promise<string[] | null> {
  const read = await roleAndBoards(db, staff.id)
  if (!read || !isStaff(read)) throw forbidden('Only moderators and admins may do that.')
  return read.moderates
}

export const inScope = (scope: string[] | null, boardSlug: string) => scope === null || scope.includes(boardSlug)
