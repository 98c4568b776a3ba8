import { createHash } from 'node:crypto'
import { and, eq, isNull, lt, sql } from 'drizzle-orm'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Deps } from '../deps.js'
import { accounts, idempotencyKeys } from '../db/schema.js'
import { DomainError, invalid } from '../errors.js'
import { requireAccount } from './auth.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Content-creating POSTs: an Idempotency-Key header makes retries safe. */
    idempotent?: boolean
  }
  interface FastifyRequest {
    idempotency: { accountId: string; key: string; reservedAt: Date } | null
  }
}

const DAY_MS = 86_400_000

/**
 * JSON with object keys sorted at every depth (arrays keep their order): the same fields sent in another order
 * are the same body, so a retry that re-serialises its body still replays rather than getting 409.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
    return `{${entries.join(',')}}`
  }
  return JSON.stringify(value)
}

/**
 * How long a reservation (a key whose request has not answered yet) belongs to its request. Lantern sets no
 * request timeout of its own (Fastify's requestTimeout is off): a request is bounded by its database work. The
 * pool waits 3 s for a connection, PostgreSQL statements are given up after the database timeouts (about 10 s),
 * and a shutdown ends in-flight requests within 10 s. A minute is several times that. A reservation older than
 * this with no response stored was abandoned: its request died with the process, or its bookkeeping could not
 * reach the database (the DELETE that frees the key after a 503, or the store after a write, failed too and its
 * retries ran out). A retry takes it over.
 */
export const RESERVATION_LEASE_MS = 60_000

/** Bookkeeping that failed (the database was away) is tried again after these delays, all within the lease. */
const SETTLE_RETRY_MS = [1_000, 2_000, 4_000, 8_000, 16_000]

/** A 422 blocked_by_rule: its details hold the words a rule refused. */
const blockedByRule = (status: number, body: unknown) =>
  status === 422 && (body as { error?: { code?: unknown } } | null)?.error?.code === 'blocked_by_rule'

/** How many times a request tries to reserve a key that other requests keep reserving and freeing. */
const RESERVE_ATTEMPTS = 3

interface Claim {
  accountId: string
  key: string
  /** The reservation's createdAt: a request settles its own reservation, never one a later retry took over. */
  reservedAt: Date
}

const inProgress = () =>
  new DomainError(
    'request_in_progress',
    'A request with this Idempotency-Key is in progress or was interrupted; check whether it took effect before retrying with a new key.'
  )

/**
 * Idempotency keys: a member on a bad connection who taps "post" twice posts once.
 *
 * The key is reserved (a row with no response yet) before the handler runs, so two concurrent retries
 * cannot both create; the response is stored when it is sent. Every takeover of an existing row (a key older
 * than 24 h, a reservation abandoned for longer than the lease) is one conditional UPDATE on the row's
 * createdAt, so of concurrent retries exactly one runs; the others answer 409 request_in_progress, as does a
 * key whose first request is still within its lease: the client waits, or checks the thread and, if nothing is
 * there, posts with a new key.
 *
 * The bookkeeping after the answer (storing it, or freeing the key after a 429, a 5xx or a block) never changes the
 * answer: a write that committed is answered as it was, and a refusal stays the contract's refusal. If the
 * database fails it, it is logged (through errorForLog: no parameters), tried again a few times, and the
 * reservation is left to its lease.
 */
