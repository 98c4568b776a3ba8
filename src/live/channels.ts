import { eq } from 'drizzle-orm'
import { isStaff, type AccountRow } from '../accounts/model.js'
import type { Db } from '../db/client.js'
import { boards, threads } from '../db/schema.js'
import { DomainError, notFound } from '../errors.js'
import { audienceAllows } from '../forum/audience.js'
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
  if (name === 'me') return { internal, scope: null }
  if (name === 'moderation') {
    // A suspended moderator has no moderation tools, live ones included.
    if (!isStaff(account) || account.suspended) throw new DomainError('not_found', 'There is no such channel.')
    return { internal: channel.moderation, scope: await moderatedBoards(db, account) }
  }
  const [kind, key] = name.split(/:(.*)/s) as [string, string]
  if (kind === 'board') {
    const [board] = await db.select().from(boards).where(eq(boards.slug, key)).limit(1)
    if (!board || !audienceAllows(board, account)) throw notFound('That channel')
    return { internal: channel.board(board.slug), scope: null }
  }
  const [row] = await db
    .select({ thread: threads, audience: boards.audience })
    .from(threads)
    .innerJoin(boards, eq(boards.slug, threads.boardSlug))
    .where(eq(threads.id, key))
    .limit(1)
  if (!row || !audienceAllows(row, account) || !threadVisibleTo(row.thread, account)) throw notFound('That channel')
  return { internal: channel.thread(row.thread.id), scope: null }
}
