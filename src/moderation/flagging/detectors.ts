/**
 * Detectors that need no rule: phone numbers and e-mail addresses (a member sharing contact
 * details on an anonymous forum is either exposing themselves or arranging something off the
 * platform), and links (spam from new accounts). They read the original text, not the
 * normalised words, because leetspeak would turn digits into letters.
 */
import { findPhoneNumbersInText, type CountryCode } from 'libphonenumber-js'
import { ASCII_CLASS, CharClass, foldCodePoint } from './fold.js'

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
/** The digit words, for the regular expressions below. */
const DIGIT_NAMES = Object.keys(DIGIT_WORDS).join('|')
/** Words read out between the groups of a number: `212 dot 555 dot 0187`. */
const SPOKEN_SEPARATORS = new Set(['dot', 'period'])
/**
 * Words that say the next digit twice or three times, as British numbers are read out: `nine double oh`.
 * They count only in a run that reads as a number without them, eight digit words or more with at most two
 * of them: dominoes (`double six, double five…`), darts (`triple one, triple five…`) and `double oh seven`
 * come in runs of them.
 */
const REPEATS: Readonly<Record<string, number>> = { double: 2, triple: 3 }
const REPEATED_RUN_WORDS = 8
const MAX_REPEATS = 2
const NUMBER_ITEM = String.raw`(?:\d{1,4}|(?:(?:double|triple)\s+)?(?:${DIGIT_NAMES}))`
const NUMBER_GAP = String.raw`(?:[\s.\-()/,]{1,3}|\s+(?:dot|period)\s+)`
/** A digit, a group of digits, or a digit spelled as a word, then the gap to the next one. */
/** Not inside a word: `phone oh seven…` must not start at the `one` of `phone` and swallow the number. */
const SPELLED_NUMBER = new RegExp(String.raw`(?<![\p{L}\p{N}])(?:\+\s?)?${NUMBER_ITEM}(?:${NUMBER_GAP}${NUMBER_ITEM}\b)+`, 'giu')

/** A local number without its area code: three digits (the exchange), then four (the line). */
const LOCAL_DIGITS = 7
const EXCHANGE_DIGITS = 3
/**
 * An area code said apart from the rest of the number (`area code is three one two`): three
 * digits, as one group or one by one. `code` must end its word, as the fast path (ascii.ts, which
 * marks the word) reads it.
 */
const AREA_CODE = new RegExp(
  String.raw`\barea\s+code(?:\s+is\s+|\s*[:=-]\s*|\s+)(\d{3}|(?:\d|${DIGIT_NAMES})(?:[\s,-]{1,2}(?:\d|${DIGIT_NAMES})){2})`,
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
 * says its area code apart (findLocalNumber).
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
      } else {
        const exchange = digits === 0 && part.length === EXCHANGE_DIGITS
        const line = digits === EXCHANGE_DIGITS && part.length === LOCAL_DIGITS - EXCHANGE_DIGITS
        if (part.length > 1 && !exchange && !line) localShape = false
        digits += part.length
        if (part.length === 1) alone++
        if (part.length >= 3) group = true
      }
    }
    if (repeated > 0 && words >= REPEATED_RUN_WORDS && repeats <= MAX_REPEATS) {
      digits += repeated
      alone += repeated
    }
    if (digits === LOCAL_DIGITS && localShape) local.push({ start, end })
    if (digits < SPELLED_PHONE_DIGITS || digits > MAX_PHONE_DIGITS) continue
    if (alone >= SPELLED_PHONE_DIGITS || (words >= 2 && group) || spoken >= 1) spans.push({ start, end })
  }
  if (local.length > 0) spans.push(...findLocalNumber(text, local))
  return spans
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

/**
 * What a character reads as for the detectors, by UTF-16 unit: 0 not yet worked out, 1 itself,
 * otherwise the ASCII code plus two. A character that folds (fold.ts) to one ASCII letter, digit
 * or `@ $ !` of the same class reads as it (`２` `＠` `ａ`, which is what the fast path of ascii.ts
 * reads too); a separator reads as the ASCII separator it folds to (`．` `－`), or as a space.
 */
const WIDE = new Uint8Array(0x10000)

function wideReading(u: number): number {
  if (u >= 0xd800 && u <= 0xdfff) return 1
  const folded = foldCodePoint(u)
  const cls = folded.classes[0]
  const code = folded.codes[0] ?? 0
  if (folded.codes.length !== 1) return 1
  if (cls === CharClass.Separator) return (code < 128 ? code : 0x20) + 2
  if ((cls === CharClass.Letter || cls === CharClass.Digit || cls === CharClass.Symbol) && code < 128 && ASCII_CLASS[code] === cls) return code + 2
  return 1
}

