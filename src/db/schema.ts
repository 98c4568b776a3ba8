import { sql } from 'drizzle-orm'
import {
  boolean,
  check,
  index,
  integer,
  pgTable,
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
    createdAt: at('created_at').notNull()
  },
  (t) => [
    uniqueIndex('reports_post_reporter_idx').on(t.postId, t.reporterId),
    index('reports_reporter_idx').on(t.reporterId)
  ]
)
