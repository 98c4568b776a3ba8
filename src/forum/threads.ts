import { and, asc, desc, eq, ne, or, sql } from 'drizzle-orm'
import { v7 as uuidv7 } from 'uuid'
import { assertCanWrite } from '../accounts/service.js'
import { isStaff, type AccountRow } from '../accounts/model.js'
import type { Deps } from '../deps.js'
import type { Db } from '../db/client.js'
import { preparedOn } from '../db/prepared.js'
import { accounts, boards, posts, threads } from '../db/schema.js'
import { forbidden, invalid, notFound } from '../errors.js'
import { threadEvent } from '../live/events.js'
import { writeEvents } from '../live/outbox.js'
import { recordAction } from '../moderation/log.js'
import { inScope, moderatedBoards } from '../moderation/queue/scope.js'
import { audienceAllows, readerOn } from './audience.js'
import { readableBoard } from './boards.js'
import { decodeCursor, page } from './cursor.js'
import { cleanWriting, prepareBody, queueIfNeeded, screenedText, screenWriting, threadVisibleTo } from './posts.js'
import { postView, publishedToOthers, selectPosts, selectThreads, threadView } from './views.js'

export interface PageRequest {
  limit: number
  cursor?: string | undefined
}

function threadsVisibleTo(viewer: AccountRow) {
  if (isStaff(viewer)) return sql`true`
  return or(eq(threads.state, 'visible'), eq(threads.authorId, viewer.id))!
}

/** A board's threads, newest activity first. */
export async function listThreads(deps: Deps, account: AccountRow, slug: string, request: PageRequest) {
  await readableBoard(deps.db, account, slug)
  const viewer = readerOn(account, slug)
  const after = decodeCursor(request.cursor)
  const rows = await selectThreads(deps.db)
    .where(
      and(
        eq(threads.boardSlug, slug),
        threadsVisibleTo(viewer),
        after ? sql`(${threads.lastPostAt}, ${threads.id}) < (${after.at.toISOString()}::timestamptz, ${after.id}::uuid)` : undefined
      )
    )
    .orderBy(desc(threads.lastPostAt), desc(threads.id))
    .limit(request.limit + 1)
  const { items, nextCursor } = page(rows, request.limit, (r) => ({ at: r.thread.lastPostAt, id: r.thread.id }))
  return { threads: items.map(threadView), nextCursor }
}

export interface NewThread {
  title: string
  body: string
  contentWarning?: string | undefined
}

export async function createThread(deps: Deps, author: AccountRow, slug: string, written: NewThread) {
  const input = cleanWriting(written)
  const now = deps.clock.now()
  assertCanWrite(author, now)
  const board = await readableBoard(deps.db, author, slug)
  if (board.requiresContentWarning && !input.contentWarning) {
    throw invalid(`Threads on "${board.name}" need a content warning.`, { field: 'contentWarning' })
  }
  const bodyHtml = prepareBody(input.body)
  const screening = await screenWriting(deps, author, {
    text: screenedText({ title: input.title, body: input.body, bodyHtml }),
    body: input.body,
    contentWarning: input.contentWarning ?? null
  })
  const state = screening.state
  const visible = state === 'visible'
  return deps.db.transaction(async (tx) => {
    // The author's counter first, under the account's row lock. An account deleted since the session check (another
    // tab or device, at the same moment) is not counted, and the thread is kept as a former member's, author null,
    // as if written just before the deletion: deleteAccount takes this lock before it forgets the author's name.
    const [counted] = await tx
      .update(accounts)
      .set({ postsWritten: sql`${accounts.postsWritten} + 1` })
      .where(and(eq(accounts.id, author.id), ne(accounts.status, 'deleted')))
      .returning({ id: accounts.id })
    const authorId = counted ? author.id : null
    const authorHandle = counted ? author.handle : null
    const [thread] = await tx
      .insert(threads)
      .values({
        id: uuidv7(),
        boardSlug: board.slug,
        title: input.title,
        authorId,
        contentWarning: screening.contentWarning,
        state,
        lastPostAt: now,
        createdAt: now
      })
      .returning()
    const [post] = await tx
      .insert(posts)
      .values({
        id: uuidv7(),
        threadId: thread!.id,
        authorId,
        bodySource: input.body,
        bodyHtml,
        contentWarning: screening.contentWarning,
        opening: true,
        state,
        publishedAt: visible ? now : null,
        createdAt: now
      })
      .returning()
    const alerts = await queueIfNeeded(tx, screening, post!.id, board.slug, now)
    const view = threadView({ thread: thread!, authorHandle, postCount: visible ? 1 : 0 })
    await writeEvents(tx, now, [...threadEvent('thread.created', view, authorId), ...alerts])
    return {
      thread: view,
      post: postView({ post: post!, authorHandle }, author),
      moderation: screening.outcome
    }
  })
}

