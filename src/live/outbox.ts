import { is, SQL, sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { events } from '../db/schema.js'

export interface LiveEvent {
  channel: string
  event: string
  /** A JSON value, or SQL computing it in the writing statement (a count only known there). */
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
  await tx.execute(insertEvents(now, list))
}

/** The INSERT of `writeEvents`, for a caller that makes it part of a larger statement. */
export function insertEvents(now: Date, list: LiveEvent[]): SQL {
  const at = now.toISOString()
  const rows = list.map((e) => {
    const data = is(e.data, SQL) ? e.data : sql`${JSON.stringify(e.data)}::jsonb`
    return sql`(${e.channel}, ${e.event}, ${data}, ${e.restrictedTo ?? null}::uuid, ${e.boardSlug ?? null}, ${at}::timestamptz)`
  })
  const columns = [events.channel, events.event, events.data, events.restrictedTo, events.boardSlug, events.createdAt]
  return sql`insert into ${events} (${sql.join(columns.map((c) => sql.identifier(c.name)), sql`, `)}) values ${sql.join(rows, sql`, `)}`
}
