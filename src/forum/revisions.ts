import { asc, inArray } from 'drizzle-orm'
import { v7 as uuidv7 } from 'uuid'
import type { Db } from '../db/client.js'
import { postRevisions } from '../db/schema.js'
import type { PostRow } from './views.js'

export type RevisionRow = typeof postRevisions.$inferSelect

/** Keeps the post as it was before an edit or a moderator's redaction. */
export async function keepRevision(tx: Db, post: PostRow, kind: 'edit' | 'redaction', editorId: string, now: Date) {
  await tx.insert(postRevisions).values({
    id: uuidv7(),
    postId: post.id,
    bodySource: post.bodySource,
    bodyHtml: post.bodyHtml,
    contentWarning: post.contentWarning,
    kind,
    editorId,
    createdAt: now
  })
}

/** Each post's earlier texts, oldest first (staff read them in the queue, their writer in the export). */
export async function revisionsByPost(db: Db, postIds: string[]): Promise<Map<string, RevisionRow[]>> {
  const byPost = new Map<string, RevisionRow[]>()
  if (postIds.length === 0) return byPost
  const rows = await db.select().from(postRevisions).where(inArray(postRevisions.postId, postIds)).orderBy(asc(postRevisions.createdAt), asc(postRevisions.id))
  for (const row of rows) {
    const kept = byPost.get(row.postId)
    if (kept) kept.push(row)
    else byPost.set(row.postId, [row])
  }
  return byPost
}
