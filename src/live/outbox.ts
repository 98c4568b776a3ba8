import { sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'

export interface LiveEvent {
  channel: string
  event: string
  data: unknown
  restrictedTo?: string | null
  boardSlug?: string | null
}

/** The NOTIFY channel every instance listens on. */
export const EVENTS_CHANNEL = 'lantern_events'

/** Any number: all event writers share it, which is what orders their commits. */
const OUTBOX_LOCK = 0x4c4f5554 // "LOUT"

/**
 * Writes events in the caller's transaction, as its last statement. The transaction-scoped advisory lock
 * makes event ids follow commit order: a writer that takes an id holds the lock until it commits, so no
 * later id can become visible before it, and readers resuming from an id can never skip an event.
 *
 * The lock is taken and the rows inserted in ONE statement, and the NOTIFY is sent after commit (by the
 * instance, see LiveHub.wake), so the lock is held for one round trip plus the commit and nothing else.
 */
export async function writeEvents(tx: Db, now: Date, list: LiveEvent[]): Promise<void> {
  if (list.length === 0) return
  const rows = JSON.stringify(
    list.map((e) => ({
      channel: e.channel,
      event: e.event,
      data: e.data,
      restricted_to: e.restrictedTo ?? null,
      board_slug: e.boardSlug ?? null
    }))
  )
  // The insert's ids (the sequence default) are drawn per joined row, so only after the lock is held.
  await tx.execute(sql`
    with ordered as (select pg_advisory_xact_lock(${OUTBOX_LOCK}))
    insert into events (channel, event, data, restricted_to, board_slug, created_at)
    select e.channel, e.event, e.data, e.restricted_to, e.board_slug, ${now.toISOString()}::timestamptz
    from ordered,
      rows from (jsonb_to_recordset(${rows}::jsonb) as (channel text, event text, data jsonb, restricted_to uuid, board_slug text))
      with ordinality as e(channel, event, data, restricted_to, board_slug, n)
    order by e.n`)
}
