import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export interface DocsOptions {
  /** COOKIE_SECURE: the server is reached over HTTPS. */
  cookieSecure: boolean
}

/**
 * The UI's own Content-Security-Policy ends with `upgrade-insecure-requests`: a browser then loads the page's
 * scripts and styles over https://, and where Lantern is reached over plain HTTP (a LAN, a staging host; browsers
 * exempt only localhost) nothing answers there and the page stays blank. The directive is kept where the server is
 * reached over HTTPS, which COOKIE_SECURE says.
 */
const withoutUpgradeToHttps = (policy: string) => policy.replace(/\s*upgrade-insecure-requests\s*;?/g, '').trim()

/** The OpenAPI document is generated from the route schemas: /docs (UI) and /docs/json. */
export const docs = fp(async function docs(app: FastifyInstance, options: DocsOptions) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Lantern API',
        version: '1',
        description:
          'A moderated, anonymous peer-support forum. Authenticate with the lantern_session cookie or ' +
          '`Authorization: Bearer <token>`. Every error is `{"error": {"code", "message", "details"?}}`. ' +
          'Lists are cursor-paginated with `limit` (1..100, default 25) and `cursor` (from `nextCursor`).\n\n' +
          'Where the contract is silent:\n' +
          '- Without a session, `GET /boards` lists only boards whose audience is `everyone`.\n' +
          '- Threads carry `state` (visible | held | removed); a thread whose opening post is held or removed exists only for its author and staff. A held post that was never published leaves no placeholder for others.\n' +
          '- `removalReason` is shown to the author and staff only.\n' +
          '- `PATCH /threads/{id}` `{locked}` (staff) locks a thread: replies and edits get 403 `forbidden` with `details.reason = "thread_locked"`.\n' +
          '- Queue `status=open` lists unclaimed or lease-expired items, `claimed` those with a live lease; resolving needs the item unclaimed or claimed by you (else 409 `already_claimed`); a resolved item answers 409 `already_resolved`.\n' +
          '- A retry with an Idempotency-Key whose first request is still running (or was cut off) gets 409 `request_in_progress`.\n' +
          '- Live: besides the contract\'s messages the server sends `{"type":"authenticated"}` after an auth message and `{"type":"unsubscribed"}`; `thread.updated` also goes to `thread:<id>` when a thread is locked, held or removed. Close codes: 4401 session ended, 1013 try again later (an auth message whose session could not be checked: the database is unavailable), 4008 slow consumer, 1009 message too large.\n' +
          '- `resync_required` (HTTP-less) is also answered for a `since` newer than any event.\n' +
          '- Ids are opaque: a path naming something in a form this server never gives out is 404 `not_found`, as any missing thing. Unknown query parameters are ignored; an empty body sent as JSON is no body; a body that is not JSON is 415 `unsupported_media_type`.\n' +
          '- Pages served from one of `ALLOWED_ORIGINS` may call the API across origins (CORS, credentials allowed).\n' +
          '- One account\'s crisis reports rank their post first only up to `REPORT_CRISIS_PER_HOUR` an hour; later ones are ordinary reports.\n' +
          '- Reports count towards holding a post (`REPORT_HIDE_THRESHOLD`) only from accounts at least `REPORT_HOLD_MIN_ACCOUNT_DAYS` old (default 7; 0: every account); younger accounts\' reports are queued all the same, and their crisis reports rank the post first without keeping other reports from holding it. Reports never hold a thread\'s opening post while a post of the thread is queued as a crisis, nor a text staff approved or wrote by a redaction until its author edits it. Reporting a post again (200) renews the report after an edit by its author, amends it (reason, note) when it says something new, and otherwise returns it unchanged.\n' +
          '- Rate limits (429 `rate_limited`, with `Retry-After`): sign-in per address and handle and per address, sign-up per address, and every other write per account and per address (an IPv6 client counts by its /64). Signing up and signing in do not count as an address\'s writes; signing out and `DELETE /me` count against neither write limit (`DELETE /me` has its own limit on password checks). Writes carry `x-ratelimit-limit`, `x-ratelimit-remaining` and `x-ratelimit-reset` (seconds) for whichever of their two counts has fewer left, refused or not. An Idempotency-Key replay counts as a write. Reads are not rate limited. The counts are kept by each server instance in its memory: behind N instances a client may get up to N times each limit, and a restart starts them again.\n' +
          '- Live sockets: per instance, at most `LIVE_SOCKETS_PER_ACCOUNT` (20) per account, `LIVE_SOCKETS_PER_ADDRESS` (100) per client address and `LIVE_UNAUTHENTICATED_SOCKETS_PER_ADDRESS` (10) not yet authenticated; an upgrade over them is 429 `rate_limited` with `Retry-After`. `subscribe`/`unsubscribe` are allowed 20 a second per socket (burst 100), `ping` 10 (burst 250): over it, `{"type":"error","code":"rate_limited"}`, and a socket that keeps going is closed (1008). A session ended on any instance closes its sockets (4401) on every instance.'
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          cookie: { type: 'apiKey', in: 'cookie', name: 'lantern_session' }
        }
      },
      security: [{ bearer: [] }, { cookie: [] }]
    }
  })
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    ...(options.cookieSecure ? {} : { transformStaticCSP: withoutUpgradeToHttps })
  })
})