/**
 * The text with fullwidth and other compatibility forms read as ASCII (`２１２－５５５`,
 * `name＠gmail．com`), one unit for one unit, so that every offset is one into the text itself.
 * Pairs (emoji, mathematical letters) are left as they are.
 */
export function foldWide(text: string): string {
  let i = 0
  while (i < text.length && text.charCodeAt(i) < 128) i++
  if (i === text.length) return text
  let out = text.slice(0, i)
  for (; i < text.length; i++) {
    const u = text.charCodeAt(i)
    if (u < 128) {
      out += text[i]
      continue
    }
    let v = WIDE[u] ?? 0
    if (v === 0) v = WIDE[u] = wideReading(u)
    out += v === 1 ? text[i] : String.fromCharCode(v - 2)
  }
  return out
}

const VARIATION_SELECTOR = 0xfe0f
const KEYCAP = 0x20e3
const KEYCAPS = /(\d)\ufe0f?\u20e3/gu
/**
 * A run of digits with letters that look like digits among them, standing alone: the letter O for
 * a zero (`555-O187`, `o7911`) and a lowercase l for a one (`6l7 555 Ol87`). A capital I or L
 * is left alone: it is as often a word or an initial.
 */
const DIGITS_WITH_LOOKALIKES = /(?<![\p{L}\p{N}])[0-9oOl]*[0-9][0-9oOl]*(?![\p{L}\p{N}])/gu

/**
 * The text as the phone detectors read it, one unit for one unit: compatibility forms folded
 * (foldWide), underscores as spaces (`212_555_0187`), the marks of keycap digits (`2️⃣`) as
 * spaces, and the letters O and l among digits as a zero and a one.
 */
function phoneText(text: string): string {
  let f = foldWide(text)
  if (f.includes('_')) f = f.replaceAll('_', ' ')
  if (f.includes('\u20e3')) f = f.replace(KEYCAPS, (m: string, d: string) => d + ' '.repeat(m.length - 1))
  if (/[oOl]\d|\d[oOl]/u.test(f)) f = f.replace(DIGITS_WITH_LOOKALIKES, (m) => m.replace(/[oO]/gu, '0').replaceAll('l', '1'))
  return f
}

/** Seven digits with at most three separators between each: cheap test before the real parser. */
const PHONE_LIKE = /(?:\d[\s().\-/]{0,3}){6}\d/u
const DIGIT_WORD = new RegExp(DIGIT_NAMES, 'giu')
/** `double` and `triple` anywhere (an upper bound, as DIGIT_WORD is). */
const REPEAT_WORD = /double|triple/giu

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
const OPEN_GATES: PhoneGates = { numbers: true, spelled: true }

/** How many digits the digit words of a text say at most: a `double` or `triple` before one says it again. */
function spokenDigits(text: string): number {
  let count = (text.match(DIGIT_WORD) ?? []).length
  for (const m of text.matchAll(REPEAT_WORD)) count += (REPEATS[(m[0] as string).toLowerCase()] ?? 1) - 1
  return count
}

