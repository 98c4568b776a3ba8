import data from './default-rules.json' with { type: 'json' }
import type { RuleAction, RuleCategory } from './types.js'

export interface DefaultRule {
  /** Stable slug: lets a later version of the set tell which shipped rule an edited one was. */
  key: string
  pattern: string
  category: RuleCategory
  action: RuleAction
  /** Shown to the writer when the rule holds or escalates their post. */
  publicReason: string
  /** Why the entry exists: for the staff editing the set, never shown to members. */
  why: string
}

const CATEGORIES: ReadonlySet<string> = new Set<RuleCategory>(['crisis', 'sourcing', 'personal_info', 'harassment', 'spam', 'custom'])
const ACTIONS: ReadonlySet<string> = new Set<RuleAction>(['escalate', 'hold', 'flag', 'block', 'content_warning'])

/** The shipped default rule set, checked on the way in so that a bad edit of the JSON fails loudly. */
export function loadDefaultRules(): DefaultRule[] {
  if (data.version !== 1) throw new Error(`default-rules.json: unsupported version ${String(data.version)}`)
  const keys = new Set<string>()
  return data.rules.map((rule, index) => {
    const where = `default-rules.json rule ${index} (${rule.key})`
    if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/u.test(rule.key)) throw new Error(`${where}: key must be a lower-case slug`)
    if (keys.has(rule.key)) throw new Error(`${where}: duplicate key`)
    keys.add(rule.key)
    if (!CATEGORIES.has(rule.category)) throw new Error(`${where}: unknown category ${rule.category}`)
    if (!ACTIONS.has(rule.action)) throw new Error(`${where}: unknown action ${rule.action}`)
    if (rule.publicReason.trim() === '' || rule.why.trim() === '') throw new Error(`${where}: publicReason and why are required`)
    return {
      key: rule.key,
      pattern: rule.pattern,
      category: rule.category as RuleCategory,
      action: rule.action as RuleAction,
      publicReason: rule.publicReason,
      why: rule.why
    }
  })
}

/** A shipped rule taken out of the set: the pattern it shipped with, and why it went. */
export interface RetiredDefaultRule {
  key: string
  pattern: string
  why: string
}

/**
 * The shipped rules later taken out (they held or escalated ordinary posts). A database still holding one,
 * unedited, loses it at start-up (seedDefaultRules); a copy staff edited is theirs and stays.
 */
export function loadRetiredDefaultRules(): RetiredDefaultRule[] {
  const current = new Set(data.rules.map((rule) => rule.key))
  return data.retired.map((rule, index) => {
    const where = `default-rules.json retired rule ${index} (${rule.key})`
    if (current.has(rule.key)) throw new Error(`${where}: a retired key cannot also be a current rule`)
    if (rule.pattern.trim() === '' || rule.why.trim() === '') throw new Error(`${where}: pattern and why are required`)
    return { key: rule.key, pattern: rule.pattern, why: rule.why }
  })
}
