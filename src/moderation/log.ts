import { desc, sql } from 'drizzle-orm'
import { v7 as uuidv7 } from 'uuid'
import type { AccountRow } from '../accounts/model.js'
import type { Db } from '../db/client.js'
import { moderationLog } from '../db/schema.js'
import { decodeCursor, page } from '../forum/cursor.js'

export interface LogEntry {
  actor: Pick<AccountRow, 'id' | 'handle'> | null
  action: string
  targetType: 'post' | 'thread' | 'account' | 'rule' | 'queue_item' | 'board'
  targetId: string
  reason?: string | null
  details?: unknown
}

/** Writes one record of a staff action; called inside the transaction of the action itself. */
export async function recordAction(tx: Db, now: Date, entry: LogEntry): Promise<void> {
  await tx.insert(moderationLog).values({
    id: uuidv7(),
    actorId: entry.actor?.id ?? null,
    actorHandle: entry.actor?.handle ?? null,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    reason: entry.reason ?? null,
    details: entry.details ?? null,
    createdAt: now
  })
}

/** The log, newest first. Nothing in the API can change or delete an entry. */
export async function readLog(db: Db, request: { limit: number; cursor?: string | undefined }) {
  const before = decodeCursor(request.cursor)
  const rows = await db
    .select()
    .from(moderationLog)
    .where(
      before
        ? sql`(${moderationLog.createdAt}, ${moderationLog.id}) < (${before.at.toISOString()}::timestamptz, ${before.id}::uuid)`
        : undefined
    )
    .orderBy(desc(moderationLog.createdAt), desc(moderationLog.id))
    .limit(request.limit + 1)
  const { items, nextCursor } = page(rows, request.limit, (r) => ({ at: r.createdAt, id: r.id }))
  return {
    actions: items.map((r) => ({
      id: r.id,
      actor: r.actorId ? { id: r.actorId, handle: r.actorHandle ?? '' } : null,
      action: r.action,
      targetType: r.targetType,
      targetId: r.targetId,
      reason: r.reason,
      details: r.details ?? null,
      createdAt: r.createdAt.toISOString()
    })),
    nextCursor
  }
}
