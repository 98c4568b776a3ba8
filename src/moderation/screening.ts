import type { AccountRow } from '../accounts/model.js'
import type { QueueReason } from '../db/schema.js'
import { DomainError } from '../errors.js'
import type { CrisisResource } from './crisis-resources.js'
import type { FlagMatch, PersonalInfoDetector } from './flagging/index.js'
import type { RuleRow } from './rules.js'

/** How a queue reason names what a contact-details detector found. */
const PERSONAL_INFO_NAMES: Record<PersonalInfoDetector, string> = {
  phone: 'phone number',
  email: 'e-mail address',
  handle: 'handle on another platform',
  address: 'home address'
}

/** The queue's priorities, from the contract: a crisis never waits behind spam. */
export const PRIORITY = { crisis: 0, sourcing: 1, personal_info: 1, harassment: 2, report: 2, custom: 2, spam: 3, new_account: 3 } as const

export function priorityOf(category: string): number {
  return (PRIORITY as Record<string, number>)[category] ?? PRIORITY.custom
}

export interface ModerationOutcome {
  state: 'visible' | 'held'
  flags: Array<{ category: string; action: string }>
  crisisResources: CrisisResource[]
}

export interface Screening {
  state: 'visible' | 'held'
  /** The content warning to store: the writer's, or one a content_warning rule added. */
  contentWarning: string | null
  outcome: ModerationOutcome
  /** What goes to the moderation queue, if anything. */
  queue: { priority: number; reasons: QueueReason[] } | null
}

export interface ScreeningInput {
  /** Everything the scan found in the title and body. */
  matches: FlagMatch[]
  rulesById: Map<string, RuleRow>
  author: Pick<AccountRow, 'postsWritten'>
  /** The writer's own text, returned to them when a block rule refuses it. */
  body: string
  contentWarning: string | null
  /** The post's state before an edit; undefined for a new post. */
  currentState?: 'visible' | 'held' | undefined
  newAccountHoldPosts: number
  crisisResources: CrisisResource[]
  now: Date
}

/**
 * Turns scan matches into a decision. Order of precedence:
 * - block refuses the post outright (422), returning the writer's text so nothing they wrote is lost;
 * - escalate keeps the post visible (a person in crisis is never silenced) and queues it at priority 0;
 * - hold (sourcing, personal information) hides the post until a moderator approves; this still wins over
 *   escalate, because it protects the writer (their phone number) or other members (a dealer), and the
 *   moderator sees the post first anyway;
 * - a new account's first posts are held, unless an escalate rule matched;
 * - flag publishes and queues; content_warning publishes with a warning added.
 */
/** A phone number's digits without a leading NANP `1`: `1-800-662-4357` and `(800) 662 4357` are one number. */
const phoneDigits = (text: string) => text.replace(/\D/gu, '').replace(/^1(?=\d{10}$)/u, '')

/** The numbers of the forum's own crisis resources: a member passing one on reveals nothing of theirs. */
const helplineNumbers = new WeakMap<CrisisResource[], Set<string>>()
function helplines(resources: CrisisResource[]): Set<string> {
  let numbers = helplineNumbers.get(resources)
  if (!numbers) {
    numbers = new Set(resources.flatMap((r) => (`${r.contact} `.match(/\+?\d[\d\s().-]{5,}\d/gu) ?? []).map(phoneDigits)).filter((d) => d.length >= 7))
    helplineNumbers.set(resources, numbers)
  }
  return numbers
}

