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

/**
 * Writes events in the caller's transaction, in one statement. Their public positions are drawn at COMMIT
 * by a deferred trigger under one advisory lock (migration 0007), so positions follow commit order and a
 * reader resuming after a position can never skip an event; the lock is held only while PostgreSQL commits.
 * The NOTIFY is sent after commit by the instance (LiveHub.wake), so commits never queue behind
 * PostgreSQL's notification lock either.
 */
export async function writeEvents(tx: Db, now: Date, list: LiveEvent[]): Promise<void> {
  if (list.length === 0) return
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
}
