import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import type { Deps } from '../deps.js'
import { requireAccount } from '../http/auth.js'
import {
  absentBodyIsEmpty,
  Audience,
  Body,
  Board,
  ContentWarning,
  CrisisResources,
  errorResponses,
  Id,
  IdempotencyHeaders,
  Moderation,
  NoBody,
  Nullable,
  PageQuery,
  Post,
  Report,
  ReportReason,
  Slug,
  Thread,
  Title
} from '../http/schemas.js'
import { createBoard, listBoards } from './boards.js'
import { createReply, deletePost, editPost, type ReplyTarget, sessionWithReplyTarget } from './posts.js'
import { reportPost } from './reports.js'
import { createThread, listThreads, readThread, setThreadLocked } from './threads.js'

const IdParams = Type.Object({ id: Id }, { additionalProperties: false })
const UUID = new RegExp(Id.pattern ?? '^$')
const SlugParams = Type.Object({ slug: Slug }, { additionalProperties: false })
const PostResult = Type.Object({ post: Post, moderation: Moderation })
const ReportResult = Type.Object(
  {
    report: Report,
    // Optional for the answers stored for idempotent replay before it was added; every answer now carries it.
    crisisResources: Type.Optional(CrisisResources)
  },
  { description: "crisisResources (an addition to the contract) is non-empty when the report's note reads as a crisis (an escalate rule or the crisis model)" }
)

