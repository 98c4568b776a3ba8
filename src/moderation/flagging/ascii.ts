/**
 * The fast path for text that is ASCII, or nearly (an accent, a curly quote, an emoji), which
 * most posts are: one pass over one byte per UTF-16 unit that does what tokenize.ts does in several (fold, leet symbols, cut words, join words
 * spelled letter by letter) without building a string per word. Each word is hashed (FNV-1a)
 * over its folded codes while it is read and looked up in an open-addressing table of the
 * pattern words, verified against the text in place. Words that need the slow machinery
 * (stretched letters, a leet `1` that might be an `l`, letters spelled out) build their string
 * and go through the same WordAutomaton methods as the general path, so both paths feed the
 * automaton the same words in the same order and find the same matches.
 *
 * The pass also notes what the detectors' regular expressions would need to find anything
 * (seven digits close together, digits spelled as words, an `at` and a `dot`, a platform's name,
 * the words that give a home address), so that they only run on the few posts that could
 * contain a phone number, an e-mail address, a handle or a home address.
 */
import {
  AREA_CODE_WORD,
  DECIMAL_DIGIT,
  DIGIT_WORD_NAMES,
  DODGE_MARKS,
  HOME_MARK_WORDS,
  MAIL_PROVIDER_JOINED,
  MAIL_PROVIDER_WORDS,
  MAX_PHONE_GAP,
  MIN_PHONE_DIGITS,
  PHONE_SEPARATORS,
  PLATFORM_NAME_WORDS,
  READ_OUT_DIGITS,
  REPEATED_RUN_WORDS,
  SPELLED_PHONE_DIGITS,
  SPOKEN_SEPARATOR_WORDS,
  TWO_DIGIT_WORDS
} from './detectors.js'
import { ASCII_CLASS, ASCII_LOWER, CharClass, foldCodePoint, TRADE_EMOJI } from './fold.js'
import { C_APOSTROPHE, C_DIGIT, C_DOT, C_OTHER, C_SEPARATOR, C_SYMBOL, HARD, SOFT_BASE, SkimAutomaton, UNBUILT, type SkimmerBounds, type SoftAction } from './dfa.js'
import { TRIE_CUT, TRIE_DEAD, TRIE_ROOT, TRIE_STRIDE, trieSteps } from './letter-trie.js'
import { STRETCHED_RUN, type RawMatch, type WordAutomaton } from './matcher.js'
import { runSteps, type Steps } from './steps.js'
import { LEET, MAX_SPELLED_GAP, type Token } from './tokenize.js'

/**
 * The emoji of the trade (fold.ts TRADE_EMOJI) are read as bytes from EMOJI_BYTE up, one per word they
 * stand for (`💊` as EMOJI_BYTE + the index of `emojipill` in EMOJI_WORDS); the second unit of a pair as a
 * boundary. Such a byte is a hard boundary to every table below, and a word of its own to the word loop.
 */
const EMOJI_WORDS: readonly string[] = [...new Set(Object.values(TRADE_EMOJI))]
const EMOJI_BYTE = 0x80
const EMOJI_INDEX = new Map(Object.entries(TRADE_EMOJI).map(([emoji, word]) => [emoji.codePointAt(0) ?? 0, EMOJI_WORDS.indexOf(word)]))
const isEmojiByte = (byte: number): boolean => byte >= EMOJI_BYTE && byte < EMOJI_BYTE + EMOJI_WORDS.length

/**
 * What a byte is, in one lookup: a letter is its lower-case code (0x61 to 0x7a), a digit its own
 * code (0x30 to 0x39), and anything else one of the kinds below 0x30 (an emoji byte K_OTHER).
 */
const KIND = new Uint8Array(256)
const K_OTHER = 0
const K_SEPARATOR = 1
const K_APOSTROPHE = 2
/** `@ $ !`: a letter or a boundary depending on the neighbours. */
const K_SYMBOL = 3
const K_DIGIT = 0x30
const K_LETTER = 0x61
/** A code unit inside a word as the normalised word has it; 0 for an apostrophe, which is dropped. */
const FOLD = new Uint8Array(256)
/** The same in a word that has letters, where digits are leetspeak. */
const FOLD_LEET = new Uint8Array(256)
for (let c = 0; c < 128; c++) {
  const cls = ASCII_CLASS[c]
  const lower = ASCII_LOWER[c] ?? 0
  KIND[c] =
    cls === CharClass.Letter ? lower
    : cls === CharClass.Digit ? c
    : cls === CharClass.Symbol ? K_SYMBOL
    : cls === CharClass.Apostrophe ? K_APOSTROPHE
    : cls === CharClass.Separator ? K_SEPARATOR
    : K_OTHER
  const code = cls === CharClass.Letter ? lower : cls === CharClass.Digit ? c : cls === CharClass.Symbol ? (LEET[c] ?? 0) : 0
  FOLD[c] = code
  FOLD_LEET[c] = cls === CharClass.Digit ? (LEET[c] ?? c) : code
}

const AT_SIGN = 0x40
const DOLLAR = 0x24
const DOT = 0x2e
const ONE = 0x31
const LOWER_L = 0x6c
/** The letter O, which the phone detector reads as a zero among digits (`555-O187`), as it reads LOWER_L as a one (`6l7`). */
const LOWER_O = 0x6f

