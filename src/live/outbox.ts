import { and, eq, isNull, or, sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { events, posts, queueItems, threads } from '../db/schema.js'
import { channel } from './channels.js'
import { hiddenThreadAudience } from './events.js'

export interface LiveEvent {
  channel: string
  event: string
  data: unknown
  restrictedTo?: string | null
  boardSlug?: string | null
  /**
   * News that publishes a post or a thread its readers never saw (a held one approved): a creation for them
   * (`post.created`, `thread.created`), which also rewrites its earlier copies, as news that changes it does (supersede).
   */
  publishes?: boolean
}

/** The NOTIFY channel every instance listens on. */
export const EVENTS_CHANNEL = 'lantern_events'

/**
 * Writes events in the caller's transaction, in one statement, without a position. After commit the
 * instance runs a round of events_sequence() (migrations 0009 and 0011) before reading the outbox: committed events
 * get the next positions, in order, under one advisory lock that no writing transaction ever waits for, and a round
 * waits for no writer's row lock either. A reader resuming after a position can never skip an event, and writes
 * commit side by side. The NOTIFY is sent after commit by the instance (LiveHub.wake), so commits never queue behind
 * PostgreSQL's notification lock.
 */
export async function writeEvents(tx: Db, now: Date, list: LiveEvent[]): Promise<void> {
  if (list.length === 0) return
  for (const event of list) await supersede(tx, event)
  await tx.insert(events).values(
    list.map((e) => ({
      channel: e.channel,
      event: e.event,
      data: e.data as object,
      restrictedTo: e.restrictedTo ?? null,
      boardSlug: e.boardSlug ?? null,
      createdAt: now
    }))
  )
}

/** News of a post or a thread that changes what the forum shows of it. */
const SUPERSEDING = new Set(['post.updated', 'post.removed', 'post.deleted', 'thread.updated'])

/**
 * A resume replays a channel's kept events (24 h by default): what they say of a post or a thread must be what
 * the forum shows now, not what it showed then. So news that changes a post or a thread rewrites its earlier
 * events on the same channel, in the same transaction: public news gives every earlier event of it the new data,
 * its author's and staff's copies of it while it was held included (a removed, deleted or held post loses its body
 * there too, an edit or a redaction its old text: a redaction that publishes a held post takes the words it took
 * out of the held post's own news as well); news for its author and staff only does so for their earlier copies;
 * a thread held or removed takes its earlier news back to its author and staff. Found by events_subject_idx.
 * The rewrite locks those events until this transaction ends, some perhaps committed and still without a position:
 * a round skips them and numbers them after it (migration 0011), with the later news of the same post or thread
 * on that channel, instead of waiting for it while every other round waits for the round.
 */
async function supersede(tx: Db, event: LiveEvent): Promise<void> {
  if (!SUPERSEDING.has(event.event) && !event.publishes) return
  const id = (event.data as { id?: unknown } | null)?.id
  if (typeof id !== 'string') return
  const earlier = and(eq(events.channel, event.channel), sql`(${events.data}->>'id') = ${id}`)
  if (!event.restrictedTo) {
    await tx.update(events).set({ data: event.data as object }).where(earlier)
    return
  }
  await tx.update(events).set({ data: event.data as object }).where(and(earlier, eq(events.restrictedTo, event.restrictedTo)))
  if (event.event === 'thread.updated') {
    await tx.update(events).set({ restrictedTo: event.restrictedTo }).where(and(earlier, isNull(events.restrictedTo)))
  }
}

/** Where an author's id can stand in an event's data: a post's or thread's author, a queue item's post and thread. */
const AUTHOR_PATHS = ['{author}', '{post,author}', '{thread,author}']

/** The events of these subjects (a channel and the id of a post, a thread or a queue item in it). */
const ofSubjects = (subjects: Array<{ channel: string; id: string }>) => sql`
  jsonb_to_recordset(${JSON.stringify(subjects)}::jsonb) as subject(channel text, id text)
  where ${events.channel} = subject.channel and (${events.data}->>'id') = subject.id`

/**
 * A deleted account is a former member in the kept events too, as everywhere else (author: null), and its own
 * channel's events are dropped. Run before the account's posts and threads lose their author, and after its queue
 * items' reasons lost the words they quoted (deleteAccount): the events that can name it are those of its posts
 * and threads and of the queue items about them, found by channel and id (events_subject_idx), not by a scan of
 * the outbox. Its words go from them too (forgetWordsInEvents).
 */
export async function forgetAuthorInEvents(tx: Db, accountId: string): Promise<void> {
  // The account's own news (its posts approved or removed, with their words) has no reader any more.
  await tx.delete(events).where(eq(events.channel, channel.me(accountId)))
  const ownPosts = await tx.select({ id: posts.id, threadId: posts.threadId }).from(posts).where(eq(posts.authorId, accountId))
  const ownThreads = await tx.select({ id: threads.id, board: threads.boardSlug }).from(threads).where(eq(threads.authorId, accountId))
  const items = await tx
    .select({ id: queueItems.id, authorId: posts.authorId })
    .from(queueItems)
    .innerJoin(posts, eq(posts.id, queueItems.postId))
    .innerJoin(threads, eq(threads.id, posts.threadId))
    .where(or(eq(posts.authorId, accountId), eq(threads.authorId, accountId)))
  const postSubjects = ownPosts.map((p) => ({ channel: channel.thread(p.threadId), id: p.id }))
  const threadSubjects = ownThreads.flatMap((th) => [
    { channel: channel.board(th.board), id: th.id },
    { channel: channel.thread(th.id), id: th.id }
  ])
  const subjects = [...postSubjects, ...threadSubjects, ...items.map((item) => ({ channel: channel.moderation, id: item.id }))]
  if (subjects.length === 0) return
  await forgetWordsInEvents(tx, accountId, postSubjects, threadSubjects, items.filter((item) => item.authorId === accountId).map((item) => item.id))
  for (const path of AUTHOR_PATHS) {
    await tx.execute(sql`
      update ${events} set data = jsonb_set(${events.data}, ${path}::text[], 'null'::jsonb, false)
      from ${ofSubjects(subjects)}
        and ${events.data} #>> ${`${path.slice(0, -1)},id}`}::text[] = ${accountId}`)
  }
}