export function screen(input: ScreeningInput): Screening {
  const known = helplines(input.crisisResources)
  // Sharing a helpline the forum itself lists (SAMHSA's 1-800-662-4357) is help, not a personal number.
  const matches = input.matches.filter((m) => !(m.detector === 'phone' && known.has(phoneDigits(m.excerpt))))
  const { rulesById } = input
  const blocked = matches.find((m) => m.action === 'block')
  if (blocked) {
    const rule = blocked.ruleId ? rulesById.get(blocked.ruleId) : undefined
    // Nothing is stored, as the contract says; a writer whose words also read as a crisis gets the crisis lines
    // with their text back (an addition to the details), so a refusal never leaves them without help.
    const crisis = matches.some((m) => m.action === 'escalate')
    throw new DomainError('blocked_by_rule', rule?.publicReason ?? 'This post cannot be published as written.', {
      category: blocked.category,
      publicReason: rule?.publicReason ?? null,
      body: input.body,
      ...(crisis ? { crisisResources: input.crisisResources } : {})
    })
  }

  const reasons: QueueReason[] = []
  const at = input.now.toISOString()
  let escalated = false
  let held = input.currentState === 'held'
  let contentWarning = input.contentWarning
  const flags = new Map<string, { category: string; action: string }>()
  // A moderator reads each reason of one screening once: the same words said twice and matched by the same rule
  // give one line. (A later edit that keeps them adds its own line, with its own time.) Two rules with the same
  // pattern stay two lines: one may hold where the other only flags.
  const given = new Set<string>()
  const give = (reason: QueueReason) => {
    const key = `${reason.source}\u0000${reason.category}\u0000${reason.ruleId ?? ''}\u0000${reason.detail}`
    if (given.has(key)) return
    given.add(key)
    reasons.push(reason)
  }

  for (const match of matches) {
    flags.set(`${match.category}:${match.action}`, { category: match.category, action: match.action })
    const rule = match.ruleId ? rulesById.get(match.ruleId) : undefined
    switch (match.action) {
      case 'escalate':
        escalated = true
        break
      case 'hold':
        held = true
        break
      case 'content_warning':
        contentWarning ??= rule?.publicReason ?? match.category.replace('_', ' ')
        break
    }
    if (match.action === 'content_warning') continue
    if (match.detector === 'link') {
      give({ source: 'new_account', category: 'spam', detail: `link from a new account: ${match.excerpt}`, at })
    } else if (match.detector === 'crisis_model' || match.detector === 'sourcing_model') {
      const readsAs = match.category === 'crisis' ? 'a crisis' : match.category
      give({ source: 'rule', category: match.category, detail: `reads as ${readsAs} (model, ${Math.round((match.score ?? 0) * 100)} %): "${match.excerpt}"`, at })
    } else if (match.detector) {
      give({ source: 'pii', category: 'personal_info', detail: `${PERSONAL_INFO_NAMES[match.detector]}: ${match.excerpt}`, at })
    } else {
      give({ source: 'rule', category: match.category, detail: `matched "${match.excerpt}" (rule "${rule?.pattern ?? match.ruleId}")`, ruleId: match.ruleId, at })
    }
  }

  const isNew = input.currentState === undefined
  if (isNew && input.author.postsWritten < input.newAccountHoldPosts && !escalated) {
    held = true
    reasons.push({ source: 'new_account', category: 'new_account', detail: `post ${input.author.postsWritten + 1} of a new account`, at })
  }

  const state = held ? 'held' : 'visible'
  return {
    state,
    contentWarning,
    outcome: { state, flags: [...flags.values()], crisisResources: escalated ? input.crisisResources : [] },
    // Priority follows the categories, except that an escalate rule of any category is a crisis (priority 0).
    queue: reasons.length ? { priority: escalated ? PRIORITY.crisis : Math.min(...reasons.map((r) => priorityOf(r.category))), reasons } : null
  }
}

/**
 * How many accounts' reports on an item count towards holding its post (REPORT_HIDE_THRESHOLD): a report made again
 * (renewed, amended) counts once, and a report from an account younger than REPORT_HOLD_MIN_ACCOUNT_DAYS not at all.
 */
export const countedReporters = (reasons: QueueReason[]) =>
  new Set(reasons.filter((r) => r.source === 'report' && !r.newReporter).map((r) => r.reportId)).size

/**
 * Whether a held post's open item holds it only because its account is new: none of its other reasons holds a post
 * (personal information, a hold rule or the sourcing model, reports from `reportHideThreshold` accounts). Flags and
 * escalations do not hold. A rule no longer enabled, whose action is unknown now, counts as holding: in doubt, the
 * post waits for a moderator.
 */
export function heldOnlyAsNewAccount(reasons: QueueReason[], rulesById: Map<string, RuleRow>, reportHideThreshold: number): boolean {
  const reports = countedReporters(reasons)
  const holds = (reason: QueueReason): boolean => {
    switch (reason.source) {
      case 'new_account':
        return false
      case 'pii':
        return true
      case 'report':
        return reports >= reportHideThreshold
      case 'rule': {
        // Without a rule, a model's reading: the crisis model escalates, the sourcing model holds.
        if (!reason.ruleId) return reason.category !== 'crisis'
        const action = rulesById.get(reason.ruleId)?.action
        return action !== 'escalate' && action !== 'flag'
      }
    }
  }
  return reasons.some((r) => r.source === 'new_account' && r.category === 'new_account') && !reasons.some(holds)
}

/**
 * An edit of a held post keeps it held (screen), except one an escalate rule matched, of a post held only because its
 * account is new (heldOnlyAsNewAccount, from its open item's reasons): it is published, as the same words in a new
 * post would be, since a new account's hold never silences a person in crisis. An edit that holds on its own (a
 * phone number, a hold rule) stays held.
 */
export function screenEditOfHeld(edit: Screening, heldOnlyAsNew: boolean): Screening {
  const escalated = edit.outcome.flags.some((f) => f.action === 'escalate')
  const holdsItself = edit.outcome.flags.some((f) => f.action === 'hold')
  if (edit.state !== 'held' || !escalated || holdsItself || !heldOnlyAsNew) return edit
  return { ...edit, state: 'visible', outcome: { ...edit.outcome, state: 'visible' } }
}
