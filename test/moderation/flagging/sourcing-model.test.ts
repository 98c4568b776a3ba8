import t from 'tap'
import { compileRules, normalize, type FlagRule } from '../../../src/moderation/flagging/index.js'
import { compileEngine } from '../../../src/moderation/flagging/engine.js'
import { MIN_SOURCING_WORDS, SOURCING_CUES, readsAsHarmReductionWarning, shippedSourcingModel, sourcingScore } from '../../../src/moderation/flagging/sourcing-model.js'
import { everyLabelledPost } from '../../helpers/corpus.js'

const none: FlagRule[] = []
const offer = 'My cousin works at a pharmacy and can get 80s, who wants in? Cash only.'

t.test('the model holds a sourcing post that no rule names, showing the sentence that reads most like it', async (t) => {
  const matches = compileRules(none).scan(offer, { detectSourcing: true })
  t.equal(matches.length, 1)
  t.match(matches[0], { ruleId: null, category: 'sourcing', action: 'hold', detector: 'sourcing_model', excerpt: 'My cousin works at a pharmacy and can get 80s, who wants in' })
  t.equal(offer.slice(matches[0]!.start, matches[0]!.end), matches[0]!.excerpt, 'offsets into the original text')
  t.ok((matches[0]!.score ?? 0) >= shippedSourcingModel.threshold, 'its score reaches the threshold')
})

t.test('it reads posts that name a medicine by its generic or regional name too', async (t) => {
  // Sourcing posts of the training sets that the gate used to keep from the model: none has a cue word it had then.
  const engine = compileRules(none)
  for (const [text, sentence] of [
    ['Anyone in Manchester selling diazepam? Even 10 would help me taper on my own.', 'Anyone in Manchester selling diazepam'],
    ["Any girls in Leeds got spare diazepam? I'll do a swap for my zopiclone", 'Any girls in Leeds got spare diazepam'],
    ["Mum's got a cupboard full of her old co-codamol, could I sell them on here? Would go cheap", "Mum's got a cupboard full of her old co-codamol, could I sell them on here"]
  ] as const) {
    t.match(engine.scan(text, { detectSourcing: true }), [{ category: 'sourcing', action: 'hold', detector: 'sourcing_model', excerpt: sentence }], text)
  }
  t.same(engine.scan('My doctor put me on diazepam for the detox and it helped.', { detectSourcing: true }), [], 'naming a medicine is not enough')
})

t.test('ordinary posts that come close, short posts and switched-off scans get nothing from it', async (t) => {
  const engine = compileRules(none)
  for (const text of [
    'Three years clean today and grateful for every one of you.',
    'I used to buy from a guy behind the gas station, now I drive past it on my way to meetings.',
    'Where can I get narcan for free in my county?',
    'My doctor switched my prescription and the pharmacy is out of stock.',
    'my plug for my phone charger broke lol',
    'who wants in?'
  ]) {
    t.same(engine.scan(text, { detectSourcing: true }), [], text)
  }
  t.same(engine.scan(offer), [], 'only when asked (detectSourcing)')
  t.same(compileEngine(none, { sourcingModel: null }).scan(offer, { detectSourcing: true }), [], 'no model')
  t.equal(MIN_SOURCING_WORDS, 4)
})

t.test('an ordinary offer or request that names nothing people deal is not read at all', async (t) => {
  // A reviewer's everyday posts, which the model held before it needed a cue word (SOURCING_CUES).
  const engine = compileRules(none)
  for (const text of [
    'Selling a used PS4 with two controllers, message me if interested, local pickup only.',
    'Got extra tickets to the Saturday game, selling at face value to anyone from the group.',
    'I make beaded bracelets now, it keeps my hands busy. Selling them for 5 each, DM me if you want one.',
    'Got a couple extra bus passes from my caseworker, happy to pass them along to whoever needs one.',
    'My buddy can get you into the warehouse where he works, they hire people with records. DM me for details.',
    'I know a guy who does cheap car repairs, cash only. Let me know if you need his number.',
    'Anybody selling a bike around here? Need something to get to work.',
    'Got some extra groceries from the food bank, can drop them off to anyone in the east side who is struggling.',
    'Text me on 212-555-0187 if you need anything.'
  ]) {
    t.equal(sourcingScore(shippedSourcingModel, text), null, text)
    t.same(engine.scan(text, { detectSourcing: true, detectPersonalInfo: false }), [], text)
  }
  t.ok(SOURCING_CUES.has('oxy') && SOURCING_CUES.has(normalize('m30s').text), 'cue words are kept as the text is normalised')
})

t.test('a harm-reduction warning is left to the rules; one that also offers, prices or asks is read', async (t) => {
  const words = (text: string) => normalize(text).text.split(' ')
  for (const text of [
    'Be careful out there, pressed 30s around here are full of fent and xylazine',
    'need to warn everyone, pressed blues here are fent',
    'warning: pressed xans going round Glasgow are bromazolam, 3 ODs this week'
  ]) {
    t.ok(readsAsHarmReductionWarning(words(text)), text)
    t.equal(sourcingScore(shippedSourcingModel, text), null, `not read: ${text}`)
  }
  for (const text of [
    'careful, my blues are the real deal, no fent, tap in',
    'stay safe, got 30s for anyone dopesick',
    'pressed bars going round are strong, be careful. $5 each',
    'will trade my ps4 for an ounce'
  ]) {
    t.notOk(readsAsHarmReductionWarning(words(text)), text)
  }
})

t.test('the plug and pill emoji are cue words, read as fold.ts reads them', async (t) => {
  t.ok(SOURCING_CUES.has(normalize('🔌').text) && SOURCING_CUES.has('emojipill'))
  t.notOk(SOURCING_CUES.has(normalize('❄️').text), 'a snowflake is weather more often than not')
  t.not(sourcingScore(shippedSourcingModel, 'anyone near Leicester got any spare 💊 they can part with'), null)
})

t.test('the excerpt is a whole sentence: a disguised word is not cut at its dots', async (t) => {
  const text = 'got a few o.x.y.s left from my surgery, dm me if u want them cheap. Be safe all.'
  const [match] = compileRules(none).scan(text, { detectSourcing: true })
  t.match(match, { detector: 'sourcing_model', excerpt: 'got a few o.x.y.s left from my surgery, dm me if u want them cheap' })
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
    flagOnly.scan(offer, { detectSourcing: true }).map((m) => m.ruleId ?? m.detector).sort(),
    ['f', 'sourcing_model'],
    'a sourcing rule that only flags leaves the post to the model'
  )
  const withModel = compileRules(none)
  for (const text of everyLabelledPost()) {
    for (const m of withModel.scan(text, { detectSourcing: true }).filter((m) => m.detector === 'sourcing_model')) t.equal(m.action, 'hold')
  }
})
