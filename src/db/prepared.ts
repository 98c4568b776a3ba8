import type { Db } from './client.js'

// The hottest statements (a session lookup on every request, a thread page, a reply's target) are prepared
// once per database: drizzle builds their SQL once and PostgreSQL keeps their plans per connection.
const cache = new WeakMap<Db, Map<string, unknown>>()

/** The statement `build` prepares on `db`, built the first time it is asked for under this name. */
export function preparedOn<T>(db: Db, name: string, build: (db: Db) => T): T {
  let byName = cache.get(db)
  if (!byName) cache.set(db, (byName = new Map()))
  let statement = byName.get(name) as T | undefined
  if (statement === undefined) byName.set(name, (statement = build(db)))
  return statement
}
