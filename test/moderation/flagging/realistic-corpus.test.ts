import t from 'tap'
import { checkCorpus, readSet, scanDefault } from '../../helpers/corpus.js'

/*
 * Realistic-corpus regression test for the shipped default rules.
 *
 * The sentences come from a flagging audit (fresh sentences written the way members actually
 * post, not copied from the other corpora here), plus the examples named in the issue.
 * Every sentence is its own assertion so that a failure names the sentence. The sentences are in
 * audit-set.json (its ordinary ones end with those named in the issue and the shapes of the false
 * escalations and holds this corpus fixed).
 *
 * Left out on purpose:
 * - crisis sentences no word rule can catch without escalating ordinary talk ("i'm over living",
 *   "i have a gun and i keep looking at it", "bye everyone. thank u for trying") or that rely on
 *   an engine limitation rather than wording ("$3lf h4rm", a whole sentence spelt letter by letter,
 *   emoji for the method);
 * - benign sentences that the defaults still escalate or hold on purpose, because the narrower
 *   pattern would lose the crisis form: "Ran 10 kms", "gonna od on chocolate", "cut myself
 *   shaving", "take my life back", "tired of living paycheck to paycheck", mentions of suicide
 *   prevention and the 988 line, "I can't live like this anymore, so I'm going to rehab";
 *   and sourcing holds kept for the phrases the older corpus and the issue name ("pressed pills",
 *   "no prescription needed", and "who's holding", which also holds "Who's holding the
 *   keys to the church hall?"); and "bought a rope" (a rope swing, a rope light) since a held-out
 *   check found "bought a rope today" among real crisis posts.
 */

const { crisis, sourcing, benign } = readSet(new URL('./audit-set.json', import.meta.url))

checkCorpus(t, { crisis, sourcing, benign })

t.test('the corpora are of the promised size', async (t) => {
  t.ok(crisis.length >= 120, `crisis corpus has ${crisis.length} sentences`)
  t.ok(sourcing.length >= 40, `sourcing corpus has ${sourcing.length} sentences`)
  t.ok(benign.length >= 150, `benign corpus has ${benign.length} sentences`)
})

t.test('kms still escalates even though it also means kilometres: a missed crisis costs more than a click', async (t) => {
  t.ok(scanDefault('walked 5 kms to the meeting').some((m) => m.ruleId === 'kms'))
})
