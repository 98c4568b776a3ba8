import t from 'tap'
import { compileRules, loadDefaultRules, validatePattern } from '../../../src/moderation/flagging/index.js'
import { scanDefault } from '../../helpers/corpus.js'

const defaults = loadDefaultRules()
const compiled = compileRules(defaults.map((r) => ({ id: r.key, pattern: r.pattern, category: r.category, action: r.action })))
const ruleMatches = (text: string) => compiled.scan(text, { detectPersonalInfo: false })

/** Ordinary recovery-forum sentences, many with near-miss words, that no default rule may flag. */
const benign = [
  'I used to drink every night and now I am 90 days sober.',
  'Day 30 today, feeling good.',
  'day 1 again, but I am not giving up.',
  'I have 30 days clean and my sponsor is proud of me.',
  'Celebrating 5 years clean on Sunday!',
  'Since 2024 I have not touched a drink.',
  'The meeting starts at 3:30 in the church basement.',
  'I spent $40 on a new journal and it was worth it.',
  'The plug on my phone charger died so I missed the call.',
  'I had to unplug from social media for a while.',
  'My sponsor is my connection to the program.',
  'I feel connected to the group for the first time.',
  'We went to an overdose awareness training at the library.',
  'Narcan training saved a life at my workplace last week.',
  'This cake is to die for.',
  'That was a killer workout this morning.',
  'I killed it at my interview today!',
  'My therapist says I am making progress.',
  'We drove through Scunthorpe on the way to the retreat.',
  'Learning a new skill keeps my hands busy.',
  'I watched a movie about an assassin last night.',
  'I ordered a mocktail instead of a cocktail.',
  'I am cutting back on coffee too.',
  'Cutting down on sugar has helped my mood.',
  'Drug-free for a year as of today.',
  'I only take the pills my doctor prescribed.',
  'My doctor prescribed new pills for my blood pressure.',
  'I take my meds every morning with breakfast.',
  'Suboxone has been a lifesaver for me.',
  'Where can I get Narcan for free?',
  'Does anyone know where to get suboxone near Leeds?',
  'Methadone clinic was busy today.',
  'I overdosed two years ago and I am grateful to be alive.',
  'My brother died of an overdose and I miss him every day.',
  'I want to live a life I am proud of.',
  'I want to be alive for my kids.',
  'Life is worth living again.',
  'I want to forgive myself for what I did.',
  'I want to treat myself to a nice dinner.',
  'I want to find myself again.',
  'I hurt myself and others with my drinking, so I am making amends.',
  'I am learning to love myself.',
  'I am proud of myself today.',
  'I almost died in that crash, now I drive sober.',
  'The only way out is through.',
  'I am sick and tired of being sick and tired.',
  'Nobody told me recovery would be this hard.',
  'I want to disappear into a good book tonight.',
  'Hit me up if you want to talk after the meeting.',
  'HMU if you need someone to talk to.',
  'DM me if you want to chat.',
  'Text the helpline, they are kind.',
  'Connect with your home group this week.',
  'I plugged my laptop in and wrote my gratitude list.',
  'Please plug in your phone before the call.',
  'Selling my old car to pay for rehab.',
  'I am selling cookies for the fundraiser.',
  // The bare "anyone selling" rule held asks like these (12 in the labelled sets) and nothing no other rule held;
  // retired 2026-11-24.
  'Anyone selling a used laptop? Need one for online classes.',
  'anyone selling a pram? granddaughter due June',
  'The bakery has bars for sale, the lemon ones are great.',
  'Chocolate bars are my new vice.',
  'I used to score pills in parking lots, never again.',
  'We scored two goals in the last minute!',
  'The pharmacist was really helpful about my prescription.',
  'Telegram was where I read the news before.',
  'I deleted Snapchat to stay away from old contacts.',
  'I blocked my old dealer on every app.',
  'My dealer used to live two streets away.',
  'I was holding on by a thread but the group helped.',
  'Holding space for everyone who is struggling tonight.',
  'Who is holding the chip ceremony this month?',
  'Step 4 was hard but worth it.',
  'I read page 86 of the Big Book every morning.',
  'Call me at the meeting if you need me.',
  'I feel like a new person.',
  'Dying to see my kids this weekend.',
  'I would kill for a good night of sleep.',
  'I could die of embarrassment but I shared anyway.',
  'My phone died in the middle of the meeting.',
  'The killer in that book was the gardener.',
  'The end of it all is the beginning of something new.',
  'I want to end the day with a walk.',
  'Goodbye, see you all at Thursday\'s meeting!',
  'My last post was about my first week, here is an update.',
  'I am not going to use today.',
  'I used to use every day, now I use the phone to call my sponsor.',
  'I relapsed and I am back at day 1.',
  'Relapse is part of many stories, keep coming back.',
  'I got sober in 2019.',
  'I got bored on Saturday and went for a run.',
  'I have been pressed for time lately.',
  'My grandmother pressed flowers in her bible.',
  'A hot shower and a cup of tea fixed my mood.',
  'The hot sauce was too spicy.',
  'I have no way to get to the meeting, can anyone give me a ride?',
  'Can someone explain the 12 steps to me?',
  'My counselor is amazing.',
  'I joined a cycling club to fill the evenings.',
  'I have 2 kids and 1 dog.',
  'Call 911 if someone is not breathing.',
  'I slept 10 hours last night.',
  'The cravings are strong but I am stronger.',
  'Just for today I will not drink.',
  'My bank balance went from $3 to $300 since I quit.',
  'I found a class at the YMCA.',
  'I passed my driving test at 35.',
  'Therapy on Tuesdays and meetings on Fridays.',
  'Skilled nursing helped my dad recover.',
  'My boss said I was a class act.',
  'I am reading "Assassin\'s Apprentice" at night.',
  'I shared my story and cried, it felt good.',
  'Best wishes to everyone celebrating a milestone this week.',
  'The bus was late so I walked to the meeting.',
  'I have been clean for 500 days!',
  // Near misses of the r4- rules, from their review (2026-11-24).
  'My daughter Molly wanted to come with me to the family meeting.',
  'I caught my son selling my pills to his friends. What do I do?',
  'Back when I was using I ended up selling my meds.',
  'My co-sponsor will get the call instead of me this week while I am away.',
  'I need a bump in motivation today, anyone around to chat?',
  'Nobody would miss a drunk driver like that off the roads.'
]

