import { and, count, eq, gt, ne } from 'drizzle-orm'
import { v7 as uuidv7 } from 'uuid'
import { assertCanWrite } from '../accounts/service.js'
import { isStaff, type AccountRow } from '../accounts/model.js'
import type { Deps } from '../deps.js'
import type { Db } from '../db/client.js'
import { accounts, posts, type QueueReason, reports, threads } from '../db/schema.js'
import { DomainError } from '../errors.js'
import { postHeldEvents, queueEvent } from '../live/events.js'
import { type LiveEvent, writeEvents } from '../live/outbox.js'
import type { CrisisResource } from '../moderation/crisis-resources.js'
import { enqueue, lockOpenItem, type QueueItemRow } from '../moderation/queue/enqueue.js'
import { approvedAsItIs, openingPostNews } from '../moderation/queue/service.js'
import { PRIORITY, priorityOf } from '../moderation/screening.js'
import { assertReportable, reportablePost } from './posts.js'
import type { PostRow } from './views.js'
import { showsSomething, withoutBidiControls } from './sanitize.js'

export type ReportReason = (typeof reports.$inferSelect)['reason']
type ReportRow = typeof reports.$inferSelect

export interface ReportView {
  id: string
  postId: string
  reason: ReportReason
  note: string | null
  createdAt: string
}

export const reportView = (r: ReportRow): ReportView => ({
  id: r.id,
  postId: r.postId,
  reason: r.reason,
  note: r.note,
  createdAt: r.createdAt.toISOString()
})

/** What a report answers: the report, whether this request made it, and the crisis lines when its note reads as a crisis. */
export interface ReportAnswer {
  report: ReportView
  created: boolean
  crisisResources: CrisisResource[]
}

/**
 * A member reports a post they can see, or saw before it was held (reportablePost). Reporting the same post
 * again returns the first report, unless the post was edited since: then the words reported are gone, and the
 * report is renewed (reason, note and time as sent now) and queued again.
 * Each report joins the post's open queue item (a crisis report, or one whose note reads as a crisis, goes to the
 * top), and reports from REPORT_HIDE_THRESHOLD distinct accounts since the last review may hold a visible post until
 * a moderator looks (reportsHold says when they may not). The reporter is never shown to the post's author.
 */
export async function reportPost(
  deps: Deps,
  reporter: AccountRow,
  postId: string,
  input: { reason: ReportReason; note?: string | undefined }
): Promise<ReportAnswer> {
  const now = deps.clock.now()
  assertCanWrite(reporter, now)
  const { post, board, rulesRevision } = await reportablePost(deps.db, reporter, postId)
  const note = cleanNote(input.note)
  const noteIsCrisis = await noteReadsAsCrisis(deps, note, rulesRevision)
  // The answer carries the crisis lines when the note sent now reads as a crisis, or the note of the report answered
  // with does (a report made again answers with the first one, and so with its help).
  const answer = async (report: ReportRow, created: boolean): Promise<ReportAnswer> => {
    const crisis = noteIsCrisis || (report.note !== note && (await noteReadsAsCrisis(deps, report.note, rulesRevision)))
    return { report: reportView(report), created, crisisResources: crisis ? deps.crisisResources : [] }
  }
  const mine = and(eq(reports.postId, post.id), eq(reports.reporterId, reporter.id))
  const [earlier] = await deps.db.select().from(reports).where(mine)
  // The same account reporting again gets its report as it is, whatever became of the post since, unless its author
  // edited it since: a report of words no longer there would leave the moderator nothing to read.
  const renewing = earlier !== undefined && editedSince(post, earlier) && !gone(post)
  if (earlier && !renewing) return answer(earlier, false)
  if (!earlier) assertReportable(post, reporter)
  const outcome = await deps.db.transaction(async (tx) => {
    await lockReporter(tx, reporter.id, now)
    // Ranked as a crisis while the account has made fewer than REPORT_CRISIS_PER_HOUR such reports in the last hour.
    const asCrisis = input.reason === 'crisis' || noteIsCrisis
    const crisis = asCrisis && (await crisisReportsWithinHour(tx, reporter.id, earlier?.id, now)) < deps.config.reportCrisisPerHour
    // The post's open queue item first, before this report's row takes a key-share lock on the post: the order
    // an author's edit and a moderator's decision take them (src/forum/posts.ts editOnce), so they never deadlock.
    await lockOpenItem(tx, post.id)
    // A removal decided while this report was on its way (it locks the item too) leaves nothing to report.
    const [read] = await tx.select({ state: posts.state, authorId: posts.authorId, editedAt: posts.editedAt }).from(posts).where(eq(posts.id, post.id))
    const current = read ?? { state: 'deleted' as const, authorId: null, editedAt: null }
    if (!earlier) assertReportable(current, reporter)
    let stored: ReportRow | undefined
    if (!earlier) stored = await insertReport(tx, post.id, reporter.id, input.reason, note, crisis, now)
    // A post removed meanwhile keeps an earlier report as it was.
    else if (!gone(current)) stored = await renewReport(tx, earlier, input.reason, note, crisis, now)
    if (!stored) {
      const [existing] = await tx.select().from(reports).where(mine)
      return { report: existing!, created: false }
    }
    const reason: QueueReason = {
      source: 'report',
      // The report keeps the reason its member chose; the queue reads a note that speaks of a crisis as one. Past
      // the account's crisis reports for the hour, it is an ordinary report: it neither ranks first nor keeps reports
      // from holding the post (reportsHold), so one account cannot bury real crises or shield a post that way.
      category: reportCategory(input.reason, { crisis, asCrisis }),
      detail: reportDetail(input.reason, note, { crisisNote: noteIsCrisis, renewed: renewing, overCrisisLimit: asCrisis && !crisis }),
      reportId: stored.id,
      at: now.toISOString()
    }
    const { item, created: newItem } = await enqueue(tx, { postId: post.id, boardSlug: board.slug, priority: reportPriority(reason.category), reasons: [reason], now })
    const live: LiveEvent[] = [await queueEvent(tx, item, newItem, now)]
    if (post.state === 'visible' && (await reportsHold(tx, deps.config.reportHideThreshold, item, { id: post.id, ...current }))) {
      const [held] = await tx.update(posts).set({ state: 'held' }).where(and(eq(posts.id, post.id), eq(posts.state, 'visible'))).returning()
      // None when another report passed the threshold first (or a moderator acted) since the post was read: this
      // report is kept and queued all the same, and the hold and its news are the other's.
      if (held) {
        if (post.opening) await tx.update(threads).set({ state: 'held' }).where(eq(threads.id, post.threadId))
        const [author] = post.authorId ? await tx.select({ handle: accounts.handle }).from(accounts).where(eq(accounts.id, post.authorId)) : []
        live.push(...postHeldEvents(held, author?.handle ?? null, board.slug))
        if (post.opening) live.push(...(await openingPostNews(tx, post)))
      }
    }
    await writeEvents(tx, now, live)
    // A renewal answers 200 with the renewed report, as any report made again does; only a first report is created.
    return { report: stored, created: !renewing }
  })
  return answer(outcome.report, outcome.created)
}

