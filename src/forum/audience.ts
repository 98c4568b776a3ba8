import { isStaff, type AccountRow } from '../accounts/model.js'
import type { boards } from '../db/schema.js'

type Board = Pick<typeof boards.$inferSelect, 'audience'>
type Reader = Pick<AccountRow, 'circle' | 'role'>

/**
 * Who may read and write a board. A family board is a space the person a parent worries about cannot read;
 * to anyone outside its audience it does not exist (404, never 403).
 */
export function audienceAllows(board: Board, reader: Reader): boolean {
  if (board.audience === 'everyone' || isStaff(reader)) return true
  return board.audience === reader.circle
}

/** The audiences a reader may see, for filtering lists in SQL. */
export function readableAudiences(reader: Reader): Array<Board['audience']> {
  if (isStaff(reader)) return ['everyone', 'recovery', 'family']
  return ['everyone', reader.circle]
}