/** Crisis sentences as people in recovery write them; each must escalate. */
const crisis = [
  'I want to kill myself.',
  'i just want to die',
  'honestly kms',
  'I am going to kms tonight',
  'I want to unalive myself',
  'thinking about unaliving tonight',
  'I am ready to end it all',
  'I just want to end it all',
  "I don't want to wake up tomorrow",
  'i dont want to wake up anymore',
  'gonna use till it stops',
  'i am going to use until my heart stops',
  'Everyone would be better off dead, me most of all. I am better off dead.',
  'there is no reason to live anymore',
  'I have nothing to live for',
  'I cut myself again last night',
  'I started cutting again',
  'I am going to take all my pills tonight',
  'I want to od on purpose',
  'I am planning to overdose this weekend',
  'I will not be here anymore by Friday',
  'I am suicidal',
  'feeling really suicidal today',
  'having sucidal thoughts',
  'goodbye forever everyone',
  'this is goodbye. thank you all',
  'thinking about sewerslide',
  'sewer slide is on my mind',
  'I want to end my life',
  'I want to take my own life',
  'I have been stockpiling my pills',
  'I am going to drink myself to death',
  'I keep thinking about how many pills to die',
  'how much would it take to die',
  'nobody would miss me if I was gone',
  'they would all be better off without me',
  'I wish I was dead',
  'I wish I had never been born',
  'I hate being alive',
  'I am done with life',
  'I have given up on life',
  'I cant go on like this',
  "I can't do this anymore",
  'I just want it all to end',
  'there is no way out for me',
  'I want to hurt myself',
  'I have the urge to burn myself',
  'I want to self harm again',
  'self-harmed again last night',
  'I want to slit my wrists',
  'I am going to jump off a bridge',
  'I want to hang myself',
  'I might shoot myself',
  'thinking about gonna od tonight',
  'I know the lethal dose',
  'I am going to take the whole bottle',
  'I want to go to sleep forever',
  'life is not worth living',
  "I don't want to be alive",
  'i dont wanna live anymore',
  'I want to disappear forever',
  'I want to self delete',
  'tbh i might ctb soon',
  'I\'d rather be dead than go back',
  'w4nt to d1e',
  'k i l l m y s e l f',
  'I wanna diiiie',
  'i want to кill myself',
  'kіll mysеlf tonight',
  'no one would miss me',
  'this is my last post',
  'thinking about ending it tonight, nobody would care',
  'I wrote my goodbye letters today',
  'i have a rope ready in the garage',
  'so tired of living like this',
  "I don't see the point in living anymore",
  'been reading about suicide methods',
  // Wordings a review of the narrowed r4- rules found they had lost (2026-11-24).
  'no one would miss a junkie like me',
  'nobody would miss someone like me',
  'nobody will miss a failure like me',
  'my kids will get a call instead of me',
  'my mum will get the call instead of me'
]