/** A note as it is kept: without the characters that reorder text, as bodies are; one that shows nothing is no note. */
function cleanNote(note: string | undefined): string | null {
  if (note === undefined) return null
  const cleaned = withoutBidiControls(note)
  return showsSomething(cleaned) ? cleaned : null
}

/**
 * Whether a report's note reads as a crisis: an escalate rule or the crisis model matches it, as they would the same
 * words in a post ("he told me he will kill himself tonight"). Only that is read: the note is the reporter's private
 * word to staff, so a phone number or a dealer's name in it is what they tell the moderators, nothing to hold.
 */
async function noteReadsAsCrisis(deps: Deps, note: string | null, rulesRevision: number): Promise<boolean> {
  if (note === null) return false
  const book = await deps.rules.get(deps.db, rulesRevision)
  const matches = book.compiled.scan(note, { detectLinks: false, detectPersonalInfo: false, detectCrisis: deps.config.crisisModel, detectSourcing: false })
  return matches.some((m) => m.action === 'escalate')
}

/**
 * The category a report gives its item: `crisis` for a crisis report or a note that reads as one (`crisis`), unless the
 * account's crisis reports for the hour are used up (`asCrisis` only): then `report`; otherwise the reason chosen.
 */
function reportCategory(reason: ReportReason, how: { crisis: boolean; asCrisis: boolean }): string {
  if (how.crisis) return 'crisis'
  return how.asCrisis ? 'report' : reason
}

/** A crisis goes to the top; sourcing and personal information next; any other report as a report. */
function reportPriority(category: string): number {
  return category === 'crisis' ? PRIORITY.crisis : priorityOf(category === 'sourcing' || category === 'personal_info' ? category : 'report')
}

/**
 * What the moderator reads of a report in its item: the note, or else the reason; and why it came again, ranks as a
 * crisis, or does not although it is one (the account's crisis reports for the hour were used up).
 */
function reportDetail(reason: ReportReason, note: string | null, how: { crisisNote: boolean; renewed: boolean; overCrisisLimit: boolean }): string {
  const limit = how.overCrisisLimit ? 'ranked as a report: this account reached its crisis reports for the hour' : null
  if (note === null) {
    const what = how.renewed ? `reported again as ${reason.replace('_', ' ')} after an edit` : `reported as ${reason.replace('_', ' ')}`
    return limit ? `${what}; ${limit}` : what
  }
  const why = [how.renewed ? 'again after an edit' : null, how.crisisNote ? 'the note reads as a crisis' : null, limit].filter((w) => w !== null)
  return why.length ? `${why.join('; ')}: ${note}` : note
}

