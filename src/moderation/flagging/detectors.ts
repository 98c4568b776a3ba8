/**
 * Detectors that need no rule: phone numbers and e-mail addresses (a member sharing contact
 * details on an anonymous forum is either exposing themselves or arranging something off the
 * platform), and links (spam from new accounts). They read the original text, not the
 * normalised words, because leetspeak would turn digits into letters.
 */
import { findPhoneNumbersInText, isPossiblePhoneNumber, type CountryCode } from 'libphonenumber-js'
import { ASCII_CLASS, CharClass, foldCodePoint } from './fold.js'

export interface Span {
  start: number
  end: number
}

/** National formats are read as American and as British, the forum's main audiences. */
const PHONE_COUNTRIES: readonly CountryCode[] = ['US', 'GB']
/*
 * The constants exported below are also the fast path's (ascii.ts): its gates must let through everything the
 * detectors could find, so it reads them from here rather than keeping copies.
 */
/** The fewest digits of a number. */
export const MIN_PHONE_DIGITS = 7
const MAX_PHONE_DIGITS = 15
/** A number spelled digit by digit must be as long as a full national number. */
export const SPELLED_PHONE_DIGITS = 10
/** At most this many characters between two digits of a number (PHONE_LIKE, undodge). */
export const MAX_PHONE_GAP = 3
/** What may stand between two digits of a number besides white space (PHONE_LIKE); `_` is read as a space (phoneText). */
export const PHONE_SEPARATORS = '().-/'
/** Marks put between the groups of a number to dodge a filter (DODGE), besides line breaks. */
export const DODGE_MARKS = '|~*:=+#'
/** The characters of `chars` for a character class of a regular expression. */
const inClass = (chars: string): string => chars.replace(/[\\\][^-]/gu, '\\$&')

const DIGIT_WORDS: Readonly<Record<string, number>> = {
  zero: 0, oh: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9
}
/** The words that say a digit. */
export const DIGIT_WORD_NAMES: readonly string[] = Object.keys(DIGIT_WORDS)
/** The digit words, for the regular expressions below. */
const DIGIT_NAMES = DIGIT_WORD_NAMES.join('|')
/** Words read out between the groups of a number: `212 dot 555 dot 0187`. */
export const SPOKEN_SEPARATOR_WORDS: readonly string[] = ['dot', 'period']
const SPOKEN_SEPARATORS = new Set(SPOKEN_SEPARATOR_WORDS)
/**
 * Words that say the next digit twice or three times, as British numbers are read out: `nine double oh`.
 * They count only in a run that reads as a number without them, eight digit words or more with at most two
 * of them: dominoes (`double six, double five…`), darts (`triple one, triple five…`) and `double oh seven`
 * come in runs of them.
 */
const REPEATS: Readonly<Record<string, number>> = { double: 2, triple: 3 }
export const REPEATED_RUN_WORDS = 8
const MAX_REPEATS = 2
const NUMBER_ITEM = String.raw`(?:\d{1,4}|(?:(?:double|triple)\s+)?(?:${DIGIT_NAMES}))`
const NUMBER_GAP = String.raw`(?:[\s.\-()/,]{1,3}|\s+(?:${SPOKEN_SEPARATOR_WORDS.join('|')})\s+)`
/**
 * A digit, a group of digits, or a digit spelled as a word, then the gap to the next one. Not inside a word:
 * `phone oh seven…` must not start at the `one` of `phone` and swallow the number.
 */
const SPELLED_NUMBER = new RegExp(String.raw`(?<![\p{L}\p{N}])(?:\+\s?)?${NUMBER_ITEM}(?:${NUMBER_GAP}${NUMBER_ITEM}\b)+`, 'giu')

/**
 * Numbers of two digits said as one word, as numbers are also read out (`four fifteen`, `oh one eighty
 * seven`), and `hundred` after a digit (`nine hundred`): each says two digits more.
 */
const TEENS = ['ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen']
const TENS: Readonly<Record<string, number>> = { twenty: 20, thirty: 30, forty: 40, fourty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90 }
/** The words above, which the fast path (ascii.ts) counts as two digits each. */
export const TWO_DIGIT_WORDS: readonly string[] = [...TEENS, ...Object.keys(TENS), 'hundred']
const UNIT_NAMES = 'one|two|three|four|five|six|seven|eight|nine'
/** First, so that `nine hundred` and `seventy` are read whole, not as `nine` and `seven`. */
const TWO_DIGIT_ITEM = String.raw`(?:(?:${UNIT_NAMES})\s+hundred|(?:${Object.keys(TENS).join('|')})(?:[\s-]+(?:${UNIT_NAMES}))?|${TEENS.join('|')})`
const READ_OUT_ITEM = `(?:${TWO_DIGIT_ITEM}|${NUMBER_ITEM})`
const READ_OUT_NUMBER = new RegExp(String.raw`(?<![\p{L}\p{N}])(?:\+\s?)?${READ_OUT_ITEM}(?:${NUMBER_GAP}${READ_OUT_ITEM}\b)+`, 'giu')
/** One item of such a run: a group of digits, a digit said (perhaps twice or three times), or a number of two digits said. */
const READ_OUT_PART = new RegExp(String.raw`(?<digits>\d+)|(?<repeat>double|triple)\s+(?<repeated>${DIGIT_NAMES})|(?<hundreds>${UNIT_NAMES})\s+hundred|(?<tens>${Object.keys(TENS).join('|')})(?:[\s-]+(?<unit>${UNIT_NAMES}))?\b|(?<teen>${TEENS.join('|')})\b|(?<digit>${DIGIT_NAMES})\b`, 'giu')
/** Such a word anywhere, even inside another (a cheap test: without the `u` flag and word edges V8 scans it many times faster). */
const TWO_DIGIT_WORD = new RegExp(`(?:${TEENS.join('|')}|${Object.keys(TENS).join('|')}|hundred)`, 'i')
/** Digits said one by one in the run, at least, and at least two of them in a row (`oh one`, `five five five`). */
export const READ_OUT_DIGITS = 3
const READ_OUT_STREAK = 2

/** A local number without its area code: three digits (the exchange), then four (the line). */
const LOCAL_DIGITS = 7
const EXCHANGE_DIGITS = 3
/** The word of `area code` that the fast path (ascii.ts) marks. */
export const AREA_CODE_WORD = 'code'
/**
 * An area code said apart from the rest of the number (`area code is three one two`): three
 * digits, as one group or one by one. `code` must end its word, as the fast path (ascii.ts, which
 * marks the word) reads it.
 */
const AREA_CODE = new RegExp(
  String.raw`\barea\s+${AREA_CODE_WORD}(?:\s+is\s+|\s*[:=-]\s*|\s+)(\d{3}|(?:\d|${DIGIT_NAMES})(?:[\s,-]{1,2}(?:\d|${DIGIT_NAMES})){2})`,
  'dgiu'
)

function countDigits(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) n++
  }
  return n
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}\p{N}]/u.test(c)
}

