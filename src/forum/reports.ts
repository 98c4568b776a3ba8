import { and, count, eq, gt, ne, sql } from 'drizzle-orm'
import { v7 as uuidv7 } from 'uuid'
import { assertCanWrite } from '../accounts/service.js'
import { isStaff, type AccountRow } from '../accounts/model.js'
import type { Deps } from '../deps.js'
import type { Db } from '../db/client.js'
import { accounts, posts, queueItems, type QueueReason, reports, threads } from '../db/schema.js'
import { DomainError } from '../errors.js'
import { postHeldEvents, queueEvent } from '../live/events.js'
import { type LiveEvent, writeEvents } from '../live/outbox.js'
import type { CrisisResource } from '../moderation/crisis-resources.js'
import { enqueue, lockOpenItem, type QueueItemRow } from '../moderation/queue/enqueue.js'
import { approvedAsItIs, openingPostNews } from '../moderation/queue/service.js'
import { countedReporters, PRIORITY, priorityOf } from '../moderation/screening.js'
import { assertReportable, reportablePost } from './posts.js'
import { lastAuthorEdit } from './revisions.js'
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
 * A member reports a post they can see, or saw before it was held (reportablePost). Reporting the same post again
 * returns the first report, unless its author edited the post since (a moderator's redaction is no such edit): then
 * the words reported are gone, and the report is renewed (reason, note and time as sent now) and queued again; or
 * unless it says something new (another reason, another note): then the report is amended (the reason, the note if
 * one is sent, the time) and the post's item gets a line saying so.
 * Each report joins the post's open queue item (a crisis report, or one whose note reads as a crisis, goes to the
 * top), and reports from REPORT_HIDE_THRESHOLD distinct accounts old enough (REPORT_HOLD_MIN_ACCOUNT_DAYS) since the
 * last review may hold a visible post until a moderator looks (reportsHold says when they may not). The reporter is
 * never shown to the post's author.
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
  const sent = cleanNote(input.note)
  const sentIsCrisis = await noteReadsAsCrisis(deps, sent, rulesRevision)
  // The answer carries the crisis lines when the note sent now reads as a crisis, or the note of the report answered
  // with does (a report made again answers with the first one, and so with its help).
  const answer = async (report: ReportRow, created: boolean): Promise<ReportAnswer> => {
    const crisis = sentIsCrisis || (report.note !== sent && (await noteReadsAsCrisis(deps, report.note, rulesRevision)))
    return { report: reportView(report), created, crisisResources: crisis ? deps.crisisResources : [] }
  }
  const mine = and(eq(reports.postId, post.id), eq(reports.reporterId, reporter.id))
  const [earlier] = await deps.db.select().from(reports).where(mine)
  // The same account reporting again gets its report as it is, whatever became of the post since, unless its author
  // edited it since (a report of words no longer there would leave the moderator nothing to read), or it says
  // something new (a crisis the reporter learnt of since must reach staff, not be answered with the first report).
  const again = earlier && !gone(post) ? reportAgain(earlier, await lastAuthorEdit(deps.db, post), input.reason, sent) : null
  if (earlier && !again) return answer(earlier, false)
  if (!earlier) assertReportable(post, reporter)
  // An amendment sent without a note keeps the earlier one, and ranks by it too.
  const note = again === 'amended' && sent === null ? earlier!.note : sent
  const noteIsCrisis = note === sent ? sentIsCrisis : await noteReadsAsCrisis(deps, note, rulesRevision)
  const outcome = await deps.db.transaction(async (tx) => {
    await lockReporter(tx, reporter.id, now)
    // Ranked as a crisis while the account has made fewer than REPORT_CRISIS_PER_HOUR such reports in the last hour.
    const asCrisis = input.reason === 'crisis' || noteIsCrisis
    const crisis = asCrisis && (await crisisReportsWithinHour(tx, reporter.id, earlier?.id, now)) < deps.config.reportCrisisPerHour
    // An amended report ranks as a crisis once: one that did stays so (changing its words back and forth makes no new
    // crisis), and one that did not rises when it tells of one now.
    const amending = again === 'amended'
    const ranked = amending ? earlier!.rankedAsCrisis || crisis : crisis
    const rises = amending && crisis && !earlier!.rankedAsCrisis
    // The post's open queue item first, before this report's row takes a key-share lock on the post: the order
    // an author's edit and a moderator's decision take them (src/forum/posts.ts editOnce), so they never deadlock.
    const openItem = await lockOpenItem(tx, post.id)
    // A removal decided while this report was on its way (it locks the item too) leaves nothing to report.
    const [read] = await tx.select({ state: posts.state, authorId: posts.authorId, editedAt: posts.editedAt }).from(posts).where(eq(posts.id, post.id))
    const current = read ?? { state: 'deleted' as const, authorId: null, editedAt: null }
    if (!earlier) assertReportable(current, reporter)
    let stored: ReportRow | undefined
    if (!earlier) stored = await insertReport(tx, post.id, reporter.id, input.reason, note, crisis, now)
    // A post removed meanwhile keeps an earlier report as it was.
    else if (!gone(current)) stored = await rewriteReport(tx, earlier, input.reason, note, ranked, now)
    if (!stored) {
      const [existing] = await tx.select().from(reports).where(mine)
      return { report: existing!, created: false }
    }
    // An amendment is kept on the report, and queued: on the post's open item, up to AMENDMENT_LINES lines of the report
    // (each changes the item under a moderator's hand); after a decision, in a new item only when it makes the report a
    // crisis. Otherwise staff decided on this report already, and one account could queue the post again and again.
    if (amending && !rises && (openItem === null || linesOf(openItem.reasons, stored.id) >= AMENDMENT_LINES)) {
      return { report: stored, created: false }
    }
    const reason: QueueReason = {
      source: 'report',
      // The report keeps the reason its member chose; the queue reads a note that speaks of a crisis as one. Past
      // the account's crisis reports for the hour, it is an ordinary report: it neither ranks first nor keeps reports
      // from holding the post (reportsHold), so one account cannot bury real crises or shield a post that way.
      category: reportCategory(input.reason, { crisis, asCrisis }),
      detail: reportDetail(input.reason, sent, { crisisNote: sentIsCrisis, again, overCrisisLimit: asCrisis && !crisis }),
      reportId: stored.id,
      // An account too young to count is read all the same, but neither holds the post nor shields it (reportsHold).
      ...(isNewReporter(reporter, deps.config.reportHoldMinAccountDays, now) ? { newReporter: true as const } : {}),
      at: now.toISOString()
    }
    const { item, created: newItem } = await enqueue(tx, { postId: post.id, boardSlug: board.slug, priority: reportPriority(reason.category), reasons: [reason], now })
    const live: LiveEvent[] = [await queueEvent(tx, item, newItem, now)]
    if (post.state === 'visible' && (await reportsHold(tx, deps.config.reportHideThreshold, item, { ...post, ...current }))) {
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
    // A report made again answers 200 with the report as it is now, renewed or amended; only a first report is created.
    return { report: stored, created: !earlier }
  })
  return answer(outcome.report, outcome.created)
}

