import { isStaff, type AccountRow } from '../accounts/model.js'
import type { boards } from '../db/schema.js'

type Board = Pick<typeof boards.$inferSelect, 'slug' | 'audience'>
type Reader = Pick<AccountRow, 'circle' | 'role' | 'moderates'>

/**
 * Staff on this board: admins, moderators of every board, and a moderator limited to some boards on those. A peer
 * volunteer who moderates the general board is not staff on the family board: the family space stays closed to
 * them as to any member of their circle.
 */
export function staffOn(reader: Pick<AccountRow, 'role' | 'moderates'>, boardSlug: string): boolean {
  if (!isStaff(reader)) return false
  return reader.role === 'admin' || !reader.moderates || reader.moderates.includes(boardSlug)
}

/**
 * The reader as a board sees them: a moderator outside the boards they moderate reads it as a member, so every
 * check after this one (held posts and threads, locked threads, why a post was removed) treats them as one.
 */
export function readerOn<T extends Pick<AccountRow, 'role' | 'moderates'>>(reader: T, boardSlug: string): T {
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
  if (isStaff(reader) && (reader.role === 'admin' || !reader.moderates)) return { audiences: ['everyone', 'recovery', 'family'], alsoBoards: [] }
  return { audiences: ['everyone', reader.circle], alsoBoards: reader.moderates ?? [] }
}
