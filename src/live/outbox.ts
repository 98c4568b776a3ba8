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
 * Writes events in the caller's transaction, in one statement, without a position. After commit the
 * instance runs a round of events_sequence() (migration 0009) before reading the outbox: committed events get
 * the next positions, in order, under one advisory lock that no writing transaction ever waits for. A reader
 * resuming after a position can never skip an event, and writes commit side by side. The NOTIFY is sent
 * after commit by the instance (LiveHub.wake), so commits never queue behind PostgreSQL's notification lock.
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
