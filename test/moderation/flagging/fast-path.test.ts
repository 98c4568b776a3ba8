import t from 'tap'
import fc from 'fast-check'
import { isDeepStrictEqual } from 'node:util'
import { AsciiScanner } from '../../../src/moderation/flagging/ascii.js'
import { compileEngine } from '../../../src/moderation/flagging/engine.js'
import { loadDefaultRules, type FlagRule } from '../../../src/moderation/flagging/index.js'
import { WordAutomaton } from '../../../src/moderation/flagging/matcher.js'
import { parsePattern } from '../../../src/moderation/flagging/pattern.js'

const custom = (pattern: string, i: number): FlagRule => ({ id: `custom-${i}`, pattern, category: 'custom', action: 'flag' })
const rules: FlagRule[] = [
  ...loadDefaultRules().map((r) => ({ id: r.key, pattern: r.pattern, category: r.category, action: r.action })),
  // Shapes the defaults lack: a leading wildcard, digits inside words, one-letter words, a `1` that is an `l`, stretches, apostrophes, emoji words.
  ...['* for sale', 'a b c', 'k', 'x y', 'ki11', 'l33t', 'm30s please', 'zzz', 'too good', "can't stop", 'dot com', 'at home', 'one two', 'k emojipill', 'emojisnow emojisnow', 'emojiplug * emojipill'].map(custom)
]
const fast = compileEngine(rules)
const general = compileEngine(rules, { asciiFastPath: false })

/** ASCII pieces that exercise every branch of the fast path: leet, symbols, apostrophes, spelled letters, stretches, numbers, addresses. */
const piece = fc.oneof(
  fc.constantFrom(
    'kill', 'myself', 'want', 'to', 'die', 'for', 'sale', 'selling', 'xans', 'k1ll', 'ki11', 'k!ll', 'my$elf', '$elf', '@ss', 'h@te', 'a$$', '$20', '$3lf', '$3ll1ng', '$5k', 'help!',
    'killlll', 'diiiie', 'zzzz', 'toooo', "don't", "'k", "k'", "''", '`', 'k i l l', 'k.i.l.l', 'k-i-l-l', 'k_1_l_l', 'a b c', 'x  y', 'k m s',
    '1 2 3 4 5 6 7 8 9 10', '4 1 5 5 5 5 2 6 7 1', 'four one five five five five two six seven one', '(415) 555-2671', '+44 20 7946 0958', '07700 900123',
    '$1,234,567', 'jane.doe@gmail.com', 'name at gmail dot com', 'bob (at) yahoo (dot) co', 'x.com', 'https://example.org/a?b=1', 'at', 'dot', 'one', 'oh',
    'a    b    c', 'k . . . i . . l', '555-2671', '5552671', '1 2 3 4 5 6 7', '12 34 56 7', '415 - 555 - 2671', '415 -555 -- 2671',
    'm30s', 'l33t', 'e.g.', '3:30', '...', '\n', '\t', ' ', ' ', ' ', '.', '-', '_', '*', '~', '+', '/', '@', '$', '!', '1', '0', '3', '7', 'a', 'k', 'x'
  ),
  fc.string({ unit: fc.constantFrom(...'abkilmsxyz0137@$!\'` .-_/()\n'.split('')), maxLength: 12 })
)
const asciiText = fc.array(piece, { maxLength: 30 }).map((parts) => parts.join(''))

t.test('the ASCII fast path finds exactly what the general path finds', async (t) => {
  fc.assert(
    fc.property(asciiText, fc.boolean(), fc.boolean(), (text, detectLinks, detectPersonalInfo) => {
      const options = { detectLinks, detectPersonalInfo }
      return isDeepStrictEqual(fast.scan(text, options), general.scan(text, options))
    }),
    { numRuns: 3000 }
  )
  t.pass('3000 texts agree')
})

/** Characters the fast path reads as one byte (accents, curly quotes, dashes, most emoji) and ones it must leave to the general path. */
const unusual = fc.constantFrom(
  'é', 'É', 'ü', '’', '‘', '“', '”', '—', '–', '…', '\u00a0', '\u2003', '🙂', '❤️', '👩‍👩‍👧', 'ﬃ', 'ｋ', '𝐤', 'кill', 'ı', 'İ', 'ß', 'æ', 'ſ', '\u212a',
  '\u200b', '\u200d', '\u00ad', '\ufe0f', '\u0301', '\ud800', '\udc00', '＠', '＄', '！', '１', '٣', '．', 'ａｔ', 'ｄｏｔ',
  // Emoji of the trade, which fold.ts reads as words and the fast path as bytes of their own.
  '🔌', '💊', '❄️', '❄', '⛽', '🎱 of ❄', 'got💊', '💊\u0301', 'k 💊 l'
)
const mixedText = fc.array(fc.oneof(piece, unusual), { maxLength: 30 }).map((parts) => parts.join(''))

