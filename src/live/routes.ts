import type {} from '@fastify/websocket'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { RawData, WebSocket } from 'ws'
import { type SessionDeps, validateSessionToken } from '../accounts/sessions.js'
import type { Deps } from '../deps.js'
import { DomainError } from '../errors.js'
import { originAllowed } from '../http/auth.js'
import { frame, liveAccount, type LiveAccount, type LiveClient, type LiveHub } from './hub.js'

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

  app.get(
    '/live',
    {
      websocket: true,
      config: { public: true },
      schema: { tags: ['live'], summary: 'Websocket: subscribe to board:<slug>, thread:<id>, moderation (staff) and me' },
      // A plain HTTP request (no upgrade) gets the contract's error shape, not @fastify/websocket's empty 404.
      preValidation: async (request) => {
        if (!request.ws) throw new DomainError('not_found', 'GET /api/v1/live is a websocket; open it with an upgrade request.')
      },
      // A cross-site page must not open a socket with the member's cookie.
      onRequest: async (request) => {
        const origin = request.headers.origin
        if (origin && !originAllowed(origin, request, deps.config.allowedOrigins)) {
          throw new DomainError('bad_origin', 'This origin may not open a live connection.')
        }
      }
    },
    (socket: WebSocket, request) => {
      // Only what the socket needs is kept: the upgrade request and its reply are not retained per socket
      // (the plugin's error listener closes over them, and the TCP socket still points at the HTTP response).
      socket.removeAllListeners('error')
      const tcp = request.raw.socket as { _httpMessage?: { detachSocket(s: unknown): void } | null }
      tcp._httpMessage?.detachSocket(tcp)
      const account = request.account ? liveAccount(request.account) : null
      openSocket({ socket, account, sessionId: request.session?.id ?? null, hub, sessionDeps, authTimeoutMs, log: app.log })
    }
  )
}

interface OpenSocket {
  socket: WebSocket
  account: LiveAccount | null
  sessionId: string | null
  hub: LiveHub
  sessionDeps: SessionDeps
  authTimeoutMs: number
  log: FastifyBaseLogger
}

/** The per-socket state machine: authentication, then subscribe/unsubscribe/ping, one message at a time. */
function openSocket({ socket, account, sessionId, hub, sessionDeps, authTimeoutMs, log }: OpenSocket) {
  const client: LiveClient = { socket, account, sessionId, subs: new Map(), alive: true }
  hub.add(client)
  const error = (code: string, message: string, channel?: string) =>
    hub.send(client, frame({ type: 'error', code, message, ...(channel ? { channel } : {}) }))

  let authTimer = client.account ? null : setTimeout(() => socket.close(4401, 'authentication timed out'), authTimeoutMs)

  const authenticate = async (token: string) => {
    const result = await validateSessionToken(sessionDeps, token)
    if (!result) {
      error('unauthenticated', 'That token is not a live session.')
      socket.close(4401, 'authentication failed')
      return
    }
    client.account = liveAccount(result.account)
    client.sessionId = result.session.id
    if (authTimer) clearTimeout(authTimer)
    authTimer = null
    hub.send(client, frame({ type: 'authenticated', account: { id: result.account.id, handle: result.account.handle } }))
  }

  const handle = async (raw: RawData) => {
    const message = parse(raw)
    if (typeof message === 'string') return error('validation_failed', message)
    if (message.type === 'ping') return hub.send(client, frame({ type: 'pong' }))
    if (message.type === 'auth') {
      if (client.account) return error('validation_failed', 'Already authenticated.')
      return authenticate(message.token)
    }
    if (!client.account) return error('unauthenticated', 'Authenticate first: {"type":"auth","token":"..."}.', message.channel)
    if (message.type === 'unsubscribe') {
      hub.unsubscribe(client, message.channel)
      return hub.send(client, frame({ type: 'unsubscribed', channel: message.channel }))
    }
    try {
      await hub.subscribe(client, message.channel, message.since)
    } catch (err) {
      if (err instanceof DomainError) return error(err.code, err.message, message.channel)
      log.warn({ err: { message: (err as Error).message } }, 'live subscribe failed')
      return error('unavailable', 'Could not subscribe right now; try again.', message.channel)
    }
  }

  // Messages are handled one at a time, so a subscribe finishes before the next message is read.
  let queue = Promise.resolve()
  socket.on('message', (raw) => {
    queue = queue.then(() => handle(raw))
  })
  socket.on('pong', () => {
    client.alive = true
  })
  socket.on('close', () => {
    if (authTimer) clearTimeout(authTimer)
    hub.remove(client)
  })
  socket.on('error', () => socket.terminate())
}
