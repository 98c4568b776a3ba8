import t from 'tap'
import fc from 'fast-check'
import { isDeepStrictEqual } from 'node:util'
import { compileEngine } from '../../../src/moderation/flagging/engine.js'
import { InvalidPatternError, type FlagRule } from '../../../src/moderation/flagging/index.js'

// The skimming automaton (dfa.ts) follows partial phrase matches and one-letter words itself and
// hands them to the word loop mid-phrase; these rule sets and texts are dense in exactly that:
// phrases that share words and prefixes, one-letter words in and out of patterns, wildcards
// inside phrases, letters spelled out, and every kind of gap between words.
const WORDS = ['i', 'a', 'k', 'x', 'to', 'too', 'die', 'want', 'wanna', 'end', 'it', 'all', 'my', 'myself', 'kill', 'so', 'soon', 'at', 'one', 'dot', 'kms', 'emojipill', 'emojisnow']
const word = fc.constantFrom(...WORDS)
const pattern = fc
  .tuple(word, fc.array(fc.oneof({ weight: 4, arbitrary: word }, { weight: 1, arbitrary: fc.constant('*') }), { maxLength: 3 }))
  .map(([first, rest]) => [first, ...rest].join(' '))
const ruleSet = fc.uniqueArray(pattern, { minLength: 1, maxLength: 10 }).map((patterns) =>
  patterns.map((p, i): FlagRule => ({ id: `r${i}`, pattern: p, category: 'custom', action: 'flag' }))
)
const gap = fc.constantFrom(' ', ' ', ' ', '  ', '   ', '    ', '. ', ', ', '.', '-', '_', '\n', '! ', '? ', ' (', ') ', '')
const textWord = fc.oneof(
  { weight: 6, arbitrary: word },
  { weight: 1, arbitrary: fc.constantFrom('Want', 'TO', 'DIE', 'killl', 'soooon', 'k1ll', "don't", 'm3', '42', 'skill', 'meeting', 'tomorrow', 'b', 'e') },
  // Emoji of the trade, which the fast path reads as bytes of their own, handed to the word loop.
  { weight: 1, arbitrary: fc.constantFrom('💊', '❄️', '❄', '🔌', 'k💊', '💊💊') },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'aikmostxy'.split('')), minLength: 1, maxLength: 6 }) }
)
const text = fc.array(fc.tuple(textWord, gap), { maxLength: 30 }).map((parts) => parts.map(([w, g]) => w + g).join(''))

function engines(rules: FlagRule[], skimmer?: { states: number; buildsPerScan: number }) {
  try {
    return { fast: compileEngine(rules, { skimmer }), general: compileEngine(rules, { asciiFastPath: false }) }
  } catch (error) {
    if (error instanceof InvalidPatternError) return null
    throw error
  }
}

t.test('dense phrases, shared prefixes and one-letter words: the fast path finds exactly what the general path finds', async (t) => {
  fc.assert(
    fc.property(ruleSet, fc.array(text, { minLength: 1, maxLength: 5 }), (rules, texts) => {
      const pair = engines(rules)
      fc.pre(pair !== null)
      // Several texts on one engine: states built by one text are reused by the next.
      return texts.every((x) => isDeepStrictEqual(pair?.fast.scan(x), pair?.general.scan(x)))
    }),
    { numRuns: 3000 }
  )
  t.pass('3000 rule sets agree')
})

t.test('an automaton bounded to a few states, or to a few builds per scan, hands over and starts over, and still finds the same', async (t) => {
  const bound = fc.record({ states: fc.integer({ min: 1, max: 24 }), buildsPerScan: fc.integer({ min: 0, max: 40 }) })
  fc.assert(
    fc.property(ruleSet, fc.array(text, { minLength: 1, maxLength: 5 }), bound, (rules, texts, skimmer) => {
      const pair = engines(rules, skimmer)
      fc.pre(pair !== null)
      return texts.every((x) => isDeepStrictEqual(pair?.fast.scan(x), pair?.general.scan(x)))
    }),
    { numRuns: 2000 }
  )
  t.pass('2000 bounded rule sets agree')
})

t.test('a dot skimmed past just before the automaton ran out of states still opens the e-mail gate', async (t) => {
  // Found by the property above: the word loop started after the dot of `so.to` and never saw it. Since a site
  // named after a spoken "at" (`kms at so.to`) is no longer an address, the domain here is a mail provider's
  // (`me.to`), of the same shape: with the fix in ascii.ts taken out, the fast path misses this address too.
  const pair = engines([{ id: 'r0', pattern: 'i', category: 'custom', action: 'flag' }], { states: 7, buildsPerScan: 10 })
  for (const x of ['kms at me.to ', 'km at me.to']) {
    t.same(pair?.fast.scan(x), pair?.general.scan(x), x)
    t.equal(pair?.fast.scan(x).filter((m) => m.detector === 'email').length, 1, `${x}: the address is found`)
  }
})

t.test('a phrase found while skimming reports where its first word starts in the original text', async (t) => {
  const compiled = compileEngine([{ id: 'p', pattern: 'want to * myself', category: 'crisis', action: 'escalate' }])
  const text = 'Some days I just want  to,  hurt myself. Other days a b not.'
  const [match] = compiled.scan(text)
  t.equal(match?.excerpt, 'want  to,  hurt myself')
  t.equal(match?.start, text.indexOf('want'))
  t.equal(match?.end, text.indexOf('.', text.indexOf('myself')))
})
