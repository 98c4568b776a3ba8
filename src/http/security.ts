import cors from '@fastify/cors'
import helmet from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { isIPv4, isIPv6 } from 'node:net'
import { isStaff } from '../accounts/model.js'
import type { Config } from '../config.js'
import { DomainError } from '../errors.js'

/**
 * Security headers and rate limits. Limits are counted in this process's memory: behind N instances a client gets
 * up to N times each limit (the operator divides the limits, or puts a shared store in front), and a restart
 * starts every count again. Enough to blunt guessing and flooding.
 */
declare module 'fastify' {
  interface FastifyRequest {
    /** The client address as a keyed hash: what rate limits and logs use instead of the address. */
    clientId: string
  }
  interface FastifyContextConfig {
    /**
     * False for the writes an account must always be able to make, however many writes it or its address made:
     * signing out, and deleting the account (which has its own limits on password checks). Neither the account's
     * nor the address's write count applies to them; every other write that is not public counts against both.
     */
    writeLimits?: false
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * How many keys each in-memory limiter keeps. @fastify/rate-limit's store is an LRU of 5,000 keys by default: past
 * that, the key counted least recently is forgotten and starts again at zero, so under churn the limits fail open.
 * A counter still inside its window is now forgotten only once 50,000 other keys were counted after it: for the
 * per-minute limits, over 800 distinct accounts or addresses a second for a whole minute (about one instance's
 * write ceiling, far above a forum's busiest hour); for sign-ups, 50,000 addresses within the hour. The cost,
 * measured: 200–320 bytes a key (key, counter and LRU entry), so 10–16 MB for a full store; there are six (writes
 * per address and per account, sign-in per address and per address and handle, sign-up, password checks), under
 * 100 MB if all filled. A store never shrinks: it holds the keys seen since start-up, up to this bound.
 */
const LIMITER_KEYS = 50_000

type Limiter = ReturnType<FastifyInstance['createRateLimit']>
/** One count: what a limiter says after counting a request (the plugin's own result, when not on an allow list). */
type Count = Extract<Awaited<ReturnType<Limiter>>, { isAllowed: false }>

/** The eight 16-bit groups of a valid IPv6 address (without zone id), a trailing dotted quad included. */
function ipv6Groups(address: string): number[] {
  let text = address
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)))
  const left = parse(head)
  const right = tail === undefined ? [] : parse(tail)
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right]
}

/**
 * What per-address limits count: an IPv4 address as it is (an IPv4-mapped IPv6 address, `::ffff:192.0.2.1`,
 * as the IPv4 address it is), an IPv6 address by its /64, the smallest block a home or a host is given, so a
 * client cannot get a fresh allowance by rotating addresses inside it. Anything else (no address) as it is.
 */
