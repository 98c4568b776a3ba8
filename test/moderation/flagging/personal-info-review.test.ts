import t, { type Test } from 'tap'
import fc from 'fast-check'
import { isDeepStrictEqual } from 'node:util'
import { compileRules, loadDefaultRules } from '../../../src/moderation/flagging/index.js'
import { compileEngine } from '../../../src/moderation/flagging/engine.js'
import { findPhones } from '../../../src/moderation/flagging/detectors.js'
import type { PersonalInfoDetector } from '../../../src/moderation/flagging/types.js'

/*
 * The findings of a review of the personal-information detectors (detectors.ts, ascii.ts): a stall any member
 * could cause, evasions by invisible characters and by padding a number, and everyday posts held as contact
 * details (a website named in a sentence, a missing space after a full stop, lists of numbers).
 */

const none = compileRules([])
const defaults = compileRules(loadDefaultRules().map((r) => ({ id: r.key, pattern: r.pattern, category: r.category, action: r.action })))
const fast = compileEngine([], { crisisModel: null, sourcingModel: null })
const general = compileEngine([], { asciiFastPath: false, crisisModel: null, sourcingModel: null })

const found = (text: string, detector: PersonalInfoDetector | 'link') =>
  none.scan(text, { detectLinks: true }).filter((m) => m.detector === detector).map((m) => m.excerpt)

/** Each text gives exactly these excerpts, at offsets into the text as written, on both paths. */
function expectFound(t: Test, detector: PersonalInfoDetector, cases: ReadonlyArray<[string, string | readonly string[]]>): void {
  for (const [text, excerpts] of cases) {
    const matches = none.scan(text).filter((m) => m.detector === detector)
    t.same(matches.map((m) => m.excerpt), typeof excerpts === 'string' ? [excerpts] : excerpts, JSON.stringify(text))
    for (const m of matches) {
      t.equal(text.slice(m.start, m.end), m.excerpt, `offsets of ${JSON.stringify(text)}`)
      t.ok(m.ruleId === null && m.category === 'personal_info' && m.action === 'hold')
    }
    t.same(fast.scan(text, { detectLinks: true }), general.scan(text, { detectLinks: true }), `both paths: ${JSON.stringify(text)}`)
  }
}

/** None of these is held as contact details, on either path. */
function expectNone(t: Test, texts: readonly string[], detector?: PersonalInfoDetector): void {
  for (const text of texts) {
    const held = none.scan(text).filter((m) => m.category === 'personal_info' && (detector === undefined || m.detector === detector))
    t.same(held.map((m) => `${m.detector}: ${m.excerpt}`), [], JSON.stringify(text))
    t.same(fast.scan(text, { detectLinks: true }), general.scan(text, { detectLinks: true }), `both paths: ${JSON.stringify(text)}`)
  }
}

// H1: a denial of service.

t.test('O and l among digits: a 40 KB post that would have stalled the event loop for seconds scans in well under one', async (t) => {
  // `o1o1…x` took ~2 s for 40,000 characters (quadratic: doubling the length quadrupled it); linear, it takes
  // milliseconds. A generous bound, for a loaded machine: the point is linear against quadratic.
  for (const unit of ['o1', '1l', '0o', '1o']) {
    const text = unit.repeat(20_000) + 'x'
    let started = performance.now()
    findPhones(text)
    const phones = performance.now() - started
    started = performance.now()
    defaults.scan(text, { detectLinks: true, detectCrisis: true, detectSourcing: true })
    const scan = performance.now() - started
    t.ok(phones < 1000, `findPhones, ${JSON.stringify(unit)} × 20,000 + x: ${phones.toFixed(0)} ms`)
    t.ok(scan < 1000, `scan with the default rules, ${JSON.stringify(unit)} × 20,000 + x: ${scan.toFixed(0)} ms`)
  }
})

// H3: invisible characters and combining marks.

