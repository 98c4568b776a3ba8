import t from 'tap'
import { checkHeldOut, readSet, scanDefault, type HeldOutFloors } from '../../helpers/corpus.js'

/*
 * Thirteen more held-out sets (2026-11-24), each written by someone who had seen neither the rules nor the other
 * sets. Every post is kept; the figures they were measured at are floors (what is caught) and ceilings
 * (ordinary posts escalated or held), so a rule or model change that loses some fails here and names them.
 *
 * Set 2 (130 crisis, 90 sourcing, 180 ordinary, 50 contact details): before the rules learnt from it,
 * 55 crisis posts escalated, 18 sourcing posts and 41 contact details were held and 9 ordinary posts were
 * escalated or held. The rules and detectors were then written from its misses.
 *
 * Set 3 (120 crisis, 80 sourcing, 160 ordinary) stayed unseen while rules were written from set 2: 49, 20 and
 * 5 before them, 61, 35 and 3 after. A second round of rules was then written from sets 2 and 3.
 *
 * Set 4 (120 crisis, 80 sourcing, 160 ordinary) stayed unseen through both rounds: 51, 23 and 6 before the
 * second round, 60, 32 and 6 after; with the crisis model (trained on the audit set and sets 1 to 3) 92
 * crisis posts and 8 ordinary ones, and with the sourcing model (the same sets) 64 sourcing posts. Both
 * models were then trained on it too.
 *
 * Set 5 (130 crisis, 110 sourcing, 240 ordinary of which 98 come close to sourcing and 80 close to crisis,
 * 40 contact details) was never trained on and no rule was written from it. The rules alone: 53, 35, 10 and
 * 40. With the models trained on the audit set and sets 1 to 3: 75, 82 and 17; trained on sets 1 to 4 as
 * well: 84, 90 and 17. A reviewer's everyday posts then showed the sourcing model holding ordinary offers
 * ("Selling a used PS4, message me"): it now reads only posts that name a drug, a form or the trade
 * (SOURCING_CUES, drawn from the training sets' sourcing posts), which gave 84, 78 and 16. Set 5 helped
 * choose between those variants, so its figure is a little less than pristine. A third round of rules
 * (83 families) was then written from its misses, and both models were trained on it too: 126, 106 and 10.
 *
 * Set 6 (120 crisis, 100 sourcing, 260 ordinary of which 70 are ordinary offers and requests between members,
 * 60 come close to sourcing and 60 close to crisis) stayed unseen by everything: the honest figure. Before the
 * third round and the retraining: rules alone 35, 31 and 8; with the models 73, 59 and 14. After: rules alone
 * 36, 31 and 8 (the third round carried almost nothing over); with the models 77, 64 and 15. Both models
 * were later trained on it too (with set 7): 96, 72 and 8.
 *
 * Sets 7 and 8 (written the next session by two writers apart, 120 crisis, 100 sourcing and 260 ordinary
 * posts each, set 7 also 40 posts with contact details) were measured first with the shipped rules and models
 * (trained on the audit set and sets 1 to 5): set 7 rules alone 27, 26, 5 and 37 of 40; with the models 69,
 * 70 and 9. Set 8 rules alone 26, 26 and 8; with the models 75, 64 and 10. Both models were then trained on
 * sets 6 and 7 as well: set 7 (learnt from) 88, 74 and 5, and spoken numbers with `double` and `triple` were
 * added (38 of its 40 contact details held); set 8, never trained on and the honest figure,
 * 88, 71 and 10.
 *
 * Set 9 (a third writer, the same day, 120 crisis, 100 sourcing and 260 ordinary posts, a third of them by
 * family members) was written after the retraining and never trained on: rules alone 20, 21 and 7; with the
 * models trained on sets 1 to 5, 55, 58 and 13; with the models shipped (sets 1 to 7), 72, 59 and 14.
 *
 * Sets 10 and 11 (two more writers, the next day, 120 crisis, 100 sourcing and 260 ordinary posts each; set 11
 * in many voices: teenagers, older members, English as a second language) were measured with the shipped models
 * (sets 1 to 7): set 10 rules alone 37, 27 and 9, with the models 80, 62 and 12; set 11 rules alone 39, 37 and
 * 6, with the models 77, 70 and 12. Both models were then trained on sets 8 and 9 as well (set 10: 82, 62 and
 * 11; set 11: 81, 71 and 12). In the training sets, every crisis post that neither a rule nor the model caught
 * had been kept from the model by its gate (116 had no cue word, 6 were short), and 113 of the 114 sourcing
 * posts alike; the gates got more cue words (crisis-model.ts, sourcing-model.ts), chosen from those training
 * posts only, and the models were trained again: sets 10 and 11 91, 69 and 12; 98, 73 and 13. They were also
 * looked at while choosing between that and two other gates: no cue words at all (94 and 105 crisis posts, 13
 * and 13 ordinary, but "I want to treat myself to a nice dinner" escalated) and a longer list with everyday words
 * such as `sorry` and `done` (95 and 100, 13 and 11, but "I'm sorry to hear about your dad, sending love"
 * escalated), so their figures are a little less than pristine.
 *
 * Set 12 (a fourth writer, the same day, asked for many regions and for near misses in the words the new gate
 * reads: sorry for a long post, done with drinking, a last day at work, a calm morning) was written after all
 * that was chosen and measured: rules alone 35, 20 and 8; with the models shipped before (sets 1 to 7) 80, 62
 * and 12; with the wider gates, 93, 68 and 16.
 *
 * A review then found the wider crisis gate escalating everyday posts its words let in ("Checking in on everyone
 * after the storm last night", "I wont be online much this week"): 21 of the reviewer's 184, against 5 before.
 * Both models were trained on 400 everyday posts as well (everyday-1.json: check-ins, apologies, plans, a last
 * day at work, a calm morning), which brought that back to 5 and the bench's replies escalated from 5 of 2,000
 * to none. Sets 10 to 12 were looked at to choose between that, a shorter list of cue words, and both (the
 * figures of sets 10 to 12 together: 282, 210 and 41 before; 279, 210 and 35 chosen; 250, 210 and 36 with the
 * shorter list; 249, 210 and 34 with both), so set 12 is no longer pristine either: set 10 90, 70 and 12;
 * set 11 97, 73 and 11; set 12 92, 67 and 12. The bare "anyone selling" rule, which held 12 ordinary asks
 * across the sets (a pram, a wheelchair, a laptop) and no sourcing post nothing else held, was then retired:
 * set 10 90, 70 and 8; set 11 97, 73 and 8; set 12 92, 67 and 11 (and one ordinary post fewer in sets 5, 6, 7
 * and 9). Two fresh sets of 240 everyday posts then measured the models on the forum's ordinary traffic: 11 and 4
 * escalated or held (8 and 4 with the models before the wider gates). Both models learnt from 800 more everyday
 * posts (everyday-2.json, -3.json): 6 and 1; set 10 88, 69 and 9; set 11 98, 72 and 8; set 12 93, 68 and 11.
 *
 * Set 13 (another writer, the next session, 120 crisis, 100 sourcing and 260 ordinary posts; 108 of its crisis
 * posts avoid the obvious words) was measured first with the rules and models as shipped: rules alone 51, 48 and
 * 1; with the models 103, 85 and 5, the honest figure. Models trained on sets 10 to 12 as well would have given
 * 105, 87 and 8, and escalated or held more everyday posts (7 against 4 on a third everyday set, 7 and 4 against 6
 * and 1 on the first two), so they were not shipped. Fifteen narrow rules (`r4-`) were then written from its
 * misses, none of which holds or escalates an ordinary post of any set kept here: 111, 92 and 5 (the same after two
 * reviews narrowed five of them and split two, default-rules.test.ts).
 *
 * Set 14 (another writer, asked for many voices and regions, written while set 13 was measured and unseen until
 * the `r4-` rules were written) is the honest figure for the shipped rules and models: rules alone 52, 57 and 6
 * (without the `r4-` rules 52, 56 and 6); with the models 107, 88 and 11, with or without them.
 *
 * A red team's probes (2026-11-25, redteam-probes.test.ts) brought the `r5-` rules, the emoji of the trade read as
 * words (fold.ts), three rules retired for narrower ones (sourcing-x-pressed-drug, sourcing-y-press-pills,
 * gave-away-pets-belongings) and harm-reduction warnings left to the rules by the sourcing model; both models were
 * trained again on the same sets, whose emoji posts now read otherwise. No post of any set was lost, and: set 4 119,
 * 77 and 6; set 5 8 ordinary; set 6 76 sourcing; set 7 86 and 3; set 10 8 ordinary; set 12 10 ordinary (giving
 * away "my old stuff after the move" no longer escalates); set 14 89 sourcing ("🍃❄️💊 available, Glasgow
 * southside, snap me"). Training the models on the review's 11 ordinary posts that a model or a rule had caught was
 * tried and not kept: those 11 cleared, rewordings of them did not, and sets 10 to 14 lost 5 crisis and 3 sourcing
 * posts and had 2 more ordinary posts escalated or held, the everyday sets 3 more (adding posts reshuffles the
 * training order of all of them).
 */

