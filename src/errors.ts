/**
 * Domain errors carry a code from the contract; src/http/errors.ts maps code → HTTP status and shape.
 * Services throw these and never know about HTTP.
 */
export type ErrorCode =
  | 'validation_failed'
  | 'unauthenticated'
  | 'invalid_credentials'
  | 'forbidden'
  | 'suspended'
  | 'bad_origin'
  | 'not_found'
  | 'handle_taken'
  | 'slug_taken'
  | 'already_claimed'
  | 'already_resolved'
  | 'item_changed'
  | 'idempotency_key_reused'
  | 'request_in_progress'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'blocked_by_rule'
  | 'rate_limited'
  | 'unavailable'
  | 'resync_required'
  | 'internal_error'

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown
  ) {
    super(message)
    this.name = 'DomainError'
  }
}

export const notFound = (what = 'That'): DomainError => new DomainError('not_found', `${what} was not found.`)
export const forbidden = (message: string, details?: unknown): DomainError =>
  new DomainError('forbidden', message, details)
export const invalid = (message: string, details?: unknown): DomainError =>
  new DomainError('validation_failed', message, details)
