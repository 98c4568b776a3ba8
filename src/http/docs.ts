import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/** The OpenAPI document is generated from the route schemas: /docs (UI) and /docs/json. */
export const docs = fp(async function docs(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Lantern API',
        version: '1',
        description:
          'A moderated, anonymous peer-support forum. Authenticate with the lantern_session cookie or ' +
          '`Authorization: Bearer <token>`. Every error is `{"error": {"code", "message", "details"?}}`. ' +
          'Lists are cursor-paginated with `limit` (1..100, default 25) and `cursor` (from `nextCursor`).'
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
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })
})
