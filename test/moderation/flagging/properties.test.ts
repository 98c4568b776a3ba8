import t from 'tap'
import fc from 'fast-check'
import { compileRules, loadDefaultRules } from '../../../src/moderation/flagging/index.js'

const compiled = compileRules(loadDefaultRules().map((r) => ({ id: r.key, pattern: r.pattern, category: r.category, action: r.action })))

/** Text built from pieces that stress the tokenizer: surrogates, marks, invisibles, RTL, digits, leet. */
const nasty = fc.constantFrom(
  '\ud800', '\udfff', '\u200b', '\u200d', '\u00ad', '\ufeff', '\u0301', '\u202e', '🙂', '👩‍👩‍👧', '💊', '❄️', '🔌', 'ﷺ', 'ﬃ', 'İ',
  'שלום', 'مرحبا', ' ', '.', '-', '_', '$', '@', '!', '1', '0', '3', 'kill', 'myself', 'k i l l', 'want to die', '(415) 555-2671', 'a@b.co', 'x.com'
)
const text = fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), nasty), { maxLength: 40 }).map((parts) => parts.join(''))

t.test('scanning any text never throws and every match points into the original', async (t) => {
  fc.assert(
    fc.property(text, (input) => {
      for (const m of compiled.scan(input, { detectLinks: true })) {
        if (!(m.start >= 0 && m.start < m.end && m.end <= input.length)) return false
        if (m.excerpt !== input.slice(m.start, m.end)) return false
      }
      return true
    }),
    { numRuns: 2000 }
  )
  t.pass('2000 random texts scanned')
})

t.test('matches come back sorted by where they start', async (t) => {
  fc.assert(
    fc.property(text, (input) => {
      const starts = compiled.scan(input, { detectLinks: true }).map((m) => m.start)
      return starts.every((s, i) => i === 0 || (starts[i - 1] ?? 0) <= s)
    }),
    { numRuns: 500 }
  )
  t.pass('sorted')
})

const phrases = ['I want to kill myself', 'i just want to die', 'need a plug', 'I am 30 days clean', 'my skill at cooking', 'dm me for bars', 'no reason to live']
const invisibles = ['\u200b', '\u200c', '\u200d', '\u2060', '\u00ad', '\ufeff']
const hasMatch = (s: string) => compiled.scan(s, { detectPersonalInfo: false }).length > 0

t.test('zero-width characters inserted anywhere inside a word never change whether a phrase matches', async (t) => {
  fc.assert(
    fc.property(fc.constantFrom(...phrases), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...invisibles)), { maxLength: 8 }), (phrase, inserts) => {
      let s = phrase
      for (const [at, ch] of inserts) {
        const i = at % (s.length + 1)
        s = s.slice(0, i) + ch + s.slice(i)
      }
      return hasMatch(s) === hasMatch(phrase)
    }),
    { numRuns: 1000 }
  )
  t.pass('invisible characters ignored')
})

t.test('changing the case of any letter never changes whether a phrase matches', async (t) => {
  fc.assert(
    fc.property(fc.constantFrom(...phrases), fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), (phrase, flips) => {
      const s = [...phrase].map((ch, i) => (flips[i % flips.length] === true ? ch.toUpperCase() : ch.toLowerCase())).join('')
      return hasMatch(s) === hasMatch(phrase)
    }),
    { numRuns: 1000 }
  )
  t.pass('case ignored')
})

t.test('a huge text is scanned without trouble', async (t) => {
  const big = 'I have been sober for a while and I want to kill myself sometimes. '.repeat(50_000)
  const matches = compiled.scan(big)
  t.equal(matches.filter((m) => m.ruleId === 'kill-myself').length, 50_000)
})
