/**
 * The letter trie of the pattern words made only of `a` to `z`, shared by the ASCII scanner's word
 * loop (ascii.ts) and its skimming automaton (dfa.ts): one state per prefix, each with 32
 * transitions (a letter's code & 31 is 1 to 26). State 0 is dead (no pattern word starts so),
 * state 1 means the trie was cut short here (see MAX_TRIE_STATES), 2 is the root.
 */
export const TRIE_DEAD = 0
export const TRIE_CUT = 1
export const TRIE_ROOT = 2
export const TRIE_STRIDE = 32
/** States beyond this many are not built (64 bytes each): prefixes deeper than the cut take the hashing path. */
const MAX_TRIE_STATES = 1 << 15

/**
 * The letter trie of the words made only of `a` to `z` (the others hold a digit, which a word
 * of letters never equals), `entries[state]` being the index in `words` of the word it spells.
 * States are numbered breadth first, so that a cut at MAX_TRIE_STATES keeps the short prefixes
 * that most text words die in.
 */
export function buildTrie(words: readonly string[]): { trie: Uint16Array; entries: Int32Array } {
  interface Node {
    children: Map<number, Node>
    entry: number
    state: number
  }
  const root: Node = { children: new Map(), entry: -1, state: TRIE_ROOT }
  words.forEach((word, e) => {
    for (let k = 0; k < word.length; k++) {
      const c = word.charCodeAt(k)
      if (c < 0x61 || c > 0x7a) return
    }
    let node = root
    for (let k = 0; k < word.length; k++) {
      const letter = word.charCodeAt(k) & 31
      let child = node.children.get(letter)
      if (child === undefined) {
        child = { children: new Map(), entry: -1, state: TRIE_CUT }
        node.children.set(letter, child)
      }
      node = child
    }
    node.entry = e
  })
  const order: Node[] = [root]
  let count = TRIE_ROOT + 1
  for (let q = 0; q < order.length; q++) {
    for (const child of (order[q] as Node).children.values()) {
      if (count >= MAX_TRIE_STATES) break
      child.state = count++
      order.push(child)
    }
  }
  const trie = new Uint16Array(count * TRIE_STRIDE)
  const entries = new Int32Array(count).fill(-1)
  // TRIE_CUT leads only to itself: a word that reaches it is looked up by hash.
  for (let x = 0; x < TRIE_STRIDE; x++) trie[TRIE_CUT * TRIE_STRIDE + x] = TRIE_CUT
  for (const node of order) {
    entries[node.state] = node.entry
    for (const [letter, child] of node.children) trie[node.state * TRIE_STRIDE + letter] = child.state
  }
  return { trie, entries }
}
