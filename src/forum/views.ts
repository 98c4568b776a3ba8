import { eq, sql } from 'drizzle-orm'
import { isStaff, type AccountRow } from '../accounts/model.js'
import type { Db } from '../db/client.js'
import { accounts, boards, posts, threads } from '../db/schema.js'

export type BoardRow = typeof boards.$inferSelect
export type ThreadRow = typeof threads.$inferSelect
export type PostRow = typeof posts.$inferSelect

export interface AuthorView {
  id: string
  handle: string
}

export interface BoardView {
  slug: string
  name: string
  description: string
  audience: BoardRow['audience']
  requiresContentWarning: boolean
  threadCount: number
}

export interface ThreadView {
  id: string
  board: string
  title: string
  author: AuthorView | null
  contentWarning: string | null
  postCount: number
  lastPostAt: string
  createdAt: string
  locked: boolean
  state: ThreadRow['state']
}

export interface PostView {
  id: string
  threadId: string
  author: AuthorView | null
  bodyHtml: string | null
  contentWarning: string | null
  state: PostRow['state']
  removalReason: string | null
  createdAt: string
  editedAt: string | null
}

type Viewer = Pick<AccountRow, 'id' | 'role'>

export function boardView(board: BoardRow, threadCount: number): BoardView {
  return {
    slug: board.slug,
    name: board.name,
    description: board.description,
    audience: board.audience,
    requiresContentWarning: board.requiresContentWarning,
    threadCount
  }
}

const author = (id: string | null, handle: string | null): AuthorView | null =>
  id && handle ? { id, handle } : null

/** Posts shown to others: published and not (again) held. Removed and deleted ones stay as placeholders. */
export const publishedToOthers = sql`${posts.publishedAt} is not null and ${posts.state} <> 'held'`

/** Threads with what their views need: the author's handle and the public post count. */
export function selectThreads(db: Db) {
  return db
    .select({ thread: threads, authorHandle: accounts.handle })
    .from(threads)
    .leftJoin(accounts, eq(accounts.id, threads.authorId))
}

export function selectPosts(db: Db) {
  return db.select({ post: posts, authorHandle: accounts.handle }).from(posts).leftJoin(accounts, eq(accounts.id, posts.authorId))
}

/** `postCount` overrides the thread's kept count where the view is made before the trigger ran (a new thread). */
export function threadView(row: { thread: ThreadRow; authorHandle: string | null; postCount?: number }): ThreadView {
  const t = row.thread
  return {
    id: t.id,
    board: t.boardSlug,
    title: t.title,
    author: author(t.authorId, row.authorHandle),
    contentWarning: t.contentWarning,
    postCount: row.postCount ?? row.thread.postCount,
    lastPostAt: t.lastPostAt.toISOString(),
    createdAt: t.createdAt.toISOString(),
    locked: t.locked,
    state: t.state
  }
}

/**
 * Who a post is shown to: a signed-in reader, or, where no one reader is known (live events, the queue),
 * any reader ('public') or its author and staff ('privileged').
 */
export type PostAudience = Viewer | 'public' | 'privileged'

/** A removed or deleted post keeps its place with no body nor warning; only its author and staff learn why it was removed. */
export function postView(row: { post: PostRow; authorHandle: string | null }, audience: PostAudience): PostView {
  const p = row.post
  const gone = p.state === 'removed' || p.state === 'deleted'
  const mayKnowWhy =
    audience === 'privileged' ||
    (audience !== 'public' && (isStaff(audience) || (p.authorId !== null && p.authorId === audience.id)))
  return {
    id: p.id,
    threadId: p.threadId,
    author: author(p.authorId, row.authorHandle),
    bodyHtml: gone ? null : p.bodyHtml,
    // The warning is part of what was written (a number can be there, which is why a post gets held or removed):
    // it goes with the body.
    contentWarning: gone && !mayKnowWhy ? null : p.contentWarning,
    state: p.state,
    removalReason: mayKnowWhy ? p.removalReason : null,
    createdAt: p.createdAt.toISOString(),
    editedAt: p.editedAt ? p.editedAt.toISOString() : null
  }
}
