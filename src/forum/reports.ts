import { and, eq } from 'drizzle-orm'
import { v7 as uuidv7 } from 'uuid'
import { assertCanWrite } from '../accounts/service.js'
import type { AccountRow } from '../accounts/model.js'
import type { Deps } from '../deps.js'
import { reports } from '../db/schema.js'
import { readablePost } from './posts.js'

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

/** A member reports a post they can see. Reporting the same post again returns the first report. */
export async function reportPost(
  deps: Deps,
  reporter: AccountRow,
  postId: string,
  input: { reason: ReportReason; note?: string | undefined }
): Promise<{ report: ReportView; created: boolean }> {
  const now = deps.clock.now()
  assertCanWrite(reporter, now)
  const { post } = await readablePost(deps.db, reporter, postId)
  return deps.db.transaction(async (tx) => {
    const [created] = await tx
      .insert(reports)
      .values({ id: uuidv7(), postId: post.id, reporterId: reporter.id, reason: input.reason, note: input.note ?? null, createdAt: now })
      .onConflictDoNothing({ target: [reports.postId, reports.reporterId] })
      .returning()
    if (created) return { report: reportView(created), created: true }
    const [existing] = await tx
      .select()
      .from(reports)
      .where(and(eq(reports.postId, post.id), eq(reports.reporterId, reporter.id)))
    return { report: reportView(existing!), created: false }
  })
}
