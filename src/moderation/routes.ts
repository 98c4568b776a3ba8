import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { assertCanWrite } from '../accounts/service.js'
import type { Deps } from '../deps.js'
import { forbidden } from '../errors.js'
import { requireAccount, requireStaff } from '../http/auth.js'
import { absentBodyIsEmpty, Account, Body, ContentWarning, errorResponses, Id, NoBody, Nullable, PageQuery, Slug, Title } from '../http/schemas.js'
import { changeRole, suspendAccount, unsuspendAccount } from './accounts.js'
import { MAX_PATTERN_LENGTH } from './flagging/index.js'
import { readLog } from './log.js'
import { claimItem, listQueue, releaseItem, resolveItem } from './queue/service.js'
import { moderatedBoards } from './queue/scope.js'
import { createRule, deleteRule, listRules, testRules, updateRule } from './rules.js'

const Category = Type.Union(
  (['crisis', 'sourcing', 'personal_info', 'harassment', 'spam', 'custom'] as const).map((c) => Type.Literal(c))
)
const Action = Type.Union((['escalate', 'hold', 'flag', 'block', 'content_warning'] as const).map((a) => Type.Literal(a)))
const Pattern = Type.String({
  minLength: 1,
  maxLength: MAX_PATTERN_LENGTH,
  description: 'Words; `*` stands for one word, `**` for up to three words or none, `{a|b}` for either alternative. Matched after normalisation, on whole words.'
})
const PublicReason = Nullable(Type.String({ maxLength: 500 }))
const IdParams = Type.Object({ id: Id }, { additionalProperties: false })