/**
 * White space and PHONE_SEPARATORS, what PHONE_LIKE in detectors.ts allows between digits, `_`, which the detector
 * reads as a space, and DODGE_MARKS, which it reads as spaces between the groups of a number (undodge).
 */
const GAP_BYTE = new Uint8Array(256)
for (const ch of '\t\n\v\f\r _' + PHONE_SEPARATORS + DODGE_MARKS) GAP_BYTE[ch.charCodeAt(0)] = 1

const GAP_BROKEN = 1 << 30

/** Words the detectors look for: their regular expressions run only when the text has them. */
const MARK_AT = 1
const MARK_DOT = 2
const MARK_DIGIT_WORD = 4
/** The end of a mail provider's name (`gmail`, `mail` of `g mail`): an address needs no ending there (`name at gmail`). */
const MARK_PROVIDER = 8
/** `code`, of `area code`: a local number of seven digits is a phone number with it. */
const MARK_CODE = 16
/** A number of two digits said as a word (`fifteen`, `eighty`, `hundred`): it says two digits. */
const MARK_TWO_DIGITS = 32
/** A platform's or a mail provider's name written whole (`insta`, `venmo`, `gmail`): a handle may follow it (`my gmail is jane92`, `insta: jd_92`). */
const MARK_REACH = 64
/** A word that says a home address follows (`live`, `I'm`, `address`; detectors.ts HOME_MARK_WORDS): with a digit, one may be given. */
const MARK_HOME = 128
const MARKED_WORDS: ReadonlyArray<[string, number]> = [
  ['at', MARK_AT],
  ...SPOKEN_SEPARATOR_WORDS.map((w): [string, number] => [w, MARK_DOT]),
  ...DIGIT_WORD_NAMES.map((w): [string, number] => [w, MARK_DIGIT_WORD]),
  ...MAIL_PROVIDER_WORDS.map((w): [string, number] => [w, MARK_PROVIDER]),
  [AREA_CODE_WORD, MARK_CODE],
  ...TWO_DIGIT_WORDS.map((w): [string, number] => [w, MARK_TWO_DIGITS]),
  ...[...MAIL_PROVIDER_JOINED, ...PLATFORM_NAME_WORDS].map((w): [string, number] => [w, MARK_REACH]),
  ...HOME_MARK_WORDS.map((w): [string, number] => [w, MARK_HOME])
]

/** A run of this many of one letter is a stretch (`killl`): such a word takes the hashing path. */
const STRETCH = STRETCHED_RUN

/**
 * The skimmer (dfa.ts): while no partial match is alive and no run of one-character words is
 * open, the text is read one byte at a time through the lazily built table of SkimAutomaton,
 * which follows the words and the phrase prefixes of ordinary text without a branch per word.
 * It reads bytes by these classes; classes 1 to 26 are the letters `a` to `z` (KIND & 31).
 */
const SKIM_CLASS = new Uint8Array(256)
for (let c = 0; c < 256; c++) {
  const k = KIND[c] ?? K_OTHER
  SKIM_CLASS[c] =
    // An emoji byte is read by the word loop (a symbol's class hands it over from any state).
    c >= EMOJI_BYTE ? C_SYMBOL
    : k >= K_LETTER ? k & 31
    : k >= K_DIGIT ? C_DIGIT
    : k === K_SYMBOL ? C_SYMBOL
    : k === K_APOSTROPHE ? C_APOSTROPHE
    : k === K_SEPARATOR ? (c === DOT ? C_DOT : C_SEPARATOR)
    : C_OTHER
}

/** What walk() returns for a word that must be read again and hashed. */
const WALK_AGAIN = -2

const FNV_OFFSET = 0x811c9dc5 | 0
const FNV_PRIME = 0x01000193

const NONE: readonly number[] = []

const encoder = new TextEncoder()

/**
 * Other characters that can be read as one ASCII byte, by UTF-16 unit: 0 not yet worked out,
 * then the byte plus one, or one of the two values below. A character qualifies when it folds
 * to exactly one normalised character that an ASCII byte has the same class and code as (`é`,
 * `’`, `—`, a non-breaking space, most look-alike letters), or is a boundary whose code never
 * matters (`“`, `…`, most symbols), or is an emoji of the trade (an emoji byte). Offsets stay those
 * of the text, one byte per unit.
 */
const TRANSLATED = new Uint8Array(0x10000)
const UNTRANSLATABLE = 0xff
/** Invisible or a lone combining mark: dropped from the stream, which is the same as another boundary when it follows one. */
const VANISHES = 0xfe
/** A boundary byte with no other role (not `.`, `@` or a gap in a phone number). */
const BOUNDARY_BYTE = 0
/** Units that are separators folding to `.` (`．`): read as a space, but the e-mail detector reads them as a dot. */
const FOLDS_TO_DOT = new Uint8Array(0x10000)
/**
 * What translate() answers: the text has no one-byte reading (0), or it has one (READ), with these flags: it held
 * a separator folding to `.`; it held an invisible character or a mark, which the detectors read as nothing and
 * the bytes as a boundary.
 */
const UNREADABLE = 0
const READ = 1
const WITH_DOT = 2
const WITH_INVISIBLE = 4


