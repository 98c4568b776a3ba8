import type {} from '@fastify/websocket'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { RawData, WebSocket } from 'ws'
import { type SessionDeps, validateSessionToken } from '../accounts/sessions.js'
import type { Deps } from '../deps.js'
import { DomainError } from '../errors.js'
import { originAllowed } from '../http/auth.js'
import { frame, liveAccount, type LiveAccount, type LiveClient, type LiveHub } from './hub.js'
import { type AddressCount, FREE_MESSAGES, PING_ALLOWANCE, SUBSCRIBE_ALLOWANCE, TokenBucket } from './limits.js'

export interface LiveRouteOptions {
  deps: Deps
  hub: LiveHub
  /** How long an unauthenticated socket may wait for its auth message. */
  authTimeoutMs: number
}

type ClientMessage =
  | { type: 'auth'; token: string }
  | { type: 'subscribe'; channel: string; since?: string }
  | { type: 'unsubscribe'; channel: string }
  | { type: 'ping' }

/** Validates a client message by hand: tiny, hot, and every failure must become an error message, not a throw. */
function parse(raw: RawData): ClientMessage | string {
  let value: unknown
  try {
    value = JSON.parse(raw.toString())
  } catch {
    return 'Messages are JSON objects.'
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'Messages are JSON objects.'
  const m = value as Record<string, unknown>
  const keys = Object.keys(m)
  const only = (...allowed: string[]) => keys.every((k) => allowed.includes(k))
  const text = (v: unknown, maxLength: number) => typeof v === 'string' && v.length > 0 && v.length <= maxLength
  switch (m.type) {
    case 'ping':
      return only('type') ? { type: 'ping' } : 'ping takes no other fields.'
    case 'auth':
      return only('type', 'token') && text(m.token, 128) ? { type: 'auth', token: m.token as string } : 'auth needs a token.'
    case 'subscribe':
      if (!only('type', 'channel', 'since') || !text(m.channel, 100)) return 'subscribe needs a channel.'
      if (m.since !== undefined && !text(m.since, 20)) return 'since must be an event id.'
      return { type: 'subscribe', channel: m.channel as string, ...(m.since !== undefined ? { since: m.since as string } : {}) }
    case 'unsubscribe':
      return only('type', 'channel') && text(m.channel, 100) ? { type: 'unsubscribe', channel: m.channel as string } : 'unsubscribe needs a channel.'
    default:
      return 'Unknown message type; expected auth, subscribe, unsubscribe or ping.'
  }
}

/** GET /api/v1/live: the websocket for live threads, boards, the moderation queue and the caller's own events. */
export async function liveRoutes(app: FastifyInstance, { deps, hub, authTimeoutMs }: LiveRouteOptions) {
  const sessionDeps = { db: deps.db, clock: deps.clock, ttlDays: deps.config.sessionTtlDays }
  const context: LiveContext = { hub, sessionDeps, authTimeoutMs, log: app.log }

  app.get(
    '/live',
    {
      websocket: true,
      config: { public: true },
      schema: { tags: ['live'], summary: 'Websocket: subscribe to board:<slug>, thread:<id>, moderation (staff) and me' },
      // A plain HTTP request (no upgrade) gets the contract's error shape, not @fastify/websocket's empty 404.
      // Sockets per account and per address (src/live/limits.ts) are refused before the upgrade, in the contract's shape.
      preValidation: async (request, reply) => {
        if (!request.ws) throw new DomainError('not_found', 'GET /api/v1/live is a websocket; open it with an upgrade request.')
        const refusal = hub.sockets.refusal(request.clientId, request.account?.id ?? null)
        if (refusal) {
          reply.header('retry-after', String(RETRY_SOCKET_AFTER_S))
          throw new DomainError('rate_limited', `${refusal} Close one, or try again later.`)
        }
      },
      // A cross-site page must not open a socket with the member's cookie, and a cookie needs an Origin to
      // show it is not one (as a state-changing request does); a token-only client may send none.
      onRequest: async (request) => {
        const origin = request.headers.origin
        if ((origin || request.authVia === 'cookie') && !originAllowed(origin, request, deps.config.allowedOrigins)) {
          throw new DomainError('bad_origin', 'This origin may not open a live connection.')
        }
      }
    },
    (socket: WebSocket, request) => {
      // Only what the socket needs is kept: the upgrade request and its reply are not retained per socket
      // (the plugin's error listener closes over them, and the TCP socket still points at the HTTP response).
      socket.removeAllListeners('error')
      const tcp = request.raw.socket as { _httpMessage?: { detachSocket(s: unknown): void } | null; _peername?: unknown }
      tcp._httpMessage?.detachSocket(tcp)
      const account = request.account ? liveAccount(request.account, deps.clock.now()) : null
      const address = request.clientId
      // Reading the client's address made the TCP socket keep it (net.Socket caches its peer's address, port and
      // family in an object): about 90 bytes for the socket's whole life, of a budget of 4 KiB per idle socket. Let go;
      // read again should anything ask.
      tcp._peername = undefined
      // Upgrades that passed the check side by side may have filled the allowance meanwhile.
      const refusal = hub.sockets.refusal(address, account?.id ?? null)
      if (refusal) {
        socket.send(frame({ type: 'error', code: 'rate_limited', message: `${refusal} Close one, or try again later.` }))
        socket.close(1008, 'too many live connections')
        // Counted nowhere: a peer that never answers the close is cut, not left for ws's 30 s.
        setTimeout(() => socket.terminate(), 1000).unref()
        return
      }
      openSocket(socket, account, request.session?.id ?? null, address, context)
    }
  )
}

/** What every connection of this instance shares: one object, referenced once per socket. */
interface LiveContext {
  hub: LiveHub
  sessionDeps: SessionDeps
  authTimeoutMs: number
  log: FastifyBaseLogger
}

/**
 * Client messages are small (a subscribe is under 300 bytes): ws refuses a larger one while reading it, before it
 * is buffered whole, and closes the socket (1009; maxPayload in src/app.ts).
 */
export const MAX_MESSAGE_BYTES = 4 * 1024
/**
 * Messages are handled one at a time, a subscribe after its database read. While this many wait, the socket stops
 * reading (TCP holds the rest, in the client's buffers, not ours) until the backlog is down to RESUME_AT: a client
 * that subscribes to its 100 channels at once, on every reconnect, is served, never closed for it. A socket that
 * somehow keeps sending while paused is closed (1008) at MAX_PENDING_MESSAGES: memory stays bounded (4 KiB each).
 */
const PAUSE_AT = 32
/** What a refused upgrade's Retry-After says: a socket of the account's or the address's may have closed by then. */
const RETRY_SOCKET_AFTER_S = 10
const RESUME_AT = 8
const MAX_PENDING_MESSAGES = 512

const CONNECTION = Symbol('lantern.liveConnection')
type TaggedSocket = WebSocket & { [CONNECTION]?: LiveConnection }
const IDLE: Promise<void> = Promise.resolve()

/**
 * One socket's state: authentication, then subscribe/unsubscribe/ping, one message at a time. Behaviour
 * lives on the prototype and the socket's listeners are shared functions, so an idle socket costs this
 * object and its subscriptions, not a set of closures.
 */
class LiveConnection implements LiveClient {
  subs: LiveClient['subs'] = new Map()
  alive = true
  authTimer: NodeJS.Timeout | null = null
  queue = IDLE
  /** Messages received and not yet handled. */
  pending = 0
  /** Allowances of subscribe/unsubscribe and of the other messages, made at the first such message. */
  subscribes: TokenBucket | null = null
  pings: TokenBucket | null = null
  /** Messages counted before the buckets are made (FREE_MESSAGES). */
  messages = 0

  constructor(
    readonly socket: WebSocket,
    public account: LiveAccount | null,
    public sessionId: string | null,
    /** Its address's count of sockets (the hub's SocketCounts), which it holds until it closes. */
    readonly address: AddressCount,
    readonly context: LiveContext
  ) {}

  error(code: string, message: string, channel?: string) {
    this.context.hub.send(this, frame({ type: 'error', code, message, ...(channel ? { channel } : {}) }))
  }

  get open() {
    return this.socket.readyState === this.socket.OPEN
  }

  async authenticate(token: string) {
    let result: Awaited<ReturnType<typeof validateSessionToken>>
    try {
      result = await validateSessionToken(this.context.sessionDeps, token)
    } catch (err) {
      // The session could not be read (the database down or too slow): nothing is known of the token, so the socket
      // is not closed as an ended session (4401, on which a client signs out) but told to come back later (1013).
      if (!this.open) return
      this.context.log.warn({ err: { message: (err as Error).message } }, 'live: a session could not be checked')
      if (this.authTimer) clearTimeout(this.authTimer)
      this.authTimer = null
      this.error('unavailable', 'Your session could not be checked right now; reconnect shortly.')
      this.socket.close(1013, 'try again later')
      return
    }
    // Closed meanwhile: the hub already let it go, and would never give back what adopt() takes.
    if (!this.open) return
    if (!result) {
      this.error('unauthenticated', 'That token is not a live session.')
      this.socket.close(4401, 'authentication failed')
      return
    }
    const { hub } = this.context
    if (hub.sockets.accountFull(result.account.id)) {
      if (this.authTimer) clearTimeout(this.authTimer)
      this.authTimer = null
      this.error('rate_limited', 'Too many live connections for this account. Close one, or try again later.')
      this.socket.close(1008, 'too many live connections')
      return
    }
    hub.sockets.authenticated(this.address, result.account.id)
    this.account = liveAccount(result.account, this.context.sessionDeps.clock.now())
    this.sessionId = result.session.id
    this.context.hub.adopt(this)
    if (this.authTimer) clearTimeout(this.authTimer)
    this.authTimer = null
    this.context.hub.send(this, frame({ type: 'authenticated', account: { id: result.account.id, handle: result.account.handle } }))
  }

  async handle(raw: RawData) {
    const { hub, log } = this.context
    // What a closed socket had sent is dropped unread: no subscribe registers it again, no query runs for it.
    if (!this.open) return
    const message = parse(raw)
    // Every message counts but the first `auth` (one that comes after it is answered, and counted, as any other).
    if ((typeof message === 'string' || message.type !== 'auth' || this.account) && ++this.messages > FREE_MESSAGES) {
      const subscribing = typeof message !== 'string' && (message.type === 'subscribe' || message.type === 'unsubscribe')
      const now = Date.now()
      const verdict = subscribing
        ? (this.subscribes ??= new TokenBucket(SUBSCRIBE_ALLOWANCE, now, FREE_MESSAGES)).take(now)
        : (this.pings ??= new TokenBucket(PING_ALLOWANCE, now, FREE_MESSAGES)).take(now)
      if (verdict === 'close') {
        this.socket.close(1008, 'too many messages')
        // Paused (messages waiting), the socket would never read the client's close frame.
        return this.socket.resume()
      }
      if (verdict === 'refused') {
        return this.error('rate_limited', 'Too many messages; wait a moment and send it again.', subscribing ? message.channel : undefined)
      }
    }
    if (typeof message === 'string') return this.error('validation_failed', message)
    if (message.type === 'ping') return hub.send(this, frame({ type: 'pong' }))
    if (message.type === 'auth') {
      if (this.account) return this.error('validation_failed', 'Already authenticated.')
      return this.authenticate(message.token)
    }
    if (!this.account) return this.error('unauthenticated', 'Authenticate first: {"type":"auth","token":"..."}.', message.channel)
    if (message.type === 'unsubscribe') {
      hub.unsubscribe(this, message.channel)
      return hub.send(this, frame({ type: 'unsubscribed', channel: message.channel }))
    }
    try {
      await hub.subscribe(this, message.channel, message.since)
    } catch (err) {
      if (err instanceof DomainError) return this.error(err.code, err.message, message.channel)
      log.warn({ err: { message: (err as Error).message } }, 'live subscribe failed')
      return this.error('unavailable', 'Could not subscribe right now; try again.', message.channel)
    }
  }
}

// Shared listeners: `this` is the socket, which carries its connection.
function onMessage(this: TaggedSocket, raw: RawData) {
  const connection = this[CONNECTION]
  // Messages are handled one at a time, so a subscribe finishes before the next message is read.
  if (!connection || !connection.open) return
  if (++connection.pending > MAX_PENDING_MESSAGES) return this.close(1008, 'too many messages awaiting an answer')
  if (connection.pending >= PAUSE_AT && !this.isPaused) this.pause()
  const next = connection.queue
    .then(() => connection.handle(raw))
    // A message must never take the process down: a failure (the database gone mid-auth) is an error message.
    .catch(() => connection.error('unavailable', 'That could not be handled right now; try again.'))
  connection.queue = next
  // Once idle again, drop the settled chain: an idle socket keeps no promise of its own.
  void next.then(() => {
    connection.pending--
    if (connection.pending <= RESUME_AT && this.isPaused && connection.open) this.resume()
    if (connection.queue === next) connection.queue = IDLE
  })
}
function onPong(this: TaggedSocket) {
  const connection = this[CONNECTION]
  if (connection) connection.alive = true
}
function onClose(this: TaggedSocket) {
  const connection = this[CONNECTION]
  if (!connection) return
  if (connection.authTimer) clearTimeout(connection.authTimer)
  connection.context.hub.remove(connection)
  connection.context.hub.sockets.close(connection.address, connection.account?.id ?? null)
}
function onError(this: TaggedSocket) {
  this.terminate()
}
function closeUnauthenticated(socket: WebSocket) {
  socket.close(4401, 'authentication timed out')
}

function openSocket(socket: TaggedSocket, account: LiveAccount | null, sessionId: string | null, address: string, context: LiveContext) {
  const connection = new LiveConnection(socket, account, sessionId, context.hub.sockets.open(address, account?.id ?? null), context)
  socket[CONNECTION] = connection
  context.hub.add(connection)
  if (!account) connection.authTimer = setTimeout(closeUnauthenticated, context.authTimeoutMs, socket)
  socket.on('message', onMessage)
  socket.on('pong', onPong)
  socket.on('close', onClose)
  socket.on('error', onError)
}
