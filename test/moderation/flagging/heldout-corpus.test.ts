import t from 'tap'
import { checkCorpus, readSet } from '../../helpers/corpus.js'

/*
 * A second corpus, written by someone who had not seen the rules (a held-out check, 2026-11): before the
 * rules learnt from it they escalated 58 of its 120 crisis posts. What they catch now is kept caught; its
 * benign posts that pass stay passing. The posts still missed (about one in five) and the benign ones that
 * escalate (past-tense stories that name suicide or self-harm, awareness posts) are summarised in the README.
 */

const { crisis, sourcing, benign } = readSet(new URL('./heldout-1.json', import.meta.url))

checkCorpus(t, { crisis, sourcing, benign })
