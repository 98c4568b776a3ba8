import t, { type Test } from 'tap'
import fc from 'fast-check'
import { isDeepStrictEqual } from 'node:util'
import { compileRules, loadDefaultRules } from '../../../src/moderation/flagging/index.js'
import { compileEngine } from '../../../src/moderation/flagging/engine.js'
import { findEmails } from '../../../src/moderation/flagging/detectors.js'
import type { PersonalInfoDetector } from '../../../src/moderation/flagging/types.js'

const none = compileRules([])
const found = (text: string, detector: 'phone' | 'email' | 'link') =>
  none.scan(text, { detectLinks: true }).filter((m) => m.detector === detector).map((m) => m.excerpt)

t.test('phone numbers in national and international forms are held as personal info', async (t) => {
  const cases: Array<[string, string]> = [
    ['call me on +44 20 7946 0958 tonight', '+44 20 7946 0958'],
    ['my cell is (415) 555-2671', '(415) 555-2671'],
    ['text 415.555.2671 anytime', '415.555.2671'],
    ['uk mobile 07700 900123', '07700 900123'],
    ['+1 415 555 2671', '+1 415 555 2671'],
    ['reach me at 415-555-2671.', '415-555-2671'],
    ['my number is 4 1 5 5 5 5 2 6 7 1 ok', '4 1 5 5 5 5 2 6 7 1'],
    ['four one five five five five two six seven one', 'four one five five five five two six seven one']
  ]
  for (const [text, excerpt] of cases) {
    const matches = none.scan(text).filter((m) => m.detector === 'phone')
    t.same(matches.map((m) => m.excerpt), [excerpt], JSON.stringify(text))
    t.ok(matches.every((m) => m.ruleId === null && m.category === 'personal_info' && m.action === 'hold'))
  }
})

t.test('ordinary numbers are not phone numbers', async (t) => {
  for (const text of [
    'I have 30 days clean',
    'since 2024',
    '5 years sober on 12/05/2024',
    'the meeting is at 3:30',
    'I saved $1,234,567 in my dreams',
    'I paid £250 for the course',
    'steps 1 2 3 4 5 6 7 8 9 10 done',
    'page 86, chapter 5, verse 12',
    'I was born in 1987 and got sober in 2015'
  ]) {
    t.same(found(text, 'phone'), [], JSON.stringify(text))
  }
})

t.test('e-mail addresses, plain and spelled out, are held as personal info', async (t) => {
  const cases: Array<[string, string]> = [
    ['email me at jane.doe@gmail.com please', 'jane.doe@gmail.com'],
    ['write to name at gmail dot com', 'name at gmail dot com'],
    ['name [at] proton [dot] me', 'name [at] proton [dot] me'],
    ['bob (at) yahoo (dot) co (dot) uk', 'bob (at) yahoo (dot) co (dot) uk'],
    ['sam @ outlook.com', 'sam @ outlook.com']
  ]
  for (const [text, excerpt] of cases) {
    const matches = none.scan(text).filter((m) => m.detector === 'email')
    t.same(matches.map((m) => m.excerpt), [excerpt], JSON.stringify(text))
    t.ok(matches.every((m) => m.category === 'personal_info' && m.action === 'hold'))
  }
  for (const text of ['look at this', 'meet at home at 5', 'I am at the dot of despair', '@moderators please help']) {
    t.same(found(text, 'email'), [], JSON.stringify(text))
  }
})

/** Each text must give exactly these excerpts, each at an offset into the text as written. */
function expectFound(t: Test, detector: PersonalInfoDetector, cases: ReadonlyArray<[string, string]>): void {
  for (const [text, excerpt] of cases) {
    const matches = none.scan(text).filter((m) => m.detector === detector)
    t.same(matches.map((m) => m.excerpt), [excerpt], JSON.stringify(text))
    for (const m of matches) {
      t.equal(text.slice(m.start, m.end), m.excerpt, `offsets of ${JSON.stringify(text)}`)
      t.ok(m.ruleId === null && m.category === 'personal_info' && m.action === 'hold')
    }
  }
}

/** None of these is held as contact details. */
function expectNone(t: Test, texts: readonly string[]): void {
  for (const text of texts) t.same(none.scan(text).filter((m) => m.category === 'personal_info'), [], JSON.stringify(text))
}

