/**
 * Keyword flagging: compile a rule set once, scan each post in one pass. Pure: no I/O.
 *
 * Pattern syntax (see pattern.ts): words separated by spaces, `*` = exactly one word; patterns
 * are normalised the same way as text, and match whole words only. Normalisation (see fold.ts
 * and tokenize.ts) ignores case, accents, look-alike letters from other scripts (Unicode
 * confusables), leetspeak (`0 1 3 4 5 7 @ $ !` among letters), zero-width and invisible
 * characters, words spelled letter by letter (`k i l l`, `k.i.l.l`), and stretched letters
 * (`killlll`, `diiiie`). Phone numbers and e-mail addresses are found without a rule; links
 * only when the caller asks.
 */
import { findEmails, findLinks, findPhones, overlaps } from './detectors.js'
import { WordAutomaton } from './matcher.js'
import { parsePattern } from './pattern.js'
import { tokenize } from './tokenize.js'
import { InvalidPatternError, type CompiledRules, type FlagMatch, type FlagRule, type ScanOptions } from './types.js'

export type { CompiledRules, FlagMatch, FlagRule, RuleAction, RuleCategory, ScanOptions } from './types.js'
export { InvalidPatternError } from './types.js'
export { validatePattern } from './pattern.js'
export { normalize, type Normalized } from './tokenize.js'
export { loadDefaultRules, type DefaultRule } from './default-rules.js'

function byPosition(a: FlagMatch, b: FlagMatch): number {
  return a.start - b.start || a.end - b.end || (a.ruleId ?? '').localeCompare(b.ruleId ?? '')
}

export function compileRules(rules: readonly FlagRule[]): CompiledRules {
  const automaton = new WordAutomaton()
  const compiled = rules.map((rule) => ({ ...rule }))
  compiled.forEach((rule, index) => {
    const parsed = parsePattern(rule.pattern)
    if (!parsed.ok) throw new InvalidPatternError(rule.id, rule.pattern, parsed.error)
    automaton.add(parsed.words, index)
  })

  function scan(text: string, options: ScanOptions = {}): FlagMatch[] {
    if (typeof text !== 'string' || text.length === 0) return []
    const matches: FlagMatch[] = []
    const seen = new Set<string>()
    for (const raw of automaton.scan(tokenize(text))) {
      const key = `${raw.rule}:${raw.start}:${raw.end}`
      if (seen.has(key)) continue
      seen.add(key)
      const rule = compiled[raw.rule] as FlagRule
      matches.push({
        ruleId: rule.id,
        category: rule.category,
        action: rule.action,
        start: raw.start,
        end: raw.end,
        excerpt: text.slice(raw.start, raw.end)
      })
    }
    const emails = options.detectPersonalInfo === false ? [] : findEmails(text)
    if (options.detectPersonalInfo !== false) {
      for (const span of emails) {
        matches.push({ ruleId: null, category: 'personal_info', action: 'hold', ...span, excerpt: text.slice(span.start, span.end), detector: 'email' })
      }
      for (const span of findPhones(text)) {
        matches.push({ ruleId: null, category: 'personal_info', action: 'hold', ...span, excerpt: text.slice(span.start, span.end), detector: 'phone' })
      }
    }
    if (options.detectLinks === true) {
      // An e-mail's domain is not a link of its own.
      const addresses = emails.length > 0 ? emails : findEmails(text)
      for (const span of findLinks(text)) {
        if (overlaps(span, addresses)) continue
        matches.push({ ruleId: null, category: 'spam', action: 'flag', ...span, excerpt: text.slice(span.start, span.end), detector: 'link' })
      }
    }
    return matches.sort(byPosition)
  }

  return { size: compiled.length, scan }
}
