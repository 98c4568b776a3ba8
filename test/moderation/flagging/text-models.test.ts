import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import fc from 'fast-check'
import { compileRules, normalize, type FlagRule } from '../../../src/moderation/flagging/index.js'
import { crisisScore, shippedCrisisModel } from '../../../src/moderation/flagging/crisis-model.js'
import { shippedSourcingModel, sourcingScore } from '../../../src/moderation/flagging/sourcing-model.js'
import { probability, textFeatures, type TextModel } from '../../../src/moderation/flagging/text-model.js'
import { everyLabelledPost } from '../../helpers/corpus.js'

/* What the crisis and sourcing models share (text-model.ts): hashed scoring, offsets, and training. */

const everyPost = everyLabelledPost()
const models: Array<[string, TextModel, (m: TextModel, text: string) => number | null]> = [
  ['crisis', shippedCrisisModel, crisisScore],
  ['sourcing', shippedSourcingModel, sourcingScore]
]

t.test('scanning by hashes scores exactly as the features the model was trained on', async (t) => {
  for (const [name, model, score] of models) {
    let checked = 0
    for (const text of everyPost) {
      const hashed = score(model, text)
      if (hashed === null) continue
      const expected = probability(model, textFeatures(normalize(text).text.split(' ')))
      if (Math.abs(hashed - expected) > 1e-4) {
        t.fail(`${name}: ${text}: ${hashed} vs ${expected}`)
        return
      }
      checked++
    }
    t.ok(checked > 500, `${name}: ${checked} posts score the same both ways`)
  }
})

t.test('a word the model never saw never takes the weight of one it did, even when one of their hashes is equal', async (t) => {
  // "piqixazu" and "plan" share their 32-bit FNV-1a hash; with that hash alone this post escalated (0.62 against 0.21).
  const fnv = (word: string) => [...word].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 0x01000193), 0x811c9dc5) | 0
  t.equal(fnv('piqixazu'), fnv('plan'), 'the two words collide in one hash')
  const text = 'Costco has vitamin D cheap, want to split the bottle with me? - piqixazu'
  const expected = probability(shippedCrisisModel, textFeatures(normalize(text).text.split(' ')))
  t.ok(Math.abs((crisisScore(shippedCrisisModel, text) ?? NaN) - expected) < 1e-4, 'the hashed score is the trained score')
  // Random made-up words among the model's own: hashed and trained scores agree.
  const vocabulary = [...shippedCrisisModel.weights.keys()].filter((f) => !f.includes(' ')).slice(0, 2000)
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constantFrom(...vocabulary), fc.stringMatching(/^[a-z]{3,9}$/)), { minLength: 6, maxLength: 40 }), (words) => {
      const text = `tonight ${words.join(' ')}`
      for (const [, model, score] of models) {
        const hashed = score(model, text)
        if (hashed === null) continue
        if (Math.abs(hashed - probability(model, textFeatures(normalize(text).text.split(' ')))) > 1e-4) throw new Error(text)
      }
    }),
    { numRuns: 300 }
  )
})

t.test('any text is read without throwing, and matches point into it', async (t) => {
  const none: FlagRule[] = []
  const engine = compileRules(none)
  fc.assert(
    fc.property(fc.string({ maxLength: 300, unit: 'grapheme' }), (text) => {
      for (const m of engine.scan(text, { detectCrisis: true, detectSourcing: true })) if (text.slice(m.start, m.end) !== m.excerpt) throw new Error(JSON.stringify(text))
    }),
    { numRuns: 300 }
  )
  t.pass()
})

t.test('the shipped models are what the training script makes of the labelled sets', async (t) => {
  const run = promisify(execFile)
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/train-models.ts', '--check'], { cwd: new URL('../../../', import.meta.url) })
  t.match(stdout, /crisis-model\.json is what the labelled sets give/)
  t.match(stdout, /sourcing-model\.json is what the labelled sets give/)
})
