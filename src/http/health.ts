import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Database } from '../db/client.js'
import { DomainError } from '../errors.js'

const Status = Type.Object({ status: Type.String() })

/** Liveness and readiness, for load balancers and orchestrators. */
export const healthRoutes: FastifyPluginAsyncTypebox<{ database: Database }> = async (app, { database }) => {
  app.get(
    '/healthz',
    { config: { public: true, rateLimit: false }, schema: { tags: ['operations'], summary: 'The process is up', response: { 200: Status } } },
    async () => ({ status: 'ok' })
  )
  app.get(
    '/readyz',
    {
      config: { public: true, rateLimit: false },
      schema: {
        tags: ['operations'],
        summary: 'The database answers and every migration is applied',
        response: { 200: Status, 503: Type.Unknown() }
      }
    },
    async () => {
      try {
        const { applied, shipped } = await database.migrationStatus()
        if (applied < shipped) {
          throw new DomainError('unavailable', `Migrations pending: ${applied} of ${shipped} applied.`)
        }
      } catch (error) {
        if (error instanceof DomainError) throw error
        throw new DomainError('unavailable', 'The database does not answer.')
      }
      return { status: 'ready' }
    }
  )
}
