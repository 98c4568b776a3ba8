import cookie from '@fastify/cookie'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { eq, sql } from 'drizzle-orm'
import type { AccountRow } from '../accounts/model.js'
import { effectiveStatus, isStaff } from '../accounts/model.js'
import { deleteExpiredSessions, type SessionLookup, type SessionRecord, validateSessionToken } from '../accounts/sessions.js'
import type { Db } from '../db/client.js'
import { preparedOn } from '../db/prepared.js'
import { accounts, sessions } from '../db/schema.js'
import type { Deps } from '../deps.js'
import { DomainError } from '../errors.js'
import type { StaffFacts } from '../forum/audience.js'
import { boardsOfModerator, staffFactsNow } from '../moderation/queue/scope.js'

export const SESSION_COOKIE = 'lantern_session'

declare module 'fastify' {
  interface FastifyRequest {
    account: AccountRow | null
    session: SessionRecord | null
    /** How the request authenticated: the Origin check applies to cookies only. */
    authVia: 'cookie' | 'bearer' | null
  }
  interface FastifyContextConfig {
    /** Routes that work without a session (the contract lists them). */
    public?: boolean
    /** How this route looks its session up, when it reads something with it (null: the usual way). */
    sessionLookup?: (request: FastifyRequest) => SessionLookup | null
  }
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization
  if (!header) return null
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match?.[1] ?? null
}

export function setSessionCookie(reply: FastifyReply, secure: boolean, token: string, expiresAt: Date) {
  reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', path: '/', secure, expires: expiresAt })
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean) {
  reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', path: '/', secure })
}

/** The server's own origin as the browser sees it, for the Origin check. */
export function ownOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`
}

export function originAllowed(origin: string | undefined, request: FastifyRequest, allowed: string[]): boolean {
  if (!origin) return false
  return origin === ownOrigin(request) || allowed.includes(origin)
}

/** The signed-in account, or 401. */
export function requireAccount(request: FastifyRequest): AccountRow {
  if (!request.account) throw new DomainError('unauthenticated', 'Sign in to do that.')
  return request.account
}

export function requireStaff(request: FastifyRequest): AccountRow {
  const account = requireAccount(request)
  if (!isStaff(account)) throw new DomainError('forbidden', 'Only moderators and admins may do that.')
  return account
}

// Every request looks its session up: the account's boards as a moderator come in the same statement as its role
// (scope.ts boardsOfModerator), so that no read of the boards made after a demotion meets the role read before it.
const prepareSessionWithBoards = (db: Db) =>
  db
    .select({ session: sessions, account: accounts, moderates: boardsOfModerator })
    .from(sessions)
    .innerJoin(accounts, eq(accounts.id, sessions.accountId))
    .where(eq(sessions.id, sql.placeholder('id')))
    .limit(1)
    .prepare('lantern_session_with_boards')

const sessionWithBoards: SessionLookup = async (db, id) => {
  const [row] = await preparedOn(db, 'session_with_boards', prepareSessionWithBoards).execute({ id })
  // The row is this query's own object: the boards go onto it, not onto a copy of it, on every request.
  return row && { session: row.session, account: Object.assign(row.account, { moderates: row.moderates }) }
}

/**
 * The account as the reading rules take it (src/forum/audience.ts): a moderator's boards, read with its role (on
 * other boards they read as a member of their circle), and whether it is suspended (then it reads as a member
 * everywhere). A route's own lookup that did not bring the boards costs a moderator one more read, of the role and
 * the boards together, and both are taken from it.
 */
async function withStaffFacts(deps: Deps, found: AccountRow): Promise<AccountRow & StaffFacts> {
  const now = deps.clock.now()
  if (found.moderates === undefined && found.role === 'moderator') return { ...found, ...(await staffFactsNow(deps.db, found.id, now)) }
  return { ...found, suspended: effectiveStatus(found, now) === 'suspended' }
}

/**
 * Resolves the session (cookie or bearer) onto request.account, refuses cross-origin cookie writes
 * (CSRF), and answers 401 on routes that need a session before their body is even validated.
 */
export const authentication = fp(async function authentication(app: FastifyInstance, opts: { deps: Deps }) {
  const { deps } = opts
  const sessionDeps = { db: deps.db, clock: deps.clock, ttlDays: deps.config.sessionTtlDays }
  await app.register(cookie)
  app.decorateRequest('account', null)
  app.decorateRequest('session', null)
  app.decorateRequest('authVia', null)

  // Expired sessions are refused when used; this clears the ones never used again.
  const sweep = setInterval(() => {
    deleteExpiredSessions(deps.db, deps.clock).catch((err: unknown) =>
      app.log.warn({ err: { message: (err as Error).message } }, 'session sweep failed')
    )
  }, 10 * 60_000)
  sweep.unref()
  app.addHook('onClose', async () => clearInterval(sweep))

  app.addHook('onRequest', async (request, reply) => {
    const bearer = bearerToken(request)
    const fromCookie = bearer ? undefined : request.cookies[SESSION_COOKIE]
    const token = bearer ?? fromCookie
    if (token) {
      const result = await validateSessionToken(sessionDeps, token, request.routeOptions.config.sessionLookup?.(request) ?? sessionWithBoards)
      if (result) {
        // A member's account is taken as read: no staff facts to add, no await on every request.
        request.account = isStaff(result.account) ? await withStaffFacts(deps, result.account) : result.account
        request.session = result.session
        request.authVia = bearer ? 'bearer' : 'cookie'
        if (result.renewed && !bearer) setSessionCookie(reply, deps.config.cookieSecure, token, result.session.expiresAt)
      } else if (fromCookie) {
        clearSessionCookie(reply, deps.config.cookieSecure)
      }
    }
    if (
      request.authVia === 'cookie' &&
      UNSAFE_METHODS.has(request.method) &&
      !originAllowed(request.headers.origin, request, deps.config.allowedOrigins)
    ) {
      throw new DomainError('bad_origin', 'Cross-origin requests with a session cookie are refused.')
    }
    // Only the API needs sessions: /docs and the health checks at the root are open.
    const apiRoute = request.routeOptions.url?.startsWith('/api/') ?? false
    if (!request.account && apiRoute && !request.routeOptions.config.public) {
      throw new DomainError('unauthenticated', token ? 'Your session has ended; sign in again.' : 'Sign in to do that.')
    }
  })
})