t.test('phone numbers written by accident in other forms: fullwidth, underscores, a letter O, keycaps', async (t) => {
  expectFound(t, 'phone', [
    ['２１２－５５５－０１８７', '２１２－５５５－０１８７'],
    ['\u{1F64F} call ２１２－５５５－０１８７ ok', '２１２－５５５－０１８７'],
    ['（２１２）５５５－０１８７', '（２１２）５５５－０１８７'],
    ['my number 212_555_0187 thx', '212_555_0187'],
    ['212-555-O187', '212-555-O187'],
    ['text o7911 123456', 'o7911 123456'],
    ['2\ufe0f\u20e31\ufe0f\u20e32\ufe0f\u20e35\ufe0f\u20e35\ufe0f\u20e35\ufe0f\u20e30\ufe0f\u20e31\ufe0f\u20e38\ufe0f\u20e37\ufe0f\u20e3', '2\ufe0f\u20e31\ufe0f\u20e32\ufe0f\u20e35\ufe0f\u20e35\ufe0f\u20e35\ufe0f\u20e30\ufe0f\u20e31\ufe0f\u20e38\ufe0f\u20e37\ufe0f\u20e3'],
    ['call 2\u20e31\u20e32\u20e35\u20e35\u20e35\u20e30\u20e31\u20e38\u20e37\u20e3 now', '2\u20e31\u20e32\u20e35\u20e35\u20e35\u20e30\u20e31\u20e38\u20e37\u20e3']
  ])
})

t.test('phone numbers read out with words among the digits', async (t) => {
  expectFound(t, 'phone', [
    ['212 dot 555 dot 0187', '212 dot 555 dot 0187'],
    ['ring 212 period 555 period 0187 later', '212 period 555 period 0187'],
    ['212 five five five 0187', '212 five five five 0187'],
    ['two one two 555 zero one eight seven', 'two one two 555 zero one eight seven'],
    ['seven one eight, five five five, oh one two three', 'seven one eight, five five five, oh one two three'],
    // Read out the British way, a digit said twice or three times.
    ['you can text me: oh seven seven zero zero, nine double oh, one one two', 'oh seven seven zero zero, nine double oh, one one two'],
    ['call me on oh one six one, double four nine, six double two three', 'oh one six one, double four nine, six double two three'],
    ['ring oh one triple one, five four three, two one nine', 'oh one triple one, five four three, two one nine'],
    // After a word that ends in a digit's name (`phone`, `alone`), the number is still found whole.
    ['my phone oh seven seven zero zero nine double oh one one two', 'oh seven seven zero zero nine double oh one one two'],
    ['home alone, oh seven seven zero zero, nine zero zero, one one two', 'oh seven seven zero zero, nine zero zero, one one two']
  ])
})

t.test('e-mail addresses: any ending with a real at-sign, and the common disguises', async (t) => {
  expectFound(t, 'email', [
    ['my mail is jane@fastmail.fm', 'jane@fastmail.fm'],
    ['jane.doe@mail.ru', 'jane.doe@mail.ru'],
    ['kate@some-new.photography!', 'kate@some-new.photography'],
    ['typo: jane@gmail.con', 'jane@gmail.con'],
    ['sobermike＠gmail．com', 'sobermike＠gmail．com'],
    ['\u{1F64F} ｊａｎｅ＠ｇｍａｉｌ．ｃｏｍ', 'ｊａｎｅ＠ｇｍａｉｌ．ｃｏｍ'],
    ['janedoe [@] gmail [.] com', 'janedoe [@] gmail [.] com'],
    ['janedoe (@) gmail (.) com', 'janedoe (@) gmail (.) com'],
    ['sober.mike @ protonmail . com', 'sober.mike @ protonmail . com'],
    ['sobermike at gmail d0t com', 'sobermike at gmail d0t com'],
    ['janedoe at yahoo period com', 'janedoe at yahoo period com'],
    // A decision, not an accident: `name@word.word` reads as an address whatever the ending.
    ['me@the.gym', 'me@the.gym']
  ])
})

