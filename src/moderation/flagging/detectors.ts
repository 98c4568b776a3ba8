/**
 * Detectors that need no rule: phone numbers and e-mail addresses (a member sharing contact
 * details on an anonymous forum is either exposing themselves or arranging something off the
 * platform), and links (spam from new accounts). They read the original text, not the
 * normalised words, because leetspeak would turn digits into letters.
 */
import { findPhoneNumbersInText, type CountryCode } from 'libphonenumber-js'

export interface Span {
  start: number
  end: number
}

/** National formats are read as American and as British, the forum's main audiences. */
const PHONE_COUNTRIES: readonly CountryCode[] = ['US', 'GB']
const MIN_PHONE_DIGITS = 7
const MAX_PHONE_DIGITS = 15
/** A number spelled digit by digit must be as long as a full national number. */
const SPELLED_PHONE_DIGITS = 10

const DIGIT_WORDS: Readonly<Record<string, number>> = {
  zero: 0, oh: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9
}
/** A digit, a group of digits, or a digit spelled as a word, then the gap to the next one. */
const SPELLED_NUMBER = /(?:\+\s?)?(?:\d{1,4}|zero|oh|one|two|three|four|five|six|seven|eight|nine)(?:[\s.\-()/]{1,3}(?:\d{1,4}|zero|oh|one|two|three|four|five|six|seven|eight|nine)\b)+/giu

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

/**
 * Numbers read out digit by digit (`4 1 5 5 5 5 2 6 7 1`, `four one five ...`): ten to fifteen
 * digits, at least ten of them standing alone or as words, so that counting lists like
 * `1 2 3 4 5 6 7 8 9 10` (nine alone) and dates stay unflagged.
 */
function findSpelledPhones(text: string): Span[] {
  const spans: Span[] = []
  for (const m of text.matchAll(SPELLED_NUMBER)) {
    const start = m.index
    const end = start + m[0].length
    if (isWordChar(text[start - 1]) || isWordChar(text[end])) continue
    const parts = m[0].match(/\d+|[a-z]+/giu) ?? []
    let digits = 0
    let alone = 0
    for (const part of parts) {
      if (DIGIT_WORDS[part.toLowerCase()] !== undefined) {
        digits++
        alone++
      } else {
        digits += part.length
        if (part.length === 1) alone++
      }
    }
    if (digits >= SPELLED_PHONE_DIGITS && digits <= MAX_PHONE_DIGITS && alone >= SPELLED_PHONE_DIGITS) spans.push({ start, end })
  }
  return spans
}

/** Seven digits with at most three separators between each: cheap test before the real parser. */
const PHONE_LIKE = /(?:\d[\s().\-/]{0,3}){6}\d/u
const DIGIT_WORD = /zero|oh|one|two|three|four|five|six|seven|eight|nine/giu
const SPELLED_LIKE = /(?:(?:\d|zero|oh|one|two|three|four|five|six|seven|eight|nine)[\s.\-()/]{1,3}){9}/iu

/** What a caller that has already read the text knows: each is false only where that search cannot find anything. */
export interface PhoneGates {
  /** PHONE_LIKE would match. */
  numbers: boolean
  /** SPELLED_LIKE could match. */
  spelled: boolean
}
const OPEN_GATES: PhoneGates = { numbers: true, spelled: true }

export function findPhones(text: string, gates: PhoneGates = OPEN_GATES): Span[] {
  const spans: Span[] = []
  if (gates.numbers && countDigits(text) >= MIN_PHONE_DIGITS && PHONE_LIKE.test(text)) {
    for (const country of PHONE_COUNTRIES) {
      // `leniency` is a documented option that the bundled types leave out. POSSIBLE, not VALID:
      // ranges reserved for fiction (07700 900xxx, 555) are still someone's attempt to share a number.
      const options = { defaultCountry: country, leniency: 'POSSIBLE' } as { defaultCountry: CountryCode }
      for (const found of findPhoneNumbersInText(text, options)) {
        const raw = text.slice(found.startsAt, found.endsAt)
        const before = text[found.startsAt - 1]
        // Money and amounts: `$1,234,567` is not a phone number.
        if (raw.includes(',') || (before !== undefined && /[$£€¥]/u.test(before))) continue
        // Digits standing alone (`1 2 3 4 ...`) are a list unless long enough to be read out
        // as a number, which findSpelledPhones decides.
        if ((raw.match(/\d+/gu) ?? []).filter((g) => g.length === 1).length >= 4) continue
        const digits = countDigits(raw)
        if (digits < MIN_PHONE_DIGITS || digits > MAX_PHONE_DIGITS) continue
        spans.push({ start: found.startsAt, end: found.endsAt })
      }
    }
  }
  if (gates.spelled && (countDigits(text) >= SPELLED_PHONE_DIGITS || (text.match(DIGIT_WORD) ?? []).length >= SPELLED_PHONE_DIGITS) && SPELLED_LIKE.test(text)) {
    spans.push(...findSpelledPhones(text))
  }
  return mergeSpans(spans)
}

/** Top-level domains accepted in obfuscated addresses and bare links, where a wrong guess costs a false flag. */
const TLDS = 'com|net|org|edu|gov|mil|info|biz|io|co|me|us|uk|ca|au|nz|ie|de|fr|es|it|nl|be|ch|at|se|no|dk|fi|pl|ru|in|br|mx|jp|cn|xyz|app|dev|ly|gg|tv|to|cc|ws|link|site|online|shop|store|club|live|top|pro|eu'
const AT = String.raw`(?:\s*@\s*|\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at\s+)`
const DOT = String.raw`(?:\.|\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+)`
const AT_WORD = /[\s[({<]at[\s\])}>]/iu
const DOT_WORD = /[\s[({<]dot[\s\])}>]/iu
const TLD_ENDING = new RegExp(String.raw`\.(?:${TLDS})\b`, 'iu')
const LABEL = String.raw`[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?`
const EMAIL = new RegExp(
  String.raw`(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]{1,64}${AT}(?:${LABEL}${DOT})+(?:${TLDS})(?![\p{L}\p{N}])`,
  'giu'
)

export function findEmails(text: string): Span[] {
  // Cheap tests first: most posts have neither an at-sign nor a domain ending.
  if (!text.includes('@') && !AT_WORD.test(text)) return []
  if (!DOT_WORD.test(text) && !TLD_ENDING.test(text)) return []
  const spans: Span[] = []
  for (const m of text.matchAll(EMAIL)) {
    let start = m.index
    // `name at gmail dot com`: the local part must not start with a leading dot or dash.
    while (start < m.index + m[0].length && /[._%+-]/u.test(text[start] ?? '')) start++
    spans.push({ start, end: m.index + m[0].length })
  }
  return spans
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
