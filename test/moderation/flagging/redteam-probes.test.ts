import t from 'tap'
import { readSet, scanDefault } from '../../helpers/corpus.js'

/*
 * A red team's 327 probes (2026-11-25, redteam-probes.json): 65 offers and asks of drugs, many in emoji
 * ("🔌 here, got 💊 and ❄️, tap in") or moved to an app ("check my bio for the tele"), 70 crisis posts in
 * the shorthand of the day ("SI is really loud tonight", "idk if ill be here tmrw"), 60 posts giving out
 * contact details, and 132 ordinary posts written beside them: harm-reduction warnings about pressed pills,
 * recovery talk in the same words, and the twins of the rules the review proposed (benign twins FB01 to FB28,
 * PB01 to PB34 of the review). Before the rules learnt from them (the `r5-` rules, the emoji fold of fold.ts,
 * three rules retired): 41 of the 65 held, 54 of the 70 escalated, 14 ordinary posts escalated or held
 * (contact details aside). Now 63, 67 and 9, and what is still missed or still caught is named here, so that a
 * change that loses one, or fixes one, shows.
 *
 * redteam-near-misses.json: 90 ordinary posts written while the `r5-` rules were chosen, aimed at them and at
 * the emoji they read (a snow day, a pool night, pills from the pharmacy, a bake sale). An in-sample check.
 */

const probes = readSet(new URL('./redteam-probes.json', import.meta.url))
const nearMisses = readSet(new URL('./redteam-near-misses.json', import.meta.url))

const escalates = (text: string) => scanDefault(text).some((m) => m.category === 'crisis' && m.action === 'escalate')
const heldAsSourcing = (text: string) => scanDefault(text).some((m) => m.category === 'sourcing' && m.action === 'hold')
const heldAsPersonal = (text: string) => scanDefault(text).some((m) => m.category === 'personal_info' && m.action === 'hold')
/** Escalated or held for anything but contact details, which the detectors' own tests cover. */
const caught = (text: string) => scanDefault(text).some((m) => (m.action === 'escalate' || m.action === 'hold') && m.category !== 'personal_info')

t.test('every sourcing probe is held but two', async (t) => {
  t.same(probes.sourcing.filter((text) => !heldAsSourcing(text)), [
    // "tele" is also the television ("my tele is broken"); the handle is for the detectors.
    'my tele is @bluesdirect, fast replies',
    // Nothing in it but a meeting and "the stuff".
    'link up later? I got the stuff you asked about'
  ])
})

t.test('every crisis probe escalates but three, each the twin of an ordinary probe', async (t) => {
  t.same(probes.crisis.filter((text) => !escalates(text)), [
    // "I don't know how much longer I can do this job, the night shifts are brutal".
    'idk how much longer i can do this',
    // "wrote amends letters to my kids, my sponsor says they'll understand one day".
    "wrote letters to my kids today. they'll understand one day",
    // "they'll be fine without me for the 28 days I'm in rehab, my mom has the kids".
    "my kids deserve a better mom than me. they'll be ok without me"
  ])
})

t.test('of the ordinary probes, only these escalate or are held, each known', async (t) => {
  t.same(probes.benign.filter(caught), [
    // The sourcing model: a question in the words of the trade (52 %).
    'who else here used to buy perc 30s off snap? how did you stop',
    // Rules that escalate on purpose: the same words are a crisis more often than not, and a click is cheap.
    'my sponsor told me to stop killing myself with guilt',
    "I can't do this anymore — smoking I mean. quitting cigarettes day 1",
    "I don't want to wake up tomorrow with a hangover ever again. that's why I'm here",
    // The crisis model, which cannot tell "want to wake up" from "don't want to wake up".
    'Tomorrow I want to wake up proud. day 3',
    'kinda wish I could sleep forever, this flu is brutal lol',
    "what's the point of anything if I'm not honest with my sponsor",
    // saving-up-pills (and r5-hoarding-meds) escalate a story of hoarding too.
    'I was hoarding my meds back then, now my wife keeps them locked up',
    // The crisis model again.
    'CALM helpline 0800 58 58 58, open 5pm to midnight'
  ])
})

t.test('warnings about pressed pills and a relapse told are not held, by the rules or the sourcing model', async (t) => {
  for (const text of [
    'PSA: pressed blues in our area are testing positive for xylazine. carry narcan',
    // The sourcing model held this one (57 %) until warnings were left to the rules (readsAsHarmReductionWarning).
    'Be careful out there, pressed 30s around here are full of fent and xylazine',
    'warning: pressed xans going round Glasgow are bromazolam, 3 ODs this week',
    'need to warn everyone, pressed blues here are fent',
    'relapse happened: I bought pressed 30s from someone on snap. Day 1 again'
  ]) {
    t.same(scanDefault(text).filter((m) => m.category === 'sourcing'), [], JSON.stringify(text))
  }
})

t.test('contact details: at least as many held as the detectors found when the probes were written', async (t) => {
  const held = probes.pii?.filter(heldAsPersonal) ?? []
  t.ok(held.length >= 35, `${held.length}/${probes.pii?.length ?? 0} held (floor 35)`)
  const numbers = probes.benign.filter(heldAsPersonal)
  t.ok(numbers.length <= 5, `${numbers.length} ordinary probes held for a number (ceiling 5: helplines)`, { numbers })
})

t.test('of the near misses of the r5- rules and the emoji fold, only these escalate or are held', async (t) => {
  t.same(nearMisses.benign.filter(caught), [
    // The sourcing model, which held the first before the emoji fold too ("snow" is one of its cue words).
    '❄️❄️ snow day, meeting moved to zoom, dm me for the link',
    // r5-dont-know-if-alive-tomorrow: waking up tomorrow in doubt escalates, whatever follows.
    "not sure if I'll wake up tomorrow in time for the 7am meeting, my alarm is broken",
    // The crisis model, as before the review.
    "I don't know how much longer I can last without a cigarette",
    "what's the point of a meeting if nobody shares honestly",
    // The sourcing model, as before the review ("syrup" and "ice" are among its cue words).
    "🍁 maple syrup from my uncle's farm, dm me if you want a bottle",
    '🧊🧊 ice bath challenge day 5, anyone want to join? dm me'
  ])
})