// Reading a thread page is the forum's hottest path: its statements are prepared (src/db/prepared.ts).
const prepareThreadHeader = (db: Db) =>
  db
    .select({ thread: threads, authorHandle: accounts.handle, audience: boards.audience })
    .from(threads)
    .innerJoin(boards, eq(boards.slug, threads.boardSlug))
    .leftJoin(accounts, eq(accounts.id, threads.authorId))
    .where(eq(threads.id, sql.placeholder('threadId')))
    .limit(1)
    .prepare('lantern_thread_header')

/** Four shapes: staff or member, first page or later page. */
const preparePostsPage = (db: Db, staff: boolean, afterCursor: boolean) =>
  selectPosts(db)
    .where(
      and(
        eq(posts.threadId, sql.placeholder('threadId')),
        staff ? undefined : sql`(${publishedToOthers} or ${posts.authorId} = ${sql.placeholder('viewerId')})`,
        afterCursor
          ? sql`(${posts.createdAt}, ${posts.id}) > (${sql.placeholder('afterAt')}::timestamptz, ${sql.placeholder('afterId')}::uuid)`
          : undefined
      )
    )
    .orderBy(asc(posts.createdAt), asc(posts.id))
    .limit(sql.placeholder('limit'))
    .prepare(`lantern_thread_posts_${staff ? 'staff' : 'member'}_${afterCursor ? 'after' : 'first'}`)

/** A thread with a page of its posts, oldest first. */
export async function readThread(deps: Deps, account: AccountRow, threadId: string, request: PageRequest) {
  const [row] = await preparedOn(deps.db, 'thread_header', prepareThreadHeader).execute({ threadId })
  if (!row) throw notFound('That thread')
  const viewer = readerOn(account, row.thread.boardSlug)
  if (!audienceAllows({ slug: row.thread.boardSlug, audience: row.audience }, viewer) || !threadVisibleTo(row.thread, viewer)) throw notFound('That thread')
  const after = decodeCursor(request.cursor)
  const staff = isStaff(viewer)
  const query = preparedOn(deps.db, `thread_posts:${staff}:${after !== null}`, (db) => preparePostsPage(db, staff, after !== null))
  const rows = await query.execute({
    threadId,
    viewerId: viewer.id,
    limit: request.limit + 1,
    ...(after ? { afterAt: after.at.toISOString(), afterId: after.id } : {})
  })
  const { items, nextCursor } = page(rows, request.limit, (r) => ({ at: r.post.createdAt, id: r.post.id }))
  return { thread: threadView(row), posts: items.map((r) => postView(r, viewer)), nextCursor }
}

/** Staff lock a thread to stop new replies (a heated or finished conversation), or unlock it. */
export async function setThreadLocked(deps: Deps, actor: AccountRow, threadId: string, locked: boolean) {
  if (!isStaff(actor)) throw forbidden('Only moderators and admins lock threads.')
  assertCanWrite(actor, deps.clock.now())
  // A moderator limited to some boards locks threads on those boards only (as they resolve only their items).
  const scope = await moderatedBoards(deps.db, actor)
  return deps.db.transaction(async (tx) => {
    const now = deps.clock.now()
    const [target] = await tx.select({ boardSlug: threads.boardSlug }).from(threads).where(eq(threads.id, threadId)).for('update')
    if (!target) throw notFound('That thread')
    if (!inScope(scope, target.boardSlug)) throw forbidden('You moderate other boards; this thread is not on one of them.')
    await tx.update(threads).set({ locked }).where(eq(threads.id, threadId))
    await recordAction(tx, now, { actor, action: locked ? 'thread.locked' : 'thread.unlocked', targetType: 'thread', targetId: threadId })
    const [row] = await selectThreads(tx).where(eq(threads.id, threadId))
    const view = threadView(row!)
    await writeEvents(tx, now, threadEvent('thread.updated', view, row!.thread.authorId))
    return view
  })
}