/**
 * What a code point reads as (TRANSLATED's values). It also notes, once for each, the separators that fold to `.`
 * in FOLDS_TO_DOT: translate() reads that table only after TRANSLATED, which caches the first answer, is filled.
 */
function translation(cp: number): number {
  const emoji = EMOJI_INDEX.get(cp)
  if (emoji !== undefined) return EMOJI_BYTE + emoji + 1
  const folded = foldCodePoint(cp)
  const cls = folded.classes[0]
  // Decimal digits that do not fold to an ASCII one (`٣`, and `١`, which folds to l) are digits to the detectors
  // (detectors.ts wideReading), which the gates here would not count: the general path, with every gate open.
  if (DECIMAL_DIGIT.test(String.fromCodePoint(cp)) && !(folded.codes.length === 1 && cls === CharClass.Digit && (folded.codes[0] ?? 128) < 128)) return UNTRANSLATABLE
  if (folded.codes.length === 0) return VANISHES
  if (folded.codes.length !== 1) return UNTRANSLATABLE
  const code = folded.codes[0] ?? 0
  if (cls === CharClass.Other) return BOUNDARY_BYTE + 1
  if (cls === CharClass.Separator) {
    if (code === DOT && cp < 0x10000) FOLDS_TO_DOT[cp] = 1
    return 0x20 + 1
  }
  if (cls === CharClass.Apostrophe) return 0x27 + 1
  return code < 128 && ASCII_CLASS[code] === cls ? code + 1 : UNTRANSLATABLE
}

/** Writes the text as one byte per UTF-16 unit; UNREADABLE when some character has no such reading. */
function translate(text: string, bytes: Uint8Array): number {
  let afterBoundary = true
  let read = READ
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i)
    let v: number
    let width = 1
    if (u < 128) {
      v = u + 1
    } else if (u >= 0xd800 && u <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      // A pair is one character over two units: only a boundary (most emoji), a vanishing one or an emoji of the
      // trade (its byte, then a boundary) can be two bytes.
      width = 2
      v = translation(text.codePointAt(i) ?? 0)
      if (v !== BOUNDARY_BYTE + 1 && v !== VANISHES && !isEmojiByte(v - 1)) return UNREADABLE
    } else {
      v = TRANSLATED[u] ?? 0
      if (v === 0) v = TRANSLATED[u] = translation(u)
      if (v === 0x20 + 1 && FOLDS_TO_DOT[u] === 1) read |= WITH_DOT
    }
    if (v === UNTRANSLATABLE) return UNREADABLE
    if (v === VANISHES) {
      if (!afterBoundary) return UNREADABLE
      v = BOUNDARY_BYTE + 1
      read |= WITH_INVISIBLE
    }
    const byte = v - 1
    bytes[i] = byte
    if (width === 2) bytes[i + 1] = isEmojiByte(byte) ? BOUNDARY_BYTE : byte
    i += width - 1
    afterBoundary = KIND[byte] === K_OTHER
  }
  return read
}

function hashOf(word: string): number {
  let h = FNV_OFFSET
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), FNV_PRIME)
  return h
}

function phoneGap(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (GAP_BYTE[bytes[i] ?? 0] !== 1) return false
  return true
}

/** The scanner's word tables (see the fields of AsciiScanner), worked out from the automaton's words. */
export interface ScannerTables {
  slots: Int32Array
  mask: number
  pool: Uint8Array
  offsets: Int32Array
  lengths: Int32Array
  ids: ReadonlyArray<readonly number[]>
  wordIds: Int32Array
  marks: Uint8Array
  starts: Uint8Array
  singleIds: Int32Array
  singleStarts: Uint8Array
  trie: Uint16Array
  trieEntries: Int32Array
  words: readonly string[]
  emojiIds: ReadonlyArray<readonly number[]>
}

/** Words between the pauses of scannerTables. */
const WORDS_PER_STEP = 4096

/** Builds the tables in steps: it yields every WORDS_PER_STEP words, where a caller compiling in slices may pause. */
export function* scannerTables(automaton: WordAutomaton): Steps<ScannerTables> {
  const words = new Map<string, { ids: readonly number[]; mark: number }>()
  let k = 0
  for (const [word, ids] of automaton.words()) {
    // A word with any other character never equals a word of an ASCII text.
    if (isAscii(word)) words.set(word, { ids, mark: 0 })
    if (++k % WORDS_PER_STEP === 0) yield
  }
  for (const [word, mark] of MARKED_WORDS) {
    const entry = words.get(word)
    if (entry === undefined) words.set(word, { ids: automaton.lookup(word), mark })
    else entry.mark |= mark
  }
  // Two slots per word keep a miss to about one probe and the table small enough to stay in cache.
  let size = 16
  while (size < words.size * 2) size *= 2
  const slots = new Int32Array(size * 2)
  const mask = size - 1
  let poolSize = 0
  for (const word of words.keys()) poolSize += word.length
  const pool = new Uint8Array(poolSize)
  const offsets = new Int32Array(words.size)
  const lengths = new Int32Array(words.size)
  const marks = new Uint8Array(words.size)
  const starts = new Uint8Array(words.size)
  const wordIds = new Int32Array(words.size)
  const ids: Array<readonly number[]> = []
  let e = 0
  let offset = 0
  for (const [word, entry] of words) {
    for (let c = 0; c < word.length; c++) pool[offset + c] = word.charCodeAt(c)
    offsets[e] = offset
    lengths[e] = word.length
    offset += word.length
    ids.push(entry.ids)
    marks[e] = entry.mark
    starts[e] = automaton.startsPath(entry.ids) ? 1 : 0
    // An exact word stands for exactly one pattern word; only a stretched one can stand for more.
    wordIds[e] = entry.ids[0] ?? -1
    const h = hashOf(word)
    let slot = h & mask
    while (slots[slot * 2 + 1] !== 0) slot = (slot + 1) & mask
    slots[slot * 2] = h
    slots[slot * 2 + 1] = e + 1
    e++
    if (e % WORDS_PER_STEP === 0) yield
  }
  const list = [...words.keys()]
  yield
  const built = yield* trieSteps(list)
  const singleIds = new Int32Array(128)
  const singleStarts = new Uint8Array(128)
  for (let c = 0; c < 128; c++) {
    const single = automaton.lookup(String.fromCharCode(c))
    singleIds[c] = single[0] ?? -1
    singleStarts[c] = automaton.startsPath(single) ? 1 : 0
  }
  const emojiIds = EMOJI_WORDS.map((word) => automaton.lookup(word))
  return { slots, mask, pool, offsets, lengths, ids, wordIds, marks, starts, singleIds, singleStarts, trie: built.trie, trieEntries: built.entries, words: list, emojiIds }
}

