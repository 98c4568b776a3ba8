import { and, eq } from 'drizzle-orm'
import { v7 as uuidv7 } from 'uuid'
import { assertCanWrite } from '../accounts/service.js'
import type { AccountRow } from '../accounts/model.js'
import type { Deps } from '../deps.js'
import { accounts, posts, reports, threads } from '../db/schema.js'
import { postHeldEvents, queueEvent, threadEvent } from '../live/events.js'
import { type LiveEvent, writeEvents } from '../live/outbox.js'
import { enqueue, lockOpenItem } from '../moderation/queue/enqueue.js'
import { priorityOf } from '../moderation/screening.js'
import { assertReportable, reportablePost, threadViewById } from './posts.js'

export type ReportReason = (typeof reports.$inferSelect)['reason']
type ReportRow = typeof reports.$inferSelect

export interface ReportView {
  id: string
  postId: string
  reason: ReportReason
  note: string | null
  createdAt: string
}

export const reportView = (r: ReportRow): ReportView => ({
  id: r.id,
  postId: r.postId,
  reason: r.reason,
  note: r.note,
  createdAt: r.createdAt.toISOString()
})

/**
 * A member reports a post they can see, or saw before it was held (reportablePost). Reporting the same post
 * again returns the first report.
 * Each report joins the post's open queue item (a crisis report goes to the top), and reports from
 * REPORT_HIDE_THRESHOLD distinct accounts since the last review hold a visible post until a moderator looks.
 * The reporter is never shown to the post's author.
 */
export async function reportPost(
  deps: Deps,
  reporter: AccountRow,
  postId: string,
  input: { reason: ReportReason; note?: string | undefined }
): Promise<{ report: ReportView; created: boolean }> {
  const now = deps.clock.now()
  assertCanWrite(reporter, now)
  const { post, board } = await reportablePost(deps.db, reporter, postId)
  const mine = and(eq(reports.postId, post.id), eq(reports.reporterId, reporter.id))
  // The same account reporting again gets its first report, whatever became of the post since.
  const [earlier] = await deps.db.select().from(reports).where(mine)
  if (earlier) return { report: reportView(earlier), created: false }
  assertReportable(post, reporter)
  return deps.db.transaction(async (tx) => {
    // The post's open queue item first, before this report's row takes a key-share lock on the post: the order
    // an author's edit and a moderator's decision take them (src/forum/posts.ts editOnce), so they never deadlock.
    await lockOpenItem(tx, post.id)
    // A removal decided while this report was on its way (it locks the item too) leaves nothing to report.
    const [current] = await tx.select({ state: posts.state, authorId: posts.authorId }).from(posts).where(eq(posts.id, post.id))
    assertReportable(current ?? { state: 'deleted', authorId: null }, reporter)
    const [created] = await tx
      .insert(reports)
      .values({ id: uuidv7(), postId: post.id, reporterId: reporter.id, reason: input.reason, note: input.note ?? null, createdAt: now })
      .onConflictDoNothing({ target: [reports.postId, reports.reporterId] })
      .returning()
    if (created) {
      const { item, created: newItem } = await enqueue(tx, {
        postId: post.id,
        boardSlug: board.slug,
        priority: priorityOf(input.reason === 'crisis' || input.reason === 'sourcing' || input.reason === 'personal_info' ? input.reason : 'report'),
        reasons: [{ source: 'report', category: input.reason, detail: input.note ?? `reported as ${input.reason.replace('_', ' ')}`, reportId: created.id, at: now.toISOString() }],
        now
      })
      const reporters = item.reasons.filter((r) => r.source === 'report').length
      const live: LiveEvent[] = [await queueEvent(tx, item, newItem, now)]
      if (reporters >= deps.config.reportHideThreshold && post.state === 'visible') {
        const [held] = await tx.update(posts).set({ state: 'held' }).where(and(eq(posts.id, post.id), eq(posts.state, 'visible'))).returning()
        // None when another report passed the threshold first (or a moderator acted) since the post was read: this
        // report is kept and queued all the same, and the hold and its news are the other's.
        if (held) {
          if (post.opening) await tx.update(threads).set({ state: 'held' }).where(eq(threads.id, post.threadId))
          const [author] = post.authorId ? await tx.select({ handle: accounts.handle }).from(accounts).where(eq(accounts.id, post.authorId)) : []
          live.push(...postHeldEvents(held, author?.handle ?? null, board.slug))
          if (post.opening) live.push(...threadEvent('thread.updated', await threadViewById(tx, post.threadId), post.authorId))
        }
      }
      await writeEvents(tx, now, live)
      return { report: reportView(created), created: true }
    }
    const [existing] = await tx.select().from(reports).where(mine)
    return { report: reportView(existing!), created: false }
  })
}