export const forumRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  // Writes count against their account and their address (src/http/security.ts), across every write route.
  const creates = { idempotent: true }

  app.get(
    '/boards',
    {
      config: { public: true },
      schema: {
        tags: ['forum'],
        summary: 'The boards the caller may read (without a session: boards open to everyone)',
        response: { 200: Type.Object({ boards: Type.Array(Board) }) }
      }
    },
    async (request) => ({ boards: await listBoards(deps, request.account) })
  )

  app.post(
    '/boards',
    {
      config: creates,
      schema: {
        headers: IdempotencyHeaders,
        tags: ['forum'],
        summary: 'Create a board (admin)',
        body: Type.Object(
          {
            slug: Slug,
            name: Type.String({ minLength: 1, maxLength: 80 }),
            description: Type.String({ maxLength: 500, default: '' }),
            audience: Audience,
            requiresContentWarning: Type.Boolean({ default: false })
          },
          { additionalProperties: false }
        ),
        response: { 201: Type.Object({ board: Board }), ...errorResponses(400, 401, 403, 409) }
      }
    },
    async (request, reply) => {
      const board = await createBoard(deps, requireAccount(request), request.body)
      return reply.code(201).send({ board })
    }
  )

  app.get(
    '/boards/:slug/threads',
    {
      schema: {
        tags: ['forum'],
        summary: "A board's threads, newest activity first",
        params: SlugParams,
        querystring: PageQuery,
        response: {
          200: Type.Object({ threads: Type.Array(Thread), nextCursor: Nullable(Type.String()) }),
          ...errorResponses(400, 401, 404)
        }
      }
    },
    async (request) => listThreads(deps, requireAccount(request), request.params.slug, request.query)
  )

  app.post(
    '/boards/:slug/threads',
    {
      config: creates,
      schema: {
        headers: IdempotencyHeaders,
        tags: ['forum'],
        summary: 'Start a thread; the body is sanitised and scanned',
        params: SlugParams,
        body: Type.Object(
          {
            title: Title,
            body: Body,
            contentWarning: Type.Optional(ContentWarning)
          },
          { additionalProperties: false }
        ),
        response: {
          201: Type.Object({ thread: Thread, post: Post, moderation: Moderation }),
          ...errorResponses(400, 401, 403, 404, 422, 429)
        }
      }
    },
    async (request, reply) => {
      const result = await createThread(deps, requireAccount(request), request.params.slug, request.body)
      return reply.code(201).send(result)
    }
  )

  app.get(
    '/threads/:id',
    {
      // The forum's hottest response (a page of 50 posts is ~40 KB of HTML strings): native JSON.stringify
      // writes it faster than a schema-compiled serialiser, which escapes every string through a RegExp. The
      // objects are built field by field by threadView and postView, so nothing beyond the schema is in them.
      serializerCompiler: () => (data) => JSON.stringify(data),
      schema: {
        tags: ['forum'],
        summary: 'A thread and a page of its posts, oldest first',
        params: IdParams,
        querystring: PageQuery,
        response: {
          200: Type.Object({ thread: Thread, posts: Type.Array(Post), nextCursor: Nullable(Type.String()) }),
          ...errorResponses(400, 401, 404)
        }
      }
    },
    async (request) => readThread(deps, requireAccount(request), request.params.id, request.query)
  )

  app.patch(
    '/threads/:id',
    {
      schema: {
        tags: ['moderation'],
        summary: 'Lock or unlock a thread (staff)',
        params: IdParams,
        body: Type.Object({ locked: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: Type.Object({ thread: Thread }), ...errorResponses(400, 401, 403, 404) }
      }
    },
    async (request) => ({
      thread: await setThreadLocked(deps, requireAccount(request), request.params.id, request.body.locked)
    })
  )

  // A reply's target is read with the writer's session, in one statement (posts.ts); kept here until the handler runs.
  const replyTargets = new WeakMap<FastifyRequest, ReplyTarget>()
  app.post(
    '/threads/:id/posts',
    {
      config: {
        ...creates,
        sessionLookup: (request) => {
          const { id } = request.params as { id?: unknown }
          // A malformed id is refused by the schema later; the usual lookup serves until then.
          if (typeof id !== 'string' || !UUID.test(id)) return null
          return sessionWithReplyTarget(id, (target) => replyTargets.set(request, target))
        }
      },
      schema: {
        headers: IdempotencyHeaders,
        tags: ['forum'],
        summary: 'Reply to a thread',
        params: IdParams,
        body: Type.Object({ body: Body, contentWarning: Type.Optional(ContentWarning) }, { additionalProperties: false }),
        response: { 201: PostResult, ...errorResponses(400, 401, 403, 404, 422, 429) }
      }
    },
    async (request, reply) => {
      const result = await createReply(deps, requireAccount(request), request.params.id, request.body, replyTargets.get(request))
      return reply.code(201).send(result)
    }
  )

  app.patch(
    '/posts/:id',
    {
      schema: {
        tags: ['forum'],
        summary: 'Edit your post; it is scanned again and the previous version kept',
        params: IdParams,
        body: Type.Object(
          { body: Type.Optional(Body), contentWarning: Type.Optional(Nullable(ContentWarning)) },
          { additionalProperties: false, minProperties: 1 }
        ),
        response: { 200: PostResult, ...errorResponses(400, 401, 403, 404, 422, 429) }
      }
    },
    async (request) => editPost(deps, requireAccount(request), request.params.id, request.body)
  )

  app.delete(
    '/posts/:id',
    {
      preValidation: absentBodyIsEmpty,
      schema: {
        tags: ['forum'],
        summary: 'Delete your post; it stays as a placeholder',
        params: IdParams,
        body: NoBody,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 429) }
      }
    },
    async (request, reply) => {
      await deletePost(deps, requireAccount(request), request.params.id)
      return reply.code(204).send(null)
    }
  )

  app.post(
    '/posts/:id/reports',
    {
      config: creates,
      schema: {
        headers: IdempotencyHeaders,
        tags: ['forum'],
        summary:
          'Report a post to the moderators; reporting it again returns the first report: renewed if its author edited the post since, amended (reason, note) if it says something new',
        description:
          "Reporting the same post again answers 200 with the report as it is now: renewed (reason, note and time as sent now, and queued again) if the post's author edited it since (a moderator's redaction is no such edit); amended (its reason, its note when one is sent, its time; a line added to the post's queue item, at the head of the queue when it ranks as a crisis) if it says something new; otherwise unchanged. It counts once towards a hold. Reports from accounts younger than `REPORT_HOLD_MIN_ACCOUNT_DAYS` (default 7) are queued for the moderators but do not count towards holding the post, and their crisis reports rank it first without keeping other reports from holding it.",
        params: IdParams,
        body: Type.Object(
          {
            reason: ReportReason,
            note: Type.Optional(Type.String({ maxLength: 1000 }))
          },
          { additionalProperties: false }
        ),
        response: { 200: ReportResult, 201: ReportResult, ...errorResponses(400, 401, 403, 404, 429) }
      }
    },
    async (request, reply) => {
      const { report, created, crisisResources } = await reportPost(deps, requireAccount(request), request.params.id, request.body)
      return reply.code(created ? 201 : 200).send({ report, crisisResources })
    }
  )
}