t.test('zero-width characters, soft hyphens, word joiners and combining marks do not hide contact details', async (t) => {
  expectFound(t, 'phone', [
    ['call 415\u200b555\u200b0187', '415\u200b555\u200b0187'],
    ['call 4\u200b1\u200b5\u200b5\u200b5\u200b5\u200b0\u200b1\u200b8\u200b7', '4\u200b1\u200b5\u200b5\u200b5\u200b5\u200b0\u200b1\u200b8\u200b7'],
    ['call 415\u00ad555\u00ad0187', '415\u00ad555\u00ad0187'],
    ['call 415\u2060555\u20600187', '415\u2060555\u20600187'],
    ['call 415\ufeff555\ufeff0187 now', '415\ufeff555\ufeff0187'],
    ['call 4\u03011\u03015-555-0187', '4\u03011\u03015-555-0187'],
    ['call f\u200bour one five five five five zero one eight seven', 'f\u200bour one five five five five zero one eight seven'],
    // After a hard boundary the fast path reads an invisible character as one: its gates must still open.
    ['(415)\u200b555-0187', '(415)\u200b555-0187'],
    ['call (\u200b415) 555-0187', '(\u200b415) 555-0187'],
    ['(415)\u200b(555)\u200b(0187)', '415)\u200b(555)\u200b(0187'],
    ['415)\u200b555)\u200b0187', '415)\u200b555)\u200b0187'],
    // A tag character (a pair) is dropped whole.
    ['call 415\u{e0020}555\u{e0020}0187', '415\u{e0020}555\u{e0020}0187']
  ])
  expectFound(t, 'email', [
    ['mail jane.doe\u200b@gmail.com', 'jane.doe\u200b@gmail.com'],
    ['mail jane\u200b@gmail.com', 'jane\u200b@gmail.com'],
    ['mail jane\u0301@gmail.com', 'jane\u0301@gmail.com'],
    ['mail jane.doe@gm\u200bail.com', 'jane.doe@gm\u200bail.com'],
    ['mail jane\u00ad.doe@gmail.com', 'jane\u00ad.doe@gmail.com'],
    // é typed as e and a combining acute (NFD).
    ['mail jose\u0301@gmail.com', 'jose\u0301@gmail.com']
  ])
  expectFound(t, 'handle', [
    ['insta:\u200bjd_92', 'insta:\u200bjd_92'],
    ['in\u200bsta: jd_92', 'in\u200bsta: jd_92']
  ])
  expectFound(t, 'address', [['I live at 4\u200b2 Oak Street', '4\u200b2 Oak Street']])
})

const INVISIBLE = ['\u200b', '\u200c', '\u200d', '\u2060', '\u00ad', '\ufeff', '\u0301', '\u0308', '\u034f', '\u{e0041}']
const strip = (s: string) => s.replace(/[\u200b-\u200d\u2060\u00ad\ufeff]|\p{Mn}|\u{e0041}/gu, '')

t.test('invisible characters and marks inserted anywhere never change what is held, and the spans cover them', async (t) => {
  const texts = [
    'call me on 415-555-0187 tonight',
    'text 07700 900123 please',
    'four one five five five five zero one eight seven',
    'email me at jane.doe@gmail.com',
    'write to sobermike at g mail dot com',
    'my gmail is janedoe1987',
    'insta: jd_92 and my IG is @sober.sarah.92',
    "I'm at 17 Marlborough Road, Leeds LS6 2AB",
    'find a meeting at aa.org',
    'I have 30 days clean and 2 kids'
  ]
  fc.assert(
    fc.property(fc.constantFrom(...texts), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...INVISIBLE)), { minLength: 1, maxLength: 8 }), (text, inserts) => {
      // Between two characters, never inside the pair of a tag character inserted before.
      const chars = [...text]
      for (const [at, ch] of inserts) chars.splice(at % (chars.length + 1), 0, ch)
      const s = chars.join('')
      const held = (x: string) => none.scan(x).filter((m) => m.category === 'personal_info')
      const before = held(text).map((m) => [m.detector, m.excerpt])
      const after = held(s).map((m) => [m.detector, strip(m.excerpt)])
      return isDeepStrictEqual(before, after) && held(s).every((m) => s.slice(m.start, m.end) === m.excerpt)
    }),
    { numRuns: 2000 }
  )
  t.pass('2000 texts with invisible characters read as without them')
})

t.test('a span never starts or ends inside a pair, and the paths agree, on text with pairs, marks and invisible characters', async (t) => {
  const piece = fc.constantFrom(
    '415', '555', '0187', '-', ' ', '@', 'gmail', '.com', 'jane', ' at ', 'insta: ', 'jd_92', 'I live at ', '42 ', 'Oak Street',
    '𝟒', '𝟏', '𝟓', '𝐣', '𝐚', '𝐧', '𝐞', '🙂', '💊', '👩‍👩‍👧', '\u{e0041}', '\u200b', '\u00ad', '\u0301', '\ufe0f', '\u20e3', '٣', 'é', '＠', '２'
  )
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 20 }).map((parts) => parts.join('')), (text) => {
      const matches = fast.scan(text, { detectLinks: true })
      const inside = (i: number) => i > 0 && i < text.length && (text.charCodeAt(i - 1) & 0xfc00) === 0xd800 && (text.charCodeAt(i) & 0xfc00) === 0xdc00
      return matches.every((m) => !inside(m.start) && !inside(m.end) && text.slice(m.start, m.end) === m.excerpt) && isDeepStrictEqual(matches, general.scan(text, { detectLinks: true }))
    }),
    { numRuns: 3000 }
  )
  t.pass('3000 texts')
})

