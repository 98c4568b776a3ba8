import { type AnyColumn, and, eq, ne, type SQL, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import { decodeHTML } from 'entities'
import { v7 as uuidv7 } from 'uuid'
import { assertCanWrite } from '../accounts/service.js'
import { isStaff, type AccountRow } from '../accounts/model.js'
import type { SessionLookup } from '../accounts/sessions.js'
import type { Deps } from '../deps.js'
import type { RuleRow } from '../moderation/rules.js'
import type { Db } from '../db/client.js'
import { preparedOn } from '../db/prepared.js'
import { accounts, boards, events, posts, queueItems, sessions, threads } from '../db/schema.js'
import { keepRevision } from './revisions.js'
import { DomainError, forbidden, invalid, notFound } from '../errors.js'
import { audienceAllows, readerOn, readsAsStaff, type StaffFacts } from './audience.js'
import { enqueue, lockOpenItem } from '../moderation/queue/enqueue.js'
import { boardsOfModerator } from '../moderation/queue/scope.js'
import { ruleRevisionOf } from '../moderation/rules.js'
import { type ModerationOutcome, type Screening, heldOnlyAsNewAccount, screen, screenEditOfHeld } from '../moderation/screening.js'
import { hiddenThreadAudience, postEvent, postHeldEvents, queueEvent, threadEvent } from '../live/events.js'
import { openingPostNews, postNews, publishPost } from '../moderation/queue/service.js'
import { type LiveEvent, writeEvents } from '../live/outbox.js'
import { renderBody, showsSomething, visibleText, withoutBidiControls } from './sanitize.js'
import { type BoardRow, type PostRow, type ThreadRow, postView, selectThreads, threadView } from './views.js'

export type { ModerationOutcome }

// Links from accounts younger than this are flagged for a look: the usual shape of spam and dealer ads.
const NEW_ACCOUNT_MS = 7 * 86_400_000
/** A writer speaking of themselves: I, I'm, I'll, I'd, I've, me, my, myself, mine (straight or curly apostrophe, or none). */
const FIRST_PERSON = /(?<![\p{L}\p{N}])(?:i|i['’]?m|i['’]?ll|i['’]?d|i['’]?ve|me|my|myself|mine)(?![\p{L}\p{N}])/iu

/** Scans what a member wrote with the current rules and decides what happens to it; with the rules it read. */
export async function screenWriting(
  deps: Deps,
  author: AccountRow,
  input: { text: string; body: string; contentWarning: string | null; currentState?: 'visible' | 'held'; rulesRevision?: number }
): Promise<Screening & { rulesById: Map<string, RuleRow> }> {
  const book = await deps.rules.get(deps.db, input.rulesRevision)
  const now = deps.clock.now()
  const detectLinks = now.getTime() - author.createdAt.getTime() < NEW_ACCOUNT_MS
  const inText = book.compiled.scan(input.text, { detectLinks, detectCrisis: deps.config.crisisModel, detectSourcing: deps.config.sourcingModel })
  // The content warning is shown on its own, so it is read for what it must not carry either (contact details,
  // dealing, abuse, a blocked phrase). A warning usually names what it warns of ("TW: suicide, self-harm"), and
  // the triggers board asks every thread for one: its crisis words count only when it speaks of its writer
  // ("i want to kill myself tonight").
  const inWarning = input.contentWarning
    ? book.compiled
        .scan(input.contentWarning, { detectLinks, detectCrisis: false, detectSourcing: false })
        .filter((m) => m.category !== 'crisis' || FIRST_PERSON.test(input.contentWarning!))
    : []
  const screening = screen({
    matches: inWarning.length ? [...inText, ...inWarning] : inText,
    rulesById: book.byId,
    author,
    body: input.body,
    contentWarning: input.contentWarning,
    currentState: input.currentState,
    // Staff are trusted from their first post.
    newAccountHoldPosts: isStaff(author) ? 0 : deps.config.newAccountHoldPosts,
    crisisResources: deps.crisisResources,
    now
  })
  return { ...screening, rulesById: book.byId }
}

/** Queues the post if screening found a reason, inside the write's transaction; returns the staff alert. */
export async function queueIfNeeded(tx: Db, screening: Screening, postId: string, boardSlug: string, now: Date): Promise<LiveEvent[]> {
  if (!screening.queue) return []
  const { item, created } = await enqueue(tx, { postId, boardSlug, ...screening.queue, now })
  return [await queueEvent(tx, item, created, now)]
}

/**
 * What screening reads of a piece of writing as its text: the thread's title (of an opening post), the body as
 * written, and the body as rendered when markup or an entity changes what it shows (`jane&#64;mail.com` and
 * `415<!-- -->555 0187` read as an address and a number only once rendered; what sanitising drops, such as a
 * link's address, is read in the body as written). The content warning is read apart (screenWriting).
 */
export function screenedText(writing: { title?: string | undefined; body: string; bodyHtml: string }): string {
  const parts = writing.title === undefined ? [writing.body] : [writing.title, writing.body]
  if (writing.body.includes('<') || writing.body.includes('&')) parts.push(visibleText(writing.bodyHtml))
  return parts.join('\n')
}

/**
 * What a member wrote, as it is screened and kept: without the characters that reorder text for the reader (see
 * withoutBidiControls); a title must show something; a content warning that shows nothing is no warning (so a
 * board that needs one refuses it). The body's own check is prepareBody's.
 */
export function cleanWriting<T extends { title?: string | undefined; body?: string | undefined; contentWarning?: string | null | undefined }>(input: T): T {
  const title = input.title === undefined ? undefined : withoutBidiControls(input.title)
  if (title !== undefined && !showsSomething(title)) throw invalid('The title shows nothing.', { field: 'title' })
  const contentWarning = withoutBidiControls(input.contentWarning)
  return {
    ...input,
    ...(title !== undefined ? { title } : {}),
    ...(input.body !== undefined ? { body: withoutBidiControls(input.body as string) } : {}),
    ...(contentWarning !== undefined ? { contentWarning: contentWarning !== null && showsSomething(contentWarning) ? contentWarning : null } : {})
  }
}

/**
 * Tags a body may hold. Rendering costs some microseconds a tag, before the post is even screened: 80,000 nested
 * `<b>` (within the 20,000-character limit, closing tags aside) took ~0.7 s of the event loop per post.
 */
export const MAX_BODY_TAGS = 2_000
const TAG_OPENING = /<[A-Za-z/]/g

/** Sanitised HTML for a body, refusing one that sanitising leaves empty (it would show as nothing). */
export function prepareBody(body: string): string {
  if (body.includes('<') && (body.match(TAG_OPENING)?.length ?? 0) > MAX_BODY_TAGS) {
    throw invalid(`A post may hold at most ${MAX_BODY_TAGS.toLocaleString('en')} HTML tags.`, { field: 'body' })
  }
  const html = renderBody(body)
  // Sanitised HTML escapes every < and > of its text, so dropping the tags leaves the text, entities aside.
  const text = html.replace(/<[^>]*>/g, '')
  if (!showsSomething(text.includes('&') ? decodeHTML(text) : text)) {
    throw invalid('The post has no text left once unsupported HTML is removed.', { field: 'body' })
  }
  return html
}

type Viewer = Pick<AccountRow, 'id' | 'circle'> & StaffFacts

/** May this viewer see this thread at all? Held or removed threads exist only for their author and staff (not suspended). */
export function threadVisibleTo(thread: ThreadRow, viewer: Viewer): boolean {
  return thread.state === 'visible' || readsAsStaff(viewer) || (thread.authorId !== null && thread.authorId === viewer.id)
}

export function postVisibleTo(post: PostRow, viewer: Viewer): boolean {
  if (readsAsStaff(viewer) || (post.authorId !== null && post.authorId === viewer.id)) return true
  return post.publishedAt !== null && post.state !== 'held'
}

export interface PostContext {
  post: PostRow
  thread: ThreadRow
  board: BoardRow
  /** The rule book's revision, read in the same query: what an edit's or a report note's screening needs (RuleBook.get). */
  rulesRevision: number
}

async function postWithContext(db: Db, postId: string): Promise<PostContext | undefined> {
  const [row] = await db
    .select({ post: posts, thread: threads, board: boards, rulesRevision: ruleRevisionOf })
    .from(posts)
    .innerJoin(threads, eq(threads.id, posts.threadId))
    .innerJoin(boards, eq(boards.slug, threads.boardSlug))
    .where(eq(posts.id, postId))
    .limit(1)
  return row && { ...row, rulesRevision: Number(row.rulesRevision) }
}

/**
 * A post with its thread and board, if the viewer may see it; otherwise 404 (never reveal existence). The author of a
 * reply reaches it in a thread held from its readers too (its opening post held by reports or screening), to edit or
 * delete it (a phone number taken back): a hold of someone else's post never takes their own words from them. The
 * thread itself stays hidden from them.
 */
export async function readablePost(db: Db, account: Viewer, postId: string): Promise<PostContext> {
  const row = await postWithContext(db, postId)
  if (!row) throw notFound('That post')
  const viewer = readerOn(account, row.board.slug)
  const ownInHeldThread = row.thread.state === 'held' && row.post.authorId !== null && row.post.authorId === viewer.id
  if (!audienceAllows(row.board, viewer) || !(threadVisibleTo(row.thread, viewer) || ownInHeldThread) || !postVisibleTo(row.post, viewer)) {
    throw notFound('That post')
  }
  return row
}

/**
 * A post the viewer may report: one they can read, or one every reader of its board could read until reports or
 * its author's edit held it: published in a thread that is visible, or the opening post of a thread that was
 * published and is held with it. A reader who saw a post that others reported as harassment can still report it
 * as a crisis, and so raise it to the head of the queue. A post in a thread that others never saw stays unknown.
 */
export async function reportablePost(db: Db, account: Viewer, postId: string): Promise<PostContext> {
  const row = await postWithContext(db, postId)
  if (!row) throw notFound('That post')
  const viewer = readerOn(account, row.board.slug)
  if (!audienceAllows(row.board, viewer)) throw notFound('That post')
  const { post, thread } = row
  const seenByReaders = post.state === 'held' && post.publishedAt !== null && (thread.state === 'visible' || (post.opening && thread.state === 'held'))
  if (!seenByReaders && (!threadVisibleTo(thread, viewer) || !postVisibleTo(post, viewer))) throw notFound('That post')
  return row
}

/**
 * Whether a new report of the post may be made: a placeholder has nothing left to report, and an author edits or
 * deletes their own post rather than queue it. (A repeat report answers with the first one before this is asked.)
 */
export function assertReportable(post: Pick<PostRow, 'state' | 'authorId'>, reporter: Viewer): void {
  if (post.state === 'removed' || post.state === 'deleted') throw notFound('That post')
  if (post.authorId !== null && post.authorId === reporter.id) throw forbidden('You can edit or delete your own post; reports are for posts by others.')
}

export async function threadViewById(db: Db, threadId: string) {
  const [row] = await selectThreads(db).where(eq(threads.id, threadId)).limit(1)
  if (!row) throw notFound('That thread')
  return threadView(row)
}

export interface NewPost {
  body: string
  contentWarning?: string | undefined
}

/** A reply's target: the thread with its board (null when there is none), its author's handle (for the board's live update) and the rule set's revision (so screening knows whether its cached rules are current). */
export interface ReplyTarget {
  thread: ThreadRow | null
  board: BoardRow | null
  authorHandle: string | null
  rulesRevision: number
}

const threadAuthor = alias(accounts, 'thread_author')
const targetColumns = { thread: threads, board: boards, authorHandle: threadAuthor.handle, rulesRevision: ruleRevisionOf }
const toTarget = (row: { thread: ThreadRow | null; board: BoardRow | null; authorHandle: string | null; rulesRevision: unknown }): ReplyTarget => ({
  thread: row.thread,
  board: row.board,
  authorHandle: row.authorHandle,
  rulesRevision: Number(row.rulesRevision)
})

// The target in one prepared statement; the reply route reads it with the writer's session in one more.
const prepareReplyTarget = (db: Db) =>
  db
    .select(targetColumns)
    .from(threads)
    .innerJoin(boards, eq(boards.slug, threads.boardSlug))
    .leftJoin(threadAuthor, eq(threadAuthor.id, threads.authorId))
    .where(eq(threads.id, sql.placeholder('threadId')))
    .limit(1)
    .prepare('lantern_reply_target')

const prepareSessionWithReplyTarget = (db: Db) =>
  db
    .select({ session: sessions, account: accounts, moderates: boardsOfModerator, ...targetColumns })
    .from(sessions)
    .innerJoin(accounts, eq(accounts.id, sessions.accountId))
    .leftJoin(threads, eq(threads.id, sql.placeholder('threadId')))
    .leftJoin(boards, eq(boards.slug, threads.boardSlug))
    .leftJoin(threadAuthor, eq(threadAuthor.id, threads.authorId))
    .where(eq(sessions.id, sql.placeholder('id')))
    .limit(1)
    .prepare('lantern_session_reply_target')

async function readReplyTarget(db: Db, threadId: string): Promise<ReplyTarget> {
  const [row] = await preparedOn(db, 'reply_target', prepareReplyTarget).execute({ threadId })
  return toTarget(row ?? { thread: null, board: null, authorHandle: null, rulesRevision: 0 })
}

/**
 * The reply route's session lookup: the session, its account and the reply's target in one statement, so
 * that a reply costs one round trip less (on a busy instance a round trip costs more than the work it
 * carries). `found` receives the target; the session is then validated as any other (sessions.ts).
 */
export function sessionWithReplyTarget(threadId: string, found: (target: ReplyTarget) => void): SessionLookup {
  return async (db, id) => {
    const [row] = await preparedOn(db, 'session_reply_target', prepareSessionWithReplyTarget).execute({ id, threadId })
    if (!row) return undefined
    found(toTarget(row))
    return { session: row.session, account: Object.assign(row.account, { moderates: row.moderates }) }
  }
}

/** A reply by `author`; `target` when the caller has read it already (sessionWithReplyTarget), at most a moment ago. */
export async function createReply(deps: Deps, author: AccountRow, threadId: string, written: NewPost, target?: ReplyTarget) {
  const input = cleanWriting(written)
  const now = deps.clock.now()
  assertCanWrite(author, now)
  const row = target ?? (await readReplyTarget(deps.db, threadId))
  const { thread, board } = row
  if (!thread || !board) throw notFound('That thread')
  const writer = readerOn(author, board.slug)
  if (!audienceAllows(board, writer) || !threadVisibleTo(thread, writer)) throw notFound('That thread')
  if (thread.locked && !isStaff(writer)) throw forbidden('This thread is locked.', { reason: 'thread_locked' })
  const bodyHtml = prepareBody(input.body)
  const screening = await screenWriting(deps, author, {
    text: screenedText({ body: input.body, bodyHtml }),
    body: input.body,
    contentWarning: input.contentWarning ?? null,
    rulesRevision: row.rulesRevision
  })
  const visible = screening.state === 'visible'
  const post: PostRow = {
    id: uuidv7(),
    threadId,
    authorId: author.id,
    bodySource: input.body,
    bodyHtml,
    contentWarning: screening.contentWarning,
    opening: false,
    state: screening.state,
    removalReason: null,
    publishedAt: visible ? now : null,
    createdAt: now,
    editedAt: null
  }
  const news: LiveEvent[] = [postEvent('post.created', post, author.handle, board.slug)]
  if (visible) {
    // The board's list learns of the reply; the writing statement fills in the thread's fresh fields (its counts, title,
    // state, lock, warning, last activity, and its author, gone if they deleted their account since it was read).
    const view = { ...threadView({ thread, authorHandle: row.authorHandle }), lastPostAt: now.toISOString() }
    news.push(...threadEvent('thread.updated', view, thread.authorId, { onThreadChannel: false }))
  }
  const shape: ReplyShape = { visible, events: news.length, threadEvent: visible ? 1 : null }
  const values = { ...replyValues(post, now, news), threadHiddenTo: hiddenThreadAudience(thread.authorId) }
  if (screening.queue) {
    // Queued for a moderator: the queue item and the staff alert join the reply's transaction.
    await deps.db.transaction(async (tx) => {
      await prepareReplyWrite(tx, shape).execute(values)
      await writeEvents(tx, now, await queueIfNeeded(tx, screening, post.id, board.slug, now))
    })
  } else {
    await preparedOn(deps.db, replyStatementName(shape), (db) => prepareReplyWrite(db, shape)).execute(values)
  }
  return { post: postView({ post, authorHandle: author.handle }, author), moderation: screening.outcome }
}

/**
 * Which reply statement: a published reply also touches its thread and tells the board (event `threadEvent`,
 * whose post count, title, state, lock, content warning, last activity, author and audience the statement fills in
 * from the thread itself).
 */
interface ReplyShape {
  visible: boolean
  events: number
  threadEvent: number | null
}

const replyStatementName = (shape: ReplyShape) => `lantern_reply_${shape.visible ? 'visible' : 'held'}_${shape.events}_${shape.threadEvent ?? 'none'}`

/**
 * A reply is one statement: the post, the author's and (once published) the thread's counters, and the
 * live events. A single statement is atomic on its own, so the common reply needs no BEGIN and COMMIT, and,
 * prepared, no SQL building either: on a busy instance each round trip and each query built cost more than
 * the work they carry. Row locks are held only for the statement.
 */
function prepareReplyWrite(db: Db, shape: ReplyShape) {
  const v = sql.placeholder
  // The author's counter, under the account's row lock. An account deleted since the session check (another tab
  // or device, at the same moment) is no longer counted, and the reply is kept as a former member's, with author
  // null in the post and in its news, as if it had been written just before the deletion: deleteAccount takes
  // this lock before it forgets the author's name, so whichever comes second sees the other.
  const counted = db.$with('counted').as(
    db
      .update(accounts)
      .set({ postsWritten: sql`${accounts.postsWritten} + 1` })
      .where(and(eq(accounts.id, v('authorId')), ne(accounts.status, 'deleted')))
      .returning({ id: accounts.id })
  )
  const inserted = db.$with('inserted').as(
    db.insert(posts).values({
      id: v('id'),
      threadId: v('threadId'),
      authorId: sql`(select "id" from ${counted})`,
      bodySource: v('bodySource'),
      bodyHtml: v('bodyHtml'),
      contentWarning: v('contentWarning'),
      state: v('state'),
      // Null for a held reply, which drizzle's date mapping would refuse.
      publishedAt: sql`${v('publishedAt')}::timestamptz`,
      createdAt: v('now')
    })
  )
  // The thread as this statement's update finds it, under its row lock: after any reply, lock, hold or edit
  // that committed meanwhile (the trigger adds this post's count at the statement's end).
  const touched = db.$with('touched').as(
    db
      .update(threads)
      // Never back in time: a reply screened slowly, or written on an instance whose clock is behind, keeps a later reply's time.
      .set({ lastPostAt: sql`greatest(${threads.lastPostAt}, ${v('now')}::timestamptz)` })
      .where(eq(threads.id, v('threadId')))
      .returning({
        postCount: threads.postCount,
        title: threads.title,
        state: threads.state,
        locked: threads.locked,
        contentWarning: threads.contentWarning,
        authorId: threads.authorId,
        lastPostAt: threads.lastPostAt,
        // The board event's id is drawn under the lock too: ids follow the order in which replies to one
        // thread take it, so its counts rise with the event positions (a round orders by id).
        eventId: sql<number>`nextval('events_id_seq')`.as('event_id')
      })
  )
  const fresh = (column: SQL.Aliased | AnyColumn | SQL) => sql`(select ${column} from ${touched})`
  const rows = Array.from({ length: shape.events }, (_, i) => {
    const data = sql`${v(`data${i}`)}::jsonb`
    if (i !== shape.threadEvent) {
      // The reply's own news names its author, unless the account was deleted meanwhile (above).
      const named = sql`case when exists (select 1 from ${counted}) then ${data} else jsonb_set(${data}, '{author}', 'null'::jsonb) end`
      return { channel: v(`channel${i}`), event: v(`event${i}`), data: named, restrictedTo: v(`restrictedTo${i}`), boardSlug: v(`boardSlug${i}`), createdAt: v('now') }
    }
    return {
      id: fresh(touched.eventId),
      channel: v(`channel${i}`),
      event: v(`event${i}`),
      data: sql`${data} || ${fresh(
        sql`jsonb_build_object('postCount', ${touched.postCount} + 1, 'title', ${touched.title}, 'state', ${touched.state}, 'locked', ${touched.locked}, 'contentWarning', ${touched.contentWarning}, 'lastPostAt', to_char(${touched.lastPostAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'author', case when ${touched.authorId} is null then null else ${data} -> 'author' end)`
      )}`,
      // As threadEvent decides: a thread no longer visible is news only for its author and staff.
      restrictedTo: fresh(sql`case when ${touched.state} = 'visible' then null else ${v('threadHiddenTo')}::uuid end`),
      boardSlug: v(`boardSlug${i}`),
      createdAt: v('now')
    }
  })
  return db
    .with(...(shape.visible ? [counted, inserted, touched] : [counted, inserted]))
    .insert(events)
    .values(rows)
    .prepare(replyStatementName(shape))
}

function replyValues(post: PostRow, now: Date, news: LiveEvent[]): Record<string, unknown> {
  const values: Record<string, unknown> = {
    id: post.id,
    threadId: post.threadId,
    authorId: post.authorId,
    bodySource: post.bodySource,
    bodyHtml: post.bodyHtml,
    contentWarning: post.contentWarning,
    state: post.state,
    publishedAt: post.publishedAt,
    now
  }
  news.forEach((e, i) => {
    values[`channel${i}`] = e.channel
    values[`event${i}`] = e.event
    values[`data${i}`] = JSON.stringify(e.data)
    values[`restrictedTo${i}`] = e.restrictedTo ?? null
    values[`boardSlug${i}`] = e.boardSlug ?? null
  })
  return values
}

export interface PostEdit {
  body?: string | undefined
  contentWarning?: string | null | undefined
}

/** The post changed between an edit's first read and its transaction (a moderator's decision, a report's hold). */
class ChangedMeanwhile extends Error {}
const EDIT_ATTEMPTS = 3

/**
 * An author's edit, screened again: a post must not slip past the rules by being written harmless first. It is
 * screened from the post as read, outside the transaction; if a moderator approved, removed or redacted it, or
 * reports held it, before the transaction locks it, the edit starts again from the post as it is now, so it
 * never undoes that decision nor writes back text a redaction took out.
 */
export async function editPost(deps: Deps, editor: AccountRow, postId: string, written: PostEdit) {
  const edit = cleanWriting(written)
  for (let attempt = 1; ; attempt++) {
    try {
      return await editOnce(deps, editor, postId, edit)
    } catch (error) {
      if (!(error instanceof ChangedMeanwhile)) throw error
      if (attempt === EDIT_ATTEMPTS) throw new DomainError('unavailable', 'The post kept changing while it was being edited; try again.')
    }
  }
}

async function editOnce(deps: Deps, editor: AccountRow, postId: string, edit: PostEdit) {
  const now = deps.clock.now()
  assertCanWrite(editor, now)
  const { post, thread, board, rulesRevision } = await readablePost(deps.db, editor, postId)
  if (post.authorId !== editor.id) throw forbidden('Only the author can edit a post.')
  if (post.state === 'deleted') throw notFound('That post')
  if (post.state === 'removed') throw forbidden('A moderator removed this post; it cannot be edited.')
  if (thread.locked && !isStaff(readerOn(editor, board.slug))) throw forbidden('This thread is locked.', { reason: 'thread_locked' })
  const contentWarning = edit.contentWarning === undefined ? post.contentWarning : edit.contentWarning
  if (post.opening && board.requiresContentWarning && !contentWarning) {
    throw invalid(`Threads on "${board.name}" need a content warning.`, { field: 'contentWarning' })
  }
  const bodySource = edit.body ?? post.bodySource
  const bodyHtml = edit.body === undefined ? post.bodyHtml : prepareBody(edit.body)
  const screened = await screenWriting(deps, editor, {
    text: screenedText({ title: post.opening ? thread.title : undefined, body: bodySource, bodyHtml }),
    body: bodySource,
    contentWarning,
    currentState: post.state === 'held' ? 'held' : 'visible',
    rulesRevision
  })
  return deps.db.transaction(async (tx) => {
    // Locks in the order every other writer takes them, the post's open queue item before the post (a moderator's
    // decision, a report): the edit and a decision on the same post wait for each other, never deadlock. When the
    // post has no open item yet, a report that creates one first takes a key-share lock on the post (its rows'
    // foreign keys), which waits for the edit's `for update` below, so the order holds there too: that lock must
    // stay `for update` (a `no key update` would let the report create the item first, and the two deadlock).
    // Before both, the author's account, as a reply takes it: the revision below names the editor (a foreign key,
    // so a key-share lock either way), and the author's deletion takes the account's lock first and then its posts'.
    // Taken here, first, a deletion waits for the edit and then forgets the author in its news too, or the edit waits
    // for the deletion and finds its post a former member's; taken at the revision, the two deadlocked.
    await tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, editor.id)).for('key share')
    const openItem = await lockOpenItem(tx, post.id)
    // The post as it is now, locked: if anyone changed it since it was read above, start again from it.
    const [current] = await tx
      .select({ state: posts.state, authorId: posts.authorId, bodySource: posts.bodySource, contentWarning: posts.contentWarning, editedAt: posts.editedAt })
      .from(posts)
      .where(eq(posts.id, post.id))
      .for('update')
    if (
      !current ||
      current.state !== post.state ||
      // The author deleted their account meanwhile: the post is a former member's now, and no one edits it.
      current.authorId !== post.authorId ||
      current.bodySource !== post.bodySource ||
      current.contentWarning !== post.contentWarning ||
      current.editedAt?.getTime() !== post.editedAt?.getTime()
    ) {
      throw new ChangedMeanwhile()
    }
    // An edit into a crisis publishes a post held only because its account is new, as the same words in a new post
    // would be: read from its item, locked above, so a reason joining meanwhile (a report) is counted.
    const screening =
      post.state === 'held' && openItem
        ? screenEditOfHeld(screened, heldOnlyAsNewAccount(openItem.reasons, screened.rulesById, deps.config.reportHideThreshold))
        : screened
    const state = screening.state
    await keepRevision(tx, post, 'edit', editor.id, now)
    if (post.opening) {
      await tx
        .update(threads)
        .set({ contentWarning: screening.contentWarning, ...(state === 'held' ? { state: 'held' as const } : {}) })
        .where(eq(threads.id, thread.id))
    }
    const [edited] = await tx
      .update(posts)
      .set({ bodySource, bodyHtml, contentWarning: screening.contentWarning, state, editedAt: now })
      .where(eq(posts.id, post.id))
      .returning()
    // Published as a moderator's approval publishes it, its thread with it; its news below then tells its readers.
    const updated = post.state === 'held' && state === 'visible' ? await publishPost(tx, post, now) : edited
    const alerts = await queueIfNeeded(tx, screening, post.id, board.slug, now)
    if (openItem && alerts.length === 0) {
      // A post under review changed: its item says so to the moderators reading it (its `version` moves, so a
      // decision made on the text before the edit is refused rather than applied to the new text).
      const [touched] = await tx.update(queueItems).set({ updatedAt: now }).where(eq(queueItems.id, openItem.id)).returning()
      alerts.push(await queueEvent(tx, touched!, false, now))
    }
    const nowHeld = post.state === 'visible' && state === 'held'
    await writeEvents(tx, now, [
      ...(nowHeld ? postHeldEvents(updated!, editor.handle, board.slug) : [postNews(post, updated!, editor.handle, board.slug)]),
      // The board's list shows the opening post's content warning, and a held opening post hides its thread: the
      // thread's news says so (a thread no longer visible is then news only for its author and staff; one published
      // is new for everyone else).
      ...(post.opening ? await openingPostNews(tx, post) : []),
      ...alerts
    ])
    return { post: postView({ post: updated!, authorHandle: editor.handle }, editor), moderation: screening.outcome }
  })
}

/** The author's delete: the post stays as a placeholder so the thread keeps its shape. */
export async function deletePost(deps: Deps, author: AccountRow, postId: string): Promise<void> {
  const { post, board } = await readablePost(deps.db, author, postId)
  if (post.authorId !== author.id) throw forbidden('Only the author can delete a post.')
  if (post.state === 'deleted') throw notFound('That post')
  await deps.db.transaction(async (tx) => {
    const [deleted] = await tx
      .update(posts)
      .set({ state: 'deleted' })
      .where(and(eq(posts.id, post.id), eq(posts.authorId, author.id), ne(posts.state, 'deleted')))
      .returning()
    // Nothing when the author deleted their account (the post is a former member's now) or this post, from another
    // tab, since it was read.
    if (!deleted) throw notFound('That post')
    await writeEvents(tx, deps.clock.now(), [postEvent('post.deleted', deleted, author.handle, board.slug)])
  })
}
