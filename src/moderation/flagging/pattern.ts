/**
 * Rule patterns.
 *
 * Syntax: words separated by spaces; `*` on its own stands for exactly one word of any kind.
 * Everything else is normalised exactly like the text it is compared with (case, accents,
 * look-alike letters, leetspeak, invisible characters, punctuation between words), so
 * `Don't want to wake up`, `dont want to wake up` and `don't-want-to-wake-up` are one pattern.
 * A pattern matches whole words only: `kill` never matches inside `skill`.
 *
 * Examples: `kill myself`, `want to * myself`, `kms`, `selling *`.
 */
import { tokenize } from './tokenize.js'

export const MAX_PATTERN_LENGTH = 200
export const MAX_PATTERN_WORDS = 12

/** One element of a parsed pattern: a normalised word, or null for the `*` wildcard. */
export type PatternWord = string | null

export type ParsedPattern = { ok: true; words: PatternWord[] } | { ok: false; error: string }

export function parsePattern(pattern: string): ParsedPattern {
  if (typeof pattern !== 'string' || pattern.trim() === '') return { ok: false, error: 'pattern is empty' }
  if (pattern.length > MAX_PATTERN_LENGTH) return { ok: false, error: `pattern is longer than ${MAX_PATTERN_LENGTH} characters` }
  const words: PatternWord[] = []
  // Text between wildcards is normalised as one piece, so that it reads like text does.
  let piece = ''
  const flush = (): boolean => {
    if (piece.trim() === '') return true
    const tokens = tokenize(piece)
    piece = ''
    if (tokens.length === 0) return false
    for (const token of tokens) words.push(token.text)
    return true
  }
  for (const chunk of pattern.trim().split(/\s+/u)) {
    if (chunk === '*') {
      if (!flush()) return { ok: false, error: 'a part of the pattern has no letters or digits once normalised' }
      words.push(null)
    } else {
      piece += chunk + ' '
    }
  }
  if (!flush()) return { ok: false, error: 'a part of the pattern has no letters or digits once normalised' }
  if (words.length === 0) return { ok: false, error: 'pattern has no letters or digits once normalised' }
  if (words.every((w) => w === null)) return { ok: false, error: 'pattern has only wildcards' }
  if (words.length > MAX_PATTERN_WORDS) return { ok: false, error: `pattern has more than ${MAX_PATTERN_WORDS} words` }
  return { ok: true, words }
}

/** The error message for an invalid pattern, or null when it is valid. */
export function validatePattern(pattern: string): string | null {
  const parsed = parsePattern(pattern)
  return parsed.ok ? null : parsed.error
}