/**
 * How a report made again by the same account is taken, or null when it is answered with the earlier one as it is:
 * `renewed` when the post's author edited it since the earlier report (an edit in the same millisecond counts: in
 * doubt, the reporter may report what is there now); `amended` when it says something new, another reason or a note
 * other than the earlier one (no note says nothing new: the earlier note stays).
 */
function reportAgain(earlier: ReportRow, authorEditedAt: Date | null, reason: ReportReason, note: string | null): 'renewed' | 'amended' | null {
  if (authorEditedAt !== null && authorEditedAt.getTime() >= earlier.createdAt.getTime()) return 'renewed'
  return reason !== earlier.reason || (note !== null && note !== earlier.note) ? 'amended' : null
}

/** How many lines one report may put on a post's open item: the first, and two amendments (a crisis one always). */
const AMENDMENT_LINES = 3

const linesOf = (reasons: QueueReason[], reportId: string) => reasons.filter((r) => r.source === 'report' && r.reportId === reportId).length

/** Whether the reporter's account is younger than REPORT_HOLD_MIN_ACCOUNT_DAYS (0: no account is). */
const isNewReporter = (reporter: Pick<AccountRow, 'createdAt'>, minDays: number, now: Date) =>
  now.getTime() - reporter.createdAt.getTime() < minDays * 86_400_000

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
 * What the moderator reads of a report in its item: the note sent, or else the reason; and why it came again (renewed
 * after an edit, or added to an earlier report), ranks as a crisis, or does not although it is one (the account's
 * crisis reports for the hour were used up).
 */
