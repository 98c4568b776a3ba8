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
