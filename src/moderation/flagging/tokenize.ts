/**
 * Turns a text into normalised words, each remembering the span of the original text it came
 * from, so that a match can be shown to a moderator exactly as it was written.
 *
 * Three passes over the text:
 * 1. fold every code point (see fold.ts) into normalised characters with their original span;
 *    invisible characters vanish and a lone combining mark widens the span of the letter before;
 * 2. decide whether `@ $ !` and the digits `0 1 3 4 5 7` are leetspeak or themselves: a symbol
 *    is a letter only among letters (`my$elf`, `k!ll`, `@ss`), and digits are letters only in a
 *    word that also has letters (`k1ll`), so `30 days`, `day 1`, `$20` and `3:30` stay numbers;
 * 3. cut words at everything that is not a letter, digit or apostrophe, then join a run of at
 *    least three one-character words separated by one to three soft separators (`k i l l`,
 *    `k.1.l.l`, `k-i-l-l`) into one spelled word; the matcher later segments it into words.
 */
import { ASCII_CLASS as asciiClass, ASCII_LOWER as asciiLower, CharClass as classes_, foldCodePoint as foldImported } from './fold.js'

// Local copies: a transpiler may turn imported bindings into getters, which the inner loops
// below would otherwise call for every character.
const ASCII_CLASS = asciiClass
const ASCII_LOWER = asciiLower
const foldCodePoint = foldImported
const OTHER = classes_.Other
const LETTER = classes_.Letter
const DIGIT = classes_.Digit
const SYMBOL = classes_.Symbol
const APOSTROPHE = classes_.Apostrophe
const SEPARATOR = classes_.Separator
const IGNORABLE = classes_.Ignorable
const MARK = classes_.Mark

export const LEET: Readonly<Record<number, number>> = {
  0x30: 0x6f, // 0 → o
  0x31: 0x69, // 1 → i
  0x33: 0x65, // 3 → e
  0x34: 0x61, // 4 → a
  0x35: 0x73, // 5 → s
  0x37: 0x74, // 7 → t
  0x40: 0x61, // @ → a
  0x24: 0x73, // $ → s
  0x21: 0x69 // ! → i
}
const ONE = 0x31
const LOWER_L = 0x6c

/** Longest gap of soft separators allowed inside a word spelled letter by letter. */
export const MAX_SPELLED_GAP = 3
/** A spelled word longer than this is not segmented (bounded work on hostile input). */
export const MAX_SPELLED_LETTERS = 64

export interface Token {
  /** The normalised word. */
  text: string
  /** The same word reading leet `1` as `l` instead of `i` (`ki11`), or null when there is no `1`. */
  alt: string | null
  /** Span in the original text, end exclusive, UTF-16 indices. */
  start: number
  end: number
  /** For a word spelled letter by letter: the original span of each letter, in order. */
  letters: Array<{ start: number; end: number }> | null
}

interface CharStream {
  length: number
  codes: Int32Array
  classes: Uint8Array
  starts: Int32Array
  ends: Int32Array
}

function grow(s: CharStream): void {
  const size = s.codes.length * 2
  const codes = new Int32Array(size)
  codes.set(s.codes)
  const classes = new Uint8Array(size)
  classes.set(s.classes)
  const starts = new Int32Array(size)
  starts.set(s.starts)
  const ends = new Int32Array(size)
  ends.set(s.ends)
  s.codes = codes
  s.classes = classes
  s.starts = starts
  s.ends = ends
}