t.test('with invisible characters after punctuation, which the fast path reads, both paths find the same', async (t) => {
  const piece = fc.constantFrom(
    '415', '555', '0187', '07700', '900123', '(', ')', ',', ':', ';', '"', '\n', ' ', '-', '.', '\u200b', '\u2060', '\u00ad', '\ufeff', '\u0301',
    'insta', 'snap', ' at ', 'gmail', '.com', 'jane', 'jd_92', '@', 'I live at ', 'my address is ', '42 ', 'Oak Street', 'five', 'one', 'oh',
    'double', 'area code', 'fifteen', '٣', '١', '٥', ')\u200b', '(\u200b', ') (\u2060', ':\u200b'
  )
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 25 }).map((parts) => parts.join('')), (text) =>
      isDeepStrictEqual(fast.scan(text, { detectLinks: true }), general.scan(text, { detectLinks: true }))
    ),
    { numRuns: 3000 }
  )
  t.pass('3000 texts agree')
})

t.test('other decimal digits and mathematical digits and letters are read as the digits and letters they are', async (t) => {
  expectFound(t, 'phone', [
    ['call \u0664\u0661\u0665-\u0665\u0665\u0665-\u0660\u0661\u0668\u0667', '\u0664\u0661\u0665-\u0665\u0665\u0665-\u0660\u0661\u0668\u0667'],
    ['call \u096a\u0967\u096b-\u096b\u096b\u096b-\u0966\u0967\u096e\u096d', '\u096a\u0967\u096b-\u096b\u096b\u096b-\u0966\u0967\u096e\u096d'],
    ['call 𝟒𝟏𝟓-𝟓𝟓𝟓-𝟎𝟏𝟖𝟕', '𝟒𝟏𝟓-𝟓𝟓𝟓-𝟎𝟏𝟖𝟕']
  ])
  expectFound(t, 'email', [['mail 𝐣𝐚𝐧𝐞@𝐠𝐦𝐚𝐢𝐥.𝐜𝐨𝐦', '𝐣𝐚𝐧𝐞@𝐠𝐦𝐚𝐢𝐥.𝐜𝐨𝐦']])
  // The cheap test of the home-address detector reads fullwidth forms too.
  expectFound(t, 'address', [
    ['I live at ４２ Oak Street', '４２ Oak Street'],
    ['I live ａｔ 42 Oak Street', '42 Oak Street']
  ])
})

// H4: a website named in a sentence.

t.test('a website named after a spoken "at" is not an e-mail address; it is still a link', async (t) => {
  expectNone(t, [
    'find a meeting at aa.org',
    'there are online meetings at na.org and at smartrecovery.org',
    'I found my sponsor at intherooms.com',
    'read the literature at aa.org/literature',
    'look it up at samhsa.gov',
    'helpline info at findtreatment.gov',
    'sign up at www.smartrecovery.org',
    'I work at amazon.com',
    'great deals at ebay.co.uk',
    'stats at cdc.gov say 100k died',
    'meetings at 7 pm at aa.org',
    'check the schedule at meetings.aa.org',
    'you can donate at gofundme.com',
    'look at this.com',
    'he is @ home.com',
    // A provider's site, named in a sentence.
    'my account at gmail.com got hacked',
    'I work at outlook.com',
    'email me at gmail.com',
    "I'm at hotmail.com now"
  ], 'email')
  t.same(found('find a meeting at aa.org', 'link'), ['aa.org'])
  t.same(found('sign up at www.smartrecovery.org', 'link'), ['www.smartrecovery.org'])
})

t.test('an address after a spoken "at" is still found: at a provider, with a handle, said to be one, spelled, bracketed or with a dot said', async (t) => {
  expectFound(t, 'email', [
    ['sobermike at yahoo.com', 'sobermike at yahoo.com'],
    ['write to sobermike at hotmail.co.uk', 'sobermike at hotmail.co.uk'],
    ['jane doe at gmail dot com', 'doe at gmail dot com'],
    ['janedoe1987 at mydomain.com', 'janedoe1987 at mydomain.com'],
    ['jane.doe at mydomain.com', 'jane.doe at mydomain.com'],
    ['my email is jane at mydomain.com', 'jane at mydomain.com'],
    ['contact me: sober at mydomain.com', 'sober at mydomain.com'],
    ['e-mail: mike at aa.org', 'mike at aa.org'],
    ['j a n e at aa.org', 'j a n e at aa.org'],
    ['mike [at] aa.org', 'mike [at] aa.org'],
    ['mike at aa dot org', 'mike at aa dot org'],
    ['sam @ outlook.com', 'sam @ outlook.com'],
    ['sobermike@aa.org', 'sobermike@aa.org']
  ])
})

