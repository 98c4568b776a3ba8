import { sql } from 'drizzle-orm'
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid
} from 'drizzle-orm/pg-core'

/** Timestamps are set from the injected clock, always with a time zone. */
const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })

export const accounts = pgTable(
  'accounts',
  {
    id: uuid('id').primaryKey(),
    handle: text('handle').notNull(),
    /** Handles are unique ignoring case; a deleted account keeps its handle reserved. */
    handleKey: text('handle_key').notNull(),
    /** Null once the account is deleted. */
    passwordHash: text('password_hash'),
    circle: text('circle', { enum: ['recovery', 'family'] }).notNull(),
    role: text('role', { enum: ['member', 'moderator', 'admin'] }).notNull().default('member'),
    status: text('status', { enum: ['active', 'suspended', 'deleted'] }).notNull().default('active'),
    /** Null with status suspended means until lifted. */
    suspendedUntil: at('suspended_until'),
    suspensionReason: text('suspension_reason'),
    /** Posts this account has written, so the first few of a new account can be held. */
    postsWritten: integer('posts_written').notNull().default(0),
    createdAt: at('created_at').notNull(),
    deletedAt: at('deleted_at')
  },
  (t) => [
    uniqueIndex('accounts_handle_key_idx').on(t.handleKey),
    check('accounts_circle_check', sql`${t.circle} in ('recovery', 'family')`),
    check('accounts_role_check', sql`${t.role} in ('member', 'moderator', 'admin')`),
    check('accounts_status_check', sql`${t.status} in ('active', 'suspended', 'deleted')`)
  ]
)

