import { eq, inArray, or, sql } from 'drizzle-orm'
import type { AccountRow } from '../accounts/model.js'
import { assertCanWrite } from '../accounts/service.js'
import type { Deps } from '../deps.js'
import { recordAction } from '../moderation/log.js'
import type { Db } from '../db/client.js'
import { boards, threads } from '../db/schema.js'
import { DomainError, forbidden, invalid, notFound } from '../errors.js'
import { audienceAllows, readableAudiences } from './audience.js'
import { showsSomething, withoutBidiControls } from './sanitize.js'
import { type BoardRow, boardView } from './views.js'

export async function listBoards(deps: Deps, reader: AccountRow | null) {
  // Without a session only the boards open to everyone are listed: a family board's existence is private.
  const { audiences, alsoBoards } = reader ? readableAudiences(reader) : { audiences: ['everyone' as const], alsoBoards: [] }
  const rows = await deps.db
    .select({
      board: boards,
      threadCount: sql<number>`(select count(*)::int from ${threads} where ${threads.boardSlug} = ${boards.slug} and ${threads.state} = 'visible')`
    })
    .from(boards)
    .where(alsoBoards.length ? or(inArray(boards.audience, audiences), inArray(boards.slug, [...alsoBoards])) : inArray(boards.audience, audiences))
    .orderBy(boards.position, boards.createdAt, boards.slug)
  return rows.map((r) => boardView(r.board, Number(r.threadCount)))
}

/** The board if this reader may see it; otherwise 404, as if it did not exist. */
export async function readableBoard(db: Db, reader: AccountRow, slug: string): Promise<BoardRow> {
  const [board] = await db.select().from(boards).where(eq(boards.slug, slug)).limit(1)
  if (!board || !audienceAllows(board, reader)) throw notFound('That board')
  return board
}

export interface NewBoard {
  slug: string
  name: string
  description: string
  audience: BoardRow['audience']
  requiresContentWarning: boolean
}

/** Control characters: none in a name (one line), none but line feeds and tabs in a description. */
const NAME_CONTROL = /\p{Cc}/u
const DESCRIPTION_CONTROL = /[^\P{Cc}\n\t]/u

/**
 * A board's name and description as they are kept, cleaned as a thread's title is (cleanWriting in posts.ts): without
 * the characters that reorder text for the reader, and a name must show something. Both are shown on every page of
 * the forum, so the spaces around them go, and control characters are refused (they show as nothing or as boxes, and
 * move the cursor of a terminal reading the logs): a name is one line; a description may keep its line breaks. A
 * description that shows nothing is no description.
 */
export function cleanBoardText(input: Pick<NewBoard, 'name' | 'description'>): Pick<NewBoard, 'name' | 'description'> {
  const name = withoutBidiControls(input.name).trim()
  if (!showsSomething(name)) throw invalid('The board name shows nothing.', { field: 'name' })
  if (NAME_CONTROL.test(name)) throw invalid('A board name is one line of text, without control characters.', { field: 'name' })
  const description = withoutBidiControls(input.description).replace(/\r\n?/g, '\n').trim()
  if (DESCRIPTION_CONTROL.test(description)) {
    throw invalid('A board description may hold line breaks, but no other control characters.', { field: 'description' })
  }
  return { name, description: showsSomething(description) ? description : '' }
}

export async function createBoard(deps: Deps, actor: AccountRow, input: NewBoard) {
  if (actor.role !== 'admin') throw forbidden('Only admins create boards.')
  const now = deps.clock.now()
  assertCanWrite(actor, now)
  const text = cleanBoardText(input)
  return deps.db.transaction(async (tx) => {
    const [board] = await tx.insert(boards).values({ ...input, ...text, createdAt: now }).onConflictDoNothing({ target: boards.slug }).returning()
    if (!board) throw new DomainError('slug_taken', 'A board with that slug exists already.', { field: 'slug' })
    // Every staff action is in the moderation log, a new board (and who may read it) among them.
    await recordAction(tx, now, { actor, action: 'board.created', targetType: 'board', targetId: board.slug, details: { audience: board.audience } })
    return boardView(board, 0)
  })
}
