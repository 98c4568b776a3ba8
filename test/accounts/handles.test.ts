import t from 'tap'
import { ADJECTIVES, generateHandle, handleProblem, NOUNS } from '../../src/accounts/handles.js'

// An anonymous handle must not spell out an address, in whatever words and separators it is written.
const emailLookalikes = [
  'jane-at-mail-dot-com',
  'jane-at-mail-dot-ru',
  'jane_at_mail_dot_ru',
  'jdoe-at-example-dot-info',
  'j-at-uni-dot-museum',
  'jane-at-mail-dot-co-uk',
  'jane-at-mail-dotcom',
  'jane-at-mail-dot-com-42',
  'jane-at-mail-dot-com42',
  'jane_doe_at_example_com',
  'mail_jane_at_web_de',
  'jane-at-mail-co-uk',
  'jane-at-example-org-7',
  'j_at_work_example_net',
  'JANE-AT-MAIL-DOT-ORG',
  'jane_proton_me',
  'jane_gmail',
  // Providers the post detector reads as an address without an ending (`jdoe84 at msn`).
  'sobermike84-at-fastmail',
  'jdoe84-at-msn',
  'jane84-at-tutanota',
  'jdoe84-at-zoho',
  'jdoe84-at-ymail',
  'jane84-at-proton',
  'jdoe84atmsn',
  'jane-at-g-mail',
  'jane-at-hot-mail',
  // More providers the post detector knows now (found by the accounts review).
  'jdoe-at-posteo',
  'jane-doe-at-tuta',
  'sam-at-riseup'
]

// Everyday handles, many with the words "at" or "dot" in them, that must stay available.
const ordinary = [
  'quiet-heron-42', 'gentle-fern-17', 'day_365', 'river2024', 'cat-lover', 'at-peace-again', 'at-ease',
  'dot-connector', 'polka-dot-dress', 'red-dot-sky', 'dotty', 'matt_at_home', 'safe-at-home',
  'safe-at-home-now', 'home-at-last', 'peace-at-last', 'sober-at-last-today', 'one-day-at-a-time',
  'one_day_at_a_time', 'up-at-dawn', 'up-at-dawn-in-la', 'back-at-it', 'still_at_it', 'calm-at-sea',
  'lost-at-sea-again', 'tea_at_five', 'coffee-at-noon', 'walk-at-dusk-daily', 'time-at-home-for-me',
  'ate-at-joes', 'atlas', 'attic-cat', 'batman', 'cathedral', 'data-nerd', 'comet-tail', 'rom-com-fan',
  'net-weaver', 'organ-player', 'proton-beam', 'dotcom-survivor', 'at_last', 'chat-at-night',
  'sat-at-the-lake', 'great-at-chess', 'heat-proton', 'great-msn', 'chat_zoho_fan',
  // Number words that are not a phone number.
  'seven-seven-seven', 'two-four-six-eight', 'four-oh-four', 'agent-double-oh-7', 'day-one-again', 'area-51-at-night',
  'mom-of-two-at-home', 'sober-since-2019', 'tuta-fan', 'posteo-user'
]

t.test('handles that spell out an e-mail address are refused', async (t) => {
  for (const handle of emailLookalikes) {
    t.equal(handleProblem(handle), 'A handle must not look like an e-mail address.', handle)
  }
})

t.test('ordinary handles, even with "at" or "dot" in them, are accepted', async (t) => {
  t.ok(ordinary.length >= 40, `${ordinary.length} ordinary handles`)
  for (const handle of ordinary) t.equal(handleProblem(handle), null, handle)
})

t.test('generated handles are always accepted', async (t) => {
  for (let i = 0; i < 200; i++) {
    const handle = generateHandle()
    t.equal(handleProblem(handle), null, handle)
  }
})

t.test('handles that read out a phone number, as a post detector reads them, are refused (found by the accounts review)', async (t) => {
  for (const handle of ['two-one-two-555-oh-187', 'nine-one-seven-555-o187', 'sam-555-o1-87-ok', 'four-one-five-555-0187']) {
    t.equal(handleProblem(handle), 'A handle must not look like a phone number.', handle)
  }
})

t.test('every handle the generator can make is accepted', async (t) => {
  // Its adjectives x nouns x the numbers 10..99: 144,000 handles.
  const refused: string[] = []
  for (const adjective of ADJECTIVES) {
    for (const noun of NOUNS) {
      for (let n = 10; n < 100; n++) if (handleProblem(`${adjective}-${noun}-${n}`) !== null) refused.push(`${adjective}-${noun}-${n}`)
    }
  }
  t.same(refused, [])
  t.match(generateHandle(), /^[a-z]+-[a-z]+-[1-9][0-9]$/, 'and that is the form it makes')
})
