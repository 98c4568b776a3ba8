export type RuleCategory = 'crisis' | 'sourcing' | 'personal_info' | 'harassment' | 'spam' | 'custom'
export type RuleAction = 'escalate' | 'hold' | 'flag' | 'block' | 'content_warning'

export interface FlagRule {
  id: string
  pattern: string
  category: RuleCategory
  action: RuleAction
}

/** The detectors of contact details a member may give away by accident: a handle comes with its platform (`insta: jd_92`), an address is said as the member's own (`I live at 42 Oak Street`). */
export type PersonalInfoDetector = 'phone' | 'email' | 'handle' | 'address'

export interface FlagMatch {
  /** null for the built-in detectors (phone, e-mail, handle, home address, link) and the two models. */
  ruleId: string | null
  category: RuleCategory
  action: RuleAction
  /** Offsets into the original text, UTF-16 indices, end exclusive. */
  start: number
  end: number
  /** Exactly `text.slice(start, end)`. */
  excerpt: string
  /** Which built-in detector or model found it; unset for a rule's match. */
  detector?: PersonalInfoDetector | 'link' | 'crisis_model' | 'sourcing_model'
  /** The model's probability, for a model's matches. */
  score?: number
}

export interface ScanOptions {
  /** Report links (category spam, action flag). Default false: the caller enables it for new accounts. */
  detectLinks?: boolean
  /** Report phone numbers, e-mail addresses, handles and home addresses (category personal_info, action hold). Default true. */
  detectPersonalInfo?: boolean
  /** Ask the crisis model about a text no crisis rule escalated (category crisis, action escalate). Default false: the caller enables it (screening, unless CRISIS_MODEL is off). */
  detectCrisis?: boolean
  /** Ask the sourcing model about a text no sourcing rule held (category sourcing, action hold). Default false: the caller enables it (screening, unless SOURCING_MODEL is off). */
  detectSourcing?: boolean
}

export interface CompiledRules {
  readonly size: number
  scan(text: string, options?: ScanOptions): FlagMatch[]
}

export class InvalidPatternError extends Error {
  readonly code = 'invalid_pattern'
  constructor(
    readonly ruleId: string,
    readonly pattern: string,
    reason: string
  ) {
    super(`rule ${ruleId}: invalid pattern ${JSON.stringify(pattern)}: ${reason}`)
    this.name = 'InvalidPatternError'
  }
}
