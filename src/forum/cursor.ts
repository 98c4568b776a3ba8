import { invalid } from '../errors.js'

/**
 * Keyset cursors: the sort key of the last row of a page, opaque to clients (base64url JSON).
 * Rows that arrive between pages never shift a page, so nothing is shown twice; a row whose key moves behind the
 * cursor meanwhile (a thread bumped by a reply, a held post approved) is announced live instead (README).
 */
export interface Position {
  at: Date
  id: string
}

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.at.toISOString(), position.id])).toString('base64url')
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
/**
 * A time as toISOString writes it, years 0001..9999: JavaScript reads other forms too (`+010000-01-01…`, year 0),
 * which PostgreSQL cannot store and refused with a 500. It must also print back as itself: Date reads days a month
 * does not have (`2026-02-31` is 3 March) and `T24:00`, which a cursor passed on as text (the queue's) made a 500 too.
 */
const ISO_TIME = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

export function isIsoTime(value: string): boolean {
  if (!ISO_TIME.test(value)) return false
  const time = Date.parse(value)
  return !Number.isNaN(time) && new Date(time).toISOString() === value
}

export function decodeCursor(cursor: string | undefined): Position | null {
  if (cursor === undefined) return null
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') {
      if (isIsoTime(value[0]) && UUID.test(value[1])) return { at: new Date(value[0]), id: value[1] }
    }
  } catch {
    // fall through to the error below
  }
  throw invalid('That cursor is not one this server gave out.', { field: 'cursor' })
}

/** Fetch one row more than the page to know whether there is a next page. */
export function page<T>(rows: T[], limit: number, positionOf: (row: T) => Position) {
  const items = rows.slice(0, limit)
  const last = items[items.length - 1]
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(positionOf(last)) : null }
}
