import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { DomainError, type ErrorCode } from '../errors.js'

const STATUS: Record<ErrorCode, number> = {
  validation_failed: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  forbidden: 403,
  suspended: 403,
  bad_origin: 403,
  not_found: 404,
  handle_taken: 409,
  slug_taken: 409,
  already_claimed: 409,
  already_resolved: 409,
  item_changed: 409,
  idempotency_key_reused: 409,
  request_in_progress: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  blocked_by_rule: 422,
  rate_limited: 429,
  unavailable: 503,
  resync_required: 410,
  internal_error: 500
}

export const statusOf = (code: ErrorCode): number => STATUS[code]

/** One line of a V8 stack: `at fn (file:1:2)`, `at file:1:2`, `at fn (native)`, `at fn (<anonymous>)`. */
const FRAME = /^ {4}at (?:.* \()?(?:[^\s()]+:\d+:\d+|native|<anonymous>)\)?$/u

/**
 * The frames of a stack, without the message it begins with (which may hold a failed query's parameters,
 * over several lines): cut after the message when the stack starts with it, else only lines that are frames.
 */
function stackFrames(stack: unknown, header: string): string {
  if (typeof stack !== 'string') return ''
  if (stack.startsWith(`${header}\n`)) return stack.slice(header.length + 1)
  return stack
    .split('\n')
    .filter((line) => FRAME.test(line))
    .join('\n')
}

/**
 * An error as the logs may keep it. A failed query's error carries the statement's parameters (drizzle puts
 * them in its message and its `params`; PostgreSQL's `detail` can quote a value): a member's post, a handle,
 * a password hash. What is logged is the kind of error, its code, the SQL without its parameters and the stack
 * frames, down the chain of causes; never a value.
 */
export function errorForLog(error: unknown, depth = 0): { type: string; message: string; stack: string; [key: string]: unknown } {
  if (!error || typeof error !== 'object') return { type: typeof error, message: String(error), stack: '' }
  const e = error as { name?: unknown; message?: unknown; code?: unknown; stack?: unknown; cause?: unknown; statusCode?: unknown }
  const raw = typeof e.message === 'string' ? e.message : ''
  const message = raw.replace(/\nparams: [\s\S]*$/, '\nparams: [redacted]')
  return {
    type: typeof e.name === 'string' ? e.name : 'Error',
    message,
    stack: stackFrames(e.stack, `${String(e.name)}: ${raw}`),
    ...(typeof e.code === 'string' || typeof e.code === 'number' ? { code: e.code } : {}),
    ...(typeof e.statusCode === 'number' ? { statusCode: e.statusCode } : {}),
    ...(e.cause && depth < 4 ? { cause: errorForLog(e.cause, depth + 1) } : {})
  }
}

// Errors meaning "the database cannot be reached right now": the request had no effect, try again later. And
// a transaction PostgreSQL rolled back to end a deadlock or a serialization conflict (40P01, 40001): it had no
// effect either, and the same request a moment later will go through. So does a statement cancelled by
// statement_timeout (57014) or a lock wait ended by lock_timeout (55P03) (DATABASE_STATEMENT_TIMEOUT_MS,
// DATABASE_LOCK_TIMEOUT_MS); and a query the database never answered (pg's query_timeout, "Query read timeout",
// DATABASE_QUERY_TIMEOUT_MS), whose connection is dropped so that PostgreSQL rolls its transaction back.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '40P01',
  '40001',
  '57014',
  '55P03'
])

const CONNECTION_LOST = /Query read timeout|Connection terminated|connection.*(closed|ended)|Client has encountered a connection error/i
const WRITE_OR_COMMIT = /^\s*(commit|insert|update|delete|with)\b/i

/**
 * The database never answered a COMMIT, or a statement that writes on its own (a reply is one statement, with no
 * transaction around it): the connection was lost or given up on after the statement was sent, so PostgreSQL may
 * have committed it. Any answer from PostgreSQL, an error code, means it did not. Found by the review of the
 * timeouts: such a write was answered "nothing was changed", and a retry posted it twice.
 */
