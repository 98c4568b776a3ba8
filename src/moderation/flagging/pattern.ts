/**
 * Rule patterns.
 *
 * Syntax: words separated by spaces, and three operators:
 * - `*` on its own stands for exactly one word of any kind: `want to * myself`;
 * - `**` on its own stands for up to three words, or none, between two words: `want to ** die` matches
 *   "want to die", "want to just die" and "want to honestly just fucking die";
 * - `{a|b|c}` stands for any one of its alternatives, each one or more words: `{selling|got} ** {percs|bars}`.
 * Everything else is normalised exactly like the text it is compared with (case, accents,
 * look-alike letters, leetspeak, invisible characters, punctuation between words), so
 * `Don't want to wake up`, `dont want to wake up` and `don't-want-to-wake-up` are one pattern.
 * A pattern matches whole words only: `kill` never matches inside `skill`.
 *
 * A pattern compiles to its variants, each a sequence of steps the matcher follows: a set of words, any
 * of which leads on (the one-word alternatives of a `{...}` are one step), or a one-word wildcard. Gap
 * lengths and alternatives of several words make variants: `a ** b` is `a b`, `a * b`, `a * * b` and
 * `a * * * b`. Their number is bounded (MAX_PATTERN_VARIANTS), and so is the work of adding them to the
 * matcher (MAX_PATTERN_WORK).
 *
 * A `*` glued to a word (`overdos*`, `k*ll`) or a run of three or more is refused: it is not a prefix or
 * infix wildcard, and normalised as punctuation it would silently match something other than what was meant.
 *
 * Examples: `kill myself`, `want to * myself`, `kms`, `selling *`, `{end|ending} it ** tonight`.
 */
import { tokenize } from './tokenize.js'

export const MAX_PATTERN_LENGTH = 1000
export const MAX_PATTERN_WORDS = 12
/** The most words a `**` gap stands for. */
export const GAP_WORDS = 3
/** The most variants one pattern may compile to: each is a path through the matcher. */
export const MAX_PATTERN_VARIANTS = 2000
/**
 * The most word edges one pattern may add to the matcher, counted for the worst case: each step's phrases
 * from every combination of the steps before it, as when other rules already lead every prefix somewhere
 * else. Alternatives multiply (`{100 words} ** {100 words}` is 40,400), so without a bound one valid
 * pattern could cost every instance seconds of compiling; the largest shipped rule takes about 512,000.
 */
export const MAX_PATTERN_WORK = 1_000_000

/** One step of a parsed pattern: phrases of one length (normalised words), any one of which leads on, or null for a one-word wildcard. */
export type PatternStep = ReadonlyArray<readonly string[]> | null

export type ParsedPattern = { ok: true; variants: PatternStep[][] } | { ok: false; error: string }

/** A piece of a pattern: some choices, each a sequence of steps (a gap's choices are runs of wildcards). */
type Slot = { kind: 'words' | 'gap' | 'wildcard'; choices: PatternStep[][] }

class PatternError extends Error {}

/** What may stand beside a `*` or `**` operator: a space or a brace of an alternative. */
const OPERATOR_EDGE = /[\s{}]/u
const STAR_MISUSED =
  '`*` stands alone for one word and `**` alone for a gap of up to three words, with spaces around them; ' +
  'a `*` inside or at the end of a word (`overdos*`, `k*ll`) or a run of three is not supported (there is no prefix matching): write the words out, e.g. `{overdose|overdosed|overdosing}`'

/** The pattern's normalised words, or an error naming what is wrong. */
function wordsOf(piece: string, where: string): string[] {
  const words = tokenize(piece).map((token) => token.text)
  if (words.length === 0) throw new PatternError(`${where} has no letters or digits once normalised`)
  return words
}

/**
 * How a pattern is read. `stored`: a rule saved before glued `*` was refused keeps its old reading (the `*`
 * normalised away as punctuation, as it is in text), so an upgrade changes no rule's matches; only a write
 * is refused.
 */
export interface PatternOptions {
  stored?: boolean
}

