import helmet from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { DomainError } from '../errors.js'

/**
 * Security headers and rate limits. Limits are per instance (in memory); behind several instances each
 * enforces its own share, which is enough to blunt guessing and flooding.
 */
export const security = fp(async function security(app: FastifyInstance) {
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
})

/** Login attempts per client address: slows password guessing against any handle. */
export const loginLimit = (config: Config) => ({
  max: config.rateLimit.loginPerMinute,
  timeWindow: '1 minute'
})

export const signupLimit = (config: Config) => ({
  max: config.rateLimit.signupPerHour,
  timeWindow: '1 hour'
})

/** Writes per account (per address when there is none). */
export const writeLimit = (config: Config) => ({
  max: config.rateLimit.writesPerMinute,
  timeWindow: '1 minute',
  keyGenerator: (request: FastifyRequest) => (request.account ? `account:${request.account.id}` : `ip:${request.ip}`)
})