export const idempotency = fp(async function idempotency(app: FastifyInstance, { deps }: { deps: Deps }) {
  app.decorateRequest('idempotency', null)

  app.addHook('preHandler', async (request, reply) => {
    if (!request.routeOptions.config.idempotent) return
    const header = request.headers['idempotency-key']
    if (header === undefined) return
    if (typeof header !== 'string' || header.length < 1 || header.length > 128) {
      throw invalid('Idempotency-Key must be 1 to 128 characters.', { field: 'Idempotency-Key' })
    }
    const account = requireAccount(request)
    const requestHash = createHash('sha256')
      .update(`${request.method} ${request.routeOptions.url}\n${canonicalJson(request.params)}\n${canonicalJson(request.body ?? null)}`)
      .digest('hex')
    const now = deps.clock.now()
    const where = and(eq(idempotencyKeys.accountId, account.id), eq(idempotencyKeys.key, header))

    for (let attempt = 1; ; attempt++) {
      const [reserved] = await deps.db
        .insert(idempotencyKeys)
        .values({ accountId: account.id, key: header, requestHash, createdAt: now })
        .onConflictDoNothing()
        .returning({ key: idempotencyKeys.key })
      if (reserved) break
      const [existing] = await deps.db.select().from(idempotencyKeys).where(where)
      if (!existing) {
        // Freed between the INSERT and the SELECT (its request failed with a 429, a 5xx or a block): reserve it afresh.
        // Never run unreserved: a third retry could reserve the key and run as well.
        if (attempt < RESERVE_ATTEMPTS) continue
        throw inProgress()
      }
      const expired = existing.createdAt.getTime() <= now.getTime() - DAY_MS
      if (!expired && existing.requestHash !== requestHash) {
        throw new DomainError('idempotency_key_reused', 'This Idempotency-Key was used for a different request.')
      }
      if (!expired && existing.status !== null) {
        reply.header('idempotent-replayed', 'true')
        return reply.code(existing.status).send(existing.response)
      }
      const abandoned = existing.status === null && existing.createdAt.getTime() <= now.getTime() - RESERVATION_LEASE_MS
      if (!expired && !abandoned) throw inProgress()
      // Older than 24 h (the key is free again) or abandoned: take the row over, if no concurrent retry did.
      const taken = await deps.db
        .update(idempotencyKeys)
        .set({ requestHash, status: null, response: null, createdAt: now })
        .where(and(where, eq(idempotencyKeys.createdAt, existing.createdAt)))
        .returning({ key: idempotencyKeys.key })
      if (taken.length === 0) throw inProgress()
      break
    }
    request.idempotency = { accountId: account.id, key: header, reservedAt: now }
  })

  /** Stores the answer under the reservation, or frees it after a 429, a 5xx or a block. Throws if the database does. */
  async function settle(claim: Claim, status: number, body: unknown) {
    const mine = and(
      eq(idempotencyKeys.accountId, claim.accountId),
      eq(idempotencyKeys.key, claim.key),
      eq(idempotencyKeys.createdAt, claim.reservedAt),
      isNull(idempotencyKeys.status)
    )
    // A write whose outcome is unknown (the database never answered its COMMIT) may have landed: the key stays reserved,
    // so a retry is told the request is in progress rather than run again, until the reservation's lease ends.
    if (status === 503 && (body as { error?: { details?: { outcome?: unknown } } } | null)?.error?.details?.outcome === 'unknown') return
    // Throttling and server trouble say nothing about the request itself: the key stays usable. A post a rule blocks
    // is not stored, as the contract says, and its refusal quotes the writer's words (details.body): not kept either,
    // so a retry is screened again and refused again.
    if (status === 429 || status >= 500 || blockedByRule(status, body)) {
      await deps.db.delete(idempotencyKeys).where(mine)
      return
    }
    // Not for an account deleted while the request ran (another tab): the response holds its handle and words, and
    // the deletion, which forgets the account's stored responses, may already be past (accounts/service.ts).
    const kept = await deps.db
      .update(idempotencyKeys)
      .set({ status, response: body })
      .where(and(mine, sql`exists (select 1 from ${accounts} where ${accounts.id} = ${claim.accountId} and ${accounts.status} <> 'deleted')`))
      .returning({ key: idempotencyKeys.key })
    if (kept.length === 0) await deps.db.delete(idempotencyKeys).where(mine)
  }

  const retries = new Set<NodeJS.Timeout>()
  function settleLater(log: FastifyBaseLogger, claim: Claim, status: number, body: unknown, attempt: number) {
    const delay = SETTLE_RETRY_MS[attempt]
    if (delay === undefined) {
      log.error({ statusCode: status }, 'idempotency bookkeeping gave up; the key is left to its lease')
      return
    }
    const timer = setTimeout(() => {
      retries.delete(timer)
      settle(claim, status, body).then(
        () => log.info({ statusCode: status, retries: attempt + 1 }, 'idempotency bookkeeping done on a retry'),
        () => settleLater(log, claim, status, body, attempt + 1)
      )
    }, delay)
    timer.unref()
    retries.add(timer)
  }

  // Never throws: an error here would replace the answer with Fastify's default handler's (and its raw message).
  app.addHook('onSend', async (request, reply, payload) => {
    const claim = request.idempotency
    if (!claim) return payload
    request.idempotency = null
    const status = reply.statusCode
    let body: unknown = null
    try {
      body = typeof payload === 'string' && payload.length ? (JSON.parse(payload) as unknown) : null
      await settle(claim, status, body)
    } catch (err) {
      // A write that committed is still answered as it was: its response is stored on a retry, or the key waits
      // out its lease. A refusal or a 503 goes out unchanged; its key stays reserved until freed or abandoned.
      request.log[status < 400 ? 'error' : 'warn']({ err, statusCode: status }, 'idempotency bookkeeping failed; the answer is sent as it was')
      settleLater(request.log, claim, status, body, 0)
    }
    return payload
  })

  const sweep = setInterval(() => {
    deps.db
      .delete(idempotencyKeys)
      .where(lt(idempotencyKeys.createdAt, new Date(deps.clock.now().getTime() - DAY_MS)))
      .catch((err: unknown) => app.log.warn({ err }, 'idempotency sweep failed'))
  }, 10 * 60_000)
  sweep.unref()
  app.addHook('onClose', async () => {
    clearInterval(sweep)
    for (const timer of retries) clearTimeout(timer)
    retries.clear()
  })
})
