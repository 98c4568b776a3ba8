import t from 'tap'
import { compileRules, InvalidPatternError, validatePattern, type FlagRule } from '../../../src/moderation/flagging/index.js'

const rule = (id: string, pattern: string): FlagRule => ({ id, pattern, category: 'custom', action: 'flag' })

t.test('validatePattern accepts words and single-word wildcards', async (t) => {
  for (const ok of ['kill myself', 'want to * myself', 'kms', "don't want to wake up", '* for sale', 'self-harm']) {
    t.equal(validatePattern(ok), null, ok)
  }
})

t.test('validatePattern explains what is wrong with a bad pattern', async (t) => {
  t.match(validatePattern(''), /empty/)
  t.match(validatePattern('   '), /empty/)
  t.match(validatePattern('a'.repeat(201)), /longer than 200/)
  t.match(validatePattern('*'), /only wildcards/)
  t.match(validatePattern('* * *'), /only wildcards/)
  t.match(validatePattern('one two three four five six seven eight nine ten eleven twelve thirteen'), /more than 12 words/)
  t.match(validatePattern('!!! ???'), /no letters or digits/)
  t.match(validatePattern('\u200b\u200b'), /no letters or digits/)
  t.match(validatePattern('want to * ...'), /no letters or digits/)
})

t.test('compiling a bad rule throws InvalidPatternError naming the rule', async (t) => {
  const error = t.throws(() => compileRules([rule('good', 'kill myself'), rule('bad-one', '* *')]))
  t.ok(error instanceof InvalidPatternError)
  if (error instanceof InvalidPatternError) {
    t.equal(error.ruleId, 'bad-one')
    t.equal(error.pattern, '* *')
  }
})

t.test('a wildcard stands for exactly one word', async (t) => {
  const compiled = compileRules([rule('w', 'want to * myself')])
  t.same(compiled.scan('I want to hurt myself').map((m) => m.excerpt), ['want to hurt myself'])
  t.same(compiled.scan('I want to myself'), [], 'zero words is not enough')
  t.same(compiled.scan('I want to really hurt myself'), [], 'two words is too many')
})

t.test('one rule matching twice gives two matches, and overlapping rules are all reported in order', async (t) => {
  const compiled = compileRules([rule('die', 'want to die'), rule('just', 'just want to die'), rule('to-die', 'to die')])
  const matches = compiled.scan('I just want to die. I want to die.', { detectPersonalInfo: false })
  t.same(
    matches.map((m) => [m.ruleId, m.start, m.end]),
    [
      ['just', 2, 18],
      ['die', 7, 18],
      ['to-die', 12, 18],
      ['die', 22, 33],
      ['to-die', 27, 33]
    ]
  )
})

t.test('patterns are normalised like text', async (t) => {
  const compiled = compileRules([rule('a', "DON'T want to WAKE up"), rule('b', 'Кill  MY$ELF')])
  t.equal(compiled.scan('i dont want to wake up').length, 1)
  t.equal(compiled.scan('i will kill myself').length, 1)
  t.equal(compiled.size, 2)
})

t.test('compiling 20,000 rules takes well under a second', async (t) => {
  const words = ['blue', 'river', 'stone', 'quiet', 'hollow', 'ember', 'silver', 'march', 'harbor', 'cedar', 'lantern', 'meadow', 'north', 'velvet', 'copper', 'willow']
  const rules: FlagRule[] = []
  for (let i = 0; i < 20_000; i++) {
    const n = 1 + (i % 4)
    const phrase = Array.from({ length: n }, (_, k) => `${words[(i * 7 + k * 13) % words.length] ?? 'x'}${(i >> 4) % 97}x`).join(' ')
    rules.push(rule(`r${i}`, phrase))
  }
  const started = performance.now()
  const compiled = compileRules(rules)
  const elapsed = performance.now() - started
  t.equal(compiled.size, 20_000)
  t.ok(elapsed < 1000, `compiled in ${elapsed.toFixed(0)} ms`)
})