export const sessions = pgTable(
  'sessions',
  {
    /** Hex SHA-256 of the token: the token itself is never stored (Lucia's design). */
    id: text('id').primaryKey(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    createdAt: at('created_at').notNull(),
    expiresAt: at('expires_at').notNull()
  },
  (t) => [index('sessions_account_idx').on(t.accountId)]
)

export const boards = pgTable(
  'boards',
  {
    slug: text('slug').primaryKey(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    audience: text('audience', { enum: ['everyone', 'recovery', 'family'] }).notNull(),
    requiresContentWarning: boolean('requires_content_warning').notNull().default(false),
    /** Where the board appears in the list. */
    position: integer('position').notNull().default(100),
    createdAt: at('created_at').notNull().defaultNow()
  },
  (t) => [check('boards_audience_check', sql`${t.audience} in ('everyone', 'recovery', 'family')`)]
)

export const threads = pgTable(
  'threads',
  {
    id: uuid('id').primaryKey(),
    boardSlug: text('board_slug')
      .notNull()
      .references(() => boards.slug),
    title: text('title').notNull(),
    authorId: uuid('author_id').references(() => accounts.id, { onDelete: 'set null' }),
    contentWarning: text('content_warning'),
    /** Mirrors the opening post: a held opening post hides the whole thread from others. */
    state: text('state', { enum: ['visible', 'held', 'removed'] }).notNull(),
    locked: boolean('locked').notNull().default(false),
    /** Time of the newest published post: the order of a board's thread list. */
    lastPostAt: at('last_post_at').notNull(),
    /**
     * Posts readers outside staff see (published and not held; placeholders of removed or deleted posts
     * included). Kept by a trigger on posts (migration 0008), so no read or reply counts a thread's posts.
     */
    postCount: integer('post_count').notNull().default(0),
    createdAt: at('created_at').notNull()
  },
  (t) => [
    index('threads_board_activity_idx').on(t.boardSlug, t.lastPostAt.desc(), t.id.desc()),
    index('threads_author_idx').on(t.authorId),
    check('threads_state_check', sql`${t.state} in ('visible', 'held', 'removed')`)
  ]
)

export const posts = pgTable(
  'posts',
  {
    id: uuid('id').primaryKey(),
    threadId: uuid('thread_id')
      .notNull()
      .references(() => threads.id),
    /** Null once the author deletes their account: the post stays, by a "former member". */
    authorId: uuid('author_id').references(() => accounts.id, { onDelete: 'set null' }),
    /** What the writer typed, kept so an edit or a moderator's redaction starts from it. */
    bodySource: text('body_source').notNull(),
    bodyHtml: text('body_html').notNull(),
    contentWarning: text('content_warning'),
    /** The post that opened its thread: its state is the thread's state. */
    opening: boolean('opening').notNull().default(false),
    state: text('state', { enum: ['visible', 'held', 'removed', 'deleted'] }).notNull(),
    removalReason: text('removal_reason'),
    /** Set when the post first became visible to others; a never-published post leaves no placeholder. */
    publishedAt: at('published_at'),
    createdAt: at('created_at').notNull(),
    editedAt: at('edited_at')
  },
  (t) => [
    index('posts_thread_order_idx').on(t.threadId, t.createdAt, t.id),
    index('posts_author_idx').on(t.authorId),
    check('posts_state_check', sql`${t.state} in ('visible', 'held', 'removed', 'deleted')`)
  ]
)

export const postRevisions = pgTable(
  'post_revisions',
  {
    id: uuid('id').primaryKey(),
    postId: uuid('post_id')
      .notNull()
      .references(() => posts.id),
    /** The body as it was before this change. */
    bodySource: text('body_source').notNull(),
    bodyHtml: text('body_html').notNull(),
    contentWarning: text('content_warning'),
    kind: text('kind', { enum: ['edit', 'redaction'] }).notNull(),
    editorId: uuid('editor_id').references(() => accounts.id, { onDelete: 'set null' }),
    createdAt: at('created_at').notNull()
  },
  (t) => [index('post_revisions_post_idx').on(t.postId, t.createdAt)]
)

export const reports = pgTable(
  'reports',
  {
    id: uuid('id').primaryKey(),
    postId: uuid('post_id')
      .notNull()
      .references(() => posts.id),
    reporterId: uuid('reporter_id').references(() => accounts.id, { onDelete: 'set null' }),
    reason: text('reason', {
      enum: ['crisis', 'triggering', 'harassment', 'sourcing', 'personal_info', 'spam', 'other']
    }).notNull(),
    note: text('note'),
    /** Whether the report ranked its post's item as a crisis (its reason, or a note that reads as one): REPORT_CRISIS_PER_HOUR counts these. */
    rankedAsCrisis: boolean('ranked_as_crisis').notNull().default(false),
    createdAt: at('created_at').notNull()
  },
  (t) => [
    uniqueIndex('reports_post_reporter_idx').on(t.postId, t.reporterId),
    index('reports_reporter_idx').on(t.reporterId)
  ]
)

export const rules = pgTable(
  'rules',
  {
    id: uuid('id').primaryKey(),
    pattern: text('pattern').notNull(),
    category: text('category', { enum: ['crisis', 'sourcing', 'personal_info', 'harassment', 'spam', 'custom'] }).notNull(),
    action: text('action', { enum: ['escalate', 'hold', 'flag', 'block', 'content_warning'] }).notNull(),
    /** Shown to the writer when the rule acts on their post. */
    publicReason: text('public_reason'),
    enabled: boolean('enabled').notNull().default(true),
    /** The key of the shipped default rule this row came from, if any. */
    defaultKey: text('default_key'),
    createdAt: at('created_at').notNull(),
    updatedAt: at('updated_at').notNull()
  },
  (t) => [
    check('rules_category_check', sql`${t.category} in ('crisis', 'sourcing', 'personal_info', 'harassment', 'spam', 'custom')`),
    check('rules_action_check', sql`${t.action} in ('escalate', 'hold', 'flag', 'block', 'content_warning')`)
  ]
)

/**
 * One row: bumped in the same transaction as every rule change, so each instance can tell with one cheap
 * query whether its compiled rule set is stale, and recompile before scanning the next post.
 */
export const ruleSet = pgTable('rule_set', {
  id: integer('id').primaryKey(),
  revision: integer('revision').notNull()
})

/** Default rules already seeded: a rule an admin deleted is not brought back by a later start. */
export const defaultRuleKeys = pgTable('default_rule_keys', {
  key: text('key').primaryKey(),
  seededAt: at('seeded_at').notNull()
})

export const queueItems = pgTable(
  'queue_items',
  {
    id: uuid('id').primaryKey(),
    postId: uuid('post_id')
      .notNull()
      .references(() => posts.id),
    /** Denormalised from the post's thread, so board-scoped moderators filter without joins. */
    boardSlug: text('board_slug').notNull(),
    /** 0 crisis; 1 sourcing and personal_info; 2 harassment and reports; 3 new account and spam. */
    priority: integer('priority').notNull(),
    /** open or resolved; "claimed" is derived from a live lease, so an expired lease frees the item by itself. */
    status: text('status', { enum: ['open', 'resolved'] }).notNull(),
    reasons: jsonb('reasons').$type<QueueReason[]>().notNull(),
    claimedBy: uuid('claimed_by'),
    claimExpiresAt: at('claim_expires_at'),
    resolution: jsonb('resolution').$type<QueueResolution | null>(),
    createdAt: at('created_at').notNull(),
    updatedAt: at('updated_at').notNull()
  },
  (t) => [
    // One open item per post gathers every reason.
    uniqueIndex('queue_items_open_post_idx').on(t.postId).where(sql`${t.status} = 'open'`),
    index('queue_items_order_idx').on(t.status, t.priority, t.createdAt, t.id),
    check('queue_items_status_check', sql`${t.status} in ('open', 'resolved')`)
  ]
)

export interface QueueReason {
  source: 'rule' | 'report' | 'new_account' | 'pii'
  category: string
  detail: string
  ruleId?: string | null
  reportId?: string
  /**
   * A report made by an account younger than REPORT_HOLD_MIN_ACCOUNT_DAYS (set only then): it does not count towards
   * holding the post, and as a crisis it ranks the post first without keeping reports from holding it. Kept for the
   * server's own reading; the queue's views leave it out.
   */
  newReporter?: true
  at: string
}

export interface QueueResolution {
  decision: 'approve' | 'remove' | 'redact'
  reason: string | null
  by: string
  at: string
}

/** Moderators limited to some boards; a moderator with no rows here moderates every board. */
export const moderatorBoards = pgTable(
  'moderator_boards',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    boardSlug: text('board_slug')
      .notNull()
      .references(() => boards.slug)
  },
  (t) => [primaryKey({ columns: [t.accountId, t.boardSlug] })]
)

/** Append-only record of every staff action and rule change; a trigger refuses UPDATE and DELETE. */
export const moderationLog = pgTable(
  'moderation_log',
  {
    id: uuid('id').primaryKey(),
    /** Not a foreign key: the record outlives the actor's account. */
    actorId: uuid('actor_id'),
    actorHandle: text('actor_handle'),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id').notNull(),
    reason: text('reason'),
    details: jsonb('details'),
    createdAt: at('created_at').notNull()
  },
  (t) => [index('moderation_log_order_idx').on(t.createdAt, t.id)]
)

/**
 * The outbox of live events: written in the same transaction as the change it describes. `position` is the
 * public event id: a deferred trigger assigns it at COMMIT under one advisory lock (migration 0006), so
 * positions follow commit order and "every event after position N" never misses one that committed late.
 */
export const events = pgTable(
  'events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** Null until a round of events_sequence() after the writing transaction's commit (migration 0009). */
    position: bigint('position', { mode: 'number' }),
    channel: text('channel').notNull(),
    event: text('event').notNull(),
    data: jsonb('data').notNull(),
    /** Set for a held post's events: only this account (its author) and staff receive them. */
    restrictedTo: uuid('restricted_to'),
    /** The board the event belongs to, so board-scoped moderators receive only theirs. */
    boardSlug: text('board_slug'),
    createdAt: at('created_at').notNull()
  },
  (t) => [
    index('events_created_idx').on(t.createdAt),
    uniqueIndex('events_position_idx').on(t.position),
    // The events still waiting for a position (migration 0009, events_sequence()).
    index('events_unpositioned_idx').on(t.id).where(sql`${t.position} is null`),
    index('events_channel_position_idx').on(t.channel, t.position),
    // The earlier events of one post or thread on a channel, which a later change to it rewrites (writeEvents).
    index('events_subject_idx').on(t.channel, sql`(${t.data}->>'id')`)
  ]
)

/** How far retention has deleted the outbox: resuming from an older id answers resync_required. */
export const eventRetention = pgTable('event_retention', {
  id: integer('id').primaryKey(),
  purgedThrough: bigint('purged_through', { mode: 'number' }).notNull()
})

/**
 * Idempotency keys of content-creating POSTs, per account, kept 24 h: a retry with the same key and body
 * gets the first response; the same key with another body gets 409.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    /** SHA-256 of method, route and body: what "the same request" means. */
    requestHash: text('request_hash').notNull(),
    /** Null while the first request is still being processed. */
    status: integer('status'),
    response: jsonb('response'),
    createdAt: at('created_at').notNull()
  },
  (t) => [primaryKey({ columns: [t.accountId, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)]
)
