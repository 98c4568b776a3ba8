import { isStaff, type AccountRow } from '../accounts/model.js'
import type { boards } from '../db/schema.js'

type Board = Pick<typeof boards.$inferSelect, 'slug' | 'audience'>

/** What the reading rules need of an account. */
export type StaffFacts = Pick<AccountRow, 'role' | 'moderates'> & {
  /**
   * Whether the account is suspended now, as the session check (src/http/auth.ts) or the live layer's copy of the
   * account says. A suspension takes the moderation tools with it, reading included.
   */
  suspended?: boolean
}
type Reader = StaffFacts & Pick<AccountRow, 'circle'>

/**
 * Whether this account reads as staff anywhere: a suspended moderator or admin reads as a member of their circle
 * (no held or hidden content, no boards of the other circle), as the moderation routes refuse them.
 */
export function readsAsStaff(reader: Pick<StaffFacts, 'role' | 'suspended'>): boolean {
  return isStaff(reader) && !reader.suspended
}

/**
 * Staff on this board: admins, moderators of every board, and a moderator limited to some boards on those. A peer
 * volunteer who moderates the general board is not staff on the family board: the family space stays closed to
 * them as to any member of their circle.
 */
export function staffOn(reader: StaffFacts, boardSlug: string): boolean {
  if (!readsAsStaff(reader)) return false
  return reader.role === 'admin' || !reader.moderates || reader.moderates.includes(boardSlug)
}

/**
 * The reader as a board sees them: a moderator outside the boards they moderate, or suspended staff on any board,
 * reads it as a member, so every check after this one (held posts and threads, locked threads, why a post was
 * removed) treats them as one.
 */
export function readerOn<T extends StaffFacts>(reader: T, boardSlug: string): T {
  return isStaff(reader) && !staffOn(reader, boardSlug) ? { ...reader, role: 'member' } : reader
}

/**
 * Who may read and write a board. A family board is a space the person a parent worries about cannot read;
 * to anyone outside its audience it does not exist (404, never 403).
 */
export function audienceAllows(board: Board, reader: Reader): boolean {
  if (board.audience === 'everyone' || staffOn(reader, board.slug)) return true
  return board.audience === reader.circle
}

/** The audiences a reader may see, for filtering lists in SQL; a limited moderator also sees the boards they moderate. */
export function readableAudiences(reader: Reader): { audiences: Array<Board['audience']>; alsoBoards: readonly string[] } {
  if (!readsAsStaff(reader)) return { audiences: ['everyone', reader.circle], alsoBoards: [] }
  if (reader.role === 'admin' || !reader.moderates) return { audiences: ['everyone', 'recovery', 'family'], alsoBoards: [] }
  return { audiences: ['everyone', reader.circle], alsoBoards: reader.moderates }
}
