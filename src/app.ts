import { AjvCompiler } from '@fastify/ajv-compiler'
import { createHmac, randomBytes } from 'node:crypto'
import type { Server, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { DestinationStream } from 'pino'
import { accountRoutes } from './accounts/routes.js'
import type { TokenGenerator } from './accounts/sessions.js'
import { type Clock, systemClock } from './clock.js'
import type { Config } from './config.js'
import type { Database } from './db/client.js'
import type { Deps } from './deps.js'
import { DomainError } from './errors.js'
import { forumRoutes } from './forum/routes.js'
import { authentication } from './http/auth.js'
import { docs } from './http/docs.js'
import { errorForLog, errorHandling, sendError } from './http/errors.js'
import { healthRoutes } from './http/health.js'
import { idempotency } from './http/idempotency.js'
import { addressKey, security } from './http/security.js'
import { RuleBook } from './moderation/rules.js'
import { moderationRoutes } from './moderation/routes.js'
import { LiveHub } from './live/hub.js'
import { MAX_MESSAGE_BYTES, liveRoutes } from './live/routes.js'
import websocket from '@fastify/websocket'

/** Fastify's own Ajv compilers, pooled by options: one that coerces (for the text parts), one that does not (bodies). */
const ajvCompilers = AjvCompiler() as unknown as (schemas: unknown, options: AjvOptions) => (route: { httpPart?: string }) => unknown
type AjvOptions = { customOptions?: Record<string, unknown> }

/**
 * A query string, path or header is text, so its numbers and booleans are read from it (coerced); a JSON body
 * is taken as sent: a number where the schema wants a title, or ["x"] for "x", is refused (400), not converted.
 * (The package's types describe the compiler as Ajv's compile; Fastify calls it with the route, as here.)
 */
const bodiesAsSent = ((externalSchemas: unknown, options: AjvOptions) => {
  const coercing = ajvCompilers(externalSchemas, options)
  const strict = ajvCompilers(externalSchemas, { ...options, customOptions: { ...options.customOptions, coerceTypes: false } })
  return (route: { httpPart?: string }) =>
    route.httpPart === 'body' ? strict(route) : finiteNumbersOnly(coercing(route) as AjvValidate)
}) as unknown as NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']>

type AjvValidate = ((...args: unknown[]) => unknown) & { errors?: unknown; schemaEnv?: unknown }

/** Where in `data` a number is NaN or ±Infinity (a JSON pointer), if anywhere. */
function nonFinitePath(data: unknown, path = ''): string | null {
  if (typeof data === 'number') return Number.isFinite(data) ? null : path || '/'
  if (data && typeof data === 'object') {
    for (const [key, value] of Object.entries(data)) {
      const found = nonFinitePath(value, `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`)
      if (found) return found
    }
  }
  return null
}

/**
 * Ajv coerces "Infinity", "1e400" and "-1e400" to ±Infinity, and then checks the coerced value neither for
 * finiteness (strictNumbers applies to the type check before coercion only) nor against minimum and maximum
 * (-Infinity passed `minimum: 1`). A query string, path or header only ever holds a number Ajv made from text, so
 * one that is not finite is refused here, as any other invalid value (400 validation_failed).
 */
function finiteNumbersOnly(validate: AjvValidate): AjvValidate {
  const checked: AjvValidate = (...args: unknown[]) => {
    const ok = validate(...args)
    checked.errors = validate.errors
    if (ok !== true) return ok
    const path = nonFinitePath(args[0])
    if (path === null) return ok
    checked.errors = [{ keyword: 'type', instancePath: path === '/' ? '' : path, schemaPath: '#', params: { type: 'number' }, message: 'must be a finite number' }]
    return false
  }
  // Fastify passes the parent (for coercing a root value) only to a validator that has schemaEnv.
  if (validate.schemaEnv) checked.schemaEnv = validate.schemaEnv
  return checked
}

/**
 * The HTTP server gives an upgrade request's socket up to its 'upgrade' listeners (@fastify/websocket's): whatever
 * answers the request without upgrading must end the socket too, or it stays open after the client hangs up (one
 * leaked per refused reconnect, and app.close() waits for it for ever). The plugin ends only those its own onRequest
 * hook marked, and many answers come before it: a 503 from load shedding or from the session lookup while the
 * database is down (hooks registered before it), a malformed URL (before any hook), Fastify's 503 while it shuts down
 * (no hook at all). So every upgrade's socket is ended once its HTTP answer is out, whoever wrote it. The plugin gives
 * each upgrade a response of its own on the socket (`_httpMessage`, as src/live/routes.ts reads too); an upgrade that
 * succeeds never finishes that response (ws answers 101 on the socket itself), so its socket never ends here. An
 * upgrade that no listener took (none left while shutting down) is ended at once.
 */
function endRefusedUpgrades(server: Server) {
  server.on('upgrade', (_request, socket: Duplex & { _httpMessage?: ServerResponse | null }) => {
    // After every 'upgrade' listener ran, so the plugin's, registered before or after this one, has taken the socket.
    process.nextTick(() => {
      const answer = socket._httpMessage
      if (!answer || answer.writableFinished) socket.destroy()
      else answer.once('finish', () => socket.destroy())
    })
  })
}

/**
 * Shutdown (app.close) lets the requests in flight finish, then stops: the server stops listening, and Node closes
 * the keep-alive connections idle at that moment. A connection busy then would be kept alive after its answer, and
 * close would wait for it until its keep-alive timeout (72 s) or the client's hang-up. So once closing, every answer
 * says `Connection: close` (the client does not send another request on it, and Node ends it after the answer), and
 * connections that fall idle anyway (an answer already on its way) are closed as they do.
 */
function drainOnClose(app: FastifyInstance) {
  let closing = false
  let reaper: NodeJS.Timeout | null = null
  // Registered before any plugin's preClose, so it runs first.
  app.addHook('preClose', (done) => {
    closing = true
    reaper = setInterval(() => app.server.closeIdleConnections(), 250)
    reaper.unref()
    done()
  })
  app.addHook('onClose', (_instance, done) => {
    if (reaper) clearInterval(reaper)
    done()
  })
  // A callback hook, not an async one: it runs for every answer.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })
}

export interface AppOptions {
  config: Config
  database: Database
  clock?: Clock
  generateToken?: TokenGenerator
  /** Where logs go (tests capture them); stdout by default. */
  logStream?: DestinationStream
  /** Live sockets: how long to wait for an auth message, and housekeeping intervals (tests shorten them). */
  live?: { authTimeoutMs?: number; sessionCheckMs?: number; heartbeatMs?: number }
}

// Never logged: credentials, cookies, and anything a member wrote.
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  'token',
  '*.token',
  'body',
  '*.body'
]