t.test('with other characters too, the fast path finds exactly what the general path finds', async (t) => {
  fc.assert(
    fc.property(mixedText, fc.boolean(), (text, detectLinks) => isDeepStrictEqual(fast.scan(text, { detectLinks }), general.scan(text, { detectLinks }))),
    { numRuns: 3000 }
  )
  t.pass('3000 texts agree')
})

// Without a pattern that starts with a wildcard, the fast path skims the words that cannot start
// a pattern through a table; these rules add words that are prefixes, doubles and stretches of
// each other, where skimming is easiest to get wrong.
const skimmed = compileEngine([
  ...rules.filter((r) => !r.pattern.startsWith('*')),
  ...['z', 'zzzz', 'so', 'soon', 'see', 'aa', 'aab', 'bo ok', 'book', 'tool', 'too', 'lol', 'oo', 'ab', 'ba', 'abba'].map((p, i) => custom(p, 100 + i))
])
const skimmedGeneral = compileEngine([
  ...rules.filter((r) => !r.pattern.startsWith('*')),
  ...['z', 'zzzz', 'so', 'soon', 'see', 'aa', 'aab', 'bo ok', 'book', 'tool', 'too', 'lol', 'oo', 'ab', 'ba', 'abba'].map((p, i) => custom(p, 100 + i))
], { asciiFastPath: false })
const letters = fc.string({ unit: fc.constantFrom(...'abkilmoszt'.split('')), minLength: 1, maxLength: 8 })
const gapText = fc.constantFrom(' ', ' ', '  ', '. ', ', ', '.', '-', '\n', '', '? ')
const skimText = fc
  .array(fc.tuple(fc.oneof(letters, letters, piece, fc.constantFrom('soooon', 'zzzzz', 'zz', 'boook', 'aaab', 'Soon', 'TOO')), gapText), { maxLength: 25 })
  .map((parts) => parts.map(([word, gap]) => word + gap).join(''))

t.test('when words are skimmed, the fast path still finds exactly what the general path finds', async (t) => {
  fc.assert(
    fc.property(skimText, fc.boolean(), (text, detectLinks) => isDeepStrictEqual(skimmed.scan(text, { detectLinks }), skimmedGeneral.scan(text, { detectLinks }))),
    { numRuns: 5000 }
  )
  t.pass('5000 texts agree')
})

t.test('small capitals as text generators write them read as the letters, `ғ` as f, on both paths', async (t) => {
  const kill = [{ id: 'kill', pattern: 'kill myself', category: 'crisis' as const, action: 'escalate' as const }]
  const paths = { fast: compileEngine(kill), general: compileEngine(kill, { asciiFastPath: false }) }
  for (const text of ['ᴋɪʟʟ ᴍʏsᴇʟғ', 'i want to ᴋɪʟʟ ᴍʏsᴇʟғ tonight', 'KILL MYSEL\u0492']) {
    for (const [name, engine] of Object.entries(paths)) {
      t.same(engine.scan(text).map((m) => m.ruleId), ['kill'], `${name}: ${text}`)
    }
  }
})

t.test('a text with emoji of the trade is read on the fast path, each emoji a word of its own spanning it', async (t) => {
  const automaton = new WordAutomaton()
  const parsed = parsePattern('got emojipill')
  if (!parsed.ok) throw new Error(parsed.error)
  for (const words of parsed.variants) automaton.add(words, 0)
  automaton.freeze()
  const scanner = new AsciiScanner(automaton)
  for (const [text, excerpt] of [
    ['got 💊', 'got 💊'],
    ['got💊 and ❄️', 'got💊'],
    ['g o t ❄️💊', null],
    ['🔌 here, got 💊💊 and ❄️', 'got 💊']
  ] as const) {
    const raws = scanner.scan(text)
    t.not(raws, null, `read on the fast path: ${text}`)
    t.same(raws?.map((m) => text.slice(m.start, m.end)), excerpt === null ? [] : [excerpt], text)
  }
})