// M6: a missing space after a full stop.

t.test('a sentence run on after a full stop is not a name at a provider or on a platform', async (t) => {
  expectNone(t, [
    'my outlook is better.I feel great',
    'my outlook is brighter.Thanks all',
    'outlook - positive.Day 30',
    'my gmail account is locked.Help',
    'my yahoo account is hacked.ugh',
    'my aol address is ancient.lol',
    'proton is fine.ok',
    'tuta is nice.really',
    'whatsapp group.Join us',
    'my insta feed.It is all recovery',
    'instagram reels.Too much',
    'kik is dead.lol',
    // A word and one digit after a platform's name and a space: the second of something.
    'the discord server2 has meetings',
    'watch the youtube video2 I posted',
    'on facebook group3 they said',
    'twitch streamer1 said',
    'linkedin profile2 updated'
  ])
  expectFound(t, 'email', [
    ['my gmail is jane.doe', 'gmail is jane.doe'],
    ['my gmail is Jane.Doe', 'gmail is Jane.Doe'],
    ['my outlook: jane.doe', 'outlook: jane.doe'],
    ['my gmail is janedoe1987.Thanks', 'gmail is janedoe1987']
  ])
  expectFound(t, 'handle', [
    ['insta: sober.sarah.92', 'insta: sober.sarah.92'],
    ['my insta is @jd_92.Thanks', 'insta is @jd_92'],
    ['insta jd92', 'insta jd92'],
    ['snapchat mikeyb2019', 'snapchat mikeyb2019'],
    ['my discord is server2', 'discord is server2']
  ])
})

// M4: lists of numbers.

t.test('lists of small numbers, dates and thousands are not phone numbers', async (t) => {
  expectNone(t, [
    'Big Book pages 86 88 417',
    'pages 86 88 417 and 449',
    'sober date 03 14 2019',
    'sober date 3 14 2019',
    'my score went 650 700 720',
    'heart rate 72 88 104 in the morning',
    '1 000 000 thanks',
    'we raised 12 345 678 901 in total',
    'my code is 1234 567',
    'order #123456789',
    'pin 000 1234'
  ], 'phone')
})

t.test('numbers laid out as numbers are, or of ten digits in any groups, are still found', async (t) => {
  expectFound(t, 'phone', [
    ['call 555-0142 tonight', '555-0142'],
    ['call 5550142', '5550142'],
    ['sam 555 o1 87 ok', '555 o1 87'],
    ['call 415 5550187', '415 5550187'],
    ['call 41 55 55 01 87', '41 55 55 01 87'],
    ['call 4155 550 187', '4155 550 187'],
    ['call 0161 496 0000', '0161 496 0000'],
    ['call 020 7946 0958', '020 7946 0958'],
    ['call 0044 20 7946 0958', '0044 20 7946 0958'],
    ['call +33 6 12 34 56 78', '+33 6 12 34 56 78'],
    ['call 415 555 0187 x 12', '415 555 0187 x 12'],
    ['call 1 (415) 555-0187', '1 (415) 555-0187']
  ])
})

// H2: a number padded out.

t.test('a number padded with more digits, or written twice, is found inside the run', async (t) => {
  expectFound(t, 'phone', [
    ['call 415 555 0187 12', '415 555 0187'],
    ['call 415-555-0187-12', '415-555-0187'],
    ['call 415 555 0187 1111', '415 555 0187'],
    ['call 99 415 555 0187', '415 555 0187'],
    ['call 415 555 0187 0', '415 555 0187'],
    ['call 415 555 0187, 12', '415 555 0187'],
    ['call 415.555.0187.12', '415.555.0187'],
    ['call 415 555 0187 415 555 0187', ['415 555 0187', '415 555 0187']],
    ['call 07700 900123 07700 900124', ['07700 900123', '07700 900124']],
    ['call 07700 900 123 4', '07700 900 123'],
    ['call 4 1 5 5 5 5 0 1 8 7 1 2 3 4 5 6', '4 1 5 5 5 5 0 1 8 7 1 2 3 4 5 6'],
    ['four one five five five five zero one eight seven one two three four five six', 'four one five five five five zero one eight seven one two three four five six']
  ])
  // Lists in order, dates, money, card-like groups, meeting IDs and counting round the keypad stay lists.
  expectNone(t, [
    'my days: 365 730 1095 1460',
    'rent went 850 900 1100 1250',
    '2019-03-12 2024-05-01',
    'costs $415 555 0187 12 in total',
    '4111 1111 1111 1111',
    'Meeting ID: 812 3456 7890 passcode 123456',
    '0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6',
    '9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4',
    'counting 0 1 2 3 4 5 6 7 8 9 10 11 12'
  ], 'phone')
})
