import { and, eq, getTableColumns, sql } from 'drizzle-orm'
import { v7 as uuidv7 } from 'uuid'
import type { Db } from '../../db/client.js'
import { type QueueReason, queueItems } from '../../db/schema.js'

export type QueueItemRow = typeof queueItems.$inferSelect

/**
 * Locks the post's open queue item, if it has one, in the caller's transaction. Every writer that may touch both
 * a post's item and the post itself takes the item first (a moderator's decision, an author's edit, a report), so
 * no two of them wait for each other in opposite orders. Answers the item's id and reasons (what holds the post, for
 * an edit), or null when it has none.
 */
export async function lockOpenItem(tx: Db, postId: string): Promise<{ id: string; reasons: QueueReason[] } | null> {
  const [item] = await tx
    .select({ id: queueItems.id, reasons: queueItems.reasons })
    .from(queueItems)
    .where(and(eq(queueItems.postId, postId), eq(queueItems.status, 'open')))
    .for('update')
  return item ?? null
}

/**
 * Adds reasons to the post's open queue item, creating it if there is none: one open item per post gathers
 * every reason, and its priority is the most urgent of them. Runs inside the caller's transaction.
 */
export async function enqueue(
  tx: Db,
  input: { postId: string; boardSlug: string; priority: number; reasons: QueueReason[]; now: Date }
): Promise<{ item: QueueItemRow; created: boolean }> {
  const [item] = await tx
    .insert(queueItems)
    .values({
      id: uuidv7(),
      postId: input.postId,
      boardSlug: input.boardSlug,
      priority: input.priority,
      status: 'open',
      reasons: input.reasons,
      createdAt: input.now,
      updatedAt: input.now
    })
    .onConflictDoUpdate({
      target: queueItems.postId,
      targetWhere: sql`${queueItems.status} = 'open'`,
      set: {
        priority: sql`least(${queueItems.priority}, excluded.priority)`,
        reasons: sql`${queueItems.reasons} || excluded.reasons`,
        updatedAt: input.now
      }
    })
    // xmax is 0 only for a row this statement inserted (PostgreSQL's way to tell insert from update).
    .returning({ ...getTableColumns(queueItems), created: sql<boolean>`(xmax = 0)` })
  const { created, ...row } = item!
  return { item: row, created }
}
