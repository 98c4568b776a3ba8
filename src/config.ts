/**
 * Configuration comes from the environment, read and validated in this one place.
 * A bad value stops start-up with a message that names the variable.
 */
import { isIP } from 'node:net'
import { type CrisisResource, loadCrisisResources } from './moderation/crisis-resources.js'

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
  /** How many of one account's reports in an hour rank as a crisis (priority 0); later ones rank as ordinary reports. */
  reportCrisisPerHour: number
  /**
   * How old, in days, an account must be for its reports to count towards holding a post (REPORT_HIDE_THRESHOLD) and
   * for its crisis report to keep reports from holding one; a younger account's reports are queued all the same. 0:
   * every account counts.
   */
  reportHoldMinAccountDays: number
  claimLeaseSeconds: number
  logLevel: string
  /**
   * Which proxies' X-Forwarded-For to believe: the proxies' addresses/CIDRs (comma-separated); false trusts none.
   * Never `true` (trusting every hop would let any client name its own address), nor a hop count (Fastify trusts no
   * hop of a count).
   */
  trustProxy: false | string
  /** Timeouts on the PostgreSQL connections (ignored for the embedded database). */
  database: DatabaseTimeouts
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
  /** Open live sockets an instance allows one account, one client address, and one address before they authenticate. */
  liveSockets: { perAccount: number; perAddress: number; unauthenticatedPerAddress: number }
  /** The support lines shown with crisis posts: CRISIS_RESOURCES_FILE's list, read at start-up, or the built-in one. */
  crisisResources: CrisisResource[]
  /** Whether the crisis model (src/moderation/flagging/crisis-model.ts) reads what no crisis rule caught. */
  crisisModel: boolean
  /** Whether the sourcing model (src/moderation/flagging/sourcing-model.ts) reads what no sourcing rule held. */
  sourcingModel: boolean
}