t.test('ordinary recovery talk stays unflagged', async (t) => {
  expectNone(t, [
    'sober since 1/12/2024',
    'the meeting is 7:30-8:30 tonight, doors at 7:15',
    'Day 243 and counting',
    '24/7 support line',
    'I spent $1,250.00 on rehab, £45.99 on books',
    'I am on step 12 of 12 steps',
    'I got sober in 1987 and relapsed in 2015',
    'got my 30 day chip, then 60, then 90, then 1 year',
    'my 3o day chip and 6o day chip',
    'call 988 if you are struggling',
    'the app is at version 2.14.3 now',
    'thanks @sober_sam and @moderators',
    'me@the meeting lol',
    'find me @ the gym',
    'icon@2x.png looks blurry',
    'I stayed at home period it was hard',
    'I was at work period. Then home',
    'steps one, two, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12',
    'one two three four five six seven eight nine',
    'sober since 01/12/2019, 1,825 days, one day at a time',
    'IMG_20240115_123456.jpg',
    '２０２４年１月１２日'
  ])
})

t.test('phone numbers with a capital O and a lowercase l for 0 and 1', async (t) => {
  expectFound(t, 'phone', [
    ['my numbers 303-555-Ol56, leave a voicemail if i dont pick up', '303-555-Ol56'],
    ['hmu 6l7 555 Ol87', '6l7 555 Ol87']
  ])
})

t.test('a local number read out with its area code said apart', async (t) => {
  const text = 'text me at five five five, oh one four two. area code is three one two'
  t.same(found(text, 'phone'), ['five five five, oh one four two', 'three one two'])
  t.same(found('555-0142, area code: 312', 'phone'), ['555-0142', '312'])
  t.same(found('area code 312, my number is 555 oh one four two', 'phone'), ['312', '555 oh one four two'])
  // The first "area code" is not one (four digits); the second is.
  t.same(found('my old area code is 3125 lol. 555 oh one four two, area code is three one two', 'phone'), ['555 oh one four two', 'three one two'])
})

t.test('an address at a well-known provider, without its ending or with the name split', async (t) => {
  expectFound(t, 'email', [
    ['jane dot doe 1987 at gmail if anyone wants an accountability partner', 'jane dot doe 1987 at gmail'],
    ['email me sobermike84 at g mail dot com, I check it every morning', 'sobermike84 at g mail dot com'],
    ["dm doesn't work for me, just email stillstanding.dave at gmail", 'stillstanding.dave at gmail'],
    ['e-mail me: chris underscore sober underscore 2019 at proton mail', 'chris underscore sober underscore 2019 at proton mail'],
    ['sam_b at hot mail', 'sam_b at hot mail'],
    ['mike.r at out look.', 'mike.r at out look'],
    ['ping kate77 (at) yahoo', 'kate77 (at) yahoo'],
    ['write to jo_b at i cloud or here', 'jo_b at i cloud'],
    ['sobermike at hot mail dot com', 'sobermike at hot mail dot com'],
    ['jane@gmail', 'jane@gmail'],
    // A plain word is a handle only where the writer has just said it is an address.
    ['my email is janedoe at gmail', 'janedoe at gmail'],
    ['email me sobermike at yahoo!', 'sobermike at yahoo']
  ])
})

t.test('an address spelled letter by letter', async (t) => {
  expectFound(t, 'email', [
    ['email: m a r i a . r 9 1 @ g m a i l . c o m', 'm a r i a . r 9 1 @ g m a i l . c o m'],
    ["here's my email so we can do step work together, a n d r e w . p 8 8 at gmail", 'a n d r e w . p 8 8 at gmail'],
    ['j o e 7 at g m a i l . c o m, thanks', 'j o e 7 at g m a i l . c o m']
  ])
})

