import { createHash } from 'node:crypto'
import { and, asc, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm'
import { isStaff, type AccountRow } from '../../accounts/model.js'
import { assertCanWrite } from '../../accounts/service.js'
import type { Deps } from '../../deps.js'
import type { Db } from '../../db/client.js'
import { accounts, boards, posts, queueItems, threads, type QueueResolution } from '../../db/schema.js'
import { DomainError, forbidden, invalid, notFound } from '../../errors.js'
import { isIsoTime } from '../../forum/cursor.js'
import { cleanWriting, prepareBody, threadViewById } from '../../forum/posts.js'
import { keepRevision, type RevisionRow, revisionsByPost } from '../../forum/revisions.js'
import { meEvent, ownPostView, postEvent, queueEvent, threadEvent } from '../../live/events.js'
import { type LiveEvent, writeEvents } from '../../live/outbox.js'
import { type PostRow, type ThreadRow, postView, threadView } from '../../forum/views.js'
import { recordAction } from '../log.js'
import type { QueueItemRow } from './enqueue.js'
import { inScope, moderatedBoards } from './scope.js'

export type QueueStatus = 'open' | 'claimed' | 'resolved'

export function statusOf(item: QueueItemRow, now: Date): QueueStatus {
  if (item.status === 'resolved') return 'resolved'
  return item.claimedBy && item.claimExpiresAt && item.claimExpiresAt > now ? 'claimed' : 'open'
}

/**
 * What a moderator read of an item, as an opaque string: the post's state, text and content warning, and how many
 * reasons the item has gathered. An author's edit or a new report changes it; a claim or a release does not. A
 * decision that carries it applies only if the item still reads the same (resolveItem), so an approve never
 * publishes words its moderator did not see.
 */
export function itemVersion(item: Pick<QueueItemRow, 'reasons'>, post: Pick<PostRow, 'state' | 'bodySource' | 'contentWarning'>): string {
  return createHash('sha256')
    .update(JSON.stringify([post.state, post.bodySource, post.contentWarning, item.reasons.length]))
    .digest('base64url')
    .slice(0, 22)
}

/** An earlier text of a post, as staff read it in the queue: what it said, and when an edit or a redaction replaced it. */
const revisionView = (r: RevisionRow) => ({
  body: r.bodySource,
  bodyHtml: r.bodyHtml,
  contentWarning: r.contentWarning,
  kind: r.kind,
  replacedAt: r.createdAt.toISOString()
})

/**
 * Queue items with the post (body included: staff read removed posts here), thread and author. The post carries its
 * earlier texts (`revisions`): an author who edits a reported post before review must not leave the moderator only
 * the new words, nor the reporters a report of nothing.
 */
export async function queueItemViews(db: Db, items: QueueItemRow[], now: Date) {
  if (items.length === 0) return []
  const postIds = items.map((i) => i.postId)
  const postRows = await db.select().from(posts).where(inArray(posts.id, postIds))
  const postById = new Map(postRows.map((p) => [p.id, p]))
  const revisions = await revisionsByPost(db, postIds)
  const threadRows = await db
    .select({ thread: threads })
    .from(threads)
    .where(inArray(threads.id, [...new Set(postRows.map((p) => p.threadId))]))
  const threadById = new Map(threadRows.map((t) => [t.thread.id, t]))
  const people = [
    ...new Set([
      ...postRows.map((p) => p.authorId),
      ...threadRows.map((t) => t.thread.authorId),
      ...items.map((i) => i.claimedBy)
    ].filter((x): x is string => x !== null))
  ]
  const accountRows = people.length ? await db.select().from(accounts).where(inArray(accounts.id, people)) : []
  const accountById = new Map(accountRows.map((a) => [a.id, a]))
  const handleOf = (id: string | null) => (id ? (accountById.get(id)?.handle ?? null) : null)

  return items.map((item) => {
    const post = postById.get(item.postId) as PostRow
    const thread = threadById.get(post.threadId) as { thread: ThreadRow }
    const author = post.authorId ? accountById.get(post.authorId) : undefined
    const live = statusOf(item, now) === 'claimed'
    return {
      id: item.id,
      priority: item.priority,
      status: statusOf(item, now),
      board: item.boardSlug,
      // The server's own marks stay out of the view (newReporter: reportsHold reads it), as the contract has it.
      reasons: item.reasons.map(({ newReporter: _newReporter, ...reason }) => reason),
      post: {
        ...postView({ post, authorHandle: handleOf(post.authorId) }, 'privileged'),
        // Staff see what was written even after removal, and the writer's source text.
        bodyHtml: post.bodyHtml,
        body: post.bodySource,
        revisions: (revisions.get(post.id) ?? []).map(revisionView)
      },
      thread: threadView({ thread: thread.thread, authorHandle: handleOf(thread.thread.authorId) }),
      author: author
        ? { id: author.id, handle: author.handle, status: author.status, createdAt: author.createdAt.toISOString(), postsWritten: author.postsWritten }
        : null,
      claimedBy: live && item.claimedBy ? { id: item.claimedBy, handle: handleOf(item.claimedBy) ?? '' } : null,
      claimExpiresAt: live && item.claimExpiresAt ? item.claimExpiresAt.toISOString() : null,
      createdAt: item.createdAt.toISOString(),
      updatedAt: item.updatedAt.toISOString(),
      resolution: item.resolution ?? null,
      version: itemVersion(item, post)
    }
  })
}

export type QueueItemView = Awaited<ReturnType<typeof queueItemViews>>[number]

interface QueueCursor {
  priority: number
  at: string
  id: string
}

const encode = (c: QueueCursor) => Buffer.from(JSON.stringify([c.priority, c.at, c.id])).toString('base64url')
function decode(cursor: string | undefined): QueueCursor | null {
  if (cursor === undefined) return null
  try {
    const [priority, at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown, unknown]
    if (typeof priority === 'number' && Number.isInteger(priority) && priority >= 0 && priority <= 9 && typeof at === 'string' && isIsoTime(at) && typeof id === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
      return { priority, at, id }
    }
  } catch {
    // fall through
  }
  throw invalid('That cursor is not one this server gave out.', { field: 'cursor' })
}

export interface QueueFilter {
  status?: QueueStatus | undefined
  board?: string | undefined
  category?: string | undefined
  limit: number
  cursor?: string | undefined
}

/** The queue, most urgent first, then oldest first. */
export async function listQueue(deps: Deps, staff: AccountRow, filter: QueueFilter) {
  const scope = await moderatedBoards(deps.db, staff)
  const now = deps.clock.now()
  const after = decode(filter.cursor)
  const liveClaim = and(sql`${queueItems.claimedBy} is not null`, sql`${queueItems.claimExpiresAt} > ${now.toISOString()}::timestamptz`)
  const status = filter.status ?? 'open'
  const rows = await deps.db
    .select()
    .from(queueItems)
    .where(
      and(
        status === 'resolved' ? eq(queueItems.status, 'resolved') : eq(queueItems.status, 'open'),
        status === 'open' ? or(isNull(queueItems.claimedBy), lte(queueItems.claimExpiresAt, now)) : undefined,
        status === 'claimed' ? liveClaim : undefined,
        scope ? inArray(queueItems.boardSlug, scope) : undefined,
        filter.board ? eq(queueItems.boardSlug, filter.board) : undefined,
        filter.category ? sql`${queueItems.reasons} @> ${JSON.stringify([{ category: filter.category }])}::jsonb` : undefined,
        after
          ? sql`(${queueItems.priority}, ${queueItems.createdAt}, ${queueItems.id}) > (${after.priority}, ${after.at}::timestamptz, ${after.id}::uuid)`
          : undefined
      )
    )
    .orderBy(asc(queueItems.priority), asc(queueItems.createdAt), asc(queueItems.id))
    .limit(filter.limit + 1)
  const items = rows.slice(0, filter.limit)
  const last = items[items.length - 1]
  return {
    items: await queueItemViews(deps.db, items, now),
    nextCursor: rows.length > filter.limit && last ? encode({ priority: last.priority, at: last.createdAt.toISOString(), id: last.id }) : null
  }
}

/** The item if this staff member may work it; otherwise 404. */
async function itemInScope(db: Db, staff: AccountRow, id: string, lock = false): Promise<QueueItemRow> {
  const scope = await moderatedBoards(db, staff)
  const query = db.select().from(queueItems).where(eq(queueItems.id, id))
  const [item] = lock ? await query.for('update') : await query
  if (!item || !inScope(scope, item.boardSlug)) throw notFound('That queue item')
  return item
}

async function claimedElsewhere(db: Db, item: QueueItemRow) {
  const [holder] = item.claimedBy ? await db.select({ id: accounts.id, handle: accounts.handle }).from(accounts).where(eq(accounts.id, item.claimedBy)) : []
  return new DomainError('already_claimed', 'Another moderator is working on this item.', {
    claimedBy: holder ?? null,
    claimExpiresAt: item.claimExpiresAt?.toISOString() ?? null
  })
}

/**
 * Staff never decide on their own writing, admins included: a moderator approving their own held post would publish
 * what a detector held, and one closing a report against themselves would judge their own case. The item stays in
 * their queue, for another moderator.
 */
function assertNotOwnPost(staff: AccountRow, post: Pick<PostRow, 'authorId'>): void {
  if (post.authorId === staff.id) throw forbidden('This item is about your own post: another moderator decides it.')
}

/**
 * Takes the item for CLAIM_LEASE_SECONDS. One conditional UPDATE decides: when two moderators claim at the
 * same instant, PostgreSQL re-checks the condition for the second after the first commits, so exactly one wins.
 */
export async function claimItem(deps: Deps, staff: AccountRow, id: string) {
  const item = await itemInScope(deps.db, staff, id)
  // Read before the transaction, as the scope is: an item's post never changes, nor does its author (but to null).
  const [post] = await deps.db.select({ authorId: posts.authorId }).from(posts).where(eq(posts.id, item.postId))
  if (post) assertNotOwnPost(staff, post)
  return deps.db.transaction(async (tx) => {
    const now = deps.clock.now()
    // The claimer as they are now, under a share lock: a demotion, suspension, narrowing or deletion (each takes the
    // account's row lock and releases its claims in the same transaction) committed first and is seen here, or waits
    // for this claim and then releases it. A claim never outlives the powers it was made with.
    const [holder] = await tx.select().from(accounts).where(eq(accounts.id, staff.id)).for('share')
    if (!holder || !isStaff(holder)) throw forbidden('Only moderators and admins may do that.')
    assertCanWrite(holder, now)
    if (!inScope(await moderatedBoards(tx, holder), item.boardSlug)) throw notFound('That queue item')
    const expires = new Date(now.getTime() + deps.config.claimLeaseSeconds * 1000)
    const [claimed] = await tx
      .update(queueItems)
      .set({ claimedBy: staff.id, claimExpiresAt: expires, updatedAt: now })
      .where(
        and(
          eq(queueItems.id, id),
          eq(queueItems.status, 'open'),
          or(isNull(queueItems.claimedBy), lte(queueItems.claimExpiresAt, now), eq(queueItems.claimedBy, staff.id))
        )
      )
      .returning()
    if (!claimed) {
      const [current] = await tx.select().from(queueItems).where(eq(queueItems.id, id))
      if (current?.status === 'resolved') throw new DomainError('already_resolved', 'This item has been resolved already.')
      throw await claimedElsewhere(tx, current!)
    }
    await recordAction(tx, now, { actor: staff, action: 'queue.claimed', targetType: 'queue_item', targetId: id })
    const alert = await queueEvent(tx, claimed, false, now)
    await writeEvents(tx, now, [alert])
    return alert.data as QueueItemView
  })
}

export async function releaseItem(deps: Deps, staff: AccountRow, id: string) {
  return deps.db.transaction(async (tx) => {
    const now = deps.clock.now()
    const item = await itemInScope(tx, staff, id, true)
    if (item.status === 'resolved') throw new DomainError('already_resolved', 'This item has been resolved already.')
    if (statusOf(item, now) === 'claimed' && item.claimedBy !== staff.id) throw await claimedElsewhere(tx, item)
    const [released] = await tx
      .update(queueItems)
      .set({ claimedBy: null, claimExpiresAt: null, updatedAt: now })
      .where(eq(queueItems.id, id))
      .returning()
    await recordAction(tx, now, { actor: staff, action: 'queue.released', targetType: 'queue_item', targetId: id })
    const alert = await queueEvent(tx, released!, false, now)
    await writeEvents(tx, now, [alert])
    return alert.data as QueueItemView
  })
}

export interface Decision {
  decision: QueueResolution['decision']
  reason?: string | undefined
  body?: string | undefined
  /** A redaction of an opening post may replace its thread's title too. */
  title?: string | undefined
  /** A redaction may replace the post's content warning (an opening post's is its thread's), or clear it. */
  contentWarning?: string | null | undefined
  /** The item's `version` as the moderator read it: when given, the decision applies only if the item still reads so. */
  version?: string | undefined
}

/**
 * Whether staff judged the post as it is: an item about it was resolved after its author's last edit (`authorEditedAt`,
 * lastAuthorEdit; or it was never edited) with approve (staff read that text) or redact (staff wrote it; the redaction
 * itself is not an edit of the author's). An author's edit in the same millisecond as an approval counts as after it:
 * in doubt, staff did not read those words. A redaction made in the same millisecond as the author's edit replaced it
 * (it locks the post), so it counts.
 */
export async function approvedAsItIs(db: Db, postId: string, authorEditedAt: Date | null): Promise<boolean> {
  const since = authorEditedAt?.toISOString()
  const decidedAt = sql`(${queueItems.resolution}->>'at')::timestamptz`
  const [judged] = await db
    .select({ id: queueItems.id })
    .from(queueItems)
    .where(
      and(
        eq(queueItems.postId, postId),
        eq(queueItems.status, 'resolved'),
        since === undefined
          ? sql`${queueItems.resolution}->>'decision' in ('approve', 'redact')`
          : or(
              sql`${queueItems.resolution}->>'decision' = 'approve' and ${decidedAt} > ${since}::timestamptz`,
              sql`${queueItems.resolution}->>'decision' = 'redact' and ${decidedAt} >= ${since}::timestamptz`
            )
      )
    )
    .limit(1)
  return judged !== undefined
}

/**
 * Publishes a post that others could not see yet (held), and its thread if it opened one: a moderator's approval or
 * redaction, or its author's edit into a crisis of a post held only because its account is new (src/forum/posts.ts
 * editOnce). Answers the post as published.
 */
export async function publishPost(tx: Db, post: PostRow, now: Date): Promise<PostRow> {
  const [published] = await tx
    .update(posts)
    .set({ state: 'visible', publishedAt: post.publishedAt ?? now })
    .where(eq(posts.id, post.id))
    .returning()
  if (post.opening) await tx.update(threads).set({ state: 'visible' }).where(eq(threads.id, post.threadId))
  if (!post.publishedAt) {
    await tx
      .update(threads)
      .set({ lastPostAt: sql`greatest(${threads.lastPostAt}, ${now.toISOString()}::timestamptz)` })
      .where(eq(threads.id, post.threadId))
  }
  return published!
}

/**
 * The news of a thread after a change to its opening post, as it was before (`before`): others never saw a thread
 * whose opening post was held, so once it is published it is new for them.
 */
export async function openingPostNews(tx: Db, before: Pick<PostRow, 'state' | 'threadId' | 'authorId'>): Promise<LiveEvent[]> {
  const thread = await threadViewById(tx, before.threadId)
  if (before.state === 'held' && thread.state === 'visible') return threadEvent('thread.created', thread, before.authorId).map((e) => ({ ...e, publishes: true }))
  return threadEvent('thread.updated', thread, before.authorId)
}

/**
 * The news of a post after a change, as it was before (`before`): a post its readers never saw (held, never
 * published) and now visible is new for them (`post.created`); any other change is an update.
 */
export function postNews(before: Pick<PostRow, 'state' | 'publishedAt'>, after: PostRow, authorHandle: string | null, boardSlug: string): LiveEvent {
  if (before.state === 'held' && before.publishedAt === null && after.state === 'visible') {
    return { ...postEvent('post.created', after, authorHandle, boardSlug), publishes: true }
  }
  return postEvent('post.updated', after, authorHandle, boardSlug)
}

/**
 * A moderator's decision on an item: approve publishes a held post; remove takes the post down with a
 * reason its author sees; redact replaces the body (the original kept as a revision), and the title and the
 * content warning when given (screening reads them too, so a phone number may be there), and publishes.
 * The item must be unclaimed or claimed by the decider.
 */
export async function resolveItem(deps: Deps, staff: AccountRow, id: string, decided: Decision) {
  const decision = cleanWriting(decided)
  if (decision.decision === 'redact' && !decision.body) {
    throw invalid('A redaction needs the corrected body.', { field: 'body' })
  }
  for (const field of ['title', 'contentWarning'] as const) {
    if (decision.decision !== 'redact' && decision[field] !== undefined) {
      throw invalid(`Only a redaction replaces the ${field === 'title' ? 'title' : 'content warning'}.`, { field })
    }
  }
  const redactedHtml = decision.decision === 'redact' ? prepareBody(decision.body!) : null
  return deps.db.transaction(async (tx) => {
    const now = deps.clock.now()
    const item = await itemInScope(tx, staff, id, true)
    if (item.status === 'resolved') throw new DomainError('already_resolved', 'This item has been resolved already.')
    if (statusOf(item, now) === 'claimed' && item.claimedBy !== staff.id) throw await claimedElsewhere(tx, item)
    const [post] = await tx.select().from(posts).where(eq(posts.id, item.postId)).for('update')
    if (!post) throw notFound('That post')
    assertNotOwnPost(staff, post)
    if (decision.version !== undefined && decision.version !== itemVersion(item, post)) {
      // The author edited the post, or a new reason joined the item, after the moderator read it: they decide
      // again on what is there now, which the error carries.
      const [current] = await queueItemViews(tx, [item], now)
      throw new DomainError('item_changed', 'The post or its reasons changed since you read it; read it again before deciding.', { item: current })
    }
    const reason = decision.reason ?? null
    if (decision.title !== undefined && !post.opening) {
      throw invalid("Only the opening post's redaction replaces the thread's title.", { field: 'title' })
    }
    if (decision.contentWarning === null && post.opening) {
      const [board] = await tx.select({ name: boards.name, requires: boards.requiresContentWarning }).from(boards).where(eq(boards.slug, item.boardSlug))
      if (board?.requires) throw invalid(`Threads on "${board.name}" need a content warning.`, { field: 'contentWarning' })
    }
    // Its author deleted the post after it was queued. The item stays open meanwhile (a crisis in it must still be
    // seen), and a decision only closes it: the post and its thread stay as the author left them, and the author hears
    // nothing of a post they took down (a removal would hide the whole thread of an opening post).
    const deleted = post.state === 'deleted'
    const threadRedacted = !deleted && post.opening && (decision.title !== undefined || decision.contentWarning !== undefined)

    switch (deleted ? null : decision.decision) {
      case 'approve':
        if (post.state === 'held') await publishPost(tx, post, now)
        break
      case 'remove':
        await tx
          .update(posts)
          .set({ state: 'removed', removalReason: reason ?? 'Removed by a moderator.' })
          .where(eq(posts.id, post.id))
        if (post.opening) await tx.update(threads).set({ state: 'removed' }).where(eq(threads.id, post.threadId))
        break
      case 'redact':
        await keepRevision(tx, post, 'redaction', staff.id, now)
        await tx
          .update(posts)
          .set({
            bodySource: decision.body!,
            bodyHtml: redactedHtml!,
            ...(decision.contentWarning !== undefined ? { contentWarning: decision.contentWarning } : {}),
            editedAt: now
          })
          .where(eq(posts.id, post.id))
        if (threadRedacted) {
          await tx
            .update(threads)
            .set({
              ...(decision.title !== undefined ? { title: decision.title } : {}),
              ...(decision.contentWarning !== undefined ? { contentWarning: decision.contentWarning } : {})
            })
            .where(eq(threads.id, post.threadId))
        }
        if (post.state === 'held' || post.state === 'visible') await publishPost(tx, post, now)
        break
    }

    const resolution: QueueResolution = { decision: decision.decision, reason, by: staff.id, at: now.toISOString() }
    const [resolved] = await tx
      .update(queueItems)
      .set({ status: 'resolved', resolution, claimedBy: null, claimExpiresAt: null, updatedAt: now })
      .where(eq(queueItems.id, id))
      .returning()
    await recordAction(tx, now, {
      actor: staff,
      action: `post.${decision.decision === 'approve' ? 'approved' : decision.decision === 'remove' ? 'removed' : 'redacted'}`,
      targetType: 'post',
      targetId: post.id,
      reason,
      // What a redaction replaced (not the words it took out: the log is kept for good).
      details: deleted
        ? { queueItemId: id, postDeletedByAuthor: true }
        : decision.decision === 'redact'
          ? { queueItemId: id, replaced: ['body', ...(decision.title !== undefined ? ['title'] : []), ...(decision.contentWarning !== undefined ? ['contentWarning'] : [])] }
          : { queueItemId: id }
    })
    const alert = await queueEvent(tx, resolved!, false, now)
    const [after] = await tx.select().from(posts).where(eq(posts.id, post.id))
    const [author] = post.authorId ? await tx.select({ handle: accounts.handle }).from(accounts).where(eq(accounts.id, post.authorId)) : []
    const handle = author?.handle ?? null
    const live: LiveEvent[] = []
    if (deleted) {
      // Nothing changed on the post: no news of it.
    } else if (decision.decision === 'remove') {
      live.push(postEvent('post.removed', after!, handle, item.boardSlug), ...meEvent(post.authorId, 'post.removed', ownPostView(after!, handle)))
    } else if (post.state === 'held' || decision.decision === 'redact') {
      live.push(postNews(post, after!, handle, item.boardSlug))
      if (post.state === 'held') live.push(...meEvent(post.authorId, 'post.approved', ownPostView(after!, handle)))
    }
    // A thread's news when its state changed, or when a redaction changed its title or warning (the news then
    // rewrites what earlier board events said of it: src/live/outbox.ts supersede).
    if (post.opening && (after!.state !== post.state || threadRedacted)) live.push(...(await openingPostNews(tx, post)))
    await writeEvents(tx, now, [...live, alert])
    return alert.data as QueueItemView
  })
}
