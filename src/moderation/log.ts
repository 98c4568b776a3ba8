import { and, desc, eq, or, sql } from 'drizzle-orm'
import { v7 as uuidv7 } from 'uuid'
import type { AccountRow } from '../accounts/model.js'
import type { Db } from '../db/client.js'
import { moderationLog, posts, queueItems, threads } from '../db/schema.js'
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

/**
 * What of the log a moderator limited to some boards reads: what was done on those boards (to posts, threads, queue
 * items and the boards themselves), the rules (which apply everywhere and which they read), and their own actions.
 * A removal's reason on the family board is not for a moderator of the general board, as the post itself is not.
 */
function withinBoards(reader: Pick<AccountRow, 'id'>, boards: readonly string[]) {
  const list = sql`array[${sql.join(
    boards.map((b) => sql`${b}`),
    sql`, `
  )}]::text[]`
  const id = sql`(case when ${moderationLog.targetType} in ('post', 'thread', 'queue_item') then ${moderationLog.targetId}::uuid end)`
  return or(
    eq(moderationLog.actorId, reader.id),
    eq(moderationLog.targetType, 'rule'),
    and(eq(moderationLog.targetType, 'board'), sql`${moderationLog.targetId} = any(${list})`),
    and(
      eq(moderationLog.targetType, 'post'),
      sql`exists (select 1 from ${posts} join ${threads} on ${threads.id} = ${posts.threadId} where ${posts.id} = ${id} and ${threads.boardSlug} = any(${list}))`
    ),
    and(eq(moderationLog.targetType, 'thread'), sql`exists (select 1 from ${threads} where ${threads.id} = ${id} and ${threads.boardSlug} = any(${list}))`),
    and(eq(moderationLog.targetType, 'queue_item'), sql`exists (select 1 from ${queueItems} where ${queueItems.id} = ${id} and ${queueItems.boardSlug} = any(${list}))`)
  )
}

/** The log, newest first. Nothing in the API can change or delete an entry. */
export async function readLog(db: Db, reader: Pick<AccountRow, 'id' | 'role' | 'moderates'>, request: { limit: number; cursor?: string | undefined }) {
  const before = decodeCursor(request.cursor)
  const limited = reader.role !== 'admin' && reader.moderates ? reader.moderates : null
  const rows = await db
    .select()
    .from(moderationLog)
    .where(
      and(
        before
          ? sql`(${moderationLog.createdAt}, ${moderationLog.id}) < (${before.at.toISOString()}::timestamptz, ${before.id}::uuid)`
          : undefined,
        limited ? withinBoards(reader, limited) : undefined
      )
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
