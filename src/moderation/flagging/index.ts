/**
 * Keyword flagging: compile a rule set once, scan each post in one pass. Pure: no I/O.
 *
 * Pattern syntax (see pattern.ts): words separated by spaces, `*` = exactly one word, `**` = up to
 * three words or none, `{a|b}` = either alternative; patterns are normalised the same way as text, and match whole words only. Normalisation (see fold.ts
 * and tokenize.ts) ignores case, accents, look-alike letters from other scripts (Unicode
 * confusables), leetspeak (`0 1 3 4 5 7 @ $ !` among letters), zero-width and invisible
 * characters, words spelled letter by letter (`k i l l`, `k.i.l.l`), and stretched letters
 * (`killlll`, `diiiie`). Phone numbers and e-mail addresses are found without a rule; links
 * only when the caller asks.
 */
import { compileEngine, compileEngineInSlices } from './engine.js'
import type { CompiledRules, FlagRule } from './types.js'

export type { CompiledRules, FlagMatch, FlagRule, PersonalInfoDetector, RuleAction, RuleCategory, ScanOptions } from './types.js'
export { InvalidPatternError } from './types.js'
export { MAX_PATTERN_LENGTH, validatePattern } from './pattern.js'
export { normalize, type Normalized } from './tokenize.js'
export { loadDefaultRules, loadRetiredDefaultRules, type DefaultRule, type RetiredDefaultRule } from './default-rules.js'

export function compileRules(rules: readonly FlagRule[]): CompiledRules {
  return compileEngine(rules)
}

/**
 * compileRules without holding the event loop: it pauses every few milliseconds (engine.ts, compileEngineInSlices).
 * `skipInvalid`: a rule whose pattern cannot be read matches nothing rather than failing the compile.
 */
export function compileRulesInSlices(rules: readonly FlagRule[], options: { skipInvalid?: boolean } = {}): Promise<CompiledRules> {
  return compileEngineInSlices(rules, options)
}
