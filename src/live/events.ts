import type { Db } from '../db/client.js'
import type { AccountView } from '../accounts/model.js'
import { type PostRow, type ThreadView, postView } from '../forum/views.js'
import type { QueueItemRow } from '../moderation/queue/enqueue.js'
import { queueItemViews } from '../moderation/queue/service.js'
import { channel } from './channels.js'
import type { LiveEvent } from './outbox.js'

/** Restricting to this id means staff only (a held post whose author has since deleted their account). */
const STAFF_ONLY = '00000000-0000-0000-0000-000000000000'

/** Others see a held post only once it is published; until then its events reach its author and staff. */
const restrictionOf = (post: PostRow) => (post.state === 'held' || post.publishedAt === null ? (post.authorId ?? STAFF_ONLY) : null)

/** The post as any reader of the thread sees it (no removal reason: that is for the author). */
const publicPost = (post: PostRow, authorHandle: string | null) => postView({ post, authorHandle }, 'public')

export function postEvent(
  event: 'post.created' | 'post.updated' | 'post.removed' | 'post.deleted',
  post: PostRow,
  authorHandle: string | null,
  boardSlug: string
): LiveEvent {
  return { channel: channel.thread(post.threadId), event, data: publicPost(post, authorHandle), restrictedTo: restrictionOf(post), boardSlug }
}

/**
 * A published post that is held again (an edit matched a hold rule, or reports passed the threshold):
 * readers get a placeholder without its words (the body, and the content warning, which screening reads too
 * and may be what held it), its author and staff the full post.
 */
export function postHeldEvents(post: PostRow, authorHandle: string | null, boardSlug: string): LiveEvent[] {
  const placeholder = { ...publicPost(post, authorHandle), bodyHtml: null, contentWarning: null, state: 'held' as const }
  return [
    { channel: channel.thread(post.threadId), event: 'post.updated', data: placeholder, boardSlug },
    postEvent('post.updated', post, authorHandle, boardSlug)
  ]
}

/** Who hears of a thread that is not visible (held or removed): its author and staff. */
export const hiddenThreadAudience = (authorId: string | null) => authorId ?? STAFF_ONLY

/**
 * A thread's news goes to its board; a change to the thread itself (locked, held, removed) also goes to the
 * thread's own channel, so its open readers learn of it. New replies alone are news only for the board list.
 */
export function threadEvent(
  event: 'thread.created' | 'thread.updated',
  thread: ThreadView,
  authorId: string | null,
  { onThreadChannel = event === 'thread.updated' } = {}
): LiveEvent[] {
  const restrictedTo = thread.state === 'visible' ? null : hiddenThreadAudience(authorId)
  return [
    { channel: channel.board(thread.board), event, data: thread, restrictedTo, boardSlug: thread.board },
    ...(onThreadChannel ? [{ channel: channel.thread(thread.id), event, data: thread, restrictedTo, boardSlug: thread.board }] : [])
  ]
}

/** The author's own channel: their post approved or removed (with the reason), or their account suspended. */
export function meEvent(
  accountId: string | null,
  event: 'post.approved' | 'post.removed' | 'account.suspended' | 'account.updated',
  data: unknown
): LiveEvent[] {
  return accountId ? [{ channel: channel.me(accountId), event, data, restrictedTo: accountId }] : []
}

export function ownPostView(post: PostRow, authorHandle: string | null) {
  return postView({ post, authorHandle }, 'privileged')
}

export function suspendedEvent(account: AccountView, until: string | null, reason: string): LiveEvent[] {
  return meEvent(account.id, 'account.suspended', { account, until, reason })
}

/** The account's role or status changed (a role given or taken, a suspension lifted). */
export function accountUpdatedEvent(account: AccountView): LiveEvent[] {
  return meEvent(account.id, 'account.updated', { account })
}

/** Staff are alerted live: a new item (a crisis at priority 0 first among them) or a change to one. */
export async function queueEvent(tx: Db, item: QueueItemRow, created: boolean, now: Date): Promise<LiveEvent> {
  const [view] = await queueItemViews(tx, [item], now)
  return { channel: channel.moderation, event: created ? 'queue.item.created' : 'queue.item.updated', data: view, boardSlug: item.boardSlug }
}
