import t from 'tap'
import { generateHandle, handleProblem } from '../../src/accounts/handles.js'

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
  'jane-at-hot-mail'
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
  'sat-at-the-lake', 'great-at-chess', 'heat-proton', 'great-msn', 'chat_zoho_fan'
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
