/** Runs a corpus of realistic posts through the shipped default rules, one assertion per post. */
import type { Test } from 'tap'
import { compileRules, loadDefaultRules } from '../../src/moderation/flagging/index.js'

const compiled = compileRules(loadDefaultRules().map((r) => ({ id: r.key, pattern: r.pattern, category: r.category, action: r.action })))
// detectLinks as for a new account: the strictest way the forum scans a post.
export const scanDefault = (text: string) => compiled.scan(text, { detectLinks: true })
const show = (text: string) =>
  scanDefault(text)
    .map((m) => `${m.ruleId ?? m.detector}[${m.action}] "${m.excerpt}"`)
    .join('; ')

export interface Corpus {
  /** Each must escalate (publish, queue at priority 0, show crisis lines). */
  crisis: readonly string[]
  /** Each must be held as sourcing. */
  sourcing: readonly string[]
  /** None may be escalated or held. */
  benign: readonly string[]
}

export function checkCorpus(t: Test, corpus: Corpus): void {
  t.test('crisis posts escalate', async (t) => {
    for (const text of corpus.crisis) {
      t.ok(scanDefault(text).some((m) => m.category === 'crisis' && m.action === 'escalate'), `escalates: ${JSON.stringify(text)} (got ${show(text) || 'nothing'})`)
    }
  })
  t.test('sourcing posts are held', async (t) => {
    for (const text of corpus.sourcing) {
      t.ok(scanDefault(text).some((m) => m.category === 'sourcing' && m.action === 'hold'), `held: ${JSON.stringify(text)} (got ${show(text) || 'nothing'})`)
    }
  })
  t.test('benign posts are neither escalated nor held', async (t) => {
    for (const text of corpus.benign) {
      const found = scanDefault(text).filter((m) => m.action === 'escalate' || m.action === 'hold')
      t.equal(found.length, 0, `not escalated or held: ${JSON.stringify(text)}${found.length ? ` (got ${show(text)})` : ''}`)
    }
  })
}
