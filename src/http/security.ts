import helmet from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { DomainError } from '../errors.js'

/**
 * Security headers and rate limits. Limits are per instance (in memory); behind several instances each
 * enforces its own share, which is enough to blunt guessing and flooding.
 */
declare module 'fastify' {
  interface FastifyRequest {
    /** The client address as a keyed hash: what rate limits and logs use instead of the address. */
    clientId: string
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export const security = fp(async function security(
  app: FastifyInstance,
  { config, hashIp }: { config: Config; hashIp: (ip: string) => string }
) {
  app.decorateRequest('clientId', {
    getter(this: FastifyRequest) {
      return hashIp(this.ip)
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
  // a family may share one address).
  const perAddressWrites = addressLimit(app, 'write', config.rateLimit.writesPerIpPerMinute, 'Too many writes from this address')
  app.addHook('preHandler', async (request, reply) => {
    if (UNSAFE.has(request.method) && request.routeOptions.url?.startsWith('/api/')) await perAddressWrites(request, reply)
  })
})

/**
 * A second limit, checked by hand, counted per client address: @fastify/rate-limit runs one limit per route,
 * and some routes need two (per account or handle, and per address).
 */
export function addressLimit(app: FastifyInstance, name: string, max: number, message: string) {
  const check = app.createRateLimit({ max, timeWindow: 60_000, keyGenerator: (request) => `${name}:${request.clientId}` })
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const result = await check(request)
    if (!result.isAllowed && result.isExceeded) {
      reply.header('retry-after', String(result.ttlInSeconds))
      throw new DomainError('rate_limited', `${message}; try again in ${result.ttlInSeconds} s.`, {
        retryAfterSeconds: result.ttlInSeconds
      })
    }
  }
}

/** Sign-in attempts per address and handle: slows guessing one member's password without locking them out elsewhere. */
export const loginLimit = (config: Config) => ({
  max: config.rateLimit.loginPerMinute,
  timeWindow: '1 minute',
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
  keyGenerator: (request: FastifyRequest) => (request.account ? `password:${request.account.id}` : `password-ip:${request.clientId}`)
})

export const signupLimit = (config: Config) => ({
  max: config.rateLimit.signupPerHour,
  timeWindow: '1 hour',
  keyGenerator: (request: FastifyRequest) => `signup:${request.clientId}`
})

/** Writes per account (per address when there is none). */
export const writeLimit = (config: Config) => ({
  max: config.rateLimit.writesPerMinute,
  timeWindow: '1 minute',
  keyGenerator: (request: FastifyRequest) => (request.account ? `account:${request.account.id}` : `ip:${request.clientId}`)
})

/** Staff clear queues in bursts: five times the members' allowance. */
export const staffWriteLimit = (config: Config) => ({
  ...writeLimit(config),
  max: config.rateLimit.writesPerMinute * 5
})
