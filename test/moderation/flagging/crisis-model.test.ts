import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import fc from 'fast-check'
import { compileRules, normalize, type FlagRule } from '../../../src/moderation/flagging/index.js'
import { compileEngine } from '../../../src/moderation/flagging/engine.js'
import { crisisFeatures, crisisScore, MIN_WORDS, probability, shippedCrisisModel } from '../../../src/moderation/flagging/crisis-model.js'
import { readSet } from '../../helpers/corpus.js'

const none: FlagRule[] = []
const sets = ['audit-set.json', 'heldout-1.json', 'heldout-2.json', 'heldout-3.json', 'heldout-4.json'].map((name) => readSet(new URL(`./${name}`, import.meta.url)))
const everyPost = sets.flatMap((set) => [...set.crisis, ...set.sourcing, ...set.benign])

t.test('the model escalates crisis posts that no rule names, showing the sentence that reads worst', async (t) => {
  const engine = compileRules(none)
  for (const [text, sentence] of [
    ["Took everything I had left about twenty minutes ago. Just wanted someone to know. Tell my sister I'm sorry.", 'Just wanted someone to know'],
    ["My wife just took all her lithium. She's lying on the couch saying she's sorry. I haven't called anyone yet.", 'My wife just took all her lithium']
  ] as const) {
    const matches = engine.scan(text, { detectCrisis: true })
    t.equal(matches.length, 1, text)
    t.match(matches[0], { ruleId: null, category: 'crisis', action: 'escalate', detector: 'crisis_model', excerpt: sentence })
    t.equal(text.slice(matches[0]!.start, matches[0]!.end), matches[0]!.excerpt, 'offsets into the original text')
    t.ok((matches[0]!.score ?? 0) >= shippedCrisisModel.threshold, 'its score reaches the threshold')
  }
})

t.test('ordinary posts, short posts and switched-off scans get nothing from it', async (t) => {
  const engine = compileRules(none)
  for (const text of [
    'Three years sober today and grateful for every one of you here',
    'ty all',
    'Night all.',
    'I went to a meeting this morning and it helped.',
    // Everyday sentences it escalated before it needed a cue word (CRISIS_CUES).
    'I want to forgive myself for what I did.',
    'I want to treat myself to a nice dinner.',
    'I want to find myself again.',
    'I am learning to love myself.',
    'I have 2 kids and 1 dog.',
    'I slept 10 hours last night.'
  ]) {
    t.same(engine.scan(text, { detectCrisis: true }), [], text)
  }
  const crisis = "Took everything I had left about twenty minutes ago. Just wanted someone to know. Tell my sister I'm sorry."
  t.same(engine.scan(crisis), [], 'only when asked (detectCrisis)')
  t.same(compileEngine(none, { crisisModel: null }).scan(crisis, { detectCrisis: true }), [], 'no model')
  t.equal(MIN_WORDS, 6)
})

t.test('the model is asked only when no crisis rule escalated, and only ever escalates', async (t) => {
  const engine = compileRules([{ id: 'r', pattern: 'wanted someone to know', category: 'crisis', action: 'escalate' }])
  const matches = engine.scan("Took everything I had left about twenty minutes ago. Just wanted someone to know. Tell my sister I'm sorry.", { detectCrisis: true })
  t.same(
    matches.map((m) => m.ruleId),
    ['r'],
    'the rule, not the model as well'
  )
  const withModel = compileRules(none)
  for (const text of everyPost) {
    for (const m of withModel.scan(text, { detectCrisis: true }).filter((m) => m.detector === 'crisis_model')) t.equal(m.action, 'escalate')
  }
})

t.test('scanning by hashes scores exactly as the features the model was trained on', async (t) => {
  let checked = 0
  for (const text of everyPost) {
    const score = crisisScore(shippedCrisisModel, text)
    if (score === null) continue
    const expected = probability(shippedCrisisModel, crisisFeatures(normalize(text).text.split(' ')))
    if (Math.abs(score - expected) > 1e-4) {
      t.fail(`${text}: ${score} vs ${expected}`)
      return
    }
    checked++
  }
  t.ok(checked > 800, `${checked} posts score the same both ways`)
})

t.test('any text is read without throwing, and matches point into it', async (t) => {
  const engine = compileRules(none)
  fc.assert(
    fc.property(fc.string({ maxLength: 300, unit: 'grapheme' }), (text) => {
      for (const m of engine.scan(text, { detectCrisis: true })) if (text.slice(m.start, m.end) !== m.excerpt) throw new Error(JSON.stringify(text))
    }),
    { numRuns: 300 }
  )
  t.pass()
})

t.test('the shipped model is what the training script makes of the labelled sets', async (t) => {
  const run = promisify(execFile)
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/train-crisis-model.ts', '--check'], { cwd: new URL('../../../', import.meta.url) })
  t.match(stdout, /crisis-model\.json is what the labelled sets give/)
})
