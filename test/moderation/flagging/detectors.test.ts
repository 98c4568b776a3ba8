import t from 'tap'
import { compileRules } from '../../../src/moderation/flagging/index.js'

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