// Half of a UTF-16 surrogate pair: only a JSON escape (\ud800) can put one in a string.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/**
 * Text PostgreSQL cannot keep as written: NUL (text cannot hold it) or a lone surrogate (not Unicode: it
 * would be stored as U+FFFD, and jsonb refuses it). Refused with a reason rather than altered or failing later.
 */
function unstorableText(value: unknown): string | null {
  if (typeof value === 'string') {
    if (value.includes('\0')) return 'Text may not contain NUL (\\u0000) characters.'
    if (LONE_SURROGATE.test(value)) return 'Text must be valid Unicode: a \\uD800–\\uDFFF escape must be half of a surrogate pair.'
    return null
  }
  if (value && typeof value === 'object') {
    for (const item of Object.values(value)) {
      const why = unstorableText(item)
      if (why) return why
    }
  }
  return null
}

declare module 'fastify' {
  interface FastifyInstance {
    /** This instance's live hub (benchmarks and tests read its numbers). */
    liveHub: LiveHub
  }
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, database } = options
  // loadConfig refuses TRUST_PROXY=true (every hop trusted: any client picks the address its limits count); a
  // Config built by hand may not pass it either.
  if (config.trustProxy !== false && typeof config.trustProxy !== 'string') {
    throw new Error('trustProxy must be false or the proxies\' addresses, not true or a hop count (Fastify trusts no hop of a count)')
  }
  const clock = options.clock ?? systemClock
  // Client addresses are logged only as a keyed hash: enough to follow one client through the logs,
  // useless for finding the member behind it. The key lives and dies with the process.
  const ipKey = randomBytes(32)
  // What is hashed is the address as limits count it (an IPv6 address by its /64, see addressKey).
  const hashIp = (ip: string) => createHmac('sha256', ipKey).update(addressKey(ip)).digest('base64url').slice(0, 16)

  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: {
        // Every logged error goes through errorForLog: a failed query's parameters never reach the logs.
        err: errorForLog,
        req: (req: { method: string; url: string; ip?: string }) => ({
          method: req.method,
          url: req.url.split('?')[0],
          client: req.ip ? hashIp(req.ip) : undefined
        })
      },
      ...(options.logStream ? { stream: options.logStream } : {})
    },
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimitBytes,
    // Unknown properties are refused, not silently dropped: the contract asks for no unknown properties.
    // strictNumbers: a query string's "Infinity" or "1e400" is coerced to Infinity, which integer, minimum and
    // maximum checks let through without it (a 500 further on); with it, NaN and ±Infinity are refused (400).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false, strictNumbers: true } },
    schemaController: { compilersFactory: { buildValidator: bodiesAsSent } },
    return503OnClosing: true,
    // A malformed URL (bad percent-encoding, an over-long parameter) is refused by Fastify's router before any
    // hook or error handler runs; it still gets the contract's error shape.
    frameworkErrors: (_error, _request, reply) => {
      sendError(reply, new DomainError('validation_failed', 'The request URL is not valid.'))
    }
  }).withTypeProvider<TypeBoxTypeProvider>()

  const deps: Deps & { generateToken?: TokenGenerator } = {
    db: database.db,
    clock,
    config,
    rules: new RuleBook(),
    crisisResources: config.crisisResources,
    ...(options.generateToken ? { generateToken: options.generateToken } : {})
  }

  // JSON in, JSON out: any other body type is 415 rather than a confusing validation error.
  app.removeContentTypeParser('text/plain')
  // Text PostgreSQL cannot keep (NUL, lone surrogates) is refused at the door (400), not failed at the insert (500).
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // Some clients send the JSON content type on every request, a bodiless DELETE or POST included: an empty body is
    // no body (a route that needs one still answers 400 from its schema).
    if (body === '') return done(null, undefined)
    parseJson(request, body as string, (error, value) => {
      if (error) return done(error)
      // Only an escape can make either kind of unstorable text: a body without one is not walked.
      const why = (body as string).includes('\\u') ? unstorableText(value) : null
      if (why) return done(new DomainError('validation_failed', why))
      done(null, value)
    })
  })
  await app.register(errorHandling)
  drainOnClose(app)
  // The same for a query string or a path (`?category=a%00b`): only a percent escape can make such text.
  app.addHook('preValidation', async (request) => {
    if (!request.url.includes('%')) return
    const why = unstorableText(request.query) ?? unstorableText(request.params)
    if (why) throw new DomainError('validation_failed', why)
  })
  await app.register(security, { config, hashIp })
  await app.register(docs, { cookieSecure: config.cookieSecure })
  await app.register(authentication, { deps })
  await app.register(idempotency, { deps })
  // Client messages are small; anything larger is refused by ws (close 1009) before it is parsed.
  // On shutdown no upgrade is accepted any more, and the hub closes every socket as going away (1001), cutting those
  // that do not answer; the plugin's own preClose would close them without a code (1005) before the hub could.
  await app.register(websocket, {
    options: { maxPayload: MAX_MESSAGE_BYTES },
    preClose: async () => {
      app.websocketServer.close()
      await hub.close()
    }
  })
  endRefusedUpgrades(app.server)
  const hub = new LiveHub(database, {
    clock,
    log: app.log,
    retentionHours: config.eventRetentionHours,
    maxBufferedBytes: config.liveMaxBufferedBytes,
    sockets: config.liveSockets,
    ...(options.live?.sessionCheckMs ? { sessionCheckMs: options.live.sessionCheckMs } : {}),
    ...(options.live?.heartbeatMs ? { heartbeatMs: options.live.heartbeatMs } : {})
  })
  app.decorate('liveHub', hub)
  app.addHook('onReady', () => hub.start())
  // A successful write may have committed live events: deliver them and wake the other instances.
  app.addHook('onResponse', async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD' && reply.statusCode < 400) hub.wake()
  })
  await app.register(healthRoutes, { database })
  await app.register(
    async (api) => {
      await api.register(healthRoutes, { database })
      await api.register(accountRoutes, { deps, hub })
      await api.register(liveRoutes, { deps, hub, authTimeoutMs: options.live?.authTimeoutMs ?? 5000 })
      await api.register(forumRoutes, { deps })
      await api.register(moderationRoutes, { deps })
    },
    { prefix: '/api/v1' }
  )
  return app
}