export class AsciiScanner {
  // What the last scan saw; each is false only where the detector cannot find anything.
  /** Seven digits (or O's and l's among them) with at most three of `[\s().\-/_]` between each (PHONE_LIKE on the detector's reading). */
  phoneLike = false
  /**
   * At least eight whole words that are one digit or a digit word, or ten digits with two digit words, a `dot` or `period`,
   * or `code` (needed by findSpelledPhones), or with three digit words and a number of two digits said as a word, which
   * counts as two (needed by findReadOutPhones).
   */
  spelledLike = false
  /**
   * An `@`; or the word `at` and a `.` before a letter, a separator folding to `.`, the word `dot`
   * or `period`, the end of a provider's name or a run of three one-character words, which the
   * detector joins into a word, or a provider's name written whole (`my gmail is jane92`) (needed by findEmails).
   */
  emailLike = false
  /** A platform's name (needed by findProfiles). */
  profileLike = false
  /** A word of a home address's cue (`live`, `I'm`, `address`), and a digit (needed by findHomeAddresses). */
  homeLike = false

  // Pattern words (and marked words) that are all ASCII, in an open-addressing table of
  // (hash, entry + 1) pairs: a miss, the common case, is one probe into one array.
  private readonly slots: Int32Array
  private readonly mask: number
  private readonly pool: Uint8Array
  private readonly offsets: Int32Array
  private readonly lengths: Int32Array
  private readonly ids: ReadonlyArray<readonly number[]>
  /** The one pattern word an entry stands for, or -1 for a marked word that is none. */
  private readonly wordIds: Int32Array
  private readonly marks: Uint8Array
  /** The entry's ids can start a pattern: otherwise it is stepped only while a partial match is alive. */
  private readonly starts: Uint8Array
  /** The pattern word of one ASCII character, by code, or -1; and whether it can start a pattern. */
  private readonly singleIds: Int32Array
  private readonly singleStarts: Uint8Array
  /** Transitions of the letter trie, TRIE_STRIDE per state, and the entry each state spells (or -1). */
  private readonly trie: Uint16Array
  private readonly trieEntries: Int32Array
  /** The pattern words of each emoji word (EMOJI_WORDS), by its index. */
  private readonly emojiIds: ReadonlyArray<readonly number[]>

  // One-character words waiting to be either joined into a spelled word or stepped one by one.
  private runStarts = new Int32Array(64)
  private runCodes = new Uint8Array(64)
  private runCount = 0
  private runLetters = 0
  /** The last word was one character with no apostrophe after it, so the next may continue its run. */
  private runOpen = false
  /** A run of three one-character words or more was read (findEmails joins such runs: `g m a i l`). */
  private spelledOut = false
  private spelledItems = 0
  /** Numbers of two digits said as words (`fifteen`, `hundred`), each of which says two digits. */
  private twoDigitWords = 0
  private wordMarks = 0
  /** The text as bytes: encoding is native and fast, and V8 reads a Uint8Array faster than a string's code units. */
  private bytes = new Uint8Array(4096)
  /** The skimming automaton (dfa.ts); null when a pattern starts with a wildcard (the automaton is never idle). */
  private readonly skim: SkimAutomaton | null
  /** Where the live nodes handed to the automaton began (resume). */
  private readonly origins: number[] = []
  /** Where the word read by walk() ends, exclusive. */
  private walkEnd = 0

