import t from 'tap'
import { compileRules, type FlagRule } from '../../../src/moderation/flagging/index.js'
import { compileEngine } from '../../../src/moderation/flagging/engine.js'
import { MIN_SOURCING_WORDS, shippedSourcingModel } from '../../../src/moderation/flagging/sourcing-model.js'
import { everyLabelledPost } from '../../helpers/corpus.js'

const none: FlagRule[] = []
const offer = 'My cousin works at a pharmacy and can get 80s, who wants in? Cash only.'

t.test('the model holds a sourcing post that no rule names, showing the sentence that reads most like it', async (t) => {
  const matches = compileRules(none).scan(offer, { detectSourcing: true })
  t.equal(matches.length, 1)
  t.match(matches[0], { ruleId: null, category: 'sourcing', action: 'hold', detector: 'sourcing_model', excerpt: 'Cash only' })
  t.equal(offer.slice(matches[0]!.start, matches[0]!.end), matches[0]!.excerpt, 'offsets into the original text')
  t.ok((matches[0]!.score ?? 0) >= shippedSourcingModel.threshold, 'its score reaches the threshold')
})

t.test('ordinary posts that come close, short posts and switched-off scans get nothing from it', async (t) => {
  const engine = compileRules(none)
  for (const text of [
    'Three years clean today and grateful for every one of you.',
    'I used to buy from a guy behind the gas station, now I drive past it on my way to meetings.',
    'Selling my old couch, fifty bucks, pick up only.',
    'Where can I get narcan for free in my county?',
    'My doctor switched my prescription and the pharmacy is out of stock.',
    'hmu if you need a ride to the Tuesday meeting',
    'my plug for my phone charger broke lol',
    'who wants in?'
  ]) {
    t.same(engine.scan(text, { detectSourcing: true }), [], text)
  }
  t.same(engine.scan(offer), [], 'only when asked (detectSourcing)')
  t.same(compileEngine(none, { sourcingModel: null }).scan(offer, { detectSourcing: true }), [], 'no model')
  t.equal(MIN_SOURCING_WORDS, 4)
})

t.test('the model is asked only when no sourcing rule held, and only ever holds', async (t) => {
  const engine = compileRules([{ id: 'r', pattern: 'who wants in', category: 'sourcing', action: 'hold' }])
  t.same(
    engine.scan(offer, { detectSourcing: true }).map((m) => m.ruleId),
    ['r'],
    'the rule, not the model as well'
  )
  const flagOnly = compileRules([{ id: 'f', pattern: 'who wants in', category: 'sourcing', action: 'flag' }])
  t.same(
    flagOnly.scan(offer, { detectSourcing: true }).map((m) => m.ruleId ?? m.detector),
    ['f', 'sourcing_model'],
    'a sourcing rule that only flags leaves the post to the model'
  )
  const withModel = compileRules(none)
    for (const text of everyLabelledPost()) {
    for (const m of withModel.scan(text, { detectSourcing: true }).filter((m) => m.detector === 'sourcing_model')) t.equal(m.action, 'hold')
  }
})