t.test('an address with the provider named first, a spaced at-sign, or the name spelled letter by letter', async (t) => {
  expectFound(t, 'email', [
    ['my gmail is janedoe1987', 'gmail is janedoe1987'],
    ['hotmail: jane.doe, write any time', 'hotmail: jane.doe'],
    ['my yahoo address is sober_sam.', 'yahoo address is sober_sam'],
    ['janedoe @ gmail', 'janedoe @ gmail'],
    ["it's janedoe [@] yahoo", 'janedoe [@] yahoo'],
    ['j a n e d o e at g m a i l', 'j a n e d o e at g m a i l'],
    ['write to j a n e d o e at gmail', 'j a n e d o e at gmail']
  ])
  // A provider named first is followed as often by a word of the sentence; `@` written for `at` in a sentence.
  expectNone(t, [
    'my gmail is full',
    'my gmail is down again, 3rd time',
    'gmail is v2 now',
    'outlook: 50/50 on a good day',
    'my outlook is better now, 2 years in',
    "gmail's app is 2x faster",
    'my account @ gmail got hacked',
    'I work @ yahoo',
    'email me @ gmail',
    'a b c d e f g is how my kid sings it at school'
  ])
})

t.test('a handle given with its platform', async (t) => {
  expectFound(t, 'handle', [
    ['insta: jd_92', 'insta: jd_92'],
    ['my IG is @sober.sarah.92', 'IG is @sober.sarah.92'],
    ['tiktok @recoverywithkat', 'tiktok @recoverywithkat'],
    ['my venmo is @Jenny-Walsh-7 if you want to chip in for the meeting coffee', 'venmo is @Jenny-Walsh-7'],
    ["add me on snap, it's mikeyb2019", "snap, it's mikeyb2019"],
    ['cash app $JaneD92 for the retreat', 'cash app $JaneD92'],
    ['hit my tele @frostyvibes', 'tele @frostyvibes'],
    ['signal: rave_supply', 'signal: rave_supply'],
    ['threads: @sober.kat', 'threads: @sober.kat'],
    ['my snapchat username is mikey.b', 'snapchat username is mikey.b']
  ])
  // Platforms that are everyday words, mentions of other members, money, and plain words after a platform.
  expectNone(t, [
    'therapy session today.',
    'cold snap is brutal.',
    'no signal up here, 3 bars at best',
    'great session @sarah_k, thanks',
    'read the old threads @mike',
    'thanks @sober_sam and @moderators',
    'Venmo Kara $12 for the group dinner',
    'cash app $80 is fine',
    'my insta is private',
    'my discord is soberdan, add me',
    'I left instagram 2 years ago',
    'on facebook b4 the meeting',
    'I blocked my old connect on snap today',
    "the instagram's @jd_92 post"
  ])
})

t.test('a home address said as the member\'s own', async (t) => {
  expectFound(t, 'address', [
    ["I'm John Miller, I live at 42 Oak Street, Springfield", '42 Oak Street'],
    ["I'm at 17 Marlborough Road, Leeds LS6 2AB if anyone wants to drop by", '17 Marlborough Road, Leeds LS6 2AB'],
    ['i live at 42 oak street, come say hi', '42 oak street'],
    ['my address is 221B Baker Street, London NW1 6XE', '221B Baker Street, London NW1 6XE'],
    ["we're staying at 9 Elm Close till Friday", '9 Elm Close'],
    ['my postcode is LS6 2AB', 'LS6 2AB']
  ])
  // A meeting's hall, a time or a distance, `I'm at` a milestone, a street named without a number.
  expectNone(t, [
    'I met my sponsor at the Tuesday meeting at 1420 Main St',
    'the meeting is at 1420 Main St',
    'drop by 1420 Main St for coffee after',
    'Tuesday meeting, St Marks Church Hall, Leeds LS6 2AB',
    'I live in Leeds now, moved from Dayton last year',
    'I live at the end of Oak Street',
    'I live at 5 mins from the main road',
    'I live at 10 mins drive from the hall',
    "I'm at 90 days",
    "I'm at 29 days so close",
    "I'm at 12 Step Meeting Place tonight",
    "i'm at 3 meetings a week, way better"
  ])
})