  /** `tables`: built beforehand by scannerTables (a compile in slices); by default, here and now. */
  constructor(
    private readonly automaton: WordAutomaton,
    skimmer?: SkimmerBounds,
    tables: ScannerTables = runSteps(scannerTables(automaton))
  ) {
    this.slots = tables.slots
    this.mask = tables.mask
    this.pool = tables.pool
    this.offsets = tables.offsets
    this.lengths = tables.lengths
    this.ids = tables.ids
    this.wordIds = tables.wordIds
    this.marks = tables.marks
    this.starts = tables.starts
    this.singleIds = tables.singleIds
    this.singleStarts = tables.singleStarts
    this.trie = tables.trie
    this.trieEntries = tables.trieEntries
    this.emojiIds = tables.emojiIds
    this.skim = automaton.startsWithWildcard()
      ? null
      : new SkimAutomaton(automaton, { trie: this.trie, entries: this.trieEntries, wordIds: this.wordIds, marks: this.marks, words: tables.words, singleIds: this.singleIds }, skimmer)
  }

  /** The matches in `text`, or null when some character cannot be read as a byte: the caller then takes the general path. */
  scan(text: string): RawMatch[] | null {
    const n = text.length
    // Room for any text in UTF-8, where every character but ASCII takes more than one byte.
    if (this.bytes.length < 3 * n) this.bytes = new Uint8Array(Math.max(3 * n, this.bytes.length * 2))
    const bytes = this.bytes
    const read = encoder.encodeInto(text, bytes).written === n ? READ : translate(text, bytes)
    if (read === UNREADABLE) return null
    const wideDot = (read & WITH_DOT) !== 0
    // A boundary after the last byte lets the word loops below read one past a word without a bounds test.
    bytes[n] = 0
    const a = this.automaton
    a.begin()
    this.runCount = 0
    this.runLetters = 0
    this.runOpen = false
    this.spelledOut = false
    this.spelledItems = 0
    this.twoDigitWords = 0
    this.wordMarks = 0
    let atSign = false
    let dotLetter = false
    let phoneLike = false
    let chain = 0
    /** Digits, and O's and l's in words that take the hashing path (any that the phone detector reads as a digit): an upper bound. */
    let numerals = 0
    let lastDigit = -MAX_PHONE_GAP - 2
    /** Soft separators since the last word, or GAP_BROKEN. */
    let gap = GAP_BROKEN
    /** Where the last `@ $ !` read as a letter was: with the letters, what the next symbol looks back at. */
    let symbolLetter = -1
    const skim = this.skim
    skim?.beginScan()
    let i = 0
    while (i < n) {
      if (skim !== null && this.runCount === 0 && !this.runOpen && a.idle()) {
        // Nothing is live: skim, one table load per byte, until something needs the word loop.
        const entry = i
        let table = skim.table
        let s = SkimAutomaton.START
        let last = s
        for (;;) {
          i = skimRun(table, bytes, i, n, s)
          if (i > n) break
          last = SKIMMED[0] as number
          s = SKIMMED[1] as number
          if (s === UNBUILT) {
            s = skim.build(last, SKIM_CLASS[bytes[i] as number] as number)
            table = skim.table
          }
          if (s >= 0) {
            i++
            continue
          }
          if (s === HARD) break
          const action = skim.actions[SOFT_BASE - s] as SoftAction
          if (action.dot) dotLetter = true
          if (action.mark !== 0) this.mark(action.mark)
          if (action.emit >= 0) this.emit(skim, action.emit, bytes, entry, i - action.back)
          s = action.next
          i++
        }
        // The whole rest of the text was skimmed.
        if (i > n) break
        // Back to the start of the word, whose bytes so far are all letters (or of a one-letter word held back), with what is live handed to the automaton.
        i -= skim.rewindOf(last)
        while (i > entry && (KIND[bytes[i - 1] as number] as number) >= K_LETTER) i--
        // The word loop starts at the word: a `.` before it was skimmed past, its note (for the e-mail gate) perhaps not taken.
        if (i > 0 && bytes[i - 1] === DOT && (KIND[bytes[i] as number] as number) >= K_LETTER) dotLetter = true
        const live = skim.liveOf(last)
        if (live !== 0) this.resume(skim, live, bytes, entry, i)
        gap = GAP_BROKEN
        if (i >= n) break
      }
      // Between words.
      let c = bytes[i] ?? 0
      let k = KIND[c] ?? K_OTHER
      if (k === K_SYMBOL) {
        if (c === AT_SIGN) atSign = true
        k = resolveSymbol(bytes, i, n, c, symbolLetter)
        if (k !== K_OTHER) symbolLetter = i
      }
      if (k < K_APOSTROPHE) {
        if (k === K_SEPARATOR) {
          gap++
          if (c === DOT && i + 1 < n && (KIND[bytes[i + 1] ?? 0] ?? 0) >= K_LETTER) dotLetter = true
        } else {
          gap = GAP_BROKEN
          if (c >= EMOJI_BYTE) this.emoji(c - EMOJI_BYTE, i, (text.charCodeAt(i) & 0xfc00) === 0xd800 ? i + 2 : i + 1)
        }
        i++
        continue
      }
      // A word of two letters or more, the common case: walk the letter trie, which most words
      // leave within a letter or two, and skip the rest of the word. A word that turns out to
      // hold a digit, an apostrophe or a symbol, or a stretch, or that leaves the trie where it
      // was cut short, is read again below, where it is hashed.
      if ((KIND[c] as number) >= K_LETTER && (KIND[bytes[i + 1] as number] as number) >= K_LETTER) {
        // Whatever the word turns out to be, it ends a run of one-character words (as below).
        if (this.runCount !== 0) this.flushRun()
        this.runOpen = false
        const e = this.walk(bytes, i)
        if (e !== WALK_AGAIN) {
          const end = this.walkEnd
          if (e >= 0) this.hit(e, i, end)
          else if (!a.idle()) a.step(NONE, i, end)
          i = end
          gap = 0
          continue
        }
      }
      // A word: letters, digits and apostrophes. Only the hash and the stretch test run per letter.
      const from = i
      let h = FNV_OFFSET
      let digits = 0
      let apostrophes = 0
      let stretched = false
      let p1 = -1
      let p2 = -1
      for (;;) {
        if (k >= K_DIGIT) {
          if (k < K_LETTER || k === LOWER_O || k === LOWER_L) {
            if (k < K_LETTER) digits++
            numerals++
            if (i - lastDigit <= MAX_PHONE_GAP + 1 && phoneGap(bytes, lastDigit + 1, i)) {
              if (++chain >= MIN_PHONE_DIGITS) phoneLike = true
            } else {
              chain = 1
            }
            lastDigit = i
          }
          h = Math.imul(h ^ k, FNV_PRIME)
          if (k === p1 && k === p2) stretched = true
          p2 = p1
          p1 = k
        } else {
          apostrophes++
        }
        if (++i >= n) break
        c = bytes[i] ?? 0
        k = KIND[c] ?? K_OTHER
        if (k === K_SYMBOL) {
          if (c === AT_SIGN) atSign = true
          k = resolveSymbol(bytes, i, n, c, symbolLetter)
          if (k !== K_OTHER) symbolLetter = i
        }
        if (k < K_APOSTROPHE) break
      }
      // `first` and `last` leave out apostrophes at either end, as cutWords does.
      let first = from
      let last = i - 1
      let len = i - from
      if (apostrophes > 0) {
        while (first <= last && KIND[bytes[first] ?? 0] === K_APOSTROPHE) first++
        while (last >= first && KIND[bytes[last] ?? 0] === K_APOSTROPHE) last--
        len -= apostrophes
        if (first > last) {
          gap = GAP_BROKEN
          continue
        }
      }
      if (len === 1) {
        this.single(bytes, first, first === from && this.runOpen && gap >= 1 && gap <= MAX_SPELLED_GAP, last === i - 1)
      } else {
        if (this.runCount !== 0) this.flushRun()
        this.runOpen = false
        if (digits === 0 && !stretched) {
          const e = this.find(h, len, bytes, first, last, FOLD)
          if (e >= 0) this.hit(e, first, last + 1)
          else if (!a.idle()) a.step(NONE, first, last + 1)
        } else {
          this.unusual(bytes, first, last, len, h, digits, stretched)
        }
      }
      gap = 0
    }
    this.flushRun()
    this.phoneLike = phoneLike
    // Read out digit by digit (eight items or more), or ten digits and more with two digit words, a spoken dot or an area code among
    // them, or with numbers of two digits said (findReadOutPhones: three digit words or more among them, two digits for each such number).
    this.spelledLike =
      this.spelledItems >= REPEATED_RUN_WORDS ||
      (numerals + this.spelledItems >= SPELLED_PHONE_DIGITS && (this.spelledItems >= 2 || (this.wordMarks & (MARK_DOT | MARK_CODE)) !== 0)) ||
      (this.twoDigitWords > 0 && this.spelledItems >= READ_OUT_DIGITS && numerals + this.spelledItems + 2 * this.twoDigitWords >= SPELLED_PHONE_DIGITS)
    // A real at-sign may come with a spaced or bracketed dot (`gmail [.] com`), which this pass does not follow.
    this.emailLike = atSign || (this.wordMarks & MARK_REACH) !== 0 || ((this.wordMarks & MARK_AT) !== 0 && (dotLetter || wideDot || this.spelledOut || (this.wordMarks & (MARK_DOT | MARK_PROVIDER)) !== 0))
    this.profileLike = (this.wordMarks & MARK_REACH) !== 0
    this.homeLike = (this.wordMarks & MARK_HOME) !== 0 && numerals > 0
    if ((read & WITH_INVISIBLE) !== 0) {
      // The detectors read the text without the invisible characters (`(415)\u200b555…`), which the bytes read
      // as boundaries: these gates, worked out on the bytes, may say less than the detectors can find.
      this.phoneLike = this.spelledLike = this.emailLike = this.profileLike = this.homeLike = true
    }
    return a.finish()
  }

