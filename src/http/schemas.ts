import { type Static, type TSchema, Type } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'

/** Shared TypeBox schemas: the contract's objects, used for validation, serialisation and the OpenAPI document. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])
const Timestamp = Type.String({ format: 'date-time' })

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'snake_case error code' }),
      message: Type.String(),
      details: Type.Optional(Type.Unknown())
    })
  },
  { title: 'Error', description: 'Every error has this shape.' }
)

export const Account = Type.Object(
  {
    id: Type.String(),
    handle: Type.String(),
    circle: Type.Union([Type.Literal('recovery'), Type.Literal('family')]),
    role: Type.Union([Type.Literal('member'), Type.Literal('moderator'), Type.Literal('admin')]),
    status: Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('deleted')]),
    createdAt: Timestamp
  },
  { title: 'Account' }
)

export const Author = Nullable(Type.Object({ id: Type.String(), handle: Type.String() }))

export const Audience = Type.Union([Type.Literal('everyone'), Type.Literal('recovery'), Type.Literal('family')])

export const Board = Type.Object(
  {
    slug: Type.String(),
    name: Type.String(),
    description: Type.String(),
    audience: Audience,
    requiresContentWarning: Type.Boolean(),
    threadCount: Type.Integer()
  },
  { title: 'Board' }
)

export const Thread = Type.Object(
  {
    id: Type.String(),
    board: Type.String(),
    title: Type.String(),
    author: Author,
    contentWarning: Nullable(Type.String()),
    postCount: Type.Integer(),
    lastPostAt: Timestamp,
    createdAt: Timestamp,
    locked: Type.Boolean(),
    state: Type.Union([Type.Literal('visible'), Type.Literal('held'), Type.Literal('removed')], {
      description: 'held or removed threads are seen only by their author and staff'
    })
  },
  { title: 'Thread' }
)

export const PostState = Type.Union([
  Type.Literal('visible'),
  Type.Literal('held'),
  Type.Literal('removed'),
  Type.Literal('deleted')
])

export const Post = Type.Object(
  {
    id: Type.String(),
    threadId: Type.String(),
    author: Author,
    bodyHtml: Nullable(Type.String({ description: 'null for removed and deleted posts' })),
    contentWarning: Nullable(Type.String()),
    state: PostState,
    removalReason: Nullable(Type.String({ description: 'shown to the author and staff' })),
    createdAt: Timestamp,
    editedAt: Nullable(Timestamp)
  },
  { title: 'Post' }
)

/** The forum's crisis lines, as a writer (or a reporter) whose words read as a crisis is answered with them. */
export const CrisisResources = Type.Array(Type.Object({ name: Type.String(), contact: Type.String(), url: Type.String() }))

export const Moderation = Type.Object(
  {
    state: Type.Union([Type.Literal('visible'), Type.Literal('held')]),
    flags: Type.Array(Type.Object({ category: Type.String(), action: Type.String() })),
    crisisResources: CrisisResources
  },
  { title: 'Moderation', description: 'crisisResources is non-empty exactly when an escalate rule matched' }
)

export const ReportReason = Type.Union([
  Type.Literal('crisis'),
  Type.Literal('triggering'),
  Type.Literal('harassment'),
  Type.Literal('sourcing'),
  Type.Literal('personal_info'),
  Type.Literal('spam'),
  Type.Literal('other')
])

export const Report = Type.Object(
  {
    id: Type.String(),
    postId: Type.String(),
    reason: ReportReason,
    note: Nullable(Type.String()),
    createdAt: Timestamp
  },
  { title: 'Report' }
)

// Every id is a UUID column: anything else ("0", "-1", "08") would reach PostgreSQL and fail the cast as a 500.
export const Id = Type.String({ minLength: 36, maxLength: 36, pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' })
export const Slug = Type.String({ minLength: 2, maxLength: 40, pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$' })

/**
 * A page of a list. Unknown query parameters are ignored, as on the web at large (a cache buster, `?_=1700000000`,
 * must not break a list); bodies still refuse unknown properties, as the contract says.
 */
export const PageQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 25 }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 }))
})
export type PageQuery = Static<typeof PageQuery>

/** The body of a route that takes none: no unknown properties, so only `{}` (which clients and proxies send) or nothing. */
export const NoBody = Type.Object({}, { additionalProperties: false })

/**
 * preValidation for a route whose body may be left out: Fastify validates an absent body as `null`, which no
 * object schema accepts, so "no body" is read as `{}`.
 */
export async function absentBodyIsEmpty(request: FastifyRequest) {
  request.body ??= {}
}

export const ContentWarning = Type.String({ minLength: 1, maxLength: 200 })
export const Body = Type.String({ minLength: 1, maxLength: 20000 })
export const Title = Type.String({ minLength: 3, maxLength: 140 })

/** Responses every authenticated route may give besides its success. */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, ErrorResponse])) as Record<number, typeof ErrorResponse>

/** Content-creating POSTs accept an Idempotency-Key: a retry with the same key and body returns the first response. */
export const IdempotencyHeaders = Type.Object(
  { 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'retry safely: same key and body within 24 h returns the first response' })) },
  { additionalProperties: true }
)
