/**
 * Counts the statements a bench server sends to PostgreSQL (every `pg` client query, the pool's included),
 * so that the table can say how many round trips a request costs. Imported first by the server children.
 */
import pg from 'pg'

let sent = 0
const query = pg.Client.prototype.query
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  sent++
  return (query as (...a: unknown[]) => unknown).apply(this, args)
} as typeof pg.Client.prototype.query

export const queriesSent = (): number => sent
