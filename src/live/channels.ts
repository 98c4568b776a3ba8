import { eq } from 'drizzle-orm'
import { isStaff, type AccountRow, type Role } from '../accounts/model.js'
import type { Db } from '../db/client.js'
import { boards, threads } from '../db/schema.js'
import { DomainError, notFound } from '../errors.js'
import { audienceAllows, readerOn, readsAsStaff } from '../forum/audience.js'
import { threadVisibleTo } from '../forum/posts.js'
import { staffFactsNow } from '../moderation/queue/scope.js'

/** Internal channel names; `me` is per account inside the server. */
export const channel = {
  board: (slug: string) => `board:${slug}`,
  thread: (id: string) => `thread:${id}`,
  moderation: 'moderation',
  me: (accountId: string) => `me:${accountId}`,
  /** Sessions that ended, for every instance's hub (no client can subscribe to it: channelOf knows no such name). */
  sessions: 'internal:sessions'
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
  name: string,
  now: Date
): Promise<Authorised> {
  // A name that is no channel is not_found before anything is read.
  const internal = channelOf(account.id, name)
  if (name === 'me') return { internal, scope: null, staff: false }
  const reader = await staffReading(db, account, now)
  if (name === 'moderation') {
    // A suspended moderator has no moderation tools, live ones included.
    if (!readsAsStaff(reader)) throw new DomainError('not_found', 'There is no such channel.')
    return { internal: channel.moderation, scope: reader.role === 'admin' ? null : reader.moderates, staff: true }
  }
  const [kind, key] = name.split(/:(.*)/s) as [string, string]
  if (kind === 'board') {
    const [board] = await db.select().from(boards).where(eq(boards.slug, key)).limit(1)
    if (!board) throw notFound('That channel')
    // A moderator reads a board's channels as staff only if they moderate that board, as over HTTP.
    const onBoard = readerOn(reader, board.slug)
    if (!audienceAllows(board, onBoard)) throw notFound('That channel')
    return { internal: channel.board(board.slug), scope: null, staff: readsAsStaff(onBoard) }
  }
  const [row] = await db
    .select({ thread: threads, audience: boards.audience })
    .from(threads)
    .innerJoin(boards, eq(boards.slug, threads.boardSlug))
    .where(eq(threads.id, key))
    .limit(1)
  if (!row) throw notFound('That channel')
  const onBoard = readerOn(reader, row.thread.boardSlug)
  if (!audienceAllows({ slug: row.thread.boardSlug, audience: row.audience }, onBoard) || !threadVisibleTo(row.thread, onBoard)) {
    throw notFound('That channel')
  }
  return { internal: channel.thread(row.thread.id), scope: null, staff: readsAsStaff(onBoard) }
}

/**
 * The account as the reading rules take it (src/forum/audience.ts). The socket's copy of the account is current
 * only once this instance has read the account's news; the boards, read now, may already be past it. So the role
 * and the boards come from one read, never the copy's role with boards read fresh: a demotion deletes a moderator's
 * boards, and a moderator with no boards moderates every board. A copy that says member, or suspended, is not read
 * again: no read could give it more before its news arrives (and the news authorises its channels again).
 */
async function staffReading(db: Db, account: Pick<AccountRow, 'id' | 'role' | 'circle'> & { suspended?: boolean }, now: Date) {
  if (!isStaff(account) || account.suspended) return { id: account.id, circle: account.circle, role: 'member' as Role, moderates: null, suspended: false }
  // The same read says whether the account is suspended: a suspension whose news this instance has not read yet
  // takes staff reading away at once, as a demotion does.
  return { id: account.id, circle: account.circle, ...(await staffFactsNow(db, account.id, now)) }
}