export function addressKey(ip: string): string {
  const address = ip.replace(/%.*$/, '')
  if (isIPv4(address)) return address
  if (!isIPv6(address)) return ip
  const groups = ipv6Groups(address.toLowerCase())
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6)
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`
}

export const security = fp(async function security(
  app: FastifyInstance,
  { config, hashIp }: { config: Config; hashIp: (ip: string) => string }
) {
  app.decorateRequest('clientId', {
    getter(this: FastifyRequest) {
      // A request whose socket has no address (closed before it was read; an injected websocket) counts as no address.
      return hashIp((this.ip as string | undefined) ?? '')
    }
  })
  // Shed load while the event loop lags: a quick 503 beats a slow timeout, and nothing is half done.
  await app.register(underPressure, {
    // 0 turns the check off (the embedded database runs queries on the event loop, so tests on it lag).
    maxEventLoopDelay: config.maxEventLoopDelayMs,
    retryAfter: 5,
    pressureHandler: (_request, reply) => {
      reply.header('retry-after', '5')
      throw new DomainError('unavailable', 'The server is overloaded right now; nothing was changed. Try again shortly.')
    }
  })
  await app.register(helmet, {
    // The API serves JSON; only the /docs page needs scripts and styles, which @fastify/swagger-ui allows itself.
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-origin' }
  })
  // A web client served from one of ALLOWED_ORIGINS (not the server's own) calls the API across origins: the browser
  // asks first (a preflight) and reads answers only with these headers. Cookie writes from it still pass the Origin
  // check (auth.ts); any other origin gets no CORS headers, so its pages can neither read answers nor send JSON.
  if (config.allowedOrigins.length) {
    await app.register(cors, {
      origin: config.allowedOrigins,
      credentials: true,
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['content-type', 'authorization', 'idempotency-key'],
      exposedHeaders: ['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'],
      maxAge: 600
    })
  }
  await app.register(rateLimit, {
    global: false,
    // After authentication, so limits on writes can be keyed by account.
    hook: 'preHandler',
    errorResponseBuilder: (_request, context) =>
      new DomainError('rate_limited', `Too many requests; try again in ${context.after}.`, {
        retryAfterSeconds: Math.ceil(context.ttl / 1000)
      })
  })
  // Every write also counts against its client address, whichever account makes it (generous: a clinic or
  // a family may share one address). Not sign-up and sign-in (public routes, with their own per-address limits):
  // anyone at an address, without an account, could otherwise spend the writes of every member behind it. Nor
  // signing out and deleting the account (writeLimits: false), which must work however busy the address is.
  const perAddressWrites = addressLimit(app, 'write', config.rateLimit.writesPerIpPerMinute, 'Too many writes from this address')
  // And against its account: one count across every write route (posts, edits, reports, deletions, staff
  // actions), so an account's allowance is the same however it spreads its writes. Staff clear queues in bursts:
  // five times the members' allowance. Sign-up and sign-in (public) are limited by their own route limits.
  const perAccountWrites = checkedLimit(
    createLimiter(app, {
      timeWindow: 60_000,
      max: (request) => config.rateLimit.writesPerMinute * (request.account && isStaff(request.account) ? 5 : 1),
      keyGenerator: (request) => `account:${request.account?.id ?? ''}`
    }),
    'Too many writes from this account'
  )
  app.addHook('preHandler', async (request, reply) => {
    if (!UNSAFE.has(request.method) || !request.routeOptions.url?.startsWith('/api/')) return
    const { config: route } = request.routeOptions
    if (route.public || route.writeLimits === false) return
    const address = await perAddressWrites(request, reply)
    const account = request.account ? await perAccountWrites(request, reply) : null
    // The x-ratelimit-* headers describe the count closer to its limit: the one the client runs into first.
    const tightest = address && account ? (closerToLimit(account, address) ? account : address) : (address ?? account)
    if (tightest) sendLimitHeaders(reply, tightest)
  })
})

/** Fewer requests left, or as few and the later reset (the client waits for both). */
const closerToLimit = (a: Count, b: Count) => a.remaining < b.remaining || (a.remaining === b.remaining && a.ttlInSeconds > b.ttlInSeconds)

/** The headers the plugin's route limits send, with the same values (the reset in seconds). */
function sendLimitHeaders(reply: FastifyReply, count: Count) {
  reply.header('x-ratelimit-limit', count.max)
  reply.header('x-ratelimit-remaining', count.remaining)
  reply.header('x-ratelimit-reset', count.ttlInSeconds)
}

/**
 * app.createRateLimit with its store sized to LIMITER_KEYS: the plugin hands a limiter's `cache` option on to its
 * store (index.js, createLimiterArgs → store.child), though its types leave the option out of createRateLimit's.
 */
function createLimiter(app: FastifyInstance, options: Parameters<FastifyInstance['createRateLimit']>[0]): Limiter {
  return app.createRateLimit({ ...options, cache: LIMITER_KEYS } as Parameters<FastifyInstance['createRateLimit']>[0])
}

/**
 * A limiter from createLimiter, answering 429 in the contract's shape, with Retry-After and the x-ratelimit-*
 * headers, when exceeded; otherwise the count, for the caller to report.
 */
function checkedLimit(check: Limiter, message: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<Count | null> => {
    const result = await check(request)
    if (result.isAllowed) return null
    if (result.isExceeded) {
      sendLimitHeaders(reply, result)
      reply.header('retry-after', String(result.ttlInSeconds))
      throw new DomainError('rate_limited', `${message}; try again in ${result.ttlInSeconds} s.`, {
        retryAfterSeconds: result.ttlInSeconds
      })
    }
    return result
  }
}

/**
 * A second limit, checked by hand, counted per client address: @fastify/rate-limit runs one limit per route,
 * and some routes need two (per account or handle, and per address).
 */
export function addressLimit(app: FastifyInstance, name: string, max: number, message: string) {
  return checkedLimit(createLimiter(app, { max, timeWindow: 60_000, keyGenerator: (request) => `${name}:${request.clientId}` }), message)
}

/** Sign-in attempts per address and handle: slows guessing one member's password without locking them out elsewhere. */
export const loginLimit = (config: Config) => ({
  max: config.rateLimit.loginPerMinute,
  timeWindow: '1 minute',
  cache: LIMITER_KEYS,
  keyGenerator: (request: FastifyRequest) => {
    const handle = (request.body as { handle?: unknown } | undefined)?.handle
    return `login:${request.clientId}:${typeof handle === 'string' ? handle.toLowerCase() : ''}`
  }
})

/**
 * Password checks by a signed-in account (deleting it asks for the password): as many per account as sign-in allows
 * per handle, so a stolen session cannot guess the password faster than the sign-in form.
 */
export const passwordCheckLimit = (config: Config) => ({
  max: config.rateLimit.loginPerMinute,
  timeWindow: '1 minute',
  cache: LIMITER_KEYS,
  keyGenerator: (request: FastifyRequest) => (request.account ? `password:${request.account.id}` : `password-ip:${request.clientId}`)
})

export const signupLimit = (config: Config) => ({
  max: config.rateLimit.signupPerHour,
  timeWindow: '1 hour',
  cache: LIMITER_KEYS,
  keyGenerator: (request: FastifyRequest) => `signup:${request.clientId}`
})