function reportDetail(
  reason: ReportReason,
  note: string | null,
  how: { crisisNote: boolean; again: 'renewed' | 'amended' | null; overCrisisLimit: boolean }
): string {
  const limit = how.overCrisisLimit ? 'ranked as a report: this account reached its crisis reports for the hour' : null
  const named = reason.replace('_', ' ')
  if (note === null) {
    const what =
      how.again === 'renewed' ? `reported again as ${named} after an edit`
      : how.again === 'amended' ? `reported as ${named}, added to an earlier report`
      : `reported as ${named}`
    return limit ? `${what}; ${limit}` : what
  }
  const again = how.again === 'renewed' ? 'again after an edit' : how.again === 'amended' ? 'added to an earlier report' : null
  const why = [again, how.crisisNote ? 'the note reads as a crisis' : null, limit].filter((w) => w !== null)
  return why.length ? `${why.join('; ')}: ${note}` : note
}

/**
 * How many of the account's reports made (or made again: renewed, amended) in the hour before `now` ranked as a
 * crisis, besides `renewing` (the report being made again, which counts once). The reporter's row lock (lockReporter)
 * makes the count exact: two reports by one account wait for each other.
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
 * The report made again (renewed or amended), as sent now, if it is still as it was read: the same report sent again
 * from another tab at the same moment (reports by one account wait for each other: lockReporter) rewrote and queued
 * it first, and this one then answers with it.
 */
function rewriteReport(tx: Db, earlier: ReportRow, reason: ReportReason, note: string | null, rankedAsCrisis: boolean, now: Date): Promise<ReportRow | undefined> {
  return tx
    .update(reports)
    .set({ reason, note, rankedAsCrisis, createdAt: now })
    .where(
      and(
        eq(reports.id, earlier.id),
        eq(reports.createdAt, earlier.createdAt),
        eq(reports.reason, earlier.reason),
        sql`${reports.note} is not distinct from ${earlier.note}`
      )
    )
    .returning()
    .then(([row]) => row)
}

/** A removed or deleted post shows nothing left to report. */
const gone = (post: Pick<PostRow, 'state'>) => post.state === 'removed' || post.state === 'deleted'

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
 * Whether a queue reason is a crisis that keeps reports from holding its post: an escalate rule, the crisis model, or
 * a crisis report (by reason or note, within its account's hour) from an account old enough to count. A young
 * account's crisis report ranks the post first all the same, but does not shield it: a dealer's throwaway must not
 * keep a dealer's post up by calling it a crisis.
 */
const shieldsAsCrisis = (reason: QueueReason) => reason.category === 'crisis' && !(reason.source === 'report' && reason.newReporter)

/**
 * Whether an open item of a post in the thread carries a crisis that shields (shieldsAsCrisis): holding the thread's
 * opening post would hide the thread, that post with it, from the peers who could answer it.
 */
async function crisisInThread(tx: Db, threadId: string): Promise<boolean> {
  const open = await tx
    .select({ reasons: queueItems.reasons })
    .from(queueItems)
    .innerJoin(posts, eq(posts.id, queueItems.postId))
    .where(and(eq(posts.threadId, threadId), eq(queueItems.status, 'open'), sql`${queueItems.reasons} @> '[{"category": "crisis"}]'::jsonb`))
  return open.some((item) => item.reasons.some(shieldsAsCrisis))
}

/**
 * Whether the reports gathered on the post's open item hold it: reports from REPORT_HIDE_THRESHOLD distinct accounts
 * that were REPORT_HOLD_MIN_ACCOUNT_DAYS old when they reported (a report made again counts once; a younger account's
 * is queued, for staff to read, but does not count: accounts are free, and three made a second earlier must not hide
 * any post they like). Reports never hold, however many:
 * - a post whose item carries a crisis reason that shields (shieldsAsCrisis: an escalate rule, the crisis model, a
 *   crisis report or a note that reads as one, from an account old enough): a person in crisis is never silenced, and
 *   a worried peer's crisis report is never what hides them;
 * - a thread's opening post while a post of the thread is queued with such a reason: holding it hides the thread;
 * - a post whose author is staff: it stays in the queue for another moderator (staff never decide on their own post,
 *   so a forum with one admin could never publish it again);
 * - a post staff approved, or wrote by a redaction, that its author has not edited since: staff judged that very text.
 */
async function reportsHold(
  tx: Db,
  threshold: number,
  item: QueueItemRow,
  post: Pick<PostRow, 'id' | 'authorId' | 'editedAt' | 'opening' | 'threadId'>
): Promise<boolean> {
  if (item.reasons.some(shieldsAsCrisis)) return false
  if (countedReporters(item.reasons) < threshold) return false
  if (post.opening && (await crisisInThread(tx, post.threadId))) return false
  const [author] = post.authorId ? await tx.select({ role: accounts.role }).from(accounts).where(eq(accounts.id, post.authorId)) : []
  if (author && isStaff(author)) return false
  return !(await approvedAsItIs(tx, post.id, await lastAuthorEdit(tx, post)))
}
