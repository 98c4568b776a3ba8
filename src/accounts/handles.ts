import { randomInt } from 'node:crypto'
import { findPhoneNumbersInText } from 'libphonenumber-js/max'
import { findEmails, findPhones, MAIL_PROVIDER_NAMES } from '../moderation/flagging/detectors.js'

/** Handles are anonymous: 3..24 of a-z 0-9 _ -, compared ignoring case. */
export const HANDLE_PATTERN = '^[A-Za-z0-9_-]{3,24}$'

export function handleKey(handle: string): string {
  return handle.toLowerCase()
}

// Endings mail addresses commonly use that are not also everyday words ("me", "in", "to", "no"): without
// the word "dot" in front, "safe-at-home-now" or "one-day-at-a-time" must not read as an address.
const MAIL_ENDINGS = 'com|net|org|edu|gov|info|biz|io|co|uk|de|ru|fr|nl|pl|br|jp|cn|ca|au|ch|se|dk|fi|cz|ua|es|ie|nz|za|eu'

const EMAIL_HINTS = [
  /gmail|googlemail|hotmail|outlook|yahoo|icloud|protonmail|proton[_-]?me|aol|gmx|yandex/,
  // A name, "at", a domain, "dot" and any 2..6 letter ending: jane-at-mail-dot-ru, jdoe_at_example_dot_info.
  /[a-z0-9][_-]at[_-][a-z0-9]+(?:[_-][a-z0-9]+)*[_-]dot[_-]?[a-z]{2,6}(?![a-z])/,
  // A name, "at", a domain and a mail ending closing the handle: jane_doe_at_example_com, jane-at-mail-co-uk-7.
  new RegExp(`[a-z0-9][_-]at[_-][a-z0-9]+(?:[_-][a-z0-9]+)*[_-](?:${MAIL_ENDINGS})(?:[_-]?[0-9]+)?$`),
  // A domain spelled out without the "at": mail-dot-com.
  /[a-z0-9][_-]?dot[_-]?(com|net|org|edu|io|me)$/,
  // A name, "at" and a provider the post detector knows, with no ending, its name together or split as members
  // split it: jdoe84-at-msn, jane84atfastmail, jane-at-g-mail (after a digit or a separator, so that heat-proton or
  // great-msn stay handles).
  new RegExp(`(?:[0-9][_-]?|[a-z0-9][_-])at[_-]?(?:${MAIL_PROVIDER_NAMES.map((p) => p.replaceAll(' ', '[_-]?')).join('|')})(?![a-z])`)
]

/**
 * Why a handle is refused, or null. A handle that looks like an e-mail address or a phone number would
 * unmask the member, which is the one thing an anonymous handle must never do.
 */
export function handleProblem(handle: string): string | null {
  if (!new RegExp(HANDLE_PATTERN).test(handle)) {
    return 'A handle is 3 to 24 letters, digits, underscores or hyphens.'
  }
  const lower = handle.toLowerCase()
  if (EMAIL_HINTS.some((hint) => hint.test(lower))) return 'A handle must not look like an e-mail address.'
  const digits = lower.replace(/\D/g, '')
  if (digits.length >= 7) return 'A handle must not look like a phone number.'
  const spaced = lower.replace(/[_-]/g, ' ')
  if (digits.length >= 5 && findPhoneNumbersInText(spaced, 'US').length > 0) {
    return 'A handle must not look like a phone number.'
  }
  // What the post detector would hold in a post, read with the handle's separators as spaces: a number read out
  // in words (two-one-two-555-oh-187), an address at a provider it knows (jdoe-at-posteo).
  if (findPhones(spaced).length > 0) return 'A handle must not look like a phone number.'
  if (findEmails(spaced).length > 0) return 'A handle must not look like an e-mail address.'
  return null
}

// Calm, neutral words: a handle should say nothing about the person behind it.
export const ADJECTIVES = [
  'quiet', 'gentle', 'steady', 'brave', 'calm', 'kind', 'bright', 'patient', 'hopeful', 'warm',
  'still', 'clear', 'honest', 'humble', 'soft', 'bold', 'quick', 'wise', 'open', 'free',
  'golden', 'silver', 'misty', 'sunny', 'rainy', 'early', 'evening', 'morning', 'northern', 'southern',
  'wild', 'tidy', 'cosy', 'easy', 'fresh', 'green', 'blue', 'amber', 'coral', 'velvet'
]
export const NOUNS = [
  'heron', 'willow', 'river', 'harbor', 'lantern', 'meadow', 'sparrow', 'cedar', 'pebble', 'otter',
  'fern', 'maple', 'robin', 'comet', 'tide', 'ember', 'finch', 'birch', 'lark', 'wren',
  'badger', 'beacon', 'brook', 'canyon', 'cloud', 'dune', 'falcon', 'grove', 'hare', 'island',
  'juniper', 'kestrel', 'lake', 'moss', 'oak', 'orchid', 'pine', 'raven', 'stone', 'valley'
]

function pick<T>(list: readonly T[]): T {
  return list[randomInt(list.length)] as T
}

export function generateHandle(): string {
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${randomInt(10, 100)}`
}