t.test('everyday talk about times, places and numbers is not contact details', async (t) => {
  expectNone(t, [
    'meet me at the gym at 5',
    'I was at my worst in 2019',
    'call the hotline at 988',
    'day 30 at 5 am',
    'at home dot dot dot whatever',
    'a b c d e f g is how my kid sings it',
    'I lost 10 lbs at the gym',
    'the meeting is at 7 30 in room 4 0 1',
    'my account at the clinic',
    'step 4 at 9 am',
    // Plain words before a provider: a sentence, not a handle (see PROVIDER_EMAIL).
    'my account at gmail got hacked',
    "I'm at gmail's office",
    'my cousin works at yahoo',
    'email me at gmail',
    "I'll email you at outlook",
    'we met at live shows back then',
    // Seven digits with an area code nowhere near, and an area code with no number.
    'five five five, oh one four two',
    'my area code is 312',
    'sold 1,234,567 copies, area code three one two',
    // `double` and `triple` in runs of them: games and films, not numbers.
    'we won double one, then lost three nil',
    'dominoes tonight: double six, double five, double four, double three, double two, I won',
    'darts league: triple one, triple five, triple one, one. terrible throw',
    'marathon of double oh seven, double oh six, double oh nine, double oh four films this weekend'
  ])
})

t.test('helpline numbers are held like any other number, as before', async (t) => {
  // No allowlist: a moderator sees `call 1-800-662-4357` and publishes it; an allowlist would let a member's number through.
  t.same(found('SAMHSA is 1-800-662-4357, free and confidential', 'phone'), ['1-800-662-4357'])
})

t.test('numbers split by line breaks or by marks between their groups', async (t) => {
  expectFound(t, 'phone', [
    ['text me\n415\n555\n0187', '415\n555\n0187'],
    ['text me\r\n415\r\n555\r\n0187 anytime', '415\r\n555\r\n0187'],
    ['call me: 415 | 555 | 0187', '415 | 555 | 0187'],
    ['my number 415 ~ 555 ~ 0187', '415 ~ 555 ~ 0187'],
    ['my # 415*555*0187', '415*555*0187'],
    ['it is 415 : 555 : 0187', '415 : 555 : 0187'],
    ['415=555=0187 ok', '415=555=0187'],
    ['reach me 415 # 555 # 0187', '415 # 555 # 0187'],
    ['uk: 07700 | 900 | 123', '07700 | 900 | 123'],
    ['+44 | 7700 | 900123', '+44 | 7700 | 900123']
  ])
  // Times, years, sums, ratios and verses laid out so are not numbers.
  expectNone(t, [
    'Meetings:\n7:30\n8:15\n9:45',
    'Years:\n2019\n2020\n2021\n2022',
    'spent 1500 + 800 + 1200 on rehab',
    '300 + 450 + 1200 = 1950 total',
    'it costs 120*12 = 1440 a year',
    'time 14:30:00 to 16:45:00',
    'meds at 0800 | 1400 | 2000',
    'Clean since 03/14/2019 | 1825 days | step 12',
    'Day 120 | Week 17 | Month 4',
    'John 3:16, Psalm 119:105, Romans 8:28',
    'ratio 1:1000'
  ])
})

t.test('numbers read aloud with teens, tens and hundreds among the digits', async (t) => {
  expectFound(t, 'phone', [
    ['my number is four fifteen, five five five, oh one eighty seven', 'four fifteen, five five five, oh one eighty seven'],
    ['ring me on oh seven seven double oh, nine hundred, one two three', 'oh seven seven double oh, nine hundred, one two three'],
    ['four fifteen, five fifty-five, oh one eighty seven', 'four fifteen, five fifty-five, oh one eighty seven']
  ])
  // Counting, ages, times and years say such words without digits said one by one among them.
  expectNone(t, [
    'one two three four five six seven eight nine ten',
    'five, six, seven, eight, nine, ten, eleven, twelve',
    'counting down: ten nine eight seven six five four three two one',
    'I am forty two, sober nine years, three kids and two dogs',
    'meetings at seven fifteen, six thirty, eight forty five, nine, ten',
    'twenty twenty four was the year, nineteen ninety nine the worst',
    'my kids are twelve, nine and seven, and the baby is one',
    'scores: ninety one, eighty two, seventy five, sixty'
  ])
})