  /**
   * Reads the word of letters at `from` (its second byte is a letter too) through the letter
   * trie: the entry it spells, -1 when it cannot stand for any pattern word or marked word, or
   * WALK_AGAIN when it must be hashed. Where the word ends is left in walkEnd.
   *
   * A word of letters stands for a pattern word only when it spells it, or has the same letters
   * with some of them stretched to runs of three or more (WordAutomaton.lookup). So when the
   * trie dies on a letter that starts a new run, or on the second of a run that then ends,
   * every run before it is short and spelled exactly, and no pattern word can follow: the word
   * stands for nothing, however it goes on.
   */
  private walk(bytes: Uint8Array, from: number): number {
    const trie = this.trie
    let s = TRIE_ROOT
    let prev = 0
    let run = 0
    let j = from
    let k = KIND[bytes[j] as number] as number
    for (;;) {
      if (k === prev) {
        if (++run >= STRETCH) return WALK_AGAIN
      } else {
        prev = k
        run = 1
      }
      s = trie[s * TRIE_STRIDE + (k & 31)] as number
      if (s <= TRIE_CUT) break
      k = KIND[bytes[++j] as number] as number
      if (k < K_LETTER) {
        // The end of the word, unless a digit, an apostrophe or a symbol carries it on.
        if (k >= K_APOSTROPHE) return WALK_AGAIN
        this.walkEnd = j
        return this.trieEntries[s] as number
      }
    }
    if (s !== TRIE_DEAD) return WALK_AGAIN
    // Dead at j. On the second of a run, a third would make it a stretch.
    if (run === 2) {
      while ((KIND[bytes[++j] as number] as number) === prev) if (++run >= STRETCH) return WALK_AGAIN
    }
    while ((KIND[bytes[j] as number] as number) >= K_LETTER) j++
    if ((KIND[bytes[j] as number] as number) >= K_APOSTROPHE) return WALK_AGAIN
    this.walkEnd = j
    return -1
  }

