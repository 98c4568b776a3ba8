import t from 'tap'
import fc from 'fast-check'
import { lookalikeDigits } from '../../../src/moderation/flagging/detectors.js'

/*
 * The phone detector reads the letters O and l among digits as a zero and a one (`555-O187`, `6l7`). It did so
 * with a regular expression that had two stars around one required digit, which tried every split of a run of
 * digits and O's that ended in another letter: quadratic, two seconds for 40,000 characters of `o1o1…x`, any
 * member's post. The linear one must read every text exactly as that one did.
 */
const QUADRATIC = /(?<![\p{L}\p{N}])[0-9oOl]*[0-9][0-9oOl]*(?![\p{L}\p{N}])/gu
const asBefore = (text: string) => (/[oOl]\d|\d[oOl]/u.test(text) ? text.replace(QUADRATIC, (m) => m.replace(/[oO]/gu, '0').replaceAll('l', '1')) : text)

t.test('O and l among digits are read exactly as the quadratic expression read them, on 200,000 random texts', async (t) => {
  // Digits, the look-alikes and letters that are not (`L`, `x`), an accent, separators, a combining mark, and the
  // halves of a mathematical digit's pair (split('') cuts it), as the reviewer's check had them.
  const unit = fc.constantFrom(...'0159oOlLx é-_.\u0301𝟒'.split(''))
  fc.assert(
    fc.property(fc.string({ unit, maxLength: 30 }), (text) => lookalikeDigits(text) === asBefore(text)),
    { numRuns: 200_000 }
  )
  t.pass('200,000 texts read the same')
})

t.test('the examples read as before', async (t) => {
  const examples: ReadonlyArray<[string, string]> = [
    ['212-555-O187', '212-555-0187'],
    ['hmu 6l7 555 Ol87', 'hmu 617 555 0187'],
    ['text o7911 123456', 'text 07911 123456'],
    ['hello 2 old oOl', 'hello 2 old oOl'],
    ['o1o1x', 'o1o1x']
  ]
  for (const [text, read] of examples) {
    t.equal(lookalikeDigits(text), read, text)
    t.equal(asBefore(text), read, `${text} (before)`)
  }
})

t.test('a run of digits and look-alikes that ends in another letter takes linear time', async (t) => {
  for (const unit of ['o1', '1l', '0o', '1o', 'lO1']) {
    const text = unit.repeat(Math.ceil(40_000 / unit.length)) + 'x'
    const started = performance.now()
    lookalikeDigits(text)
    const ms = performance.now() - started
    t.ok(ms < 200, `${JSON.stringify(unit)} × ${Math.floor(text.length / unit.length)} + x in ${ms.toFixed(1)} ms`)
  }
})
