import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { AccountDeps } from './service.js'
import { createAccount, deleteAccount, exportAccount, logIn, suggestHandles } from './service.js'
import { accountView } from './model.js'
import { invalidateSession } from './sessions.js'
import { clearSessionCookie, requireAccount, setSessionCookie } from '../http/auth.js'
import { absentBodyIsEmpty, Account, errorResponses, NoBody } from '../http/schemas.js'
import { HANDLE_PATTERN } from './handles.js'
import { addressLimit, loginLimit, passwordCheckLimit, signupLimit } from '../http/security.js'
import type { LiveHub } from '../live/hub.js'

const Password = Type.String({ minLength: 10, maxLength: 256 })
const Handle = Type.String({ minLength: 3, maxLength: 24, pattern: HANDLE_PATTERN })
const SessionResponse = Type.Object({ account: Account, token: Type.String() })

export const accountRoutes: FastifyPluginAsyncTypebox<{ deps: AccountDeps; hub: LiveHub }> = async (app, { deps, hub }) => {
  const secure = deps.config.cookieSecure

  app.get(
    '/handles/suggestions',
    {
      config: { public: true },
      schema: {
        tags: ['accounts'],
        summary: 'Five unused, generated anonymous handles',
        response: { 200: Type.Object({ handles: Type.Array(Type.String()) }) }
      }
    },
    async () => ({ handles: await suggestHandles(deps) })
  )

  app.post(
    '/accounts',
    {
      config: { public: true, rateLimit: signupLimit(deps.config) },
      schema: {
        tags: ['accounts'],
        summary: 'Create an anonymous account and sign in',
        body: Type.Object(
          {
            handle: Handle,
            password: Password,
            circle: Type.Union([Type.Literal('recovery'), Type.Literal('family')])
          },
          { additionalProperties: false }
        ),
        response: { 201: SessionResponse, ...errorResponses(400, 409, 429) }
      }
    },
    async (request, reply) => {
      const { account, token, session } = await createAccount(deps, request.body)
      setSessionCookie(reply, secure, token, session.expiresAt)
      return reply.code(201).send({ account, token })
    }
  )

  // Spraying many handles from one address is limited too, not only guessing one handle's password.
  const loginsPerAddress = addressLimit(app, 'login', deps.config.rateLimit.loginPerIpPerMinute, 'Too many sign-in attempts from this address')
  app.post(
    '/sessions',
    {
      config: { public: true, rateLimit: loginLimit(deps.config) },
      preHandler: loginsPerAddress,
      schema: {
        tags: ['accounts'],
        summary: 'Sign in',
        body: Type.Object(
          { handle: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) },
          { additionalProperties: false }
        ),
        response: { 200: SessionResponse, ...errorResponses(400, 401, 429) }
      }
    },
    async (request, reply) => {
      const { account, token, session } = await logIn(deps, request.body.handle, request.body.password)
      setSessionCookie(reply, secure, token, session.expiresAt)
      return { account, token }
    }
  )

  app.delete(
    '/sessions/current',
    {
      // Signing out always works, however many writes the account or its address made.
      config: { writeLimits: false },
      preValidation: absentBodyIsEmpty,
      schema: { tags: ['accounts'], summary: 'Sign out', body: NoBody, response: { 204: Type.Null(), ...errorResponses(400, 401) } }
    },
    async (request, reply) => {
      requireAccount(request)
      if (request.session) {
        await invalidateSession(deps.db, request.session.id, deps.clock.now())
        hub.endSession(request.session.id)
      }
      clearSessionCookie(reply, secure)
      return reply.code(204).send(null)
    }
  )

  app.get(
    '/me',
    { schema: { tags: ['accounts'], summary: 'The signed-in account', response: { 200: Type.Object({ account: Account }), ...errorResponses(401) } } },
    async (request) => ({ account: accountView(requireAccount(request), deps.clock.now()) })
  )

  app.get(
    '/me/export',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Everything stored about the caller: account, threads, posts with revisions, reports, sessions',
        response: { 200: Type.Unknown({ description: 'the export document' }), ...errorResponses(401) }
      }
    },
    async (request) => exportAccount(deps, requireAccount(request))
  )

  app.delete(
    '/me',
    {
      config: { rateLimit: passwordCheckLimit(deps.config), writeLimits: false },
      // Each try checks the password: it counts against the address's sign-in attempts too.
      preHandler: loginsPerAddress,
      schema: {
        tags: ['accounts'],
        summary: 'Delete the account: sessions end, the handle stays reserved, posts remain with author null',
        body: Type.Object({ password: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 429) }
      }
    },
    async (request, reply) => {
      const account = requireAccount(request)
      await deleteAccount(deps, account, request.body.password)
      hub.endAccount(account.id)
      clearSessionCookie(reply, secure)
      return reply.code(204).send(null)
    }
  )
}
