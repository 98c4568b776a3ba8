/** Runs a corpus of realistic posts through the shipped default rules, one assertion per post. */
import { readdirSync, readFileSync } from 'node:fs'
import type { Test } from 'tap'
import { compileRules, loadDefaultRules } from '../../src/moderation/flagging/index.js'

const compiled = compileRules(loadDefaultRules().map((r) => ({ id: r.key, pattern: r.pattern, category: r.category, action: r.action })))
// detectLinks as for a new account, and both models: the strictest way the forum scans a post.
export const scanDefault = (text: string) => compiled.scan(text, { detectLinks: true, detectCrisis: true, detectSourcing: true })
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

/** A whole held-out set, every post kept: what it was measured at is its floor (recall) or ceiling (false alarms). */
export interface HeldOutSet {
  crisis: readonly string[]
  sourcing: readonly string[]
  benign: readonly string[]
  pii?: readonly string[]
}

export interface HeldOutFloors {
  /** Crisis posts that must escalate, at least. */
  crisis: number
  /** Sourcing posts that must be held, at least. */
  sourcing: number
  /** Ordinary posts that may be escalated or held, at most. */
  benignFlagged: number
  /** Posts revealing contact details that must be held, at least. */
  pii?: number
}

const escalates = (text: string) => scanDefault(text).some((m) => m.category === 'crisis' && m.action === 'escalate')
const heldAsSourcing = (text: string) => scanDefault(text).some((m) => m.category === 'sourcing' && m.action === 'hold')
const heldAsPersonal = (text: string) => scanDefault(text).some((m) => m.category === 'personal_info' && m.action === 'hold')
const flagged = (text: string) => scanDefault(text).some((m) => m.action === 'escalate' || m.action === 'hold')

/**
 * Checks a held-out set as a whole: the share caught must not fall below what was measured, and the false
 * alarms must not rise above it. The misses are listed in the failure message, so a change that loses some
 * shows which.
 */
export function checkHeldOut(t: Test, set: HeldOutSet, floors: HeldOutFloors): void {
  const count = (list: readonly string[], ok: (text: string) => boolean) => {
    const misses = list.filter((text) => !ok(text))
    return { caught: list.length - misses.length, misses }
  }
  const crisis = count(set.crisis, escalates)
  t.ok(crisis.caught >= floors.crisis, `crisis: ${crisis.caught}/${set.crisis.length} escalate (floor ${floors.crisis})`, { misses: crisis.misses })
  const sourcing = count(set.sourcing, heldAsSourcing)
  t.ok(sourcing.caught >= floors.sourcing, `sourcing: ${sourcing.caught}/${set.sourcing.length} held (floor ${floors.sourcing})`, { misses: sourcing.misses })
  const benign = set.benign.filter(flagged)
  t.ok(benign.length <= floors.benignFlagged, `ordinary: ${benign.length}/${set.benign.length} escalated or held (ceiling ${floors.benignFlagged})`, { flagged: benign.map((text) => `${text} (${show(text)})`) })
  if (set.pii && floors.pii !== undefined) {
    const pii = count(set.pii, heldAsPersonal)
    t.ok(pii.caught >= floors.pii, `personal information: ${pii.caught}/${set.pii.length} held (floor ${floors.pii})`, { misses: pii.misses })
  }
}

/** A set of posts kept as JSON beside its test: `readSet(new URL('./heldout-2.json', import.meta.url))`. */
export function readSet(url: URL): HeldOutSet {
  return JSON.parse(readFileSync(url, 'utf8')) as HeldOutSet
}

/** Every post kept with the flagging tests, whatever its label (every JSON set in that folder): for checks that hold for any text. */
export function everyLabelledPost(): string[] {
  const folder = new URL('../moderation/flagging/', import.meta.url)
  return readdirSync(folder)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => JSON.parse(readFileSync(new URL(name, folder), 'utf8')) as Partial<HeldOutSet>)
    .flatMap((set) => [...(set.crisis ?? []), ...(set.sourcing ?? []), ...(set.benign ?? []), ...(set.pii ?? [])])
}