const Rule = Type.Object(
  {
    id: Type.String(),
    pattern: Type.String(),
    category: Category,
    action: Action,
    publicReason: Nullable(Type.String()),
    enabled: Type.Boolean(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    defaultKey: Nullable(Type.String({ description: 'the shipped default rule this came from' }))
  },
  { title: 'Rule' }
)

const Reason = Type.Object({
  source: Type.Union([Type.Literal('rule'), Type.Literal('report'), Type.Literal('new_account'), Type.Literal('pii')]),
  category: Type.String(),
  detail: Type.String(),
  ruleId: Type.Optional(Nullable(Type.String())),
  reportId: Type.Optional(Type.String()),
  at: Type.String()
})

const QueueItem = Type.Object(
  {
    id: Type.String(),
    priority: Type.Integer({ description: '0 crisis; 1 sourcing and personal_info; 2 harassment and reports; 3 new account and spam' }),
    status: Type.Union([Type.Literal('open'), Type.Literal('claimed'), Type.Literal('resolved')]),
    board: Type.String(),
    reasons: Type.Array(Reason),
    post: Type.Unknown({ description: 'the post, with bodyHtml and body even when removed' }),
    thread: Type.Unknown(),
    author: Type.Unknown(),
    claimedBy: Nullable(Type.Object({ id: Type.String(), handle: Type.String() })),
    claimExpiresAt: Nullable(Type.String()),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    resolution: Nullable(
      Type.Object({
        decision: Type.String(),
        reason: Nullable(Type.String()),
        by: Type.String(),
        at: Type.String()
      })
    ),
    version: Type.String({
      description:
        "What the moderator read, as an opaque string: it changes when the author edits the post or a new reason (a report, a rule) joins the item, not when the item is claimed or released. Send it back with a decision to have that decision refused (409 item_changed) if the item no longer reads so."
    })
  },
  { title: 'QueueItem' }
)
const ItemResponse = Type.Object({ item: QueueItem })
const tags = ['moderation']

export const moderationRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  // Every /moderation route is for staff: members get 403 before their input is even validated, and a
  // suspended moderator 403 `suspended` (a suspension takes the moderation tools with it, reading included).
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.url?.startsWith('/api/v1/moderation')) assertCanWrite(requireStaff(request), deps.clock.now())
  })

  // The rules apply on every board, so changing them is for admins and moderators of every board; a moderator
  // of some boards may still read them and try them on a text. Checked before the body is validated, as the
  // staff check is.
  const writesRules = {
    onRequest: async (request: FastifyRequest) => {
      if ((await moderatedBoards(deps.db, requireAccount(request))) !== null) {
        throw forbidden('Only admins and moderators of every board may change the rules: they apply on every board.')
      }
    }
  }
  // A change made here is compiled at once, not by the next post (RuleBook).
  const refreshRules = () => deps.rules.refresh(deps.db)

  app.get(
    '/moderation/rules',
    {
      schema: {
        tags,
        summary: 'The flagging rules',
        querystring: Type.Composite([
          PageQuery,
          Type.Object({ category: Type.Optional(Category), action: Type.Optional(Action), enabled: Type.Optional(Type.Boolean()) })
        ]),
        response: { 200: Type.Object({ rules: Type.Array(Rule), nextCursor: Nullable(Type.String()) }), ...errorResponses(400, 401, 403) }
      }
    },
    async (request) => listRules(deps.db, request.query)
  )

  app.post(
    '/moderation/rules',
    {
      ...writesRules,
      // A rule is created content: a retry after a lost answer must not add it twice.
      config: { idempotent: true },
      schema: {
        tags,
        summary: 'Add a rule; it applies to the next post on every instance',
        description: 'Admins and moderators of every board only: a moderator limited to some boards gets 403 (rules apply on every board).',
        body: Type.Object(
          { pattern: Pattern, category: Category, action: Action, publicReason: Type.Optional(PublicReason), enabled: Type.Optional(Type.Boolean()) },
          { additionalProperties: false }
        ),
        response: { 201: Type.Object({ rule: Rule }), ...errorResponses(400, 401, 403) }
      }
    },
    async (request, reply) => {
      const rule = await createRule(deps.db, deps.clock, requireAccount(request), request.body)
      refreshRules()
      return reply.code(201).send({ rule })
    }
  )

  app.patch(
    '/moderation/rules/:id',
    {
      ...writesRules,
      schema: {
        tags,
        summary: 'Change a rule',
        description:
          'Admins and moderators of every board only (403 for a moderator limited to some boards). A change to what the rule already is changes nothing: no new revision, no log line.',
        params: IdParams,
        body: Type.Object(
          {
            pattern: Type.Optional(Pattern),
            category: Type.Optional(Category),
            action: Type.Optional(Action),
            publicReason: Type.Optional(PublicReason),
            enabled: Type.Optional(Type.Boolean())
          },
          { additionalProperties: false, minProperties: 1 }
        ),
        response: { 200: Type.Object({ rule: Rule }), ...errorResponses(400, 401, 403, 404) }
      }
    },
    async (request) => {
      const rule = await updateRule(deps.db, deps.clock, requireAccount(request), request.params.id, request.body)
      refreshRules()
      return { rule }
    }
  )

  app.delete(
    '/moderation/rules/:id',
    {
      ...writesRules,
      preValidation: absentBodyIsEmpty,
      schema: {
        tags,
        summary: 'Delete a rule',
        description: 'Admins and moderators of every board only (403 for a moderator limited to some boards).',
        params: IdParams,
        body: NoBody,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404) }
      }
    },
    async (request, reply) => {
      await deleteRule(deps.db, deps.clock, requireAccount(request), request.params.id)
      refreshRules()
      return reply.code(204).send(null)
    }
  )

  app.post(
    '/moderation/rules/test',
    {
      schema: {
        tags,
        summary: 'Dry run: what the current rules and detectors find in a text (offsets into it)',
        body: Type.Object({ text: Type.String({ maxLength: 20000 }) }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            matches: Type.Array(
              Type.Object({
                ruleId: Nullable(Type.String()),
                category: Type.String(),
                action: Type.String(),
                start: Type.Integer(),
                end: Type.Integer(),
                excerpt: Type.String(),
                detector: Type.Optional(Type.String({ description: 'for a match without a rule: phone, email, handle, address, link, crisis_model or sourcing_model' })),
                score: Type.Optional(Type.Number({ description: "a model's probability for the whole text, for its matches" }))
              })
            )
          }),
          ...errorResponses(400, 401, 403)
        }
      }
    },
    async (request) => testRules(deps.db, deps.rules, request.body.text, { detectCrisis: deps.config.crisisModel, detectSourcing: deps.config.sourcingModel })
  )

  app.get(
    '/moderation/queue',
    {
      schema: {
        tags,
        summary: 'The queue: priority first (crisis at 0), then oldest first',
        querystring: Type.Composite([
          PageQuery,
          Type.Object({
            status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('claimed'), Type.Literal('resolved')])),
            board: Type.Optional(Slug),
            category: Type.Optional(Type.String({ minLength: 1, maxLength: 40 }))
          })
        ]),
        response: { 200: Type.Object({ items: Type.Array(QueueItem), nextCursor: Nullable(Type.String()) }), ...errorResponses(400, 401, 403) }
      }
    },
    async (request) => listQueue(deps, requireAccount(request), request.query)
  )

  app.post(
    '/moderation/queue/:id/claim',
    {
      preValidation: absentBodyIsEmpty,
      schema: {
        tags,
        summary: 'Claim an item for CLAIM_LEASE_SECONDS; 409 already_claimed while another moderator holds it',
        params: IdParams,
        body: NoBody,
        response: { 200: ItemResponse, ...errorResponses(400, 401, 403, 404, 409) }
      }
    },
    async (request) => ({ item: await claimItem(deps, requireAccount(request), request.params.id) })
  )

  app.post(
    '/moderation/queue/:id/release',
    {
      preValidation: absentBodyIsEmpty,
      schema: { tags, summary: 'Give a claimed item back', params: IdParams, body: NoBody, response: { 200: ItemResponse, ...errorResponses(400, 401, 403, 404, 409) } }
    },
    async (request) => ({ item: await releaseItem(deps, requireAccount(request), request.params.id) })
  )

  app.post(
    '/moderation/queue/:id/resolve',
    {
      schema: {
        tags,
        summary:
          "Decide: approve (publish), remove (reason shown to the author) or redact (replace the body, keep the revision, publish; also the opening post's thread title and the content warning, when given)",
        params: IdParams,
        body: Type.Object(
          {
            decision: Type.Union([Type.Literal('approve'), Type.Literal('remove'), Type.Literal('redact')]),
            reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
            body: Type.Optional(Body),
            // Additions to the contract: what a redaction may also replace, since screening reads them too.
            title: Type.Optional(Title),
            contentWarning: Type.Optional(Nullable(ContentWarning)),
            // An addition to the contract: decide only on what was read.
            version: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 64,
                description:
                  "The item's `version` as you read it. When given and the post was edited, or a new reason joined the item, since then, the decision is refused with 409 `item_changed` (its details carry the item as it is now) and nothing changes."
              })
            )
          },
          { additionalProperties: false }
        ),
        response: { 200: ItemResponse, ...errorResponses(400, 401, 403, 404, 409) }
      }
    },
    async (request) => ({ item: await resolveItem(deps, requireAccount(request), request.params.id, request.body) })
  )

  app.post(
    '/moderation/accounts/:id/suspend',
    {
      schema: {
        tags,
        summary: 'Suspend an account for some days, or until lifted',
        params: IdParams,
        body: Type.Object(
          { days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })), reason: Type.String({ minLength: 1, maxLength: 500 }) },
          { additionalProperties: false }
        ),
        response: { 200: Type.Object({ account: Account }), ...errorResponses(400, 401, 403, 404) }
      }
    },
    async (request) => ({ account: await suspendAccount(deps, requireAccount(request), request.params.id, request.body) })
  )

  app.post(
    '/moderation/accounts/:id/unsuspend',
    {
      // The body (an optional reason) may be left out entirely.
      preValidation: absentBodyIsEmpty,
      schema: {
        tags,
        summary: 'Lift a suspension',
        params: IdParams,
        body: Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ account: Account }), ...errorResponses(400, 401, 403, 404) }
      }
    },
    async (request) => ({ account: await unsuspendAccount(deps, requireAccount(request), request.params.id, request.body.reason ?? null) })
  )

  app.get(
    '/moderation/log',
    {
      schema: {
        tags,
        summary: 'The append-only record of every staff action and rule change, newest first',
        querystring: PageQuery,
        response: {
          200: Type.Object({
            actions: Type.Array(
              Type.Object({
                id: Type.String(),
                actor: Nullable(Type.Object({ id: Type.String(), handle: Type.String() })),
                action: Type.String(),
                targetType: Type.String(),
                targetId: Type.String(),
                reason: Nullable(Type.String()),
                details: Type.Unknown(),
                createdAt: Type.String()
              })
            ),
            nextCursor: Nullable(Type.String())
          }),
          ...errorResponses(400, 401, 403)
        }
      }
    },
    async (request) => readLog(deps.db, requireStaff(request), request.query)
  )

  app.patch(
    '/accounts/:id/role',
    {
      schema: {
        tags,
        summary: 'Set a role (admin); moderators may be limited to some boards',
        params: IdParams,
        body: Type.Object(
          {
            role: Type.Union([Type.Literal('member'), Type.Literal('moderator'), Type.Literal('admin')]),
            boards: Type.Optional(Type.Array(Slug, { maxItems: 100 })),
            reason: Type.Optional(Type.String({ maxLength: 500 }))
          },
          { additionalProperties: false }
        ),
        response: { 200: Type.Object({ account: Account }), ...errorResponses(400, 401, 403, 404) }
      }
    },
    async (request) => ({ account: await changeRole(deps, requireAccount(request), request.params.id, request.body) })
  )
}
