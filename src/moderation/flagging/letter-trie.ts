/**
 * The letter trie of the pattern words made only of `a` to `z`, shared by the ASCII scanner's word
 * loop (ascii.ts) and its skimming automaton (dfa.ts): one state per prefix, each with 32
 * transitions (a letter's code & 31 is 1 to 26). State 0 is dead (no pattern word starts so),
 * state 1 means the trie was cut short here (see MAX_TRIE_STATES), 2 is the root.
 */
import type { Steps } from './steps.js'

export const TRIE_DEAD = 0
export const TRIE_CUT = 1
export const TRIE_ROOT = 2
export const TRIE_STRIDE = 32
/** States beyond this many are not built (64 bytes each): prefixes deeper than the cut take the hashing path. */
const MAX_TRIE_STATES = 1 << 15

export interface LetterTrie {
  trie: Uint16Array
  entries: Int32Array
}

/** Words placed between the pauses of trieSteps. */
const WORDS_PER_STEP = 8192

/**
 * The letter trie of the words made only of `a` to `z` (the others hold a digit, which a word
 * of letters never equals), `entries[state]` being the index in `words` of the word it spells.
 * States are numbered breadth first, so that a cut at MAX_TRIE_STATES keeps the short prefixes
 * that most text words die in. It is built one depth at a time straight into the table, with the
 * words grouped by the state they have reached (in their order, so that a state's children are
 * numbered as the words first reach them): no node is made beyond the cut, where the shipped
 * rules' tens of thousands of words would otherwise make hundreds of thousands.
 * Yields every WORDS_PER_STEP words placed, where a compile in slices may pause (steps.ts).
 */
export function* trieSteps(words: readonly string[]): Steps<LetterTrie> {
  // The words of letters only, by index, each with the state it has reached.
  const live: number[] = []
  words.forEach((word, e) => {
    for (let k = 0; k < word.length; k++) {
      const c = word.charCodeAt(k)
      if (c < 0x61 || c > 0x7a) return
    }
    live.push(e)
  })
  let letters = 0
  for (const e of live) letters += (words[e] as string).length
  const capacity = Math.min(MAX_TRIE_STATES, TRIE_ROOT + 1 + letters)
  const trie = new Uint16Array(capacity * TRIE_STRIDE)
  const entries = new Int32Array(capacity).fill(-1)
  // TRIE_CUT leads only to itself: a word that reaches it is looked up by hash.
  for (let x = 0; x < TRIE_STRIDE; x++) trie[TRIE_CUT * TRIE_STRIDE + x] = TRIE_CUT
  let count = TRIE_ROOT + 1
  let pending = Int32Array.from(live)
  let at = new Int32Array(live.length).fill(TRIE_ROOT)
  // The states of one depth are numbered one after another: [first, first + size).
  let first = TRIE_ROOT
  let size = 1
  for (let depth = 0; pending.length > 0; depth++) {
    yield
    // A stable counting sort by state: each state's words in their order, the states in theirs.
    const starts = new Int32Array(size + 1)
    for (let k = 0; k < at.length; k++) {
      const r = (at[k] as number) - first + 1
      starts[r] = (starts[r] as number) + 1
    }
    for (let r = 0; r < size; r++) starts[r + 1] = (starts[r + 1] as number) + (starts[r] as number)
    const sorted = new Int32Array(pending.length)
    for (let k = 0; k < pending.length; k++) {
      const r = (at[k] as number) - first
      const to = starts[r] as number
      starts[r] = to + 1
      sorted[to] = pending[k] as number
    }
    const nextFirst = count
    const nextWords: number[] = []
    const nextAt: number[] = []
    let state = first
    for (let k = 0; k < sorted.length; k++) {
      if (k % WORDS_PER_STEP === WORDS_PER_STEP - 1) yield
      // starts[r] is now where group r ends.
      while (k >= (starts[state - first] as number)) state++
      const e = sorted[k] as number
      const word = words[e] as string
      if (word.length === depth) {
        entries[state] = e
        continue
      }
      const slot = state * TRIE_STRIDE + (word.charCodeAt(depth) & 31)
      let child = trie[slot] as number
      if (child === TRIE_DEAD) {
        child = count < MAX_TRIE_STATES ? count++ : TRIE_CUT
        trie[slot] = child
      }
      if (child === TRIE_CUT) continue
      nextWords.push(e)
      nextAt.push(child)
    }
    pending = Int32Array.from(nextWords)
    at = Int32Array.from(nextAt)
    first = nextFirst
    size = count - nextFirst
  }
  return { trie: trie.slice(0, count * TRIE_STRIDE), entries: entries.slice(0, count) }
}
