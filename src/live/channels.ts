import { eq } from 'drizzle-orm'
import { isStaff, type AccountRow } from '../accounts/model.js'
import type { Db } from '../db/client.js'
import { boards, threads } from '../db/schema.js'
import { DomainError, notFound } from '../errors.js'
import { audienceAllows, readerOn } from '../forum/audience.js'
import { threadVisibleTo } from '../forum/posts.js'
import { moderatedBoards } from '../moderation/queue/scope.js'

/** Internal channel names; `me` is per account inside the server. */
export const channel = {
  board: (slug: string) => `board:${slug}`,
  thread: (id: string) => `thread:${id}`,
  moderation: 'moderation',
  me: (accountId: string) => `me:${accountId}`
}

/** What clients see: `me:<id>` is just `me` to its owner. */
export const publicName = (internal: string) => (internal.startsWith('me:') ? 'me' : internal)

export interface Authorised {
  internal: string
  /** For the moderation channel: the boards this staff member moderates (null: all). */
  scope: string[] | null
  /**
   * Whether the subscriber reads this channel as staff (held news, hidden threads): on a board's or thread's channel,
   * only a moderator of that board does (src/forum/audience.ts staffOn); on the moderation channel, every subscriber.
   */
  staff: boolean
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/**
 * The internal channel a name stands for, from its shape alone (nothing is read): the hub registers a
 * subscription under it before authoriseChannel answers. A name that is no channel is not_found, as there.
 */
export function channelOf(accountId: string, name: string): string {
  if (name === 'me') return channel.me(accountId)
  if (name === 'moderation') return name
  const [kind, key] = name.split(/:(.*)/s) as [string, string | undefined]
  if ((kind === 'board' && key) || (kind === 'thread' && key && UUID.test(key))) return name
  throw new DomainError('not_found', 'There is no such channel.')
}

/**
 * May this account subscribe to this channel? Anything it may not read does not exist (not_found), exactly
 * as over HTTP: a family board's channel is as invisible to the recovery circle as the board itself.
 */
export async function authoriseChannel(
  db: Db,
  account: Pick<AccountRow, 'id' | 'role' | 'circle'> & { suspended?: boolean },
  name: string
): Promise<Authorised> {
  // A name that is no channel is not_found before anything is read.
  const internal = channelOf(account.id, name)
  if (name === 'me') return { internal, scope: null, staff: false }
  if (name === 'moderation') {
    // A suspended moderator has no moderation tools, live ones included.
    if (!isStaff(account) || account.suspended) throw new DomainError('not_found', 'There is no such channel.')
    return { internal: channel.moderation, scope: await moderatedBoards(db, account), staff: true }
  }
  // A moderator reads a board's channels as staff only if they moderate that board, as over HTTP.
  const moderates = isStaff(account) ? await moderatedBoards(db, account) : null
  const [kind, key] = name.split(/:(.*)/s) as [string, string]
  if (kind === 'board') {
    const [board] = await db.select().from(boards).where(eq(boards.slug, key)).limit(1)
    if (!board) throw notFound('That channel')
    const reader = readerOn({ ...account, moderates }, board.slug)
    if (!audienceAllows(board, reader)) throw notFound('That channel')
    return { internal: channel.board(board.slug), scope: null, staff: isStaff(reader) }
  }
  const [row] = await db
    .select({ thread: threads, audience: boards.audience })
    .from(threads)
    .innerJoin(boards, eq(boards.slug, threads.boardSlug))
    .where(eq(threads.id, key))
    .limit(1)
  if (!row) throw notFound('That channel')
  const reader = readerOn({ ...account, moderates }, row.thread.boardSlug)
  if (!audienceAllows({ slug: row.thread.boardSlug, audience: row.audience }, reader) || !threadVisibleTo(row.thread, reader)) {
    throw notFound('That channel')
  }
  return { internal: channel.thread(row.thread.id), scope: null, staff: isStaff(reader) }
}