/** How long PostgreSQL work may take before it is given up (0 turns one off). */
export interface DatabaseTimeouts {
  /** Server side, per statement (statement_timeout): the statement is cancelled and its transaction rolled back. */
  statementTimeoutMs: number
  /** Server side, per lock wait (lock_timeout): a write stuck behind a lock gives up sooner than the statement would. */
  lockTimeoutMs: number
  /**
   * Client side, per query: a database that stops answering (frozen host, network partition) is given up on, and
   * the connection dropped. Longer than the statement timeout, so that PostgreSQL's own cancel normally comes first.
   */
  queryTimeoutMs: number
  /** statement_timeout and lock_timeout of the migration connection (migrations may rewrite big tables); 0: none. */
  migrationTimeoutMs: number
  /**
   * Server side, per transaction left idle (idle_in_transaction_session_timeout): the transaction of an instance that
   * froze or was cut off between two statements is ended by PostgreSQL, and its row locks with it, instead of lasting
   * until TCP keepalive notices (hours). Lantern itself never pauses inside a transaction for more than milliseconds.
   */
  idleInTransactionTimeoutMs: number
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

/**
 * `true` is refused rather than read as one hop: Fastify would trust every hop and take the left-most address
 * of X-Forwarded-For, which the client writes itself, so any client could pick the address its limits count. A
 * silent guess at the hop count could be wrong either way (too few: every client shares the proxy's limit; too
 * many: the client chooses again), so the operator says which proxies to believe.
 */
function trustProxy(env: Env, name: string): false | string {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return false
  const value = raw.trim()
  if (value === 'false') return false
  if (value.toLowerCase() === 'true') {
    throw new ConfigError(
      name,
      'true would trust every X-Forwarded-For hop, letting any client choose the address its rate limits count. ' +
        'Give the addresses/CIDRs of the proxies in front of Lantern (e.g. 10.0.0.0/8,127.0.0.1, or loopback)'
    )
  }
  if (value === '0') return false
  if (/^\d+$/.test(value)) {
    // Fastify 5.12 reads a hop count as "trust no hop" (it cannot tell the proxy from a client that connects directly
    // and writes the hops itself): every client would count as the proxy's address, sharing one allowance, and the
    // proxy's X-Forwarded-Proto would be ignored. Refused, not silently ignored.
    throw new ConfigError(
      name,
      `a hop count ("${value}") is not trusted by Fastify (it cannot tell the proxy from a client that connects directly). ` +
        'Give the addresses/CIDRs of the proxies in front of Lantern (e.g. 10.0.0.0/8,127.0.0.1, or loopback)'
    )
  }
  const entries = value.split(',').map((s) => s.trim()).filter(Boolean)
  if (entries.length > 0 && entries.every(proxyAddress)) return entries.join(',')
  throw new ConfigError(
    name,
    `must be false or a comma-separated list of proxy addresses/CIDRs (or loopback, linklocal, uniquelocal), got "${raw}"`
  )
}

/** An address or CIDR proxy-addr understands (it throws on anything else at the first request, not at start-up). */
function proxyAddress(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true
  const [address, bits, ...rest] = entry.split('/')
  if (rest.length > 0 || !address) return false
  const version = isIP(address)
  if (version === 0) return false
  if (bits === undefined) return true
  if (!/^\d{1,3}$/.test(bits)) return false
  return Number(bits) <= (version === 4 ? 32 : 128)
}

/** The database timeouts, from the environment (openDatabase reads them itself when not given them). */
export function databaseTimeouts(env: Env = process.env): DatabaseTimeouts {
  const timeouts = {
    statementTimeoutMs: integer(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 10_000, 0, 3_600_000),
    lockTimeoutMs: integer(env, 'DATABASE_LOCK_TIMEOUT_MS', 5_000, 0, 3_600_000),
    queryTimeoutMs: integer(env, 'DATABASE_QUERY_TIMEOUT_MS', 12_000, 0, 3_600_000),
    migrationTimeoutMs: integer(env, 'DATABASE_MIGRATION_TIMEOUT_MS', 0, 0, 86_400_000),
    idleInTransactionTimeoutMs: integer(env, 'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', 15_000, 0, 3_600_000)
  }
  if (timeouts.queryTimeoutMs > 0 && timeouts.statementTimeoutMs > 0 && timeouts.queryTimeoutMs <= timeouts.statementTimeoutMs) {
    throw new ConfigError(
      'DATABASE_QUERY_TIMEOUT_MS',
      `must be longer than DATABASE_STATEMENT_TIMEOUT_MS (${timeouts.statementTimeoutMs}), so that PostgreSQL cancels a slow statement itself first; got ${timeouts.queryTimeoutMs}`
    )
  }
  return timeouts
}

/** A host name's labels: letters, digits and inner hyphens, at most 63 characters each (RFC 1123). */
const HOST_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/

/**
 * The address to listen on: an IP address (0.0.0.0 or :: for every interface) or a host name. Anything else would
 * only fail at listen, after the database was opened and migrated, as a DNS error that does not name the variable.
 */
function listenHost(env: Env, name: string): string {
  const raw = env[name]
  const value = (raw ?? '').trim() || '0.0.0.0'
  if (isIP(value) !== 0) return value
  if (value.length <= 253 && value.split('.').every((label) => HOST_LABEL.test(label))) return value
  throw new ConfigError(name, `must be an IP address (0.0.0.0 or :: for every interface; IPv6 without brackets) or a host name, got "${raw}"`)
}

/** The crisis resources file is read with the rest of the configuration, so that a bad one stops start-up at once. */
function crisisResources(env: Env, name: string): CrisisResource[] {
  try {
    return loadCrisisResources(env[name]?.trim() || null)
  } catch (error) {
    throw new ConfigError(name, (error as Error).message)
  }
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
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: listenHost(env, 'HOST'),
    databaseUrl: databaseUrl(env, 'DATABASE_URL'),
    dataDir: (env.DATA_DIR ?? './data').trim() || './data',
    allowedOrigins: origins(env, 'ALLOWED_ORIGINS'),
    cookieSecure: boolean(env, 'COOKIE_SECURE', false),
    newAccountHoldPosts: integer(env, 'NEW_ACCOUNT_HOLD_POSTS', 1, 0, 1000),
    reportHideThreshold: integer(env, 'REPORT_HIDE_THRESHOLD', 3, 1, 1000),
    reportCrisisPerHour: integer(env, 'REPORT_CRISIS_PER_HOUR', 5, 1, 1000),
    // Seven days by default: the age below which an account's links are flagged (src/forum/posts.ts NEW_ACCOUNT_MS).
    reportHoldMinAccountDays: integer(env, 'REPORT_HOLD_MIN_ACCOUNT_DAYS', 7, 0, 3650),
    claimLeaseSeconds: integer(env, 'CLAIM_LEASE_SECONDS', 600, 10, 86400),
    logLevel,
    trustProxy: trustProxy(env, 'TRUST_PROXY'),
    database: databaseTimeouts(env),
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
    liveSockets: {
      perAccount: integer(env, 'LIVE_SOCKETS_PER_ACCOUNT', 20, 1, 1_000_000),
      perAddress: integer(env, 'LIVE_SOCKETS_PER_ADDRESS', 100, 1, 1_000_000),
      unauthenticatedPerAddress: integer(env, 'LIVE_UNAUTHENTICATED_SOCKETS_PER_ADDRESS', 10, 1, 1_000_000)
    },
    crisisResources: crisisResources(env, 'CRISIS_RESOURCES_FILE'),
    crisisModel: boolean(env, 'CRISIS_MODEL', true),
    sourcingModel: boolean(env, 'SOURCING_MODEL', true)
  }
}
