/**
 * Per-character folding: the part of normalisation that looks at one code point at a time.
 *
 * A code point folds to zero or more normalised characters, each with a class that the
 * tokenizer uses to decide where words start and end. Folding is compatibility
 * decomposition (NFKD: fullwidth, ligatures, mathematical alphabets, circled letters),
 * lower-casing, removal of combining marks (accents), then the Unicode confusables table
 * for look-alike letters from other scripts (Cyrillic, Greek, ...). The emoji of the drug trade
 * (TRADE_EMOJI) fold to reserved words; other emoji are boundaries.
 */
import confusablesData from './confusables.json' with { type: 'json' }

/** Plain numbers rather than an enum: the tokenizer's inner loop compares them millions of times. */
export const CharClass = {
  /** Hard boundary: punctuation, emoji (other than TRADE_EMOJI), newline. */
  Other: 0,
  Letter: 1,
  Digit: 2,
  /** `@ $ !`: leetspeak for a, s, i when they sit among letters, punctuation otherwise. */
  Symbol: 3,
  /** Apostrophes join a word (`don't` → `dont`) instead of splitting it. */
  Apostrophe: 4,
  /** Soft separators that may split a word letter by letter: `k i l l`, `k.i.l.l`, `k-i-l-l`. */
  Separator: 5,
  /** Zero-width and invisible characters: dropped as if they were not there. */
  Ignorable: 6,
  /** A combining mark on its own: dropped, but it belongs to the letter before it. */
  Mark: 7
} as const
export type CharClass = (typeof CharClass)[keyof typeof CharClass]

export interface Folded {
  /** Code points of the normalised characters this code point becomes. */
  readonly codes: readonly number[]
  readonly classes: readonly CharClass[]
}

const confusables: Readonly<Record<string, string>> = confusablesData.map
/**
 * Where the confusables table reads a letter otherwise than the text that uses it: small-capital text
 * generators write `ғ` (Cyrillic ghe with stroke) for f, which the table reads as r (`ᴍʏsᴇʟғ`).
 */
const LETTER_OVERRIDES: Readonly<Record<string, string>> = { '\u0493': 'f' }

