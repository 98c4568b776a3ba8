import { randomInt } from 'node:crypto'
import { findPhoneNumbersInText } from 'libphonenumber-js/max'

/** Handles are anonymous: 3..24 of a-z 0-9 _ -, compared ignoring case. */
export const HANDLE_PATTERN = '^[A-Za-z0-9_-]{3,24}$'

export function handleKey(handle: string): string {
  return handle.toLowerCase()
}

const EMAIL_HINTS = [
  /gmail|googlemail|hotmail|outlook|yahoo|icloud|protonmail|aol|gmx|yandex/,
  /(^|[_-])at[_-]?[a-z0-9]+[_-]?dot[_-]?(com|net|org|edu|io|co|uk|de|me)([_-]|$)/,
  /[a-z0-9][_-]?dot[_-]?(com|net|org|edu|io|me)$/
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
  if (digits.length >= 5 && findPhoneNumbersInText(lower.replace(/[_-]/g, ' '), 'US').length > 0) {
    return 'A handle must not look like a phone number.'
  }
  return null
}

// Calm, neutral words: a handle should say nothing about the person behind it.
const ADJECTIVES = [
  'quiet', 'gentle', 'steady', 'brave', 'calm', 'kind', 'bright', 'patient', 'hopeful', 'warm',
  'still', 'clear', 'honest', 'humble', 'soft', 'bold', 'quick', 'wise', 'open', 'free',
  'golden', 'silver', 'misty', 'sunny', 'rainy', 'early', 'evening', 'morning', 'northern', 'southern',
  'wild', 'tidy', 'cosy', 'easy', 'fresh', 'green', 'blue', 'amber', 'coral', 'velvet'
]
const NOUNS = [
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