/** Offers, asks and arrangements to buy or sell drugs; each must be held. */
const sourcing = [
  'need a plug in Manchester',
  'anyone know a plug?',
  'my plug just got busted',
  'plug me please',
  'who\'s holding tonight?',
  'whos holding in the city',
  'dm me for bars',
  'DM me for percs',
  'hmu for xans',
  'selling xanax, pm me',
  'oxy for sale',
  'm30s for sale cheap',
  'where to score around here',
  'where can i score tonight',
  'need a connect asap',
  'my connect is dry',
  'cash app me and I will send it',
  'cashapp me first',
  'telegram me for the menu',
  'add me on wickr',
  'snapchat me for details',
  'got pills for sale',
  'anyone got pills?',
  'pressed pills are everywhere, I have some',
  'got bars, hit me',
  'anyone selling blues?',
  'where can i get fent',
  'where to get coke in town',
  'selling my subs',
  'discreet shipping worldwide',
  'no prescription needed',
  'dm for prices',
  'menu in dm',
  's3ll1ng x4n4x',
  'selling percs',
  'im selling my meds, dm me',
  // Wordings a review of the narrowed r4- rules found they had lost (2026-11-24).
  'oxy wanted',
  'ket wanted north london',
  'vals wanted',
  'selling me bupe',
  'need a bump tonight whos around'
]

t.test('the default rules load with every field filled in and every pattern valid', async (t) => {
  t.ok(defaults.length > 0)
  for (const rule of defaults) {
    t.equal(validatePattern(rule.pattern), null, `${rule.key} has a valid pattern`)
    t.ok(rule.publicReason.length > 0 && rule.why.length > 0, `${rule.key} explains itself`)
  }
  t.ok(defaults.filter((r) => r.category === 'crisis').length > 60, 'the crisis set aims for high recall')
  t.ok(defaults.every((r) => (r.category === 'crisis') === (r.action === 'escalate')), 'only crisis rules escalate')
  t.ok(
    defaults.filter((r) => r.category === 'sourcing').every((r) => r.action === 'hold'),
    'sourcing rules hold'
  )
})

t.test('ordinary recovery sentences match no default rule', async (t) => {
  t.ok(benign.length >= 100, `benign corpus has ${benign.length} sentences`)
  for (const text of benign) {
    const found = ruleMatches(text)
    t.same(
      found.map((m) => `${m.ruleId}: ${m.excerpt}`),
      [],
      JSON.stringify(text)
    )
  }
})

t.test('with both models reading too, only six of the ordinary sentences escalate or are held, each known', async (t) => {
  // The models are trained on the labelled sets, not on these sentences; what they still catch here is listed so
  // that a retraining which catches more (or other) everyday sentences shows up in review. The two hopeful ones
  // ("I want to live…", "…alive for my kids") came with the retraining on sets 6 and 7 (2026-11-24), which
  // escalated 13 more of held-out set 8's 120 crisis posts: a model of words and their pairs and triples cannot
  // tell "want to live" from "don't want to live" (the model before escalated others of the kind, such as "I want
  // to be alive to see my grandkids grow up"). Marking the words after a negation was tried: it cleared the
  // second sentence, not the first, and moved the cross-validated figures by under a point (crisis +0.1,
  // sourcing -0.9), so it was not kept.
  const flagged = benign.filter((text) => scanDefault(text).some((m) => m.action === 'escalate' || m.action === 'hold'))
  // "I only take the pills my doctor prescribed." came with the 800 more everyday posts of 2026-11-24 (0.29 against a
  // threshold of 0.23), which cleared 8 of 15 false alarms on two fresh sets of everyday posts.
  t.same(flagged, [
    'I only take the pills my doctor prescribed.',
    'Does anyone know where to get suboxone near Leeds?',
    'I want to live a life I am proud of.',
    'I want to be alive for my kids.',
    'I want to disappear into a good book tonight.',
    'The bakery has bars for sale, the lemon ones are great.'
  ])
})

t.test('every crisis sentence escalates', async (t) => {
  t.ok(crisis.length >= 60, `crisis corpus has ${crisis.length} sentences`)
  for (const text of crisis) {
    const found = ruleMatches(text).filter((m) => m.category === 'crisis' && m.action === 'escalate')
    t.ok(found.length > 0, JSON.stringify(text))
  }
})

t.test('every sourcing sentence is held', async (t) => {
  t.ok(sourcing.length >= 30, `sourcing corpus has ${sourcing.length} sentences`)
  for (const text of sourcing) {
    const found = ruleMatches(text).filter((m) => m.category === 'sourcing' && m.action === 'hold')
    t.ok(found.length > 0, JSON.stringify(text))
  }
})

t.test('telling someone else to kill themselves is held as harassment, not published', async (t) => {
  for (const text of ['kys', 'just kys already', 'go kill yourself', 'I hope you overdose']) {
    const found = ruleMatches(text)
    t.ok(found.some((m) => m.category === 'harassment' && m.action === 'hold'), JSON.stringify(text))
  }
})

t.test('a dyed-hair sentence is flagged on purpose: a false flag is cheaper than a missed crisis', async (t) => {
  t.ok(ruleMatches('I want to die my hair blue').some((m) => m.ruleId === 'want-to-die'))
})