function foldText(text: string): CharStream {
  const capacity = text.length + 16
  const s: CharStream = {
    length: 0,
    codes: new Int32Array(capacity),
    classes: new Uint8Array(capacity),
    starts: new Int32Array(capacity),
    ends: new Int32Array(capacity)
  }
  const n = text.length
  let i = 0
  while (i < n) {
    const unit = text.charCodeAt(i)
    if (unit < 128) {
      if (s.length === s.codes.length) grow(s)
      const at = s.length++
      s.codes[at] = ASCII_LOWER[unit] ?? 0
      s.classes[at] = ASCII_CLASS[unit] ?? OTHER
      s.starts[at] = i
      s.ends[at] = ++i
      continue
    }
    const cp = text.codePointAt(i) ?? 0
    const width = cp > 0xffff ? 2 : 1
    const folded = foldCodePoint(cp)
    const first = folded.classes[0]
    if (first === IGNORABLE) {
      i += width
      continue
    }
    if (first === MARK) {
      const last = s.length - 1
      if (last >= 0 && s.ends[last] === i) s.ends[last] = i + width
      i += width
      continue
    }
    const count = folded.codes.length
    while (s.length + count > s.codes.length) grow(s)
    for (let k = 0; k < count; k++) {
      const at = s.length++
      s.codes[at] = folded.codes[k] ?? 0
      s.classes[at] = folded.classes[k] ?? OTHER
      s.starts[at] = i
      s.ends[at] = i + width
    }
    i += width
  }
  return s
}

/** Leet symbols become letters only where the writer plainly meant a letter. */
/** The digits from `k` on are followed by a letter: `$3lf` is a leet word, `$20` an amount. */
function lettersAfterDigits(classes: CharStream['classes'], k: number, length: number): boolean {
  while (k < length && classes[k] === DIGIT) k++
  return k < length && classes[k] === LETTER
}

function resolveSymbols(s: CharStream): void {
  const { codes, classes } = s
  for (let k = 0; k < s.length; k++) {
    if (classes[k] !== SYMBOL) continue
    const prev = k > 0 ? classes[k - 1] : OTHER
    const next = k + 1 < s.length ? classes[k + 1] : OTHER
    const code = codes[k]
    const letter =
      code === 0x40
        ? next === LETTER // @ss, h@te; a trailing @ is not an a
        : code === 0x24
          ? prev === LETTER || next === LETTER || (next === DIGIT && lettersAfterDigits(classes, k + 1, s.length)) // my$elf, $elf, my$3lf, $3lf; not $20
          : prev === LETTER && next === LETTER // k!ll; not "help!"
    if (letter) {
      codes[k] = LEET[code ?? 0] ?? 0x3f
      classes[k] = LETTER
    } else {
      classes[k] = OTHER
    }
  }
}

interface RawWord {
  token: Token
  /** Range in the character stream, for measuring the gap to the next word. */
  from: number
  to: number
  /** A one-character word: a candidate for a word spelled letter by letter. */
  single: boolean
  /** The single character is a real letter (not a digit). */
  letter: boolean
  /** The single character, leet-mapped. */
  char: string
}

/** Reused buffer of UTF-16 units for building one word at a time. */
let units = new Uint16Array(256)

function pushCode(length: number, code: number): number {
  if (length + 2 > units.length) {
    const bigger = new Uint16Array(units.length * 2)
    bigger.set(units)
    units = bigger
  }
  if (code < 0x10000) {
    units[length] = code
    return length + 1
  }
  const c = code - 0x10000
  units[length] = 0xd800 + (c >> 10)
  units[length + 1] = 0xdc00 + (c & 0x3ff)
  return length + 2
}

function unitsToString(length: number): string {
  return length < 64 ? String.fromCharCode.apply(null, units.subarray(0, length) as unknown as number[]) : new TextDecoder('utf-16le').decode(units.subarray(0, length))
}

function plainAscii(original: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = original.charCodeAt(i) | 0x20
    if (c < 0x61 || c > 0x7a) return false
  }
  return true
}

function isWordClass(c: number | undefined): boolean {
  return c === LETTER || c === DIGIT || c === APOSTROPHE
}

