/**
 * Compiling and scanning, behind index.ts. The ASCII fast path can be switched off so that
 * tests can check that it finds exactly what the general path finds.
 */
import { AsciiScanner, scannerTables } from './ascii.js'
import { CRISIS_NET, shippedCrisisModel } from './crisis-model.js'
import type { SkimmerBounds } from './dfa.js'
import { findEmails, findHomeAddresses, findLinks, findPhones, findProfiles, OPEN_GATES, overlaps, reading, type PhoneGates, type Reading } from './detectors.js'
import { WordAutomaton, type RawMatch } from './matcher.js'
import { parsePattern } from './pattern.js'
import { SOURCING_NET, shippedSourcingModel } from './sourcing-model.js'
import { runSteps, type Steps } from './steps.js'
import { detectWith, type SecondNet, type TextModel } from './text-model.js'
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
  /** A rule whose pattern cannot be read matches nothing instead of failing the compile (stored rules: a newer engine may refuse one an older took). */
  skipInvalid?: boolean
}

/** Every combination of the phone gates, by numbers + 2 * spelled, so that a scan allocates none. */
const GATES: readonly PhoneGates[] = [
  { numbers: false, spelled: false },
  { numbers: true, spelled: false },
  { numbers: false, spelled: true },
  OPEN_GATES
]

/** Whether a rule already did what a model would: escalated as a crisis, or held as sourcing. */
function caughtAs(matches: readonly FlagMatch[], net: SecondNet): boolean {
  for (const m of matches) if (m.category === net.category && m.action === net.action) return true
  return false
}

function byPosition(a: FlagMatch, b: FlagMatch): number {
  return a.start - b.start || a.end - b.end || (a.ruleId ?? '').localeCompare(b.ruleId ?? '')
}

export function compileEngine(rules: readonly FlagRule[], engine: EngineOptions = {}): CompiledRules {
  return runSteps(compileSteps(rules, engine))
}

/** How long compileEngineInSlices works before it lets the event loop run. */
const SLICE_MS = 8

/**
 * compileEngine for a server: the same work, paused whenever it has run for SLICE_MS, so that a large rule
 * set (the shipped one takes the better part of a second) never holds the event loop that long at once.
 */
export async function compileEngineInSlices(rules: readonly FlagRule[], engine: EngineOptions = {}): Promise<CompiledRules> {
  const steps = compileSteps(rules, engine)
  let since = performance.now()
  for (;;) {
    const step = steps.next()
    if (step.done === true) return step.value
    if (performance.now() - since >= SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve))
      since = performance.now()
    }
  }
}

/** The compile, yielding after each variant of each rule and between the scanner's tables: where a caller may pause. */
function* compileSteps(rules: readonly FlagRule[], engine: EngineOptions): Steps<CompiledRules> {
  const automaton = new WordAutomaton()
  const compiled = rules.map((rule) => ({ ...rule }))
  for (let index = 0; index < compiled.length; index++) {
    const rule = compiled[index] as FlagRule
    // Rules come from the database, where a pattern saved before a syntax change keeps its old reading.
    const parsed = parsePattern(rule.pattern, { stored: true })
    if (!parsed.ok) {
      if (engine.skipInvalid === true) continue
      throw new InvalidPatternError(rule.id, rule.pattern, parsed.error)
    }
    for (const words of parsed.variants) {
      automaton.add(words, index)
      yield
    }
  }
  // Done here rather than by the first scan, which would otherwise pay for it.
  yield* automaton.freezeSteps()
  const ascii = engine.asciiFastPath === false ? null : new AsciiScanner(automaton, engine.skimmer, yield* scannerTables(automaton))
  // The models under the rules, each asked by its scan option; crisis first, as the queue reads it first.
  const nets: Array<{ model: TextModel; net: SecondNet; ask: 'detectCrisis' | 'detectSourcing' }> = []
  const crisisModel = engine.crisisModel === undefined ? shippedCrisisModel : engine.crisisModel
  if (crisisModel !== null) nets.push({ model: crisisModel, net: CRISIS_NET, ask: 'detectCrisis' })
  const sourcingModel = engine.sourcingModel === undefined ? shippedSourcingModel : engine.sourcingModel
  if (sourcingModel !== null) nets.push({ model: sourcingModel, net: SOURCING_NET, ask: 'detectSourcing' })

  function scan(text: string, options: ScanOptions = {}): FlagMatch[] {
    if (typeof text !== 'string' || text.length === 0) return []
    let raws: RawMatch[] | null = ascii === null ? null : ascii.scan(text)
    // On the general path nothing is known about the text, so every detector runs its own tests.
    let gates = OPEN_GATES
    let emailLike = true
    let profileLike = true
    let homeLike = true
    if (raws === null) {
      raws = automaton.scan(tokenize(text))
    } else if (ascii !== null) {
      gates = GATES[(ascii.phoneLike ? 1 : 0) + (ascii.spelledLike ? 2 : 0)] ?? OPEN_GATES
      emailLike = ascii.emailLike
      profileLike = ascii.profileLike
      homeLike = ascii.homeLike
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
    const personalInfo = options.detectPersonalInfo !== false
    // What the detectors read (the text without invisible characters, compatibility forms as ASCII), worked out
    // once for all of them, and only when one of them will read it: most posts open none of the gates.
    let read: Reading | null = null
    if ((personalInfo && (emailLike || gates.numbers || gates.spelled || profileLike || homeLike)) || (options.detectLinks === true && emailLike)) read = reading(text)
    const emails = read === null || !emailLike ? [] : findEmails(read)
    if (personalInfo && read !== null) {
      for (const span of emails) {
        matches.push({ ruleId: null, category: 'personal_info', action: 'hold', ...span, excerpt: text.slice(span.start, span.end), detector: 'email' })
      }
      for (const span of findPhones(read, gates)) {
        matches.push({ ruleId: null, category: 'personal_info', action: 'hold', ...span, excerpt: text.slice(span.start, span.end), detector: 'phone' })
      }
      if (profileLike) {
        for (const span of findProfiles(read)) {
          matches.push({ ruleId: null, category: 'personal_info', action: 'hold', ...span, excerpt: text.slice(span.start, span.end), detector: 'handle' })
        }
      }
      if (homeLike) {
        for (const span of findHomeAddresses(read)) {
          matches.push({ ruleId: null, category: 'personal_info', action: 'hold', ...span, excerpt: text.slice(span.start, span.end), detector: 'address' })
        }
      }
    }
    // Each model reads what no rule of its category caught, and only ever does what such a rule does. They read
    // the text as the rules do, normalised, one copy for both (a variable, not a closure over the text: capturing
    // the text slowed every scan by a quarter).
    let normalized: string | undefined
    for (const { model, net, ask } of nets) {
      if (options[ask] !== true || caughtAs(matches, net)) continue
      normalized ??= normalize(text).text
      const found = detectWith(model, net.reads, text, normalized)
      if (found === null) continue
      const { start, end, score } = found
      matches.push({ ruleId: null, category: net.category, action: net.action, start, end, excerpt: text.slice(start, end), detector: net.detector, score })
    }
    if (options.detectLinks === true) {
      // An e-mail's domain is not a link of its own.
      for (const span of findLinks(text)) {
        if (overlaps(span, emails)) continue
        matches.push({ ruleId: null, category: 'spam', action: 'flag', ...span, excerpt: text.slice(span.start, span.end), detector: 'link' })
      }
    }
    return matches.sort(byPosition)
  }

  return { size: compiled.length, scan }
}