/** `@` and `$` read as letters next to one (`$five` is `sfive` to the fast path); `!` and apostrophes join letters on both sides. */
const GLUE = /^[@$]$/u
const JOINING = /^[!'`\u2018\u2019\u02bc\u2032]$/u

function joins(c: string | undefined): boolean {
  return c !== undefined && (isWordChar(c) || GLUE.test(c))
}

/** Nothing before `start` carries a word on into it, even through `@ $ !` or an apostrophe (`x'five`). */
function endsBefore(text: string, start: number): boolean {
  let before = start - 1
  if (joins(text[before])) return false
  while (before >= 0 && JOINING.test(text[before] as string)) before--
  return !joins(text[before])
}

/** Nothing after `end` carries the word there on (`gmail's` is one word to the fast path). */
function endsAfter(text: string, end: number): boolean {
  let after = end
  if (joins(text[after])) return false
  while (after < text.length && JOINING.test(text[after] as string)) after++
  return !joins(text[after])
}

/** The run from `start` to `end` is not part of a longer word. */
function standsAlone(text: string, start: number, end: number): boolean {
  return endsBefore(text, start) && endsAfter(text, end)
}

/**
 * Numbers read out rather than written, ten to fifteen digits: digit by digit (`4 1 5 5 5 5 2 6
 * 7 1`, `four one five ...`, at least ten of them standing alone or as words, so that counting
 * lists like `1 2 3 4 5 6 7 8 9 10` (nine alone) and dates stay unflagged); digits and words
 * mixed (`212 five five five 0187`: two words or more and a group of three digits or more, which
 * lists of small numbers lack); or groups joined by a spoken `dot` (`212 dot 555 dot 0187`).
 * `double` and `triple` before a digit word say it two or three times (`oh seven seven zero zero,
 * nine double oh, one one two`; REPEATS). A local number of seven digits counts too when the post
 * says its area code apart (findLocalNumber). A run of more digits than a number has is held when ten digits
 * or more of it are said one by one in a row, not counting (`4 1 5 5 5 5 0 1 8 7 1 2 3 4 5 6`: a number
 * padded so as to be too long).
 */
function findSpelledPhones(text: string): Span[] {
  const spans: Span[] = []
  const local: Span[] = []
  for (const m of text.matchAll(SPELLED_NUMBER)) {
    const start = m.index
    const end = start + m[0].length
    if (!standsAlone(text, start, end)) continue
    const parts = m[0].match(/\d+|[a-z]+/giu) ?? []
    let digits = 0
    let alone = 0
    let words = 0
    let spoken = 0
    let group = false
    // Groups of digits written together sit where a local number has them (`555 0142`), which counts and dates (`1,234,567`) do not.
    let localShape = true
    let times = 1
    let repeats = 0
    let repeated = 0
    /** The digits said one by one since the last group of digits, and whether ten of them in a row, not counting, were. */
    const row: number[] = []
    let saidInRow = false
    const endRow = () => {
      if (row.length >= SPELLED_PHONE_DIGITS && !countsRound(row)) saidInRow = true
      row.length = 0
    }
    for (const part of parts) {
      const lower = part.toLowerCase()
      if (REPEATS[lower] !== undefined) {
        times = REPEATS[lower]
        repeats++
      } else if (SPOKEN_SEPARATORS.has(lower)) {
        spoken++
      } else if (DIGIT_WORDS[lower] !== undefined) {
        digits++
        alone++
        words++
        repeated += times - 1
        times = 1
        row.push(DIGIT_WORDS[lower])
      } else {
        const exchange = digits === 0 && part.length === EXCHANGE_DIGITS
        const line = digits === EXCHANGE_DIGITS && part.length === LOCAL_DIGITS - EXCHANGE_DIGITS
        if (part.length > 1 && !exchange && !line) localShape = false
        digits += part.length
        if (part.length === 1) {
          alone++
          row.push(Number(part))
        } else {
          endRow()
        }
        if (part.length >= 3) group = true
      }
    }
    endRow()
    if (repeated > 0 && words >= REPEATED_RUN_WORDS && repeats <= MAX_REPEATS) {
      digits += repeated
      alone += repeated
    }
    if (digits === LOCAL_DIGITS && localShape) local.push({ start, end })
    if (digits > MAX_PHONE_DIGITS && saidInRow) spans.push({ start, end })
    if (digits < SPELLED_PHONE_DIGITS || digits > MAX_PHONE_DIGITS) continue
    if (alone >= SPELLED_PHONE_DIGITS || (words >= 2 && group) || spoken >= 1) spans.push({ start, end })
  }
  if (local.length > 0) spans.push(...findLocalNumber(text, local))
  return spans
}

/**
 * Numbers read out with numbers of two digits among the digits (`four fifteen, five five five, oh one eighty
 * seven`; `oh seven seven double oh, nine hundred, one two three`): ten to fifteen digits, of which at least
 * READ_OUT_DIGITS are said one by one, READ_OUT_STREAK of them in a row. Members say their age, their days,
 * times and scores with such words too, but not with digits said one by one among them: `seven fifteen, six
 * thirty, eight forty five` (times) says none in a row. Counting (`one two three … ten eleven`, a countdown)
 * is not a number.
 */
function findReadOutPhones(text: string): Span[] {
  const spans: Span[] = []
  for (const m of text.matchAll(READ_OUT_NUMBER)) {
    const start = m.index
    const end = start + m[0].length
    if (!standsAlone(text, start, end)) continue
    let digits = 0
    let said = 0
    let streak = 0
    let longest = 0
    let twoDigit = 0
    let repeats = 0
    let repeated = 0
    /** The value of each item, to tell counting apart; a group of digits written is not counting. */
    const values: number[] = []
    for (const part of m[0].matchAll(READ_OUT_PART)) {
      const g = part.groups ?? {}
      let one = false
      if (g.digits !== undefined) {
        digits += g.digits.length
        values.push(Number.NaN)
      } else if (g.repeated !== undefined) {
        const times = REPEATS[(g.repeat ?? '').toLowerCase()] ?? 1
        digits++
        repeats++
        repeated += times - 1
        one = true
        values.push(Number.NaN)
      } else if (g.hundreds !== undefined) {
        digits += 3
        twoDigit++
        values.push((DIGIT_WORDS[g.hundreds.toLowerCase()] ?? 0) * 100)
      } else if (g.tens !== undefined) {
        digits += 2
        twoDigit++
        values.push((TENS[g.tens.toLowerCase()] ?? 0) + (g.unit === undefined ? 0 : (DIGIT_WORDS[g.unit.toLowerCase()] ?? 0)))
      } else if (g.teen !== undefined) {
        digits += 2
        twoDigit++
        values.push(10 + TEENS.indexOf(g.teen.toLowerCase()))
      } else if (g.digit !== undefined) {
        digits++
        one = true
        values.push(DIGIT_WORDS[g.digit.toLowerCase()] ?? Number.NaN)
      }
      if (one) {
        said++
        longest = Math.max(longest, ++streak)
      } else {
        streak = 0
      }
    }
    // `double` and `triple` count as findSpelledPhones counts them.
    if (repeated > 0 && said >= REPEATED_RUN_WORDS && repeats <= MAX_REPEATS) digits += repeated
    if (twoDigit === 0 || said < READ_OUT_DIGITS || longest < READ_OUT_STREAK) continue
    if (digits < SPELLED_PHONE_DIGITS || digits > MAX_PHONE_DIGITS || isCounting(values)) continue
    spans.push({ start, end })
  }
  return spans
}

/** Each value one more than the last, or each one less: `one two three … ten eleven`, `ten nine eight …`. */
function isCounting(values: readonly number[]): boolean {
  for (const step of [1, -1]) {
    let all = true
    for (let i = 1; i < values.length && all; i++) all = (values[i] as number) - (values[i - 1] as number) === step
    if (all) return true
  }
  return false
}

/** Digits counted up or down round the keypad, `9` then `0` (`0 1 2 … 9 0 1 2`, `9 8 … 1 0 9 8`). */
function countsRound(digits: readonly number[]): boolean {
  for (const step of [1, 9]) {
    let all = true
    for (let i = 1; i < digits.length && all; i++) all = ((digits[i] as number) - (digits[i - 1] as number) + 10) % 10 === step
    if (all) return true
  }
  return false
}

/**
 * Seven digits alone are too often something else (a count, a sum, a date) to hold, but with an
 * area code said in the same post (`five five five, oh one four two. area code is three one two`)
 * they are a full number given in two pieces, and both pieces are held.
 */
function findLocalNumber(text: string, local: Span[]): Span[] {
  // The first area code said that stands alone (`area code is 3125` is not one; a later one may be).
  for (const area of text.matchAll(AREA_CODE)) {
    const code = area.indices?.[1]
    if (code !== undefined && endsAfter(text, code[1])) return [...local, { start: code[0], end: code[1] }]
  }
  return []
}

const VARIATION_SELECTOR = 0xfe0f
const KEYCAP = 0x20e3

/**
 * What a character reads as for the detectors, by UTF-16 unit: 0 not yet worked out, KEEP itself, DROP
 * nothing, otherwise the ASCII code plus two. A character that folds (fold.ts) to one ASCII letter, digit
 * or `@ $ !` of the same class reads as it (`２` `＠` `ａ`, which is what the fast path of ascii.ts
 * reads too), as does any other decimal digit (`٣`, `३`); a separator reads as the ASCII separator it
 * folds to (`．` `－`), or as a space. Invisible characters and combining marks read as nothing, as the
 * keyword rules read them (`415\u200b555`, `jane\u0301@`), but for the mark of a keycap digit (`2⃣`),
 * which phoneText reads.
 */
const WIDE = new Uint8Array(0x10000)
const KEEP = 1
const DROP = 0xff
const NOT_ASCII = /\P{ASCII}/u
/** A decimal digit of any script: the detectors read any as the ASCII digit (wideReading). */
export const DECIMAL_DIGIT = /^\p{Nd}$/u

function wideReading(cp: number): number {
  if ((cp >= 0xd800 && cp <= 0xdfff) || cp === KEYCAP) return KEEP
  // Before folding: the confusables table reads some as letters (`١` as l, `٥` and `०` as o).
  if (DECIMAL_DIGIT.test(String.fromCodePoint(cp))) return 0x30 + digitValue(cp) + 2
  const folded = foldCodePoint(cp)
  const cls = folded.classes[0]
  const code = folded.codes[0] ?? 0
  if (cls === CharClass.Ignorable || cls === CharClass.Mark) return DROP
  if (folded.codes.length !== 1) return KEEP
  if (cls === CharClass.Separator) return (code < 128 ? code : 0x20) + 2
  if ((cls === CharClass.Letter || cls === CharClass.Digit || cls === CharClass.Symbol) && code < 128 && ASCII_CLASS[code] === cls) return code + 2
  return KEEP
}

/** The value of a decimal digit: Unicode encodes each set of them as a run of ten from zero. */
function digitValue(cp: number): number {
  let zero = cp
  while (DECIMAL_DIGIT.test(String.fromCodePoint(zero - 1))) zero--
  return (cp - zero) % 10
}

/**
 * A text as the detectors read it: without invisible characters and combining marks, with compatibility
 * forms read as ASCII (`２１２－５５５`, `name＠gmail．com`, `𝟒𝟏𝟓`), and where each of its units is in the
 * text as written, so that a detector's span can be given in the text as written (toOriginal).
 */
export interface Reading {
  /** The text as written. */
  readonly original: string
  /** The text as read. */
  readonly text: string
  /** Where each unit of `text` is in `original`; null when they are the same units, one for one. */
  readonly origin: Int32Array | null
}

function identity(length: number, upTo: number): Int32Array {
  const origin = new Int32Array(length)
  for (let k = 0; k < upTo; k++) origin[k] = k
  return origin
}

/** The text as the detectors read it (Reading). ASCII text, most posts, reads as itself at the cost of one search. */
export function reading(original: string): Reading {
  // A regular expression finds the first other character several times faster than a loop over the units.
  let i = original.search(NOT_ASCII)
  if (i < 0) return { original, text: original, origin: null }
  const n = original.length
  let text = original.slice(0, i)
  /** Made when a unit is first dropped or a pair read as one unit; until then each unit is where it was. */
  let origin: Int32Array | null = null
  let at = i
  for (; i < n; i++) {
    const u = original.charCodeAt(i)
    let width = 1
    let v: number
    if (u < 128) {
      v = KEEP
    } else if (u >= 0xd800 && u <= 0xdbff && i + 1 < n && (original.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      width = 2
      v = wideReading(original.codePointAt(i) as number)
    } else {
      v = WIDE[u] as number
      if (v === 0) v = WIDE[u] = wideReading(u)
    }
    if (v === DROP) {
      origin ??= identity(n, at)
    } else if (v === KEEP) {
      if (origin !== null) {
        origin[at] = i
        if (width === 2) origin[at + 1] = i + 1
      }
      text += width === 2 ? original.slice(i, i + 2) : original[i]
      at += width
    } else {
      if (width === 2) origin ??= identity(n, at)
      if (origin !== null) origin[at] = i
      text += String.fromCharCode(v - 2)
      at++
    }
    i += width - 1
  }
  return { original, text, origin: origin === null ? null : origin.subarray(0, at) }
}

const isHigh = (u: number): boolean => (u & 0xfc00) === 0xd800
const isLow = (u: number): boolean => (u & 0xfc00) === 0xdc00

/** Spans of what was read (Reading.text) as spans of the text as written: over all it covers, never inside a pair. */
function toOriginal(read: Reading, spans: Span[]): Span[] {
  const origin = read.origin
  if (origin === null) return spans
  const text = read.original
  for (const span of spans) {
    let start = origin[span.start] ?? span.start
    let end = (origin[span.end - 1] ?? span.end - 1) + 1
    if (isLow(text.charCodeAt(start)) && isHigh(text.charCodeAt(start - 1))) start--
    if (isLow(text.charCodeAt(end)) && isHigh(text.charCodeAt(end - 1))) end++
    span.start = start
    span.end = end
  }
  return spans
}

/** What a detector reads of `text`: a Reading made by the caller, once for all the detectors, or one made here. */
const readingOf = (text: string | Reading): Reading => (typeof text === 'string' ? reading(text) : text)

const KEYCAPS = /(\d)\ufe0f?\u20e3/gu
/**
 * A run of digits with letters that look like digits among them, standing alone: the letter O for
 * a zero (`555-O187`, `o7911`) and a lowercase l for a one (`6l7 555 Ol87`). A capital I or L
 * is left alone: it is as often a word or an initial.
 *
 * One star, and a start only where no letter or digit stands before: each run of letters and digits is read at
 * most twice, so the time is linear. Two stars around a required digit (`[0-9oOl]*[0-9][0-9oOl]*`) tried every
 * split of a run that ended in another letter: 40,000 characters of `o1o1…x` took two seconds.
 */
const DIGITS_WITH_LOOKALIKES = /(?<![\p{L}\p{N}])[0-9oOl]+(?![\p{L}\p{N}])/gu
const LOOKALIKE_NEXT_TO_DIGIT = /[oOl]\d|\d[oOl]/u

/** The letters O and l read as a zero and a one in each run of DIGITS_WITH_LOOKALIKES that has a digit. */
export function lookalikeDigits(text: string): string {
  if (!LOOKALIKE_NEXT_TO_DIGIT.test(text)) return text
  return text.replace(DIGITS_WITH_LOOKALIKES, (m) => (/\d/u.test(m) ? m.replace(/[oO]/gu, '0').replaceAll('l', '1') : m))
}

/**
 * Marks put between the groups of a number so that a filter misses it (`415 | 555 | 0187`, `415*555*0187`),
 * and line breaks between the groups, which the parser does not read across (`text me⏎415⏎555⏎0187`): groups
 * of digits joined by them, or by the usual separators, with at most MAX_PHONE_GAP characters between two groups
 * (as PHONE_LIKE, and the fast path's gate in ascii.ts, allow).
 */
const DODGE = String.raw`[ \t]*(?:[${inClass(DODGE_MARKS)}]|\r?\n)[ \t]*`
const DODGED_NUMBER = new RegExp(String.raw`(?<![\p{L}\p{N}+])\+?\d+(?:(?:${DODGE}|[ .\-/]{1,3})\d+)+(?![\p{L}\p{N}])`, 'gu')
/** A dodging mark between two digits, spaced or not: the cheap test before undodge. */
const DODGE_BETWEEN_DIGITS = new RegExp(String.raw`\d${DODGE}\d`, 'u')
const DODGE_MARK = new RegExp(String.raw`[${inClass(DODGE_MARKS)}]|\r?\n`, 'u')
const DODGE_MARKS_AND_BREAKS = new RegExp(String.raw`[${inClass(DODGE_MARKS)}\r\n]`, 'gu')
/** Signs of sums (`300 + 450`, `1000 = 365`) count only written tight against the digits, as sums seldom are. */
const ARITHMETIC = /[*=+]/u

/**
 * Whether groups of digits joined by a dodging mark are laid out as a phone number is, rather than as a sum, a
 * list of years or times, or a ratio: an international number (`+44 | 7700 | 900123`), a national one with
 * its trunk 0 of ten or eleven digits (`07700 | 900 | 123`), or a North American one (`415 | 555 | 0187`,
 * `1 | 415 | 555 | 0187`).
 */
function dialable(run: string): boolean {
  const groups = run.match(/\d+/gu) ?? []
  const lengths = groups.map((g) => g.length)
  const total = lengths.reduce((a, b) => a + b, 0)
  if (total < MIN_PHONE_DIGITS || total > MAX_PHONE_DIGITS) return false
  const first = groups[0] ?? ''
  if (run.startsWith('+')) return lengths.slice(1).every((n) => n >= 2)
  if (first.startsWith('0')) return total >= 10 && total <= 11 && lengths.every((n) => n >= 2)
  const shape = lengths.join('-')
  return (shape === '3-3-4' && /^[2-9]/u.test(first)) || (shape === '1-3-3-4' && first === '1')
}

/** The dodging marks between the groups of a number (DODGE) read as spaces, where the groups are laid out as one. */
function undodge(text: string): string {
  return text.replace(DODGED_NUMBER, (run) => {
    // Before the first group, nothing or a `+`; then the gap after each group.
    const [lead = '', ...gaps] = run.split(/\d+/u)
    const marks = new Set<string>()
    for (const gap of gaps) {
      const mark = gap.match(DODGE_MARK)?.[0]
      if (mark === undefined) continue
      if (gap.length > MAX_PHONE_GAP || (ARITHMETIC.test(mark) && gap.length > 1)) return run
      marks.add(mark)
    }
    // One kind of mark throughout: `7:30 | 8:15` is a list of times, not a number.
    if (marks.size !== 1 || !dialable(run)) return run
    return lead + run.slice(lead.length).replace(DODGE_MARKS_AND_BREAKS, ' ')
  })
}

/**
 * The text as the phone detectors read it, one unit for one unit: what the detectors read (Reading),
 * underscores as spaces (`212_555_0187`), the marks of keycap digits (`2️⃣`) as spaces, the letters O
 * and l among digits as a zero and a one, and the marks members put between the groups of a number to
 * dodge a filter as spaces (undodge).
 */
function phoneText(text: string): string {
  let f = text
  if (f.includes('_')) f = f.replaceAll('_', ' ')
  if (f.includes('\u20e3')) f = f.replace(KEYCAPS, (m: string, d: string) => d + ' '.repeat(m.length - 1))
  f = lookalikeDigits(f)
  if (DODGE_BETWEEN_DIGITS.test(f)) f = undodge(f)
  return f
}

/** What may stand between two digits of a number. */
const PHONE_GAP = String.raw`[\s${inClass(PHONE_SEPARATORS)}]`
/** Seven digits with at most three separators between each: cheap test before the real parser. */
const PHONE_LIKE = new RegExp(String.raw`(?:\d${PHONE_GAP}{0,${MAX_PHONE_GAP}}){${MIN_PHONE_DIGITS - 1}}\d`, 'u')
const DIGIT_WORD = new RegExp(DIGIT_NAMES, 'giu')
/** `double` and `triple` anywhere (an upper bound, as DIGIT_WORD is). */
const REPEAT_WORD = /double|triple/giu
/** Numbers of two digits said as a word, anywhere (an upper bound, as DIGIT_WORD is). */
const TWO_DIGIT_WORDS_ANYWHERE = new RegExp(TWO_DIGIT_WORDS.join('|'), 'gi')

/**
 * What a caller that has already read the text knows: each is false only where that search
 * cannot find anything in phoneText(text).
 */
export interface PhoneGates {
  /** PHONE_LIKE would match. */
  numbers: boolean
  /** findSpelledPhones could find something. */
  spelled: boolean
}
export const OPEN_GATES: PhoneGates = { numbers: true, spelled: true }

/**
 * How many digits the digit words of a text say at most: a `double` or `triple` before one says it again, and
 * a number of two digits said as a word (`fifteen`, `hundred`) says two.
 */
function spokenDigits(text: string): number {
  let count = (text.match(DIGIT_WORD) ?? []).length
  for (const m of text.matchAll(REPEAT_WORD)) count += (REPEATS[(m[0] as string).toLowerCase()] ?? 1) - 1
  return count + 2 * (text.match(TWO_DIGIT_WORDS_ANYWHERE) ?? []).length
}

const CURRENCY = /[$£€¥]/u
/** An extension after a number (`x 12`, `ext. 12`), which the parser keeps with it. */
const EXTENSION = /\s*(?:ext\.?|extension|x|#)\s*\d{1,6}$/iu
/** Thousands grouped by spaces or dots (`1 000 000`, `12.345.678.901`), not a number to dial. */
const THOUSANDS = /^\d{1,3}(?:([ .])\d{3})(?:\1\d{3})+$/u
/** A national number written with a trunk 0 has ten or eleven digits (`020 7946 0958`, `07700 900123`). */
const TRUNK_DIGITS = 10
/** A number of ten digits or more, a full national number, is held however its groups are cut (`41 55 55 01 87`, a dodge). */
const FULL_DIGITS = 10

/**
 * Whether a number the parser found (POSSIBLE leniency reads any seven to fifteen digits of GB or US lengths as
 * one) is laid out as members write a number: international (`+44 …`, `0044 …`); with its trunk 0, ten digits
 * or more; otherwise ten digits or more in any groups but thousands, or a local number of seven (`555-0142`,
 * `5550142`, `555 01 87`). Not lists of small numbers (`86 88 417`, `650 700 720`), dates (`03 14 2019`) or
 * thousands (`1 000 000`).
 */
function phoneLayout(raw: string): boolean {
  const number = raw.replace(EXTENSION, '')
  if (/^\D*(?:\+|00[1-9])/u.test(number)) return true
  const groups = number.match(/\d+/gu) ?? []
  const total = countDigits(number)
  if ((groups[0] ?? '').startsWith('0')) return total >= TRUNK_DIGITS
  if (total >= FULL_DIGITS) return !THOUSANDS.test(number.trim())
  // A local number: its exchange of three digits first, the line after it however cut (`555 01 87`), or unbroken.
  return total === LOCAL_DIGITS && (groups.length === 1 || groups[0]?.length === EXCHANGE_DIGITS)
}

/**
 * How a national number with its trunk 0 is written in groups (`020 7946 0958`, `0161 496 0000`, `07700 900123`,
 * `07700 900 123`, `0800 123456`), or unbroken.
 */
const TRUNK_LAYOUTS = new Set(['10', '11', '3-4-4', '4-3-4', '5-6', '5-5', '5-3-3', '4-6', '3-3-4'])

/**
 * Whether a window of groups of digits inside a longer run is laid out as a number: international (`+44 7700
 * 900123`), national with its trunk 0 in the usual groups (TRUNK_LAYOUTS), or North American (`415 555 0187`,
 * `1 415 555 0187`, `4155550187`). Stricter than phoneLayout: the run around it says that the digits are a list.
 */
function paddedLayout(window: string): boolean {
  const groups = window.match(/\d+/gu) ?? []
  const lengths = groups.map((g) => g.length)
  const first = groups[0] ?? ''
  if (window.startsWith('+')) return lengths.slice(1).every((n) => n >= 2)
  const shape = lengths.join('-')
  if (first.startsWith('0')) return TRUNK_LAYOUTS.has(shape)
  return ((shape === '3-3-4' || shape === '10') && /^[2-9]/u.test(first)) || (shape === '1-3-3-4' && first === '1')
}

/** Groups of digits with at most MAX_PHONE_GAP of what PHONE_LIKE allows between each (so that PHONE_LIKE, the gate, matches where this does). */
const DIGIT_RUN = new RegExp(String.raw`(?<![\p{L}\p{N}])\+?\d+(?:${PHONE_GAP}{1,${MAX_PHONE_GAP}}\d+)+`, 'gu')
const WORD_CHAR = /[\p{L}\p{N}]/u
/** Windows checked with the parser in one text at most; past them a window laid out as a number is held unchecked, so that a post of digits costs little. */
const MAX_WINDOW_CHECKS = 32

/**
 * Numbers in order, each at least the one before (`365 730 1095 1460` days, years, pages, amounts that grew): a
 * list, where the groups of a number padded out (`415 555 0187 12`) are in no order. Not those in the other
 * order: a national number's groups often are (`07700 900 123 4`).
 */
function inOrder(values: readonly number[]): boolean {
  for (let i = 1; i < values.length; i++) if ((values[i] as number) < (values[i - 1] as number)) return false
  return true
}

/**
 * Numbers inside a longer run of groups of digits, which the parser reads whole and then finds nothing in
 * (`415 555 0187 12`, `99 415 555 0187`, a number written twice): each window of consecutive groups laid out as
 * a number is (paddedLayout), and possible to the parser, not inside a number already found nor after a currency
 * sign, in a run that is not a list in order (inOrder).
 */
function findPaddedPhones(folded: string, found: readonly Span[]): Span[] {
  const spans: Span[] = []
  let checks = 0
  // Where the numbers already found are, so that a window is checked against them in the time it takes to read it.
  let taken: Uint8Array | null = null
  if (found.length > 0) {
    taken = new Uint8Array(folded.length)
    for (const span of found) taken.fill(1, span.start, span.end)
  }
  for (const run of folded.matchAll(DIGIT_RUN)) {
    if (countDigits(run[0]) < MIN_PHONE_DIGITS || CURRENCY.test(folded[run.index - 1] ?? '')) continue
    const groups = [...run[0].matchAll(/\d+/gu)]
    const last = groups.length - 1
    if (inOrder(groups.map((g) => Number(g[0])))) continue
    const plus = run[0].startsWith('+')
    for (let a = 0; a < groups.length; a++) {
      let digits = 0
      for (let b = a; b <= last; b++) {
        digits += (groups[b] as RegExpExecArray)[0].length
        // No layout but an international one has more than four groups (paddedLayout).
        if (digits > MAX_PHONE_DIGITS || (b - a >= 4 && !(plus && a === 0))) break
        if (digits < MIN_PHONE_DIGITS) continue
        const from = (groups[a] as RegExpExecArray).index
        const start = run.index + (a === 0 ? 0 : from)
        const end = run.index + (groups[b] as RegExpExecArray).index + (groups[b] as RegExpExecArray)[0].length
        if (b === last && WORD_CHAR.test(folded[end] ?? '')) continue
        const window = folded.slice(start, end)
        // Windows come by where they start, so only the last one held can overlap this one.
        if (!paddedLayout(window) || start < (spans[spans.length - 1]?.end ?? 0) || (taken !== null && taken.subarray(start, end).includes(1))) continue
        if (++checks <= MAX_WINDOW_CHECKS && !PHONE_COUNTRIES.some((country) => isPossiblePhoneNumber(window.replace(/[^\d+]/gu, ''), country))) continue
        spans.push({ start, end })
      }
    }
  }
  return spans
}

/**
 * Phone numbers in the text: what libphonenumber finds, laid out as a number (phoneLayout), numbers inside a
 * longer run of digits (findPaddedPhones), and numbers read out (findSpelledPhones, findReadOutPhones). `text`
 * as written, or as read already (Reading); the spans are in the text as written.
 */
export function findPhones(text: string | Reading, gates: PhoneGates = OPEN_GATES): Span[] {
  if (!gates.numbers && !gates.spelled) return []
  const read = readingOf(text)
  const spans: Span[] = []
  const folded = phoneText(read.text)
  const digits = countDigits(folded)
  if (gates.numbers && digits >= MIN_PHONE_DIGITS && PHONE_LIKE.test(folded)) {
    for (const country of PHONE_COUNTRIES) {
      // `leniency` is a documented option that the bundled types leave out. POSSIBLE, not VALID:
      // ranges reserved for fiction (07700 900xxx, 555) are still someone's attempt to share a number.
      const options = { defaultCountry: country, leniency: 'POSSIBLE' } as { defaultCountry: CountryCode }
      for (const found of findPhoneNumbersInText(folded, options)) {
        const raw = folded.slice(found.startsAt, found.endsAt)
        const before = folded[found.startsAt - 1]
        // Money and amounts: `$1,234,567` is not a phone number.
        if (raw.includes(',') || (before !== undefined && CURRENCY.test(before))) continue
        // Digits standing alone (`1 2 3 4 ...`) are a list unless long enough to be read out
        // as a number, which findSpelledPhones decides.
        if ((raw.match(/\d+/gu) ?? []).filter((g) => g.length === 1).length >= 4) continue
        const count = countDigits(raw)
        if (count < MIN_PHONE_DIGITS || count > MAX_PHONE_DIGITS || !phoneLayout(raw)) continue
        spans.push({ start: found.startsAt, end: found.endsAt })
      }
    }
    spans.push(...findPaddedPhones(folded, spans))
  }
  if (gates.spelled && digits + spokenDigits(folded) >= SPELLED_PHONE_DIGITS) {
    spans.push(...findSpelledPhones(folded))
    if (TWO_DIGIT_WORD.test(folded)) spans.push(...findReadOutPhones(folded))
  }
  toOriginal(read, spans)
  // A keycap digit ends with its marks.
  const original = read.original
  for (const span of spans) {
    for (let c = original.charCodeAt(span.end); c === VARIATION_SELECTOR || c === KEYCAP; c = original.charCodeAt(span.end)) span.end++
  }
  return mergeSpans(spans)
}

/** Top-level domains accepted in obfuscated addresses and bare links, where a wrong guess costs a false flag. */
const TLDS = 'com|net|org|edu|gov|mil|info|biz|io|co|me|us|uk|ca|au|nz|ie|de|fr|es|it|nl|be|ch|at|se|no|dk|fi|pl|ru|in|br|mx|jp|cn|xyz|app|dev|ly|gg|tv|to|cc|ws|link|site|online|shop|store|club|live|top|pro|eu'
const LABEL = String.raw`[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?`
/** Where an address ends: not inside a word, nor before `-op` (`co-op`). */
const ADDRESS_END = String.raw`(?![\p{L}\p{N}]|-[\p{L}\p{N}])`
const LOCAL_PART = String.raw`(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]{1,64}`
/** An at-sign, spaced or bracketed: `@`, ` @ `, `[@]`, `(@)`. */
const AT_SIGN = String.raw`(?:\s*@\s*|\s*[\[({<]\s*@\s*[\])}>]\s*)`
/** `at` as a word: ` at `, `[at]`, `(at)`. */
const AT_SPOKEN = String.raw`(?:\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at\s+)`
const DOT_SPOKEN = String.raw`(?:\s*[\[({<]\s*d[o0]t\s*[\])}>]\s*|\s+(?:d[o0]t|period)\s+)`
/** After an at-sign, a dot may also be spaced or bracketed: `gmail . com`, `gmail [.] com`. */
const DOT_AFTER_SIGN = String.raw`(?:\.|\s+\.\s+|\s*[\[({<]\s*\.\s*[\])}>]\s*|${DOT_SPOKEN})`
/** After a spoken `at` (a common word), only a real dot or a spoken one: `at home . me` is a sentence. */
const DOT_AFTER_SPOKEN = String.raw`(?:\.|${DOT_SPOKEN})`
const AT_WORD = /[\s[({<]at[\s\])}>]/iu
const DOT_WORD = /[\s[({<](?:d[o0]t|period)[\s\])}>]/iu
/**
 * Mail providers well known enough that `name at gmail`, with no ending, is an address. A space
 * marks where members split the name (`g mail`, `out look`, `ya hoo`); either way counts. Left out
 * on purpose: `me` (me.com) and `live` (live.com), everyday words after `at` (`at me`, `at live
 * shows`), which are still found with their ending, as is `mail.ru` (`mail` alone is a word). A handle
 * (src/accounts/handles.ts) must not read as an address at one either.
 */
export const MAIL_PROVIDER_NAMES: readonly string[] = ['g mail', 'google mail', 'y mail', 'ya hoo', 'hot mail', 'out look', 'msn', 'aol', 'i cloud', 'proton mail', 'proton', 'gmx', 'zoho', 'yandex', 'fast mail', 'tutanota', 'tuta', 'posteo', 'disroot', 'riseup']
/** A provider's name, written together or apart; the longest first, so that `proton mail` is not cut at `proton`. */
const PROVIDER = `(?:${[...MAIL_PROVIDER_NAMES].sort((a, b) => b.length - a.length).map((p) => p.replaceAll(' ', ' ?')).join('|')})`
const PROVIDER_NAME = new RegExp(PROVIDER, 'iu')
/**
 * The words that end a provider's name, written together or apart (`gmail`, `mail`): with the word
 * `at`, the fast path (ascii.ts) opens the e-mail gate on them.
 */
export const MAIL_PROVIDER_WORDS: readonly string[] = [...new Set(MAIL_PROVIDER_NAMES.flatMap((p) => [p.replaceAll(' ', ''), p.slice(p.lastIndexOf(' ') + 1)]))]

/**
 * A provider's name split by a space (`g mail`): written together it is a LABEL already. The two must not
 * both match one name, or every `gmail.` repeated in a text without an ending doubles the regex's work.
 */
const SPLIT_PROVIDER = `(?:${MAIL_PROVIDER_NAMES.filter((p) => p.includes(' ')).sort((a, b) => b.length - a.length).join('|')})`
const DOMAIN_LABEL = `(?:${SPLIT_PROVIDER}|${LABEL})`
/**
 * Obfuscated addresses, whose ending must be a common top-level domain; a provider's name may be split (`g mail
 * dot com`). What stands between the name and the domain, and the domain before its ending, are kept for
 * readsAsAddress.
 */
const EMAIL = new RegExp(
  String.raw`(?<local>${LOCAL_PART})(?:(?<sign>${AT_SIGN})(?:${DOMAIN_LABEL}${DOT_AFTER_SIGN})+|(?<spoken>${AT_SPOKEN})(?<labels>(?:${DOMAIN_LABEL}${DOT_AFTER_SPOKEN})+))(?:${TLDS})${ADDRESS_END}`,
  'giu'
)
/** File names (`icon@2x.png`) are not addresses. */
const FILE_ENDINGS = '(?:png|jpe?g|gif|webp|svg|heic|pdf|docx?|txt)'
/**
 * An address written plainly, `name@domain.ending` with nothing between: any ending of two
 * letters or more counts (`.fm`, `.ru`, a new gTLD, a typo like `.con`). Such a string reads as an
 * address whatever its ending, so `me@the.gym` is held too: a moderator's glance costs less than
 * an address left up, and the ~1,500 real endings include plenty of words (`.lol`, `.fun`, `.life`).
 */
const PLAIN_EMAIL = new RegExp(String.raw`${LOCAL_PART}@(?:${LABEL}\.)+(?!${FILE_ENDINGS}${ADDRESS_END})[a-z]{2,24}${ADDRESS_END}`, 'giu')
/** `period` is common in prose (`at home period it was hard`): after it only the usual endings count. */
const SPOKEN_PERIOD = /\speriod\s/iu
const PERIOD_ENDING = /(?:com|net|org|edu|gov|uk|ca|au|nz|ie|de|fr|io)$/iu

/** What joins the parts of a handle: a dot or an underscore, written or said (`jane dot doe`, `chris underscore sober`). */
const HANDLE_JOIN = String.raw`(?:[._]|\s+(?:d[o0]t|underscore)\s+)`
/**
 * A word, or words so joined, which may end in a number said apart (`jane dot doe 1987`). Bounded
 * like LOCAL_PART, so that a long chain of `x dot x dot ...` costs each start a few steps.
 */
const HANDLE_PART = String.raw`[\p{L}\p{N}]{1,64}`
const HANDLE = String.raw`(?<![\p{L}\p{N}._%+'\u2019-])${HANDLE_PART}(?:(?:${HANDLE_JOIN}${HANDLE_PART}){1,8}(?:\s+\d{1,8})?)?`
/** The writer saying that what follows is their address: `email me`, `my email is`, `e-mail:`. */
const ADDRESS_CUE = String.raw`\be-?mail(?:\s+me\s*:?|(?:\s+address)?\s+is\s*:?|\s*:)\s+`
/**
 * A handle at a provider named without its ending: `stillstanding.dave at gmail`, `jane@gmail`,
 * `chris underscore sober underscore 2019 at proton mail`.
 *
 * After `at` a provider's name is also an employer, a product or a place (`my account at gmail got
 * hacked`, `my cousin works at yahoo`), so what comes before it must look like a handle and not a
 * word of the sentence (looksLikeHandle), unless the writer has just said that an address follows
 * (`email me sobermike at yahoo`) or the at-sign is written tight (`jane@gmail`). The price is that
 * `sobermike at gmail` with no such words is left up: a plain word before `at gmail` is as often
 * prose as a handle, and holding every such sentence would teach members to ignore holds.
 */
const PROVIDER_EMAIL = new RegExp(
  String.raw`(?<cue>${ADDRESS_CUE})?(?<handle>${HANDLE})(?:(?<tight>@)|(?<sign>${AT_SIGN})|${AT_SPOKEN})${PROVIDER}(?![\p{L}\p{N}])`,
  'dgiu'
)
/**
 * An at-sign written spaced or bracketed before a provider (`janedoe @ gmail`, `janedoe [@] gmail`) reads as
 * deliberately as a tight one, unless what stands before it is a word of a sentence that writes `@` for `at`:
 * a pronoun (`email me @ gmail`), or a word after a determiner or a subject (`my account @ gmail got hacked`,
 * `I work @ yahoo`), where a name given to write to never stands.
 */
const PRONOUN = /^(?:me|you|us|him|her|them|it)$/iu
const DETERMINER_OR_SUBJECT = /^(?:my|your|our|his|her|their|its|the|a|an|this|that|i|we|you|they|he|she|it)$/iu

/** The word before the spaces before `at` (letters, digits and apostrophes), or '' when there is none. */
function wordBefore(text: string, at: number): string {
  let end = at
  while (end > 0 && /\s/u.test(text[end - 1] as string)) end--
  let start = end
  while (start > 0 && /[\p{L}\p{N}'\u2019]/u.test(text[start - 1] as string)) start--
  return end < at ? text.slice(start, end) : ''
}

/** A handle has a letter, and a digit, a dot or an underscore (`sobermike84`, `jane dot doe`): words of a sentence rarely do. */
function looksLikeHandle(handle: string): boolean {
  // A space in a handle comes with a spoken `dot` or `underscore` (HANDLE).
  return /\p{L}/u.test(handle) && /[\d._\s]/u.test(handle)
}

/** The providers' names written together (`gmail`, `hotmail`, `protonmail`), which the fast path (ascii.ts) marks. */
export const MAIL_PROVIDER_JOINED: readonly string[] = [...new Set(MAIL_PROVIDER_NAMES.map((p) => p.replaceAll(' ', '')))]
const JOINED_PROVIDER = [...MAIL_PROVIDER_JOINED].sort((a, b) => b.length - a.length).join('|')
/**
 * Where a provider's name may be: the cheap first pass, without the `u` flag, which V8 scans many times faster.
 * Only an ASCII letter or digit before it rules it out here; endsBefore decides the rest.
 */
const MAIL_PROVIDER_WORD = new RegExp(`(?<![a-z0-9])(?:${JOINED_PROVIDER})`, 'gi')
/**
 * The provider named first, then the name at it: `my gmail is janedoe1987`, `hotmail: jane.doe`. After
 * `my gmail is` come as many words of a sentence (`full`, `down`, `hacked`), so the name must read as one
 * (addressName). The provider stands alone, as the fast path marks it (`@gmail` and `gmail's` are other words).
 * Tried where MAIL_PROVIDER_WORD found a name (sticky).
 */
const PROVIDER_FIRST = new RegExp(
  String.raw`(?:${JOINED_PROVIDER})(?:\s+(?:address|account|addy))?(?:\s+is\s*:?\s*|\s*[:=]\s*|\s+-\s+)(?<name>[\p{L}\p{N}][\p{L}\p{N}._%+-]{2,63})`,
  'diuy'
)

/**
 * Words that end a sentence's first word run on after a full stop with no space (`is full.ok`, `is dead.lol`);
 * none of them is how a name ends.
 */
const EVERYDAY_WORDS = new Set(
  ('i im ive id ill it its the an and but or so then thanks thank thx ty we you he she they my me this that there here just now also anyway ' +
    'still today tonight lol lmao haha ugh ok okay yes yeah no nope not if when what how why is was are were be been have had has do did does ' +
    'can cant will would should could all our your his her their in on at to of for with from please really very too sorry').split(' ')
)
const STARTS_CAPITAL = /^\p{Lu}/u

/**
 * The name up to where the next sentence starts, for want of a space after a full stop (`better.I feel`,
 * `group.Join us`, `full.ok`, `@jd_92.Thanks`): a `.` after a part that does not start with a capital, before a
 * capital or before an everyday word that ends the name. `jane.doe`, `sober.sarah.92` and `Jane.Doe` are left whole.
 */
function beforeSentence(name: string): string {
  for (let dot = name.indexOf('.'); dot > 0; dot = name.indexOf('.', dot + 1)) {
    let word = dot
    while (word > 0 && !/[._%+-]/u.test(name[word - 1] as string)) word--
    if (word === dot || STARTS_CAPITAL.test(name.slice(word, dot))) continue
    const rest = name.slice(dot + 1)
    if (STARTS_CAPITAL.test(rest) || EVERYDAY_WORDS.has(rest)) return name.slice(0, dot)
  }
  return name
}

/** Three letters or more, and a digit, or a dot or an underscore inside (`janedoe1987`, `jane.doe`): `v2` and `full` are not. */
function addressName(name: string): boolean {
  return (name.match(/\p{L}/gu) ?? []).length >= 3 && /\d|[\p{L}\p{N}][._][\p{L}\p{N}]/u.test(name)
}

function findProviderFirst(text: string): Span[] {
  const spans: Span[] = []
  for (const provider of text.matchAll(MAIL_PROVIDER_WORD)) {
    if (!endsBefore(text, provider.index)) continue
    PROVIDER_FIRST.lastIndex = provider.index
    const m = PROVIDER_FIRST.exec(text)
    const name = beforeSentence(m?.groups?.name ?? '').replace(/[._%+-]+$/u, '')
    const at = m?.indices?.groups?.name?.[0]
    if (at === undefined || !addressName(name)) continue
    spans.push({ start: provider.index, end: at + name.length })
  }
  return spans
}

/**
 * Letters and digits read out one by one, each alone between single spaces, with at most one of
 * `. _ - @` between two of them: `m a r i a . r 9 1 @ g m a i l . c o m`. At least three, as the
 * fast path (ascii.ts) needs to see a run of one-character words.
 */
const SPELLED_OUT = /(?<![\p{L}\p{N}])[\p{L}\p{N}](?: (?:[._@-] )?[\p{L}\p{N}]){2,}(?![\p{L}\p{N}])/gu

/**
 * The text with each run spelled out joined into one word (`maria.r91@gmail.com`), so that the
 * patterns below read it as written, and where each of its units is in the text (null: the same).
 */
function joinSpelledOut(text: string): { joined: string; origin: number[] | null } {
  const runs = [...text.matchAll(SPELLED_OUT)].filter((m) => standsAlone(text, m.index, m.index + m[0].length))
  if (runs.length === 0) return { joined: text, origin: null }
  let joined = ''
  const origin: number[] = []
  let next = 0
  for (const run of runs) {
    for (let i = next; i < run.index + run[0].length; i++) {
      if (i >= run.index && text[i] === ' ') continue
      joined += text[i]
      origin.push(i)
    }
    next = run.index + run[0].length
  }
  for (let i = next; i < text.length; i++) origin.push(i)
  return { joined: joined + text.slice(next), origin }
}

/**
 * Providers' names as a domain's first label (`gmail.com`, `yahoo.co.uk`, `proton.me`): with them those left out
 * of MAIL_PROVIDER_NAMES as everyday words (`me.com`, `live.com`, `mail.ru`), and `pm.me` and `mac.com`.
 */
const PROVIDER_DOMAINS = new Set([...MAIL_PROVIDER_NAMES.map((p) => p.replaceAll(' ', '')), 'me', 'live', 'mail', 'pm', 'mac'])
/** A domain said with its dots written: no spoken `dot`, bracket or space in it (`aa.org`, not `gmail dot com`). */
const WRITTEN_DOTS = /^[^\s[({<]+$/u
const SPOKEN_AT = /^\s+at\s+$/iu
/** A name with a digit or a `. _ -` in it, as a handle has and a word of a sentence has not (`janedoe1987`, `sober.mike`). */
const HANDLE_LIKE = /[\d._-]/u
const APOSTROPHE = /['\u2019]/u
/**
 * The writer saying that what follows is their address, just before it: `email me`, `my email is`, `e-mail
 * address:`, `mail me`, `contact me:`, `write to`.
 */
const ADDRESS_CUE_BEFORE = /(?:\be-?mail(?:\s+me|(?:\s+address)?\s+is|\s+address)?|\bmail\s+me|\bcontact\s+me|\bwrite\s+(?:me|to))\s*:?\s+$/iu
/** The longest ADDRESS_CUE_BEFORE, with room for a few more spaces. */
const ADDRESS_CUE_LENGTH = 32

/**
 * Whether a find of EMAIL reads as an address. After `at` said, not bracketed, and a domain with its dots written
 * (`meeting at aa.org`, `I work at amazon.com`), prose names a website or a workplace far more often than anyone
 * gives an address: such a find counts only where the writer has just said an address follows
 * (ADDRESS_CUE_BEFORE), where the name is spelled letter by letter or looks like a handle (HANDLE_LIKE:
 * `janedoe1987 at mydomain.com`), or at a mail provider's domain (`sobermike at yahoo.com`) after a name that is
 * not a pronoun, a contraction or a word after `my`, `the`, `I`… (`my account at gmail.com`). A spaced at-sign
 * (`is @ home.com`) is read the same way, as PROVIDER_EMAIL reads it. The domain of an address never starts
 * with `www.`.
 */
function readsAsAddress(joined: string, m: RegExpExecArray, from: number, to: number, origin: readonly number[] | null): boolean {
  const { sign, spoken, labels = '' } = m.groups ?? {}
  const sentence = () => APOSTROPHE.test(joined[from - 1] ?? '') || DETERMINER_OR_SUBJECT.test(wordBefore(joined, from))
  if (sign !== undefined) {
    // Written tight or bracketed (`[@]`), an at-sign is meant.
    if (!/^\s*@\s*$/u.test(sign) || sign === '@') return true
  } else if (spoken === undefined || !SPOKEN_AT.test(spoken) || !WRITTEN_DOTS.test(labels)) {
    return true
  } else if (/^www\./iu.test(labels)) {
    return false
  }
  const local = joined.slice(from, to)
  // `email me at gmail.com`, `I'll write you @ outlook.com`: whom to write to, not a name.
  if (PRONOUN.test(local)) return false
  const before = joined.slice(Math.max(0, from - ADDRESS_CUE_LENGTH), from)
  if (ADDRESS_CUE_BEFORE.test(before)) return true
  // Spelled letter by letter (`j a n e at aa.org`): no word of a sentence is written so.
  if (origin !== null && (origin[to - 1] ?? 0) - (origin[from] ?? 0) + 1 > to - from) return true
  if (/\p{L}/u.test(local) && HANDLE_LIKE.test(local)) return true
  if (sign !== undefined) return !sentence()
  const provider = labels.slice(0, labels.indexOf('.')).replaceAll(' ', '').toLowerCase()
  return PROVIDER_DOMAINS.has(provider) && !sentence()
}

/**
 * E-mail addresses, plain and disguised, and named with their provider (findProviderFirst). `text` as written,
 * or as read already (Reading); the spans are in the text as written.
 */
export function findEmails(text: string | Reading): Span[] {
  const read = readingOf(text)
  // Cheap tests first: most posts have neither an at-sign nor a domain ending nor a provider's name.
  const wide = read.text
  const first = findProviderFirst(wide)
  const hasSign = wide.includes('@')
  if (!hasSign && !AT_WORD.test(wide)) return toOriginal(read, mergeSpans(first))
  const { joined, origin } = joinSpelledOut(wide)
  const hasEnding = joined.includes('.') || DOT_WORD.test(joined)
  const hasProvider = PROVIDER_NAME.test(joined)
  if (!hasEnding && !hasProvider) return toOriginal(read, mergeSpans(first))
  const spans: Span[] = []
  for (const re of !hasEnding ? [] : hasSign ? [PLAIN_EMAIL, EMAIL] : [EMAIL]) {
    for (const m of joined.matchAll(re)) {
      if (re === EMAIL && SPOKEN_PERIOD.test(m[0]) && !PERIOD_ENDING.test(m[0])) continue
      let start = m.index
      // `name at gmail dot com`: the local part must not start with a leading dot or dash.
      while (start < m.index + m[0].length && /[._%+-]/u.test(joined[start] ?? '')) start++
      if (re === EMAIL && !readsAsAddress(joined, m, start, m.index + (m.groups?.local ?? '').length, origin)) continue
      spans.push({ start, end: m.index + m[0].length })
    }
  }
  if (hasProvider) {
    for (const m of joined.matchAll(PROVIDER_EMAIL)) {
      const end = m.index + m[0].length
      // `gmail's office` is another word to the fast path, and not an address.
      if (!endsAfter(joined, end)) continue
      const { cue, handle = '', tight, sign } = m.groups ?? {}
      const [from, to] = m.indices?.groups?.handle ?? [m.index, m.index]
      // Spelled letter by letter (`j a n e d o e at g m a i l`): no word of a sentence is written so.
      const spelled = origin !== null && (origin[to - 1] ?? 0) - (origin[from] ?? 0) + 1 > to - from
      const signed = tight !== undefined || (sign !== undefined && !PRONOUN.test(handle) && !DETERMINER_OR_SUBJECT.test(wordBefore(joined, from)))
      if (cue === undefined && !signed && !spelled && !looksLikeHandle(handle)) continue
      spans.push({ start: from, end })
    }
  }
  if (origin !== null) {
    for (const span of spans) {
      span.start = origin[span.start] ?? span.start
      span.end = (origin[span.end - 1] ?? span.end - 1) + 1
    }
  }
  return toOriginal(read, mergeSpans([...spans, ...first]))
}

/**
 * Platforms a member can be found on by a handle. The names in PLATFORM_WORDS_AT and PLATFORM_WORDS_SAID are
 * also everyday words (`cold snap`, `no signal`, `therapy session`, `old threads`): after them a handle counts
 * only when the writer says it is theirs (`signal: rave_supply`, `my snap is @mikeyb`), or, after those of
 * PLATFORM_WORDS_AT, with an at-sign (`tele @frostyvibes`). After `session` and `threads` an at-sign alone is
 * as often a mention of another member (`great session @mike`).
 */
const PLATFORMS = ['instagram', 'insta', 'ig', 'snapchat', 'tiktok', 'tik tok', 'discord', 'twitter', 'bluesky', 'bsky', 'facebook', 'fb', 'venmo', 'cashapp', 'cash app', 'paypal', 'telegram', 'kik', 'threema', 'wickr', 'whatsapp', 'grindr', 'reddit', 'linkedin', 'youtube', 'twitch']
const PLATFORM_WORDS_AT = ['snap', 'signal', 'tele']
const PLATFORM_WORDS_SAID = ['session', 'threads', 'hinge', 'tinder']
/** The words the fast path (ascii.ts) marks, so that the profile detector runs only where one is: each name, and the first word of a split one (`tik`, `cash`). */
export const PLATFORM_NAME_WORDS: readonly string[] = [...new Set([...PLATFORMS, ...PLATFORM_WORDS_AT, ...PLATFORM_WORDS_SAID].flatMap((p) => [p.replaceAll(' ', ''), p.split(' ')[0] as string]))]
const alternation = (names: readonly string[]) => [...names].sort((a, b) => b.length - a.length).map((p) => p.replaceAll(' ', String.raw`\s?`)).join('|')
/** `my insta is`, `IG handle:`, `snapchat username =`: the writer saying that what follows is their name there. */
const PROFILE_SAID = String.raw`(?:(?:\s+(?:handle|username|user\s?name|name|id|is|it'?s|its)){1,3}\s*[:=]?\s*|\s*[:=]\s*|\s+[-\u2013]\s+)`
/** An at-handle (`@sober.sarah.92`, `@Jenny-Walsh-7`) or a cashtag (`$JaneD`); a plain handle must read as one (profileName). */
const AT_HANDLE = String.raw`[@$][\p{L}\p{N}][\p{L}\p{N}._-]{1,29}`
const PLAIN_HANDLE = String.raw`[\p{L}][\p{L}\p{N}._-]{2,29}`
const ALL_PLATFORMS = alternation([...PLATFORMS, ...PLATFORM_WORDS_AT, ...PLATFORM_WORDS_SAID])
/** Where a platform's name may be: the cheap first pass (as MAIL_PROVIDER_WORD; standsAlone decides the rest). */
const PLATFORM_NAME = new RegExp(`(?<![a-z0-9])(?:${ALL_PLATFORMS})(?![a-z0-9])`, 'gi')
/** At a platform's name: what the writer says of it, and the handle (sticky). */
const PROFILE = new RegExp(
  String.raw`(?:(?<named>${alternation(PLATFORMS)})(?:${PROFILE_SAID}|(?<bare>\s+))|(?<word>${alternation(PLATFORM_WORDS_AT)})(?:${PROFILE_SAID}|\s+(?=[@$]))|(?<said>${alternation(PLATFORM_WORDS_SAID)})${PROFILE_SAID})(?<handle>${AT_HANDLE}|${PLAIN_HANDLE})`,
  'diuy'
)
/** `add me on snap, it's mikeyb2019`: asked to be found on any platform (FIND_ME_ON before it), the name after it is a handle. */
const FOUND_ON = new RegExp(String.raw`(?<platform>${ALL_PLATFORMS})[\s,:;\u2013-]+(?:(?:it'?s|its|i'?m|im|i\s+am)\s+)?(?<handle>${AT_HANDLE}|${PLAIN_HANDLE})`, 'diuy')
const FIND_ME_ON = /(?:add|follow|find|message|msg|dm|hmu|hit\s+me\s+up)\s+(?:me\s+)?on\s+$/i
/** The longest FIND_ME_ON, with room for a few more spaces. */
const FIND_ME_ON_LENGTH = 24

/**
 * A word and one digit (`server2`, `video2`, `group3`): after a platform's name and a bare space, the second of
 * something (`the discord server2`) rather than a name, which has more digits or a `.` or `_` (`insta jd_92`).
 */
const NUMBERED_WORD = /^\p{L}+\d$/u

/** A plain handle has two letters or more, and a digit or a dot or an underscore inside (`jd_92`, `mikeyb2019`): `Kara`, `v2` and `private` are not. */
function profileName(name: string): boolean {
  return (name.match(/\p{L}/gu) ?? []).length >= 2 && /\d|[\p{L}\p{N}][._][\p{L}\p{N}]/u.test(name)
}

/**
 * A handle given with its platform (`insta: jd_92`, `my IG is @sober.sarah.92`, `tiktok @recoverywithkat`,
 * `my venmo is @Jenny-Walsh-7`, `add me on snap, it's mikeyb2019`): a way to reach the member, and often
 * their name. A plain word after a platform's name is left (`my discord is soberdan`, `Venmo Kara $12`): it is
 * as often a word of the sentence (`my insta is private`). The platform's name stands alone, as the fast path
 * marks it.
 */
export function findProfiles(text: string | Reading): Span[] {
  const read = readingOf(text)
  const wide = read.text
  const spans: Span[] = []
  for (const name of wide.matchAll(PLATFORM_NAME)) {
    const before = wide.slice(Math.max(0, name.index - FIND_ME_ON_LENGTH), name.index)
    const asked = FIND_ME_ON.exec(before)
    const askedAt = asked === null ? -1 : name.index - before.length + asked.index
    for (const re of askedAt >= 0 && endsBefore(wide, askedAt) ? [PROFILE, FOUND_ON] : [PROFILE]) {
      re.lastIndex = name.index
      const m = re.exec(wide)
      const platform = m?.indices?.groups?.named ?? m?.indices?.groups?.word ?? m?.indices?.groups?.said ?? m?.indices?.groups?.platform
      const at = m?.indices?.groups?.handle?.[0]
      if (platform === undefined || at === undefined || !standsAlone(wide, platform[0], platform[1])) continue
      const handle = beforeSentence(m?.groups?.handle ?? '').replace(/[._-]+$/u, '')
      // An at-handle or a cashtag needs a letter (`$12` is money); a plain one must read as a handle.
      const readsAsHandle = /^[@$]/u.test(handle) ? /\p{L}/u.test(handle) : profileName(handle) && (m?.groups?.bare === undefined || !NUMBERED_WORD.test(handle))
      if (!readsAsHandle) continue
      spans.push({ start: platform[0], end: at + handle.length })
    }
  }
  return toOriginal(read, mergeSpans(spans))
}

/**
 * Kinds of street, as addresses end their name. Those in STREET_WORDS are also everyday words (`so close`,
 * `10 mins drive`, `a better place`): they count only written with capitals, the name before them too.
 */
const STREETS = ['street', 'st', 'road', 'rd', 'avenue', 'ave', 'lane', 'ln', 'boulevard', 'blvd', 'crescent', 'terrace', 'parkway', 'pkwy', 'highway', 'hwy']
const STREET_WORDS = ['drive', 'dr', 'close', 'court', 'ct', 'way', 'place', 'pl', 'grove', 'gardens', 'square', 'sq', 'circle', 'cir', 'mews', 'row']
/**
 * The words of the cues below (`I live at`, `staying at`, `I'm at`, `my address`, `my postcode`), one of which
 * and a digit the fast path (ascii.ts) needs to see before findHomeAddresses runs. Not the kinds of street nor
 * `at` or `am`: `way`, `place`, `st`, `at` and `am` are in too many posts, and each costs the fast path a call.
 */
export const HOME_MARK_WORDS: readonly string[] = ['live', 'living', 'staying', 'im', 'address', 'postcode']
/**
 * The writer saying where they live: `I live at`, `we're staying at`, `my address is`. Not `drop by` or `the
 * meeting is at`: a meeting's hall is given so, and is nobody's home; nor `I live on`, said of land and floors
 * (`I live on 3 acres off Lake Road`).
 */
const LIVE_AT = /\b(?:i|we)(?:\s+live|(?:\s+am|\s+are|['\u2019]m|['\u2019]re)\s+(?:living|staying))\s+$/i
const MY_ADDRESS = /\bmy\s+(?:home\s+|postal\s+)?address(?:\s+is)?\s*:?\s+/gi
/**
 * `I'm at`: where the member is now, an address only with capitals (`I'm at 17 Marlborough Road`), not `I'm at
 * 90 days`. Not `I am at`, for `am` is a word the fast path would stop at in too many posts (HOME_MARK_WORDS).
 */
const AM_AT = /\bi['\u2019]?m\s+$/i
/**
 * The word `at` between spaces: the cheap first pass (no `u` or `i` flag, which V8 scans several times faster),
 * LIVE_AT or AM_AT then read before it.
 */
const AT = /\s[aA][tT]\s/g
/** The longest LIVE_AT or AM_AT, with room for a few more spaces. */
const CUE_LENGTH = 32
/** The last letter of a cue and a space, or two spaces. */
const CUE_ENDS = /^[egm\s]\s$/i
/**
 * A house number and a street of one to three words. A distance or a time after the number is not a street
 * (`I live at 5 mins from the main road`), nor `12 Step`, the program's name.
 */
const HOUSE = String.raw`(?<number>\d{1,5}[a-z]?)\s+(?!(?:mins?|minutes?|hours?|hrs?|miles?|mi|km|yards?|metres?|meters?|feet|ft|acres?|blocks?|doors?|houses?|stops?|days?|weeks?|months?|years?|steps?|am|pm)\b)(?<name>(?:[\p{L}'\u2019.-]+\s+){1,3})(?<kind>${alternation([...STREETS, ...STREET_WORDS])})\b\.?`
/** After the words that say it (sticky). */
const HOME_ADDRESS = new RegExp(String.raw`\s*${HOUSE}`, 'diuy')
/** A UK postcode (`LS6 2AB`, `SW1A 1AA`), in capitals: it narrows an address to a few houses. */
const POSTCODE = String.raw`[A-Z]{1,2}\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2}`
/** After a street: its town, then its postcode (`, Leeds LS6 2AB`), kept with the address. */
const TOWN_AND_POSTCODE = new RegExp(String.raw`,?\s+(?:\p{Lu}\p{Ll}+,?\s+){0,2}${POSTCODE}(?![\p{L}\p{N}])`, 'uy')
/** `my postcode is LS6 2AB`; the postcode in capitals (POSTCODE_ALONE). */
const MY_POSTCODE = new RegExp(String.raw`\bmy\s+postcode(?:\s+is)?\s*:?\s+(?<code>${POSTCODE})(?![\p{L}\p{N}])`, 'dgiu')
const POSTCODE_ALONE = new RegExp(String.raw`^${POSTCODE}$`, 'u')
const POSTCODE_WORD = /postcode/i

const ADDRESS_WORD = /address/i
/** What every cue ends with (`live at`, `living at`, `staying at`, `I'm at`), `address` or `postcode`. */
const HOME_WORDS = /(?:ve|ng|m)\s+at\s|address|postcode/i

/** Where a house number may follow words saying it is the writer's home (LIVE_AT, MY_ADDRESS: true) or where they are (AM_AT: false). */
function homeCues(text: string): Array<[after: number, home: boolean]> {
  const cues: Array<[number, boolean]> = []
  AT.lastIndex = 0
  for (let at = AT.exec(text); at !== null; at = AT.exec(text)) {
    // `at` itself starts after the space the match starts with.
    const word = at.index + 1
    AT.lastIndex = word + 2
    // Every cue ends in `live`, `living`, `staying` or `I'm`: most `at`s (`read it at the`) end here.
    if (!CUE_ENDS.test(text.slice(Math.max(0, at.index - 1), at.index + 1))) continue
    const before = text.slice(Math.max(0, word - CUE_LENGTH), word)
    const live = LIVE_AT.exec(before)
    const cue = live ?? AM_AT.exec(before)
    if (cue !== null && endsBefore(text, word - before.length + cue.index)) cues.push([word + 2, live !== null])
  }
  if (ADDRESS_WORD.test(text)) for (const m of text.matchAll(MY_ADDRESS)) cues.push([m.index + m[0].length, true])
  return cues
}

/**
 * A home address said as the member's own (`I live at 42 Oak Street, Springfield`, `I'm at 17 Marlborough
 * Road, Leeds LS6 2AB`), and a postcode said as theirs: on an anonymous forum it leads anyone to their door.
 * Held from the house number on.
 */
export function findHomeAddresses(text: string | Reading): Span[] {
  const read = readingOf(text)
  const wide = read.text
  // Cheap tests first: most posts say none of it.
  if (!HOME_WORDS.test(wide) || !/\d/u.test(wide)) return []
  const spans: Span[] = []
  for (const [after, home] of homeCues(wide)) {
    HOME_ADDRESS.lastIndex = after
    const m = HOME_ADDRESS.exec(wide)
    const g = m?.groups ?? {}
    const kind = m?.indices?.groups?.kind
    const number = m?.indices?.groups?.number
    if (m === null || kind === undefined || number === undefined || !standsAlone(wide, kind[0], kind[1])) continue
    const words = [...(g.name ?? '').trim().split(/\s+/u), g.kind ?? '']
    const capitals = words.every((w) => /^\p{Lu}/u.test(w))
    const everyday = STREET_WORDS.includes((g.kind ?? '').toLowerCase())
    if ((!home || everyday) && !capitals) continue
    let end = m.index + m[0].length
    TOWN_AND_POSTCODE.lastIndex = end
    const place = TOWN_AND_POSTCODE.exec(wide)
    if (place !== null) end += place[0].length
    spans.push({ start: number[0], end })
  }
  if (POSTCODE_WORD.test(wide)) {
    for (const m of wide.matchAll(MY_POSTCODE)) {
      const code = m.indices?.groups?.code
      if (code !== undefined && POSTCODE_ALONE.test(m.groups?.code ?? '')) spans.push({ start: code[0], end: code[1] })
    }
  }
  return toOriginal(read, mergeSpans(spans))
}

const URL_WITH_SCHEME = /\bhttps?:\/\/[^\s<>"'`]+/giu
const BARE_DOMAIN = new RegExp(
  String.raw`(?<![\p{L}\p{N}@.\-/])(?:www\.)?(?:${LABEL}\.)+(?:${TLDS})(?![\p{L}\p{N}\-])(?:[/?#][^\s<>"'\x60]*)?`,
  'giu'
)
const TRAILING_PUNCTUATION = /[.,;:!?)\]}'"]+$/u

export function findLinks(text: string): Span[] {
  if (!text.includes('.')) return []
  const spans: Span[] = []
  for (const re of [URL_WITH_SCHEME, BARE_DOMAIN]) {
    for (const m of text.matchAll(re)) {
      const trimmed = m[0].replace(TRAILING_PUNCTUATION, '')
      if (trimmed.length > 0) spans.push({ start: m.index, end: m.index + trimmed.length })
    }
  }
  return mergeSpans(spans)
}

/** Overlapping finds of one detector are one finding. */
export function mergeSpans(spans: Span[]): Span[] {
  if (spans.length < 2) return spans
  spans.sort((a, b) => a.start - b.start || b.end - a.end)
  const merged: Span[] = [spans[0] as Span]
  for (const span of spans.slice(1)) {
    const last = merged[merged.length - 1] as Span
    if (span.start < last.end) last.end = Math.max(last.end, span.end)
    else merged.push({ ...span })
  }
  return merged
}

export function overlaps(a: Span, list: readonly Span[]): boolean {
  return list.some((b) => a.start < b.end && b.start < a.end)
}