export function isOutcomeUnknown(error: unknown): boolean {
  let statement: string | null = null
  let lost = false
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const err = e as { query?: unknown; message?: unknown; code?: unknown; cause?: unknown }
    if (typeof err.query === 'string') statement ??= err.query
    if (typeof err.message === 'string' && CONNECTION_LOST.test(err.message)) lost = true
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') lost = true
    e = err.cause
  }
  return lost && statement !== null && WRITE_OR_COMMIT.test(statement)
}

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const err = e as { code?: unknown; message?: unknown; cause?: unknown }
    if (typeof err.code === 'string' && (UNAVAILABLE_CODES.has(err.code) || err.code.startsWith('08'))) return true
    if (typeof err.message === 'string' && /timeout exceeded when trying to connect|Query read timeout|Connection terminated|connection.*(closed|ended)|Client has encountered a connection error|PGlite is closed/i.test(err.message)) {
      return true
    }
    e = err.cause
  }
  return false
}

function toDomainError(error: FastifyError | DomainError | Error): DomainError {
  if (error instanceof DomainError) return error
  const fe = error as FastifyError & { statusCode?: number }
  // Ids are opaque to clients (the contract): a path naming something in a form this server never gives out names
  // nothing here, 404 as for any other missing thing, never a lesson in what its ids look like.
  if (fe.validation && fe.validationContext === 'params') return new DomainError('not_found', 'There is nothing here by that name.')
  if (fe.validation) {
    const context = fe.validationContext ?? 'body'
    return new DomainError(
      'validation_failed',
      `The request ${context} is not valid: ${fe.message.replace(/^(body|querystring|params|headers)\/?\s*/, '')}`,
      fe.validation.map((v) => ({
        in: context,
        path: v.instancePath || '/',
        message: v.message ?? 'is not valid',
        ...(v.params && 'additionalProperty' in v.params ? { property: v.params.additionalProperty } : {})
      }))
    )
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new DomainError('payload_too_large', 'The request body is larger than this server accepts.')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new DomainError('unsupported_media_type', 'Send JSON, with content-type: application/json.')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new DomainError('validation_failed', 'The request body is not valid JSON.')
  }
  if (fe.statusCode === 429) {
    return new DomainError('rate_limited', 'Too many requests; wait a little and try again.')
  }
  if (isOutcomeUnknown(error)) {
    return new DomainError(
      'unavailable',
      'The database stopped answering while this was being saved: it may have been saved or not. Look before sending it again, or retry with the same Idempotency-Key.',
      { outcome: 'unknown' }
    )
  }
  if (isDatabaseUnavailable(error)) {
    return new DomainError('unavailable', 'The service is briefly unavailable; nothing was changed. Try again shortly.')
  }
  if (fe.statusCode === 400 && (error as SyntaxError).name === 'SyntaxError') {
    return new DomainError('validation_failed', 'The request body is not valid JSON.')
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new DomainError('validation_failed', fe.message)
  }
  return new DomainError('internal_error', 'Something went wrong on our side; nothing you wrote was lost.')
}

export function sendError(reply: FastifyReply, error: DomainError) {
  const status = statusOf(error.code)
  if (status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '5')
  return reply.code(status).send({
    error: { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) }
  })
}

/** One error shape for every failure, Fastify's own 404, validation and body-limit errors included. */
export const errorHandling = fp(async function errorHandling(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError | DomainError, request: FastifyRequest, reply: FastifyReply) => {
    const domain = toDomainError(error)
    if (domain.code === 'internal_error') request.log.error({ err: error }, 'unhandled error')
    // One line per refused request while the database is away: the cause, not a stack (errorForLog still redacts it).
    else if (domain.code === 'unavailable') request.log.warn({ err: { message: error.message } }, 'database unavailable')
    return sendError(reply, domain)
  })
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new DomainError('not_found', `There is no ${request.method} ${request.url.split('?')[0]}.`))
  )
})