  /** The exact word of entry `e` from `start` to `end` (exclusive), with nothing but letters. */
  private hit(e: number, start: number, end: number): void {
    const mark = this.marks[e] as number
    if (mark !== 0) this.mark(mark)
    const a = this.automaton
    if (this.starts[e] === 1 || !a.idle()) {
      const id = this.wordIds[e] as number
      if (id >= 0) a.stepWord(id, start, end)
      else a.step(NONE, start, end)
    }
  }

  /** Records the matches of the live set `live` at the word that ends at `end`, skimmed since `entry`. */
  private emit(skim: SkimAutomaton, live: number, bytes: Uint8Array, entry: number, end: number): void {
    let start = end
    while (start > entry && (KIND[bytes[start - 1] as number] as number) >= K_LETTER) start--
    for (const [, depth, rules] of skim.outputsOf(live)) {
      const origin = wordsBack(bytes, entry, start, depth - 1)
      for (const rule of rules) this.automaton.record(rule, origin, end)
    }
  }

  /** Hands the live set `live` to the automaton before the word at `at`, skimmed since `entry`. */
  private resume(skim: SkimAutomaton, live: number, bytes: Uint8Array, entry: number, at: number): void {
    const nodes = skim.nodesOf(live)
    const origins = this.origins
    origins.length = nodes.length
    for (let k = 0; k < nodes.length; k++) origins[k] = wordsBack(bytes, entry, at, this.automaton.depthOf(nodes[k] as number))
    this.automaton.resume(nodes, origins)
  }

  /** An emoji of the trade from `start` to `end`: a word of its own between hard boundaries, as fold.ts reads it. */
  private emoji(index: number, start: number, end: number): void {
    if (this.runCount !== 0) this.flushRun()
    this.runOpen = false
    const ids = this.emojiIds[index] ?? NONE
    const a = this.automaton
    if (ids.length !== 0 || !a.idle()) a.step(ids, start, end)
  }

  private mark(mark: number): void {
    this.wordMarks |= mark
    if (mark & MARK_DIGIT_WORD) this.spelledItems++
    if (mark & MARK_TWO_DIGITS) this.twoDigitWords++
  }

  /** A one-character word: it joins the run when `joins` (one to three soft separators and no apostrophe since the last, the rule of joinSpelled). */
  private single(bytes: Uint8Array, at: number, joins: boolean, open: boolean): void {
    const code = FOLD[bytes[at] ?? 0] ?? 0
    const letter = code >= K_LETTER
    if (!joins) this.flushRun()
    if (this.runCount === this.runStarts.length) {
      const starts = new Int32Array(this.runCount * 2)
      starts.set(this.runStarts)
      this.runStarts = starts
      const codes = new Uint8Array(this.runCount * 2)
      codes.set(this.runCodes)
      this.runCodes = codes
    }
    this.runStarts[this.runCount] = at
    this.runCodes[this.runCount] = code
    this.runCount++
    if (letter) this.runLetters++
    else this.spelledItems++
    this.runOpen = open
  }

  /** A word with digits or a stretch: what WordAutomaton.lookupToken does, in the same order. */
  private unusual(bytes: Uint8Array, first: number, last: number, len: number, h: number, digits: number, stretched: boolean): void {
    const leet = digits > 0 && digits < len
    if (leet) {
      // Digits among letters are letters: hash and look for stretches again with them read as such.
      h = FNV_OFFSET
      stretched = false
      let p1 = -1
      let p2 = -1
      for (let i = first; i <= last; i++) {
        const code = FOLD_LEET[bytes[i] ?? 0] ?? 0
        if (code === 0) continue
        h = Math.imul(h ^ code, FNV_PRIME)
        if (code === p1 && code === p2) stretched = true
        p2 = p1
        p1 = code
      }
    }
    const fold = leet ? FOLD_LEET : FOLD
    const a = this.automaton
    let ids = NONE
    const e = this.find(h, len, bytes, first, last, fold)
    if (e >= 0) {
      ids = this.ids[e] ?? NONE
      const mark = this.marks[e] ?? 0
      if (mark !== 0) this.mark(mark)
    }
    if (stretched) ids = a.lookup(wordText(bytes, first, last, fold, false))
    if (ids.length === 0 && leet && hasOne(bytes, first, last)) ids = a.lookup(wordText(bytes, first, last, fold, true))
    if (ids.length !== 0 || !a.idle()) a.step(ids, first, last + 1)
  }

