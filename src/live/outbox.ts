import { sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { events } from '../db/schema.js'

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
 * Writes events in the caller's transaction, as its last step. The transaction-scoped advisory lock makes
 * event ids follow commit order: a writer that takes an id has the lock until it commits, so no later id can
 * become visible before it. Readers resuming from an id can therefore never skip an event.
 */
export async function writeEvents(tx: Db, now: Date, list: LiveEvent[]): Promise<void> {
  if (list.length === 0) return
  await tx.execute(sql`select pg_advisory_xact_lock(${OUTBOX_LOCK})`)
  await tx.insert(events).values(
    list.map((e) => ({
      channel: e.channel,
      event: e.event,
      data: e.data as object,
      restrictedTo: e.restrictedTo ?? null,
      boardSlug: e.boardSlug ?? null,
      createdAt: now
    }))
  )
  await tx.execute(sql`select pg_notify(${EVENTS_CHANNEL}, '')`)
}
