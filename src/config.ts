/**
 * Configuration comes from the environment, read and validated in this one place.
 * A bad value stops start-up with a message that names the variable.
 */
export interface Config {
  port: number
  host: string
  /** Real PostgreSQL when set; otherwise the embedded PGlite database in `dataDir`. */
  databaseUrl: string | null
  dataDir: string
  /** Origins allowed to make cookie-authenticated writes and open live sockets (besides the server's own). */
  allowedOrigins: string[]
  cookieSecure: boolean
  newAccountHoldPosts: number
  reportHideThreshold: number
  claimLeaseSeconds: number
  logLevel: string
  trustProxy: boolean | string | number
  /** Lucia's design: sessions live 30 days and slide forward when used in their second half. */
  sessionTtlDays: number
  bodyLimitBytes: number
  rateLimit: {
    /** Sign-in attempts per client address and handle per minute (guessing one member's password). */
    loginPerMinute: number
    /** Sign-in attempts per client address per minute, whatever the handle (spraying many handles). */
    loginPerIpPerMinute: number
    /** Accounts created per IP per hour. */
    signupPerHour: number
    /** Writes (posts, edits, reports) per account per minute; staff get five times as many. */
    writesPerMinute: number
    /** Writes per client address per minute, whatever the account. */
    writesPerIpPerMinute: number
  }
  /** Event-loop delay beyond which requests are shed with 503 (under-pressure); 0 turns shedding off. */
  maxEventLoopDelayMs: number
  /** How long live events are kept for resuming; older resumes answer resync_required. */
  eventRetentionHours: number
  /** Bytes queued for one live socket before it is dropped as a slow consumer. */
  liveMaxBufferedBytes: number
  /** Path of the crisis resources file (JSON); null uses the built-in defaults. */
  crisisResourcesFile: string | null
  /** Whether the crisis model (src/moderation/flagging/crisis-model.ts) reads what no crisis rule caught. */
  crisisModel: boolean
  /** Whether the sourcing model (src/moderation/flagging/sourcing-model.ts) reads what no sourcing rule held. */
  sourcingModel: boolean
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string
  ) {
    super(`${variable}: ${message}`)
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return fallback
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number, got "${raw}"`)
  const value = Number(raw.trim())
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`)
  return value
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return fallback
  const value = raw.trim().toLowerCase()
  if (['true', '1', 'yes'].includes(value)) return true
  if (['false', '0', 'no'].includes(value)) return false
  throw new ConfigError(name, `must be true or false, got "${raw}"`)
}

function origins(env: Env, name: string): string[] {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return []
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((origin) => {
      let url: URL
      try {
        url = new URL(origin)
      } catch {
        throw new ConfigError(name, `"${origin}" is not an origin like https://forum.example.org`)
      }
      if (!['http:', 'https:'].includes(url.protocol) || url.origin !== origin.replace(/\/$/, '')) {
        throw new ConfigError(name, `"${origin}" is not an origin like https://forum.example.org`)
      }
      return url.origin
    })
}

function trustProxy(env: Env, name: string): boolean | string | number {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return false
  const value = raw.trim()
  if (value === 'true') return true
  if (value === 'false') return false
  if (/^\d+$/.test(value)) return Number(value)
  if (/^[0-9a-fA-F.:/,\s]+$/.test(value)) return value
  throw new ConfigError(name, `must be true, false, a hop count or a list of addresses, got "${raw}"`)
}

function databaseUrl(env: Env, name: string): string | null {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return null
  try {
    const url = new URL(raw)
    if (!['postgres:', 'postgresql:'].includes(url.protocol)) throw new Error('protocol')
  } catch {
    throw new ConfigError(name, 'must be a postgres:// or postgresql:// URL')
  }
  return raw.trim()
}

export function loadConfig(env: Env = process.env): Config {
  const logLevel = (env.LOG_LEVEL ?? 'info').trim() || 'info'
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of fatal, error, warn, info, debug, trace, silent, got "${logLevel}"`)
  }
  const host = (env.HOST ?? '0.0.0.0').trim() || '0.0.0.0'
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host,
    databaseUrl: databaseUrl(env, 'DATABASE_URL'),
    dataDir: (env.DATA_DIR ?? './data').trim() || './data',
    allowedOrigins: origins(env, 'ALLOWED_ORIGINS'),
    cookieSecure: boolean(env, 'COOKIE_SECURE', false),
    newAccountHoldPosts: integer(env, 'NEW_ACCOUNT_HOLD_POSTS', 1, 0, 1000),
    reportHideThreshold: integer(env, 'REPORT_HIDE_THRESHOLD', 3, 1, 1000),
    claimLeaseSeconds: integer(env, 'CLAIM_LEASE_SECONDS', 600, 10, 86400),
    logLevel,
    trustProxy: trustProxy(env, 'TRUST_PROXY'),
    sessionTtlDays: integer(env, 'SESSION_TTL_DAYS', 30, 1, 365),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 256 * 1024, 1024, 16 * 1024 * 1024),
    rateLimit: {
      loginPerMinute: integer(env, 'RATE_LIMIT_LOGIN_PER_MINUTE', 10, 1, 1_000_000),
      loginPerIpPerMinute: integer(env, 'RATE_LIMIT_LOGIN_PER_IP_PER_MINUTE', 100, 1, 1_000_000),
      signupPerHour: integer(env, 'RATE_LIMIT_SIGNUP_PER_HOUR', 100, 1, 1_000_000),
      writesPerMinute: integer(env, 'RATE_LIMIT_WRITES_PER_MINUTE', 120, 1, 1_000_000),
      writesPerIpPerMinute: integer(env, 'RATE_LIMIT_WRITES_PER_IP_PER_MINUTE', 600, 1, 1_000_000)
    },
    maxEventLoopDelayMs: integer(env, 'MAX_EVENT_LOOP_DELAY_MS', 1000, 0, 60_000),
    eventRetentionHours: integer(env, 'EVENT_RETENTION_HOURS', 24, 1, 24 * 90),
    liveMaxBufferedBytes: integer(env, 'LIVE_MAX_BUFFERED_BYTES', 1024 * 1024, 16 * 1024, 256 * 1024 * 1024),
    crisisResourcesFile: env.CRISIS_RESOURCES_FILE?.trim() || null,
    crisisModel: boolean(env, 'CRISIS_MODEL', true),
    sourcingModel: boolean(env, 'SOURCING_MODEL', true)
  }
}
