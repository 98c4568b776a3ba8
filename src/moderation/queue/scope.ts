import { eq } from 'drizzle-orm'
import type { AccountRow } from '../../accounts/model.js'
import { isStaff } from '../../accounts/model.js'
import type { Db } from '../../db/client.js'
import { moderatorBoards } from '../../db/schema.js'
import { forbidden } from '../../errors.js'

/**
 * The boards a staff member moderates: null means every board (admins, and moderators with no
 * board list). A family-board moderator sees no queue items from other boards, and vice versa.
 */
export async function moderatedBoards(db: Db, staff: Pick<AccountRow, 'id' | 'role'>): Promise<string[] | null> {
  if (!isStaff(staff)) throw forbidden('Only moderators and admins may do that.')
  if (staff.role === 'admin') return null
  const rows = await db.select({ slug: moderatorBoards.boardSlug }).from(moderatorBoards).where(eq(moderatorBoards.accountId, staff.id))
  return rows.length ? rows.map((r) => r.slug) : null
}

export const inScope = (scope: string[] | null, boardSlug: string) => scope === null || scope.includes(boardSlug)
