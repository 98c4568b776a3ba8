import { and, eq, gt, notInArray } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import { queueItems } from '../../db/schema.js'
import { queueEvent } from '../../live/events.js'
import { writeEvents } from '../../live/outbox.js'
import { type LogEntry, recordAction } from '../log.js'

/**
 * Releases the live claims `holderId` has on open items they may no longer work, in the caller's transaction: those on
 * boards outside `boardsLeft`, the boards they may still work (none: every item; callers for whom every board is
 * left have nothing to release and need not call). Staff who lose their powers (demoted, suspended, narrowed to
 * other boards, account deleted) cannot release an item themselves any more, and their lease would keep it from
 * everyone else until it ran out. Each release is logged and announced as releaseItem does, naming who made the
 * change that caused it.
 */
export async function releaseLostClaims(
  tx: Db,
  now: Date,
  input: { holderId: string; actor: LogEntry['actor']; cause: string; boardsLeft: string[] }
): Promise<void> {
  const released = await tx
    .update(queueItems)
    .set({ claimedBy: null, claimExpiresAt: null, updatedAt: now })
    .where(
      and(
        eq(queueItems.claimedBy, input.holderId),
        eq(queueItems.status, 'open'),
        gt(queueItems.claimExpiresAt, now),
        input.boardsLeft.length ? notInArray(queueItems.boardSlug, input.boardsLeft) : undefined
      )
    )
    .returning()
  const alerts = []
  for (const item of released.sort((a, b) => (a.id < b.id ? -1 : 1))) {
    await recordAction(tx, now, {
      actor: input.actor,
      action: 'queue.released',
      targetType: 'queue_item',
      targetId: item.id,
      details: { claimedBy: input.holderId, cause: input.cause }
    })
    alerts.push(await queueEvent(tx, item, false, now))
  }
  await writeEvents(tx, now, alerts)
}