  private find(h: number, len: number, bytes: Uint8Array, first: number, last: number, fold: Uint8Array): number {
    const slots = this.slots
    const mask = this.mask
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const e = (slots[slot * 2 + 1] ?? 0) - 1
      if (e < 0) return -1
      if (slots[slot * 2] !== h || this.lengths[e] !== len) continue
      let at = this.offsets[e] ?? 0
      const end = at + len
      for (let i = first; i <= last && at < end; i++) {
        const code = fold[bytes[i] ?? 0] ?? 0
        if (code === 0) continue
        if (code !== this.pool[at]) break
        at++
      }
      if (at === end) return e
    }
  }

  /** Three or more one-character words with at least two letters are one word spelled out; otherwise each is a word. */
  private flushRun(): void {
    const count = this.runCount
    if (count === 0) return
    if (count >= 3) this.spelledOut = true
    const a = this.automaton
    const starts = this.runStarts
    const codes = this.runCodes
    if (count >= 3 && this.runLetters >= 2) {
      let spelled = ''
      const letters: Token['letters'] = []
      for (let k = 0; k < count; k++) {
        const start = starts[k] ?? 0
        spelled += String.fromCharCode(FOLD_LEET[codes[k] ?? 0] ?? 0)
        letters.push({ start, end: start + 1 })
      }
      a.segment({ text: spelled, alt: null, start: starts[0] ?? 0, end: (starts[count - 1] ?? 0) + 1, letters })
    } else {
      for (let k = 0; k < count; k++) {
        const code = codes[k] ?? 0
        const start = starts[k] ?? 0
        if (this.singleStarts[code] === 0 && a.idle()) continue
        const id = this.singleIds[code] ?? -1
        if (id >= 0) a.stepWord(id, start, start + 1)
        else a.step(NONE, start, start + 1)
      }
    }
    this.runCount = 0
    this.runLetters = 0
  }
}

/** As lettersAfterDigits in tokenize.ts: digits from `i` on (at least one), then a letter (`$3lf`, not `$20`). */
function lettersAfterDigits(bytes: Uint8Array, i: number, n: number): boolean {
  const first = i
  for (let k = KIND[bytes[i] ?? 0] ?? 0; i < n && k >= K_DIGIT && k < K_LETTER; k = KIND[bytes[i] ?? 0] ?? 0) i++
  return i > first && i < n && (KIND[bytes[i] ?? 0] ?? 0) >= K_LETTER
}

/** Leet symbols are letters only among letters (resolveSymbols in tokenize.ts); the previous character is already resolved. */
function resolveSymbol(bytes: Uint8Array, i: number, n: number, c: number, symbolLetter: number): number {
  const prev = i > 0 && ((KIND[bytes[i - 1] ?? 0] ?? 0) >= K_LETTER || symbolLetter === i - 1)
  const next = i + 1 < n && (KIND[bytes[i + 1] ?? 0] ?? 0) >= K_LETTER
  const letter = c === AT_SIGN ? next : c === DOLLAR ? prev || next || lettersAfterDigits(bytes, i + 1, n) : prev && next
  return letter ? (FOLD[c] ?? K_OTHER) : K_OTHER
}

/** What skimRun stopped at: the state before the byte, and the code the byte led to. */
const SKIMMED = new Int32Array(2)

/** Reads bytes from `i` through `n` (a boundary) through the skimmer's table until one leads to a negative code; returns where, or n + 1. */
function skimRun(table: Int32Array, bytes: Uint8Array, i: number, n: number, s: number): number {
  let last = s
  for (; i <= n; i++) {
    last = s
    s = table[s + (SKIM_CLASS[bytes[i] as number] as number)] as number
    if (s < 0) break
  }
  SKIMMED[0] = last
  SKIMMED[1] = s
  return i
}

/** Where the word `count` words before the one at `at` starts, in a skimmed stretch (words of letters between boundaries) that began at `entry`. */
function wordsBack(bytes: Uint8Array, entry: number, at: number, count: number): number {
  let p = at
  for (let k = 0; k < count; k++) {
    while (p > entry && (KIND[bytes[p - 1] as number] as number) < K_LETTER) p--
    while (p > entry && (KIND[bytes[p - 1] as number] as number) >= K_LETTER) p--
  }
  return p
}

function isAscii(word: string): boolean {
  for (let i = 0; i < word.length; i++) if (word.charCodeAt(i) >= 128) return false
  return true
}

function hasOne(bytes: Uint8Array, first: number, last: number): boolean {
  for (let i = first; i <= last; i++) if (bytes[i] === ONE) return true
  return false
}

/** The normalised word, or its reading with each `1` as `l`; only for the rare words that need a string. */
function wordText(bytes: Uint8Array, first: number, last: number, fold: Uint8Array, oneAsL: boolean): string {
  let word = ''
  for (let i = first; i <= last; i++) {
    const c = bytes[i] ?? 0
    const code = oneAsL && c === ONE ? LOWER_L : (fold[c] ?? 0)
    if (code !== 0) word += String.fromCharCode(code)
  }
  return word
}
