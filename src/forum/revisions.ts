import { asc, count, eq, inArray, sql } from 'drizzle-orm'
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

/**
 * When the post's author last edited it, or null if never: a moderator's redaction changes the post too (editedAt),
 * but it is staff's text, not a change by its author (a report is renewed after the author's edits only). Read from
 * the revisions each change keeps, by their kind. A post with no revision kept although edited (a former member's:
 * deleting an account forgets its posts' earlier texts) is taken as edited by its author when it last changed: in
 * doubt, a reporter may report what is there now.
 */
export async function lastAuthorEdit(db: Db, post: Pick<PostRow, 'id' | 'editedAt'>): Promise<Date | null> {
  if (post.editedAt === null) return null
  const [row] = await db
    .select({
      edited: sql<Date | null>`max(${postRevisions.createdAt}) filter (where ${postRevisions.kind} = 'edit')`.mapWith(postRevisions.createdAt),
      kept: count()
    })
    .from(postRevisions)
    .where(eq(postRevisions.postId, post.id))
  if (!row || row.kept === 0) return post.editedAt
  return row.edited ?? null
}