t.test('on the new forms the fast path finds exactly what the general path finds', async (t) => {
  const fast = compileEngine([])
  const general = compileEngine([], { asciiFastPath: false })
  const piece = fc.oneof(
    fc.constantFrom(
      '212', '555', '0187', 'O187', 'o7911', '2o12', 'oo', 'o', '_', ' _ ', 'dot', 'period', 'd0t', 'at', 'AT', '@', '[@]', '(@)', '[.]', '(.)', ' . ', '.', '. ',
      'five', 'one', 'oh', 'zero', 'nine', ',', ', ', ' ', '-', '/', '(', '+', '$', 'gmail', 'com', 'me', 'fm', 'jane', 'x.y', '1', '7', '0',
      '２', '１', '－', '＠', '．', 'ｏ', '\u00a0', '—', '\u2024', '＿', '\ufe0f', '\u20e3', '2\ufe0f\u20e3', '❤️', 'é', '\n', "'", "x'", '’', '$', '!', 'x!',
      // Providers without an ending, handles, letters spelled out, look-alike digits and area codes.
      'g mail', 'g', 'mail', 'hot', 'yahoo', 'ya hoo', 'proton', 'aol', 'underscore', 'jane_d', 'kate77', 'email me', 'email:', "'s", 'a n d', 'x y z', ' a ', 'm',
      'l', 'Ol87', '6l7', 'area code', 'code', 'area', 'is', ' code: ',
      // Digits said twice or three times.
      'double', 'triple', 'double oh', 'triple seven', 'Double'
    ),
    // `@ $ !` and apostrophes next to a digit word join it to a word on the fast path (`$five`).
    fc.string({ unit: fc.constantFrom(...'0123456789oO_ .-@atdpe,$!\'fivnlgm'.split('')), maxLength: 10 })
  )
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 25 }).map((parts) => parts.join('')), (text) =>
      isDeepStrictEqual(fast.scan(text, { detectLinks: true }), general.scan(text, { detectLinks: true }))
    ),
    { numRuns: 3000 }
  )
  t.pass('3000 texts agree')
})

t.test('on dodged and read-out numbers, handles and home addresses the fast path finds exactly what the general path finds', async (t) => {
  const rules = loadDefaultRules().map((r) => ({ id: r.key, pattern: r.pattern, category: r.category, action: r.action }))
  const fast = compileEngine(rules)
  const general = compileEngine(rules, { asciiFastPath: false })
  const piece = fc.oneof(
    fc.constantFrom(
      '415', '555', '0187', '07700', '900', '123', '+44', '1', '0800', '58', '1800', '459', ' | ', '|', ' ~ ', '~', '*', ':', ' : ', '=', '+', '#', ' # ',
      '\n', '\r\n', ' ', '  ', '-', '.', ',', ', ', 'four', 'fifteen', 'five', 'oh', 'one', 'eighty', 'seven', 'nine', 'hundred', 'double', 'ten', 'twenty',
      'fourteen', 'Fifty', 'my gmail is ', 'gmail', 'hotmail', 'yahoo', ': ', ' is ', 'janedoe1987', 'jane.doe', 'full', '@', ' @ ', '[@]', 'j a n e', ' at ',
      'g m a i l', 'me', 'my', 'insta', 'IG', 'snap', 'snapchat', 'tele', 'session', 'threads', 'venmo', 'tik tok', 'tik', 'cash app', 'cash', '$JaneD',
      '@jd_92', 'jd_92', "it's ", 'add me on ', 'I live at ', "I'm at ", "we're staying at ", 'my address is ', 'my postcode is ', '42', '17', '221B',
      'Oak', 'oak', 'Street', 'St', 'St.', 'Road', 'Close', 'close', 'postcode', 'LS6 2AB', ', Leeds ', "'s", '$', '!', "'", '_', 'x', '🙂', 'é', '\u00b7',
      '•', '２', '＠', 'ｉｎｓｔａ', '\u00a0'
    ),
    fc.string({ unit: fc.constantFrom(...'0145789 |~*:=+#\n@$_.\'-aefgilmnorstv'.split('')), maxLength: 10 }),
    // Groups of digits joined by one mark, as dodged numbers, sums and lists are laid out.
    fc
      .tuple(
        fc.constantFrom(['415', '555', '0187'], ['07700', '900', '123'], ['+44', '7700', '900123'], ['1', '415', '555', '0187'], ['300', '450', '1200'], ['7', '30', '15']),
        fc.constantFrom('|', '~', '*', ':', '=', '+', '#', '\n', '\r\n', '-', '•'),
        fc.constantFrom('', ' ', '  ', '\t')
      )
      .map(([groups, mark, pad]) => groups.join(pad + mark + pad)),
    // Digits and numbers of two digits read out.
    fc
      .array(fc.tuple(fc.constantFrom('four', 'fifteen', 'five', 'oh', 'one', 'eighty seven', 'nine hundred', 'double oh', 'ten', 'twenty', 'seven', '415', '0187'), fc.constantFrom(' ', ', ', '-', ' dot ')), { minLength: 3, maxLength: 12 })
      .map((items) => items.map(([item, gap]) => item + gap).join('')),
    // A platform, what the writer says of it, and a handle or a word.
    fc
      .tuple(
        fc.constantFrom('my ', 'add me on ', '', 'the '),
        fc.constantFrom('insta', 'IG', 'snap', 'tele', 'session', 'threads', 'venmo', 'tik tok', 'cash app', 'gmail', 'hotmail', 'instagram\'s'),
        fc.constantFrom(' ', ': ', ' is ', ' handle is ', ", it's ", ' - ', '  '),
        fc.constantFrom('@jd_92', 'jd_92', '@sober.sarah.92', '$JaneD', '$12', 'mikeyb2019', 'jane.doe', 'private', '@mike')
      )
      .map((parts) => parts.join('')),
    // Someone saying where they are or live, a house number, a street and its town.
    fc
      .tuple(
        fc.constantFrom('I live at ', "I'm at ", 'Im at ', "I\u2019m at ", 'I am at ', 'my address is ', 'my address: ', "we're staying at ", 'the meeting is at ', 'my postcode is ', 'live  at '),
        fc.constantFrom('42 ', '17 ', '221B ', '5 mins ', ''),
        fc.constantFrom('Oak ', 'oak ', 'Marlborough ', 'the main ', '12 Step '),
        fc.constantFrom('Street', 'St', 'St.', 'Road', 'Close', 'close', 'Way', 'LS6 2AB'),
        fc.constantFrom('', ', Leeds LS6 2AB', "'s", ' LS6 2AB', '!')
      )
      .map((parts) => parts.join(''))
  )
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 25 }).map((parts) => parts.join('')), (text) =>
      isDeepStrictEqual(fast.scan(text, { detectLinks: true }), general.scan(text, { detectLinks: true }))
    ),
    { numRuns: 3000 }
  )
  t.pass('3000 texts agree')
})