/** Each set, what it was to the rules and models, and its floors (HeldOutFloors). */
const SETS: Array<[number, string, HeldOutFloors]> = [
  [2, 'which the rules learnt from', { crisis: 130, sourcing: 88, benignFlagged: 4, pii: 50 }],
  [3, 'which the second round of rules learnt from', { crisis: 118, sourcing: 80, benignFlagged: 2 }],
  [4, 'which stayed unseen until the models were trained on it', { crisis: 119, sourcing: 77, benignFlagged: 6 }],
  [5, 'which the third round of rules and the models learnt from', { crisis: 129, sourcing: 106, benignFlagged: 8, pii: 40 }],
  [6, 'which the models learnt from a session later', { crisis: 116, sourcing: 76, benignFlagged: 7 }],
  [7, 'which the models learnt from', { crisis: 113, sourcing: 86, benignFlagged: 3, pii: 38 }],
  [8, 'which the models learnt from a session later', { crisis: 112, sourcing: 90, benignFlagged: 8 }],
  [9, 'which the models learnt from a session later', { crisis: 109, sourcing: 79, benignFlagged: 6 }],
  [10, 'never trained on', { crisis: 88, sourcing: 69, benignFlagged: 8 }],
  [11, 'never trained on', { crisis: 98, sourcing: 72, benignFlagged: 8 }],
  [12, 'written after the gates were chosen', { crisis: 93, sourcing: 68, benignFlagged: 10 }],
  [13, 'never trained on; the fourth round of rules learnt from it', { crisis: 111, sourcing: 92, benignFlagged: 5 }],
  [14, 'never trained on, nothing learnt from it', { crisis: 107, sourcing: 89, benignFlagged: 11 }]
]

for (const [n, what, floors] of SETS) {
  t.test(`held-out set ${n}, ${what}`, async (t) => {
    checkHeldOut(t, readSet(new URL(`./heldout-${n}.json`, import.meta.url)), floors)
  })
}

/*
 * Three sets of 240 everyday posts (2026-11-24), written by three more writers and never trained on: what a false
 * escalation or hold costs is measured on the forum's ordinary traffic, not only on near misses. The first was asked
 * for the everyday senses of the crisis gate's new words; the second for an ordinary week; the third (a session
 * later) for an ordinary month, with words such as "done", "final", "bars" and "snow" in their everyday senses.
 * Ceilings: what the shipped rules and models escalate or hold.
 */
for (const [n, ceiling] of [[1, 6], [2, 1], [3, 4]] as const) {
  t.test(`everyday set ${n}: at most ${ceiling} of its posts escalated or held`, async (t) => {
    const { benign } = readSet(new URL(`./everyday-probe-${n}.json`, import.meta.url))
    const flagged = benign.filter((text) => scanDefault(text).some((m) => m.action === 'escalate' || m.action === 'hold'))
    t.ok(flagged.length <= ceiling, `${flagged.length}/${benign.length} escalated or held (ceiling ${ceiling})`, { flagged })
  })
}