export function findPhones(text: string, gates: PhoneGates = OPEN_GATES): Span[] {
  if (!gates.numbers && !gates.spelled) return []
  const spans: Span[] = []
  const folded = phoneText(text)
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
        if (raw.includes(',') || (before !== undefined && /[$£€¥]/u.test(before))) continue
        // Digits standing alone (`1 2 3 4 ...`) are a list unless long enough to be read out
        // as a number, which findSpelledPhones decides.
        if ((raw.match(/\d+/gu) ?? []).filter((g) => g.length === 1).length >= 4) continue
        const count = countDigits(raw)
        if (count < MIN_PHONE_DIGITS || count > MAX_PHONE_DIGITS) continue
        spans.push({ start: found.startsAt, end: found.endsAt })
      }
    }
  }
  if (gates.spelled && digits + spokenDigits(folded) >= SPELLED_PHONE_DIGITS) {
    spans.push(...findSpelledPhones(folded))
  }
  // A keycap digit ends with its marks.
  for (const span of spans) {
    for (let c = text.charCodeAt(span.end); c === VARIATION_SELECTOR || c === KEYCAP; c = text.charCodeAt(span.end)) span.end++
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
 * shows`), which are still found with their ending, as is `mail.ru` (`mail` alone is a word).
 */
const MAIL_PROVIDERS = ['g mail', 'google mail', 'y mail', 'ya hoo', 'hot mail', 'out look', 'msn', 'aol', 'i cloud', 'proton mail', 'proton', 'gmx', 'zoho', 'yandex', 'fast mail', 'tutanota', 'tuta', 'posteo', 'disroot', 'riseup']
/** The providers' names, a space where members split them (`g mail`): a handle must not read as an address at one. */
export const MAIL_PROVIDER_NAMES: readonly string[] = MAIL_PROVIDERS
/** A provider's name, written together or apart; the longest first, so that `proton mail` is not cut at `proton`. */
const PROVIDER = `(?:${[...MAIL_PROVIDERS].sort((a, b) => b.length - a.length).map((p) => p.replaceAll(' ', ' ?')).join('|')})`
const PROVIDER_NAME = new RegExp(PROVIDER, 'iu')
/**
 * The words that end a provider's name, written together or apart (`gmail`, `mail`): with the word
 * `at`, the fast path (ascii.ts) opens the e-mail gate on them.
 */
export const MAIL_PROVIDER_WORDS: readonly string[] = [...new Set(MAIL_PROVIDERS.flatMap((p) => [p.replaceAll(' ', ''), p.slice(p.lastIndexOf(' ') + 1)]))]

/** Obfuscated addresses, whose ending must be a common top-level domain; a provider's name may be split (`g mail dot com`). */
/**
 * A provider's name split by a space (`g mail`): written together it is a LABEL already. The two must not
 * both match one name, or every `gmail.` repeated in a text without an ending doubles the regex's work.
 */
const SPLIT_PROVIDER = `(?:${MAIL_PROVIDERS.filter((p) => p.includes(' ')).sort((a, b) => b.length - a.length).join('|')})`
const DOMAIN_LABEL = `(?:${SPLIT_PROVIDER}|${LABEL})`
const EMAIL = new RegExp(
  String.raw`${LOCAL_PART}(?:${AT_SIGN}(?:${DOMAIN_LABEL}${DOT_AFTER_SIGN})+|${AT_SPOKEN}(?:${DOMAIN_LABEL}${DOT_AFTER_SPOKEN})+)(?:${TLDS})${ADDRESS_END}`,
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
  String.raw`(?<cue>${ADDRESS_CUE})?(?<handle>${HANDLE})(?:(?<tight>@)|${AT_SIGN}|${AT_SPOKEN})${PROVIDER}(?![\p{L}\p{N}])`,
  'dgiu'
)

/** A handle has a letter, and a digit, a dot or an underscore (`sobermike84`, `jane dot doe`): words of a sentence rarely do. */
function looksLikeHandle(handle: string): boolean {
  // A space in a handle comes with a spoken `dot` or `underscore` (HANDLE).
  return /\p{L}/u.test(handle) && /[\d._\s]/u.test(handle)
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

export function findEmails(text: string): Span[] {
  // Cheap tests first: most posts have neither an at-sign nor a domain ending nor a provider's name.
  const wide = foldWide(text)
  const hasSign = wide.includes('@')
  if (!hasSign && !AT_WORD.test(wide)) return []
  const { joined, origin } = joinSpelledOut(wide)
  const hasEnding = joined.includes('.') || DOT_WORD.test(joined)
  const hasProvider = PROVIDER_NAME.test(joined)
  if (!hasEnding && !hasProvider) return []
  const spans: Span[] = []
  for (const re of !hasEnding ? [] : hasSign ? [PLAIN_EMAIL, EMAIL] : [EMAIL]) {
    for (const m of joined.matchAll(re)) {
      if (re === EMAIL && SPOKEN_PERIOD.test(m[0]) && !PERIOD_ENDING.test(m[0])) continue
      let start = m.index
      // `name at gmail dot com`: the local part must not start with a leading dot or dash.
      while (start < m.index + m[0].length && /[._%+-]/u.test(joined[start] ?? '')) start++
      spans.push({ start, end: m.index + m[0].length })
    }
  }
  if (hasProvider) {
    for (const m of joined.matchAll(PROVIDER_EMAIL)) {
      const end = m.index + m[0].length
      // `gmail's office` is another word to the fast path, and not an address.
      if (!endsAfter(joined, end)) continue
      const { cue, handle, tight } = m.groups ?? {}
      if (cue === undefined && tight === undefined && !looksLikeHandle(handle ?? '')) continue
      spans.push({ start: m.indices?.groups?.handle?.[0] ?? m.index, end })
    }
  }
  if (origin !== null) {
    for (const span of spans) {
      span.start = origin[span.start] ?? span.start
      span.end = (origin[span.end - 1] ?? span.end - 1) + 1
    }
  }
  return mergeSpans(spans)
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