function slotsOf(pattern: string, stored: boolean): Slot[] {
  const slots: Slot[] = []
  // Text between operators is normalised as one piece, so that it reads like text does.
  let piece = ''
  const flush = () => {
    if (piece.trim() !== '') slots.push({ kind: 'words', choices: [wordsOf(piece, 'a part of the pattern').map((word) => [[word]])] })
    piece = ''
  }
  let i = 0
  while (i < pattern.length) {
    const c = pattern[i] as string
    if (c === '{') {
      const close = pattern.indexOf('}', i + 1)
      const inner = close < 0 ? '' : pattern.slice(i + 1, close)
      if (close < 0 || inner.includes('{')) throw new PatternError('a `{` has no matching `}`')
      flush()
      const alternatives = inner.split('|').map((choice) => {
        if (/(?:^|\s)\*{1,2}(?:\s|$)/u.test(choice)) throw new PatternError('alternatives in `{...}` are words, not wildcards')
        // Normalised, a glued `*` would be punctuation and vanish.
        if (!stored && choice.includes('*')) throw new PatternError(STAR_MISUSED)
        return wordsOf(choice, 'an alternative in `{...}`')
      })
      // The alternatives of one length are one step; each length is a choice of its own.
      const byLength = new Map<number, Map<string, string[]>>()
      for (const words of alternatives) {
        const same = byLength.get(words.length) ?? new Map<string, string[]>()
        same.set(words.join(' '), words)
        byLength.set(words.length, same)
      }
      slots.push({ kind: 'words', choices: [...byLength.values()].map((same) => [[...same.values()]]) })
      i = close + 1
    } else if (c === '}') {
      throw new PatternError('a `}` has no matching `{`')
    } else if (c === '*') {
      // An operator only on its own: `*` or `**` between spaces, braces or the ends (`{a|b}** c` too). Anything
      // else would be read as punctuation, so the rule would quietly match other words than the ones meant.
      let end = i
      while (pattern[end] === '*') end++
      if (end - i > 2 || !OPERATOR_EDGE.test(pattern[i - 1] ?? ' ') || !OPERATOR_EDGE.test(pattern[end] ?? ' ')) {
        if (!stored) throw new PatternError(STAR_MISUSED)
        piece += pattern.slice(i, end)
        i = end
        continue
      }
      flush()
      const gap = end - i === 2
      slots.push(
        gap
          ? { kind: 'gap', choices: Array.from({ length: GAP_WORDS + 1 }, (_, n) => Array<PatternStep>(n).fill(null)) }
          : { kind: 'wildcard', choices: [[null]] }
      )
      i = end
    } else {
      piece += c
      i++
    }
  }
  flush()
  return slots
}

export function parsePattern(pattern: string, options: PatternOptions = {}): ParsedPattern {
  if (typeof pattern !== 'string' || pattern.trim() === '') return { ok: false, error: 'pattern is empty' }
  if (pattern.length > MAX_PATTERN_LENGTH) return { ok: false, error: `pattern is longer than ${MAX_PATTERN_LENGTH} characters` }
  let slots: Slot[]
  try {
    slots = slotsOf(pattern.trim(), options.stored === true)
  } catch (error) {
    if (error instanceof PatternError) return { ok: false, error: error.message }
    throw error
  }
  if (slots.length === 0) return { ok: false, error: 'pattern has no letters or digits once normalised' }
  const first = slots[0] as Slot
  const last = slots[slots.length - 1] as Slot
  if (first.kind === 'gap' || last.kind === 'gap') return { ok: false, error: 'a `**` gap stands between words, not at an end' }
  if (slots.every((s) => s.kind !== 'words')) return { ok: false, error: 'pattern has only wildcards' }
  let count = 1
  for (const slot of slots) {
    count *= slot.choices.length
    if (count > MAX_PATTERN_VARIANTS) {
      return { ok: false, error: `pattern has more than ${MAX_PATTERN_VARIANTS} combinations of alternatives and gaps` }
    }
  }
  let variants: PatternStep[][] = [[]]
  for (const slot of slots) variants = variants.flatMap((head) => slot.choices.map((choice) => [...head, ...choice]))
  const longest = Math.max(...variants.map((v) => v.reduce((words, step) => words + (step?.[0]?.length ?? 1), 0)))
  if (longest > MAX_PATTERN_WORDS) return { ok: false, error: `pattern has more than ${MAX_PATTERN_WORDS} words` }
  if (patternWork(variants) > MAX_PATTERN_WORK) {
    return {
      ok: false,
      error: `pattern's alternatives multiply to more than ${MAX_PATTERN_WORK.toLocaleString('en-US')} word steps to compile (each \`{...}\` and \`**\` multiplies what comes before it): use fewer alternatives, or split it into several rules`
    }
  }
  return { ok: true, variants }
}

/** The word edges the variants may add to the matcher at worst (see MAX_PATTERN_WORK); a wildcard step counts one. */
function patternWork(variants: readonly PatternStep[][]): number {
  let work = 0
  for (const variant of variants) {
    let paths = 1
    for (const step of variant) {
      const choices = step?.length ?? 1
      work += paths * choices
      paths *= choices
    }
  }
  return work
}

/** The error message for an invalid pattern, or null when it is valid. */
export function validatePattern(pattern: string, options: PatternOptions = {}): string | null {
  const parsed = parsePattern(pattern, options)
  return parsed.ok ? null : parsed.error
}
