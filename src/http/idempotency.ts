import { createHash } from 'node:crypto'
import { and, eq, lt, sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
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
    idempotency: { accountId: string; key: string } | null
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
 * Idempotency keys: a member on a bad connection who taps "post" twice posts once.
 *
 * The key is reserved (a row with no response yet) before the handler runs, so two concurrent retries
 * cannot both create; the response is stored when it is sent. A key whose first request never finished
 * (the process died mid-way) answers 409 request_in_progress rather than risk a second post: the client
 * checks the thread and, if nothing is there, posts with a new key.
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

    const [reserved] = await deps.db
      .insert(idempotencyKeys)
      .values({ accountId: account.id, key: header, requestHash, createdAt: now })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key })
    if (!reserved) {
      const [existing] = await deps.db.select().from(idempotencyKeys).where(where)
      if (existing && existing.createdAt.getTime() <= now.getTime() - DAY_MS) {
        // Older than 24 h: the key is free again.
        await deps.db
          .update(idempotencyKeys)
          .set({ requestHash, status: null, response: null, createdAt: now })
          .where(and(where, eq(idempotencyKeys.createdAt, existing.createdAt)))
      } else if (existing) {
        if (existing.requestHash !== requestHash) {
          throw new DomainError('idempotency_key_reused', 'This Idempotency-Key was used for a different request.')
        }
        if (existing.status === null) {
          throw new DomainError(
            'request_in_progress',
            'A request with this Idempotency-Key is in progress or was interrupted; check whether it took effect before retrying with a new key.'
          )
        }
        reply.header('idempotent-replayed', 'true')
        return reply.code(existing.status).send(existing.response)
      }
    }
    request.idempotency = { accountId: account.id, key: header }
  })

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = request.idempotency
    if (!claim) return payload
    request.idempotency = null
    const where = and(eq(idempotencyKeys.accountId, claim.accountId), eq(idempotencyKeys.key, claim.key))
    // Throttling and server trouble say nothing about the request itself: the key stays usable.
    if (reply.statusCode === 429 || reply.statusCode >= 500) {
      await deps.db.delete(idempotencyKeys).where(where)
    } else {
      const body = typeof payload === 'string' && payload.length ? (JSON.parse(payload) as unknown) : null
      // Not for an account deleted while the request ran (another tab): the response holds its handle and words, and
      // the deletion, which forgets the account's stored responses, may already be past (accounts/service.ts).
      const kept = await deps.db
        .update(idempotencyKeys)
        .set({ status: reply.statusCode, response: body })
        .where(and(where, sql`exists (select 1 from ${accounts} where ${accounts.id} = ${claim.accountId} and ${accounts.status} <> 'deleted')`))
        .returning({ key: idempotencyKeys.key })
      if (kept.length === 0) await deps.db.delete(idempotencyKeys).where(where)
    }
    return payload
  })

  const sweep = setInterval(() => {
    deps.db
      .delete(idempotencyKeys)
      .where(lt(idempotencyKeys.createdAt, new Date(deps.clock.now().getTime() - DAY_MS)))
      .catch((err: unknown) => app.log.warn({ err: { message: (err as Error).message } }, 'idempotency sweep failed'))
  }, 10 * 60_000)
  sweep.unref()
  app.addHook('onClose', async () => clearInterval(sweep))
})
