/**
 * Compiling and scanning, behind index.ts. The ASCII fast path can be switched off so that
 * tests can check that it finds exactly what the general path finds.
 */
import { AsciiScanner } from './ascii.js'
import { detectCrisis, shippedCrisisModel } from './crisis-model.js'
import type { SkimmerBounds } from './dfa.js'
import { findEmails, findLinks, findPhones, overlaps, type PhoneGates } from './detectors.js'
import { WordAutomaton, type RawMatch } from './matcher.js'
import { parsePattern } from './pattern.js'
import { detectSourcing, shippedSourcingModel } from './sourcing-model.js'
import type { TextModel } from './text-model.js'
import { normalize, tokenize } from './tokenize.js'
import { InvalidPatternError, type CompiledRules, type FlagMatch, type FlagRule, type ScanOptions } from './types.js'

export interface EngineOptions {
  /** Scan text that reads as one byte per unit in one pass (ascii.ts). Default true; false forces the general path. */
  asciiFastPath?: boolean
  /** Bounds of the skimming automaton (dfa.ts); tests set small ones. */
  skimmer?: SkimmerBounds
  /** The crisis model behind the rules (crisis-model.ts); null: none. Default: the shipped one. */
  crisisModel?: TextModel | null
  /** The sourcing model behind the rules (sourcing-model.ts); null: none. Default: the shipped one. */
  sourcingModel?: TextModel | null
}

const OPEN_GATES: PhoneGates = { numbers: true, spelled: true }
/** Every combination of the phone gates, by numbers + 2 * spelled, so that a scan allocates none. */
const GATES: readonly PhoneGates[] = [
  { numbers: false, spelled: false },
  { numbers: true, spelled: false },
  { numbers: false, spelled: true },
  OPEN_GATES
]

function byPosition(a: FlagMatch, b: FlagMatch): number {
  return a.start - b.start || a.end - b.end || (a.ruleId ?? '').localeCompare(b.ruleId ?? '')
}

export function compileEngine(rules: readonly FlagRule[], engine: EngineOptions = {}): CompiledRules {
  const automaton = new WordAutomaton()
  const compiled = rules.map((rule) => ({ ...rule }))
  compiled.forEach((rule, index) => {
    const parsed = parsePattern(rule.pattern)
    if (!parsed.ok) throw new InvalidPatternError(rule.id, rule.pattern, parsed.error)
    for (const words of parsed.variants) automaton.add(words, index)
  })
  const ascii = engine.asciiFastPath === false ? null : new AsciiScanner(automaton, engine.skimmer)
  const crisisModel = engine.crisisModel === undefined ? shippedCrisisModel : engine.crisisModel
  const sourcingModel = engine.sourcingModel === undefined ? shippedSourcingModel : engine.sourcingModel

  function scan(text: string, options: ScanOptions = {}): FlagMatch[] {
    if (typeof text !== 'string' || text.length === 0) return []
    let raws: RawMatch[] | null = ascii === null ? null : ascii.scan(text)
    // On the general path nothing is known about the text, so every detector runs its own tests.
    let gates = OPEN_GATES
    let emailLike = true
    if (raws === null) {
      raws = automaton.scan(tokenize(text))
    } else if (ascii !== null) {
      gates = GATES[(ascii.phoneLike ? 1 : 0) + (ascii.spelledLike ? 2 : 0)] ?? OPEN_GATES
      emailLike = ascii.emailLike
    }
    const matches: FlagMatch[] = []
    // Only a second match can repeat one; most posts have none at all.
    const seen = raws.length > 1 ? new Set<string>() : null
    for (const raw of raws) {
      if (seen !== null) {
        const key = `${raw.rule}:${raw.start}:${raw.end}`
        if (seen.has(key)) continue
        seen.add(key)
      }
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
    const emails = options.detectPersonalInfo === false || !emailLike ? [] : findEmails(text)
    if (options.detectPersonalInfo !== false) {
      for (const span of emails) {
        matches.push({ ruleId: null, category: 'personal_info', action: 'hold', ...span, excerpt: text.slice(span.start, span.end), detector: 'email' })
      }
      for (const span of findPhones(text, gates)) {
        matches.push({ ruleId: null, category: 'personal_info', action: 'hold', ...span, excerpt: text.slice(span.start, span.end), detector: 'phone' })
      }
    }
    // The models read the text as the rules do, normalised; both read one copy (no closure: capturing the text would slow every scan).
    let normalized: string | undefined
    // The crisis model reads what no crisis rule caught: a second net, which only ever escalates.
    if (crisisModel !== null && options.detectCrisis === true && !matches.some((m) => m.category === 'crisis' && m.action === 'escalate')) {
      normalized = normalize(text).text
      const found = detectCrisis(crisisModel, text, normalized)
      if (found !== null) {
        const { start, end } = found
        matches.push({ ruleId: null, category: 'crisis', action: 'escalate', start, end, excerpt: text.slice(start, end), detector: 'crisis_model', score: found.score })
      }
    }
    // The same for sourcing: a post no sourcing rule held, which only ever holds.
    if (sourcingModel !== null && options.detectSourcing === true && !matches.some((m) => m.category === 'sourcing' && m.action === 'hold')) {
      normalized ??= normalize(text).text
      const found = detectSourcing(sourcingModel, text, normalized)
      if (found !== null) {
        const { start, end } = found
        matches.push({ ruleId: null, category: 'sourcing', action: 'hold', start, end, excerpt: text.slice(start, end), detector: 'sourcing_model', score: found.score })
      }
    }
    if (options.detectLinks === true) {
      // An e-mail's domain is not a link of its own.
      const addresses = emails.length > 0 || !emailLike ? emails : findEmails(text)
      for (const span of findLinks(text)) {
        if (overlaps(span, addresses)) continue
        matches.push({ ruleId: null, category: 'spam', action: 'flag', ...span, excerpt: text.slice(span.start, span.end), detector: 'link' })
      }
    }
    return matches.sort(byPosition)
  }

  return { size: compiled.length, scan }
}