function cutWords(original: string, s: CharStream): RawWord[] {
  const { codes, classes, starts, ends } = s
  const words: RawWord[] = []
  let k = 0
  while (k < s.length) {
    if (!isWordClass(classes[k])) {
      k++
      continue
    }
    const from = k
    let hasLetter = false
    let hasOne = false
    while (k < s.length && isWordClass(classes[k])) {
      if (classes[k] === LETTER) hasLetter = true
      k++
    }
    const to = k
    let length = 0
    let first = -1
    let last = -1
    for (let j = from; j < to; j++) {
      const cls = classes[j]
      if (cls === APOSTROPHE) continue
      let code = codes[j] ?? 0
      if (cls === DIGIT && hasLetter) {
        if (code === ONE) hasOne = true
        code = LEET[code] ?? code
      }
      length = pushCode(length, code)
      if (first < 0) first = j
      last = j
    }
    if (first < 0) continue
    const from0 = starts[first] ?? 0
    const to0 = ends[last] ?? 0
    // Most words are plain ASCII letters: slicing the original is much cheaper than building.
    let text: string
    if (to0 - from0 === length && length === last - first + 1 && !hasOne && plainAscii(original, from0, to0)) {
      text = original.slice(from0, to0).toLowerCase()
    } else {
      text = unitsToString(length)
    }
    let alt: string | null = null
    if (hasOne) {
      length = 0
      for (let j = from; j < to; j++) {
        const cls = classes[j]
        if (cls === APOSTROPHE) continue
        const code = codes[j] ?? 0
        length = pushCode(length, code === ONE ? LOWER_L : cls === DIGIT ? (LEET[code] ?? code) : code)
      }
      alt = unitsToString(length)
    }
    const single = first === last
    words.push({
      token: { text, alt, start: starts[first] ?? 0, end: ends[last] ?? 0, letters: null },
      from: first,
      to: last + 1,
      single,
      letter: single && classes[first] === LETTER,
      char: single ? String.fromCodePoint(LEET[codes[first] ?? 0] ?? codes[first] ?? 0) : ''
    })
  }
  return words
}

function softGap(s: CharStream, from: number, to: number): boolean {
  const gap = to - from
  if (gap < 1 || gap > MAX_SPELLED_GAP) return false
  for (let j = from; j < to; j++) if (s.classes[j] !== SEPARATOR) return false
  return true
}

/** Joins runs like `k i l l` and `k.1.l.l` into one spelled word. */
function joinSpelled(s: CharStream, words: RawWord[]): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < words.length) {
    const w = words[i] as RawWord
    if (!w.single) {
      tokens.push(w.token)
      i++
      continue
    }
    let j = i
    let letters = w.letter ? 1 : 0
    while (j + 1 < words.length) {
      const next = words[j + 1] as RawWord
      if (!next.single || !softGap(s, (words[j] as RawWord).to, next.from)) break
      j++
      if (next.letter) letters++
    }
    const count = j - i + 1
    if (count >= 3 && letters >= 2) {
      let text = ''
      const spans: Array<{ start: number; end: number }> = []
      for (let k = i; k <= j; k++) {
        const part = words[k] as RawWord
        text += part.char
        spans.push({ start: part.token.start, end: part.token.end })
      }
      const last = words[j] as RawWord
      tokens.push({ text, alt: null, start: w.token.start, end: last.token.end, letters: spans })
    } else {
      for (let k = i; k <= j; k++) tokens.push((words[k] as RawWord).token)
    }
    i = j + 1
  }
  return tokens
}

export function tokenize(text: string): Token[] {
  const stream = foldText(text)
  resolveSymbols(stream)
  return joinSpelled(stream, cutWords(text, stream))
}

export interface Normalized {
  /** The normalised words separated by single spaces. */
  text: string
  /** For each UTF-16 unit of `text`: where its source starts in the original (for a space: the end of the word before). */
  starts: Int32Array
  /** For each UTF-16 unit of `text`: where its source ends in the original, exclusive. */
  ends: Int32Array
}

/**
 * The normalised form of a text as the matcher sees it, with a map back to the original.
 * Stretched letters are kept (`killlll`): the matcher compares runs of letters instead of
 * collapsing them, so that `ass` never becomes `as`.
 */
export function normalize(text: string): Normalized {
  const tokens = tokenize(text)
  let out = ''
  const starts: number[] = []
  const ends: number[] = []
  tokens.forEach((token, index) => {
    if (index > 0) {
      out += ' '
      const prevEnd = (tokens[index - 1] as Token).end
      starts.push(prevEnd)
      ends.push(token.start)
    }
    let c = 0
    for (const ch of token.text) {
      const span = token.letters?.[c] ?? token
      for (let u = 0; u < ch.length; u++) {
        starts.push(span.start)
        ends.push(span.end)
      }
      c++
    }
    out += token.text
  })
  return { text: out, starts: Int32Array.from(starts), ends: Int32Array.from(ends) }
}