const COMBINING_MARKS = /\p{M}/gu
const IS_MARK = /^\p{M}$/u
const IS_IGNORABLE = /^[\p{Default_Ignorable_Code_Point}\p{Cf}]$/u
const IS_LETTER = /^\p{L}$/u
const IS_DIGIT = /^\p{Nd}$/u
const IS_SPACE = /^\s$/u
const APOSTROPHES = new Set(["'", '\u2019', '\u2018', '\u02bc', '`', '\u2032'])
const SOFT_SEPARATORS = new Set([' ', '\t', '.', '-', '_', '*', '~', '+', '/', '\u00b7', '\u2022', '\u2027', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014'])

/** NFKD, lower case, NFKD again (lower-casing `İ` yields a combining dot), marks removed. */
export function foldBase(ch: string): string {
  return ch.normalize('NFKD').toLowerCase().normalize('NFKD').replace(COMBINING_MARKS, '')
}

function classify(ch: string): CharClass {
  if (ch === '@' || ch === '$' || ch === '!') return CharClass.Symbol
  if (APOSTROPHES.has(ch)) return CharClass.Apostrophe
  if (SOFT_SEPARATORS.has(ch)) return CharClass.Separator
  if (ch === '\n' || ch === '\r') return CharClass.Other
  if (IS_LETTER.test(ch)) return CharClass.Letter
  if (IS_DIGIT.test(ch)) return CharClass.Digit
  if (IS_SPACE.test(ch)) return CharClass.Separator
  return CharClass.Other
}

const IGNORED: Folded = { codes: [], classes: [CharClass.Ignorable] }
const MARK: Folded = { codes: [], classes: [CharClass.Mark] }

/**
 * Emoji that dealers write for what they sell and for themselves (`🔌 here, got 💊 and ❄️, tap in`), read as
 * reserved words so that rules and the sourcing model can see them; every other emoji stays a boundary, as
 * punctuation is (❤️ 🙏 😊 say nothing a rule needs). The words start with `emoji` so that no ordinary word
 * is one. Hearts are left out though dealers use 💙 for blues: members sign off with them all the time. 💉
 * is left out too: needles come up in harm reduction (exchanges, safer use) far more than in selling; and so
 * are 🥦 🍇 🥤, slang for weed and lean but mostly food and drink.
 * A variation selector after one (`❄️`) is invisible and dropped, as any other.
 */
export const TRADE_EMOJI: Readonly<Record<string, string>> = {
  '🔌': 'emojiplug',
  '💊': 'emojipill',
  '❄': 'emojisnow',
  '☃': 'emojisnow',
  '⛄': 'emojisnow',
  '🌨': 'emojisnow',
  '🍃': 'emojileaf',
  '🍁': 'emojileaf',
  '🌿': 'emojileaf',
  '💨': 'emojismoke',
  '⛽': 'emojigas',
  '🎱': 'emojieightball',
  '🍄': 'emojishroom',
  '🧊': 'emojiice',
  '💎': 'emojicrystal',
  '🐉': 'emojidragon',
  '🍬': 'emojicandy',
  '🍭': 'emojicandy',
  '🅿': 'emojiperc',
  '🔵': 'emojiblue',
  '📦': 'emojipack'
}

/**
 * An emoji of TRADE_EMOJI folds to its word between two hard boundaries (so that `got💊` is two words), all
 * of it spanning the emoji, so that a match still points at what was written.
 */
const TRADE_EMOJI_FOLDS: ReadonlyMap<number, Folded> = new Map(
  Object.entries(TRADE_EMOJI).map(([emoji, word]): [number, Folded] => {
    const letters = [...word].map((ch) => ch.charCodeAt(0))
    return [
      emoji.codePointAt(0) ?? 0,
      { codes: [0x20, ...letters, 0x20], classes: [CharClass.Other, ...letters.map(() => CharClass.Letter), CharClass.Other] }
    ]
  })
)

function foldUncached(cp: number): Folded {
  const ch = String.fromCodePoint(cp)
  // Lone surrogates have no properties; treating them as boundaries keeps scanning total.
  if (cp >= 0xd800 && cp <= 0xdfff) return { codes: [0xfffd], classes: [CharClass.Other] }
  const emoji = TRADE_EMOJI_FOLDS.get(cp)
  if (emoji !== undefined) return emoji
  if (IS_IGNORABLE.test(ch)) return IGNORED
  if (IS_MARK.test(ch)) return MARK
  const codes: number[] = []
  const classes: CharClass[] = []
  for (const base of foldBase(ch)) {
    const replaced = LETTER_OVERRIDES[base] ?? confusables[base] ?? base
    for (const out of replaced) {
      codes.push(out.codePointAt(0) ?? 0)
      classes.push(classify(out))
    }
  }
  if (codes.length === 0) return MARK
  return { codes, classes }
}

/** ASCII folds to itself in lower case; these tables let the tokenizer skip the cache entirely. */
export const ASCII_LOWER = new Uint8Array(128)
export const ASCII_CLASS = new Uint8Array(128)
const ASCII: Folded[] = []
for (let c = 0; c < 128; c++) {
  const lower = String.fromCharCode(c).toLowerCase()
  ASCII_LOWER[c] = lower.charCodeAt(0)
  ASCII_CLASS[c] = classify(lower)
  ASCII.push({ codes: [lower.charCodeAt(0)], classes: [classify(lower)] })
}

const cache = new Map<number, Folded>()

/** Folds one code point; results are cached because text reuses few distinct characters. */
export function foldCodePoint(cp: number): Folded {
  if (cp < 128) return ASCII[cp] as Folded
  let folded = cache.get(cp)
  if (folded === undefined) {
    folded = foldUncached(cp)
    // The cache is bounded so that a hostile text of distinct code points cannot grow it forever.
    if (cache.size < 65536) cache.set(cp, folded)
  }
  return folded
}