t.test('links are reported as spam only when the caller asks', async (t) => {
  const text = 'see https://example.org/a?b=1, or example.com/x.'
  t.same(none.scan(text).filter((m) => m.detector === 'link'), [], 'off by default')
  const links = none.scan(text, { detectLinks: true }).filter((m) => m.detector === 'link')
  t.same(links.map((m) => m.excerpt), ['https://example.org/a?b=1', 'example.com/x'])
  t.ok(links.every((m) => m.category === 'spam' && m.action === 'flag' && m.ruleId === null))
  t.same(found('www.some-site.net', 'link'), ['www.some-site.net'])
  for (const plain of ['e.g. this', 'I am 3.5 years sober', 'i.e. not', 'end of sentence.Next one', 'version 2.0']) {
    t.same(found(plain, 'link'), [], JSON.stringify(plain))
  }
  t.same(found('mail jane@example.com', 'link'), [], 'an address is not also a link')
})

t.test('personal-info detection can be switched off', async (t) => {
  t.same(none.scan('call (415) 555-2671 or jane@example.com', { detectPersonalInfo: false }), [])
})

t.test('a provider name repeated without an ending costs linear time, not exponential', async (t) => {
  // `gmail` read both as a split provider and as a label doubled the work at each repetition: 26 of them took seconds.
  for (const text of ['write me@' + 'gmail.'.repeat(26) + 'x', 'me at ' + 'hotmail dot '.repeat(26), 'me @ ' + 'yahoo . '.repeat(26) + 'zz', 'write me@' + 'gmail.'.repeat(3000) + 'x']) {
    const started = performance.now()
    findEmails(text)
    const ms = performance.now() - started
    t.ok(ms < 500, `${text.length} characters in ${ms.toFixed(0)} ms`)
  }
})