/**
 * What the account wrote goes from the kept events, as from the queue. Its held posts' news, for it and staff,
 * goes (it holds their words). Its hidden threads' news stays, for staff only: on a thread's channel it is what
 * ends the subscriptions of its readers (LiveHub threadHidden), and one still without a position must still reach
 * them. Staff's alerts about its posts' queue items lose the post's text, content warning and earlier texts, and
 * take the items' reasons as they are now (without the words they quoted). Others' words (their reports) stay.
 */
/** The item's reasons as staff read them (queue views): without `newReporter`, which is the server's own mark. */
const staffReasons = sql`(select coalesce(jsonb_agg(reason - 'newReporter' order by at), '[]'::jsonb) from jsonb_array_elements(${queueItems.reasons}) with ordinality as r(reason, at))`

async function forgetWordsInEvents(
  tx: Db,
  accountId: string,
  postSubjects: Array<{ channel: string; id: string }>,
  threadSubjects: Array<{ channel: string; id: string }>,
  ownItemIds: string[]
): Promise<void> {
  const mine = sql`${events.restrictedTo} = ${accountId}`
  if (postSubjects.length) await tx.execute(sql`delete from ${events} using ${ofSubjects(postSubjects)} and ${mine}`)
  if (threadSubjects.length) {
    await tx.execute(sql`update ${events} set restricted_to = ${hiddenThreadAudience(null)} from ${ofSubjects(threadSubjects)} and ${mine}`)
  }
  if (ownItemIds.length === 0) return
  const items = ownItemIds.map((id) => ({ channel: channel.moderation, id }))
  await tx.execute(sql`
    update ${events} set data = jsonb_set(jsonb_set(jsonb_set(jsonb_set(jsonb_set(${events.data},
      '{post,body}', 'null', false), '{post,bodyHtml}', 'null', false), '{post,contentWarning}', 'null', false),
      '{post,revisions}', '[]', false), '{reasons}', ${staffReasons}, false)
    from ${queueItems}, ${ofSubjects(items)} and ${queueItems.id}::text = subject.id`)
}