/**
 * How many of the account's reports made in the hour before `now` ranked as a crisis, besides `renewing` (the report
 * being made again, which counts once). The reporter's row lock (lockReporter) makes the count exact: two reports by
 * one account wait for each other.
 */
async function crisisReportsWithinHour(tx: Db, reporterId: string, renewing: string | undefined, now: Date): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(reports)
    .where(
      and(
        eq(reports.reporterId, reporterId),
        eq(reports.rankedAsCrisis, true),
        gt(reports.createdAt, new Date(now.getTime() - 60 * 60 * 1000)),
        renewing === undefined ? undefined : ne(reports.id, renewing)
      )
    )
  return row?.n ?? 0
}

function insertReport(
  tx: Db,
  postId: string,
  reporterId: string,
  reason: ReportReason,
  note: string | null,
  rankedAsCrisis: boolean,
  now: Date
): Promise<ReportRow | undefined> {
  return tx
    .insert(reports)
    .values({ id: uuidv7(), postId, reporterId, reason, note, rankedAsCrisis, createdAt: now })
    .onConflictDoNothing({ target: [reports.postId, reports.reporterId] })
    .returning()
    .then(([row]) => row)
}

/**
 * The report made again, as sent now, if it is still as it was read: the same renewal from another tab at the same
 * moment renewed (and queued) it first, and this one then answers with it.
 */
function renewReport(tx: Db, earlier: ReportRow, reason: ReportReason, note: string | null, rankedAsCrisis: boolean, now: Date): Promise<ReportRow | undefined> {
  return tx
    .update(reports)
    .set({ reason, note, rankedAsCrisis, createdAt: now })
    .where(and(eq(reports.id, earlier.id), eq(reports.createdAt, earlier.createdAt)))
    .returning()
    .then(([row]) => row)
}

/** A removed or deleted post shows nothing left to report. */
const gone = (post: Pick<PostRow, 'state'>) => post.state === 'removed' || post.state === 'deleted'

/**
 * Whether the post was edited since the report was made. An edit in the same millisecond counts: in doubt, the
 * reporter may report what is there now.
 */
const editedSince = (post: Pick<PostRow, 'editedAt'>, report: Pick<ReportRow, 'createdAt'>) =>
  post.editedAt !== null && post.editedAt.getTime() >= report.createdAt.getTime()

/**
 * The reporter as they are now, under a lock that lets their own posts' writes go on (no key update, which a key-share
 * lock such as an edit's on its author does not wait for) but makes two reports by one account wait for each other
 * (so crisisReportsWithinHour counts exactly): a deletion from another tab takes the account's row lock first, so it either commits before and is seen here, or
 * waits for this report and then unlinks it with the account's others. A deleted account is refused as its ended
 * session would be (401), a suspended one as any of its writes (403 `suspended`): neither leaves a report behind, nor
 * counts towards holding the post.
 */
async function lockReporter(tx: Db, reporterId: string, now: Date): Promise<void> {
  const [account] = await tx.select().from(accounts).where(eq(accounts.id, reporterId)).for('no key update')
  if (!account || account.status === 'deleted') throw new DomainError('unauthenticated', 'This account has been deleted.')
  assertCanWrite(account, now)
}

/**
 * Whether the reports gathered on the post's open item hold it: reports from REPORT_HIDE_THRESHOLD distinct accounts
 * (a report renewed after an edit counts once). Reports never hold, however many:
 * - a post whose item carries a crisis reason (an escalate rule, the crisis model, a crisis report or a note that
 *   reads as one): a person in crisis is never silenced, least of all by throwaway accounts, and a worried peer's
 *   crisis report is never what hides them;
 * - a post whose author is staff: it stays in the queue for another moderator (staff never decide on their own post,
 *   so a forum with one admin could never publish it again);
 * - a post staff approved that its author has not edited since: staff judged that very text.
 */
async function reportsHold(tx: Db, threshold: number, item: QueueItemRow, post: Pick<PostRow, 'id' | 'authorId' | 'editedAt'>): Promise<boolean> {
  if (item.reasons.some((r) => r.category === 'crisis')) return false
  const reporters = new Set(item.reasons.filter((r) => r.source === 'report').map((r) => r.reportId))
  if (reporters.size < threshold) return false
  const [author] = post.authorId ? await tx.select({ role: accounts.role }).from(accounts).where(eq(accounts.id, post.authorId)) : []
  if (author && isStaff(author)) return false
  return !(await approvedAsItIs(tx, post.id, post.editedAt))
}
