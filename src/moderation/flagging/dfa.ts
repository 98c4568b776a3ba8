/**
 * The skimming automaton of the ASCII fast path: a deterministic automaton over the bytes of
 * the text, built lazily (a state and a transition are worked out the first time a text needs
 * them, as RE2 does), so that the common words and the common phrase prefixes of real text
 * cost one table load per byte, with no branch per word.
 *
 * A state is (the pattern nodes that are live, where the current word is in the letter trie of
 * the pattern words). The live nodes are those WordAutomaton.step would hold, without their
 * origins: inside a skimmed stretch every word is a run of two letters or more and every
 * partial match began in it, so a node `d` words deep began `d - 1` words back, which is found
 * by reading back over the text when it is needed (a match, or handing over to the word loop).
 *
 * Transitions are `table[state + class of the byte]` (a state is its row's offset, one entry per class):
 * another state, or one of the negative codes below. A SOFT transition does something the
 * table cannot (note a marked word, record a match, note a `.` before a letter) and goes on;
 * a HARD one hands the word it is in to the word loop of ascii.ts, which reads it in full:
 * digits, apostrophes, `@ $ !`, stretched letters, one-letter words (which may be a word spelled
 * out) and prefixes deeper than the letter trie was built.
 */
import { TRIE_CUT, TRIE_DEAD, TRIE_ROOT, TRIE_STRIDE } from './letter-trie.js'
import { STRETCHED_RUN, type WordAutomaton } from './matcher.js'
import { MAX_SPELLED_GAP } from './tokenize.js'

const STRIDE = 32
export const HARD = -1
export const UNBUILT = -2
/** SOFT_BASE - k is the soft action k. */
export const SOFT_BASE = -3

/** Byte classes, as the letter trie numbers letters: 1 to 26 are `a` to `z`. */
export const C_OTHER = 0
export const C_SEPARATOR = 27
export const C_DOT = 28
export const C_DIGIT = 29
export const C_APOSTROPHE = 30
export const C_SYMBOL = 31

/** Where the current word is: between words (after a `.` or not), in it at a trie node, or past where any pattern word could be. */
const BETWEEN = 0
const AFTER_DOT = 1
/** One letter that starts no pattern word. */
const FIRST_DEAD = 2
/** Stands for no pattern word, whatever follows. */
const DEAD = 3
/** Left the trie on the second of a run of one letter: a third makes it a stretch. */
const DEAD_RUN2 = 4
const AT_NODE = 5
/** After a one-letter word and `run` soft separators: it is a word of its own unless another one-letter word follows (a word spelled out). */
const PENDING = 6
/** The same, and the first letter `letter` of the next word. */
const PENDING_NEXT = 7

/** A run of this many of one letter is a stretch. */
const STRETCH = STRETCHED_RUN

/**
 * Transitions worked out per scan at most: past it, what is not built yet is left to the word
 * loop for the rest of the text, so that a text made to visit new states (hostile, or the first
 * posts after a rule change) costs no more than the word loop would, plus this many builds.
 */
const BUILDS_PER_SCAN = 256

/** Live sets larger than this are left to the word loop (only a rule set full of wildcards makes them). */
const MAX_LIVE = 32
/** States kept before the automaton starts over (each is a row of STRIDE 32-bit entries, 128 bytes). */
const MAX_STATES = 1 << 13

export interface SkimmerBounds {
  /** States kept before the automaton starts over (default MAX_STATES). */
  states?: number
  /** Transitions worked out per scan (default BUILDS_PER_SCAN). */
  buildsPerScan?: number
}

export interface SoftAction {
  next: number
  /** The marks of the word that ended (ascii.ts), or 0. */
  mark: number
  /** The live set whose nodes output a match at the word that ended, or -1. */
  emit: number
  /** A `.` came before a letter. */
  dot: boolean
  /** The word that ended, ended this many bytes before the byte of the transition. */
  back: number
}

interface StateKey {
  live: number
  where: number
  /** The trie node for AT_NODE, the letter for DEAD_RUN2. */
  at: number
  /** For AT_NODE: the node's last letter, how many times in a row, and its depth in letters. For PENDING: `at` is the one letter, `run` the separators since, `letter` the next word's first. */
  letter: number
  run: number
  depth: number
}

export interface TrieView {
  trie: Uint16Array
  /** The scanner's entry a trie state spells, or -1. */
  entries: Int32Array
  /** The pattern word an entry stands for, or -1. */
  wordIds: Int32Array
  marks: Uint8Array
  /** The word of each entry: the marked ones are looked for in every state. */
  words: readonly string[]
  /** The pattern word of a one-letter word, by its lower-case code, or -1. */
  singleIds: Int32Array
}

export class SkimAutomaton {
  table: Int32Array
  readonly actions: SoftAction[] = []
  private rows = 0
  private builds = 0
  private readonly maxStates: number
  private readonly buildsPerScan: number
  private readonly keys: StateKey[] = []
  private readonly index = new Map<string, number>()
  private readonly sets: Array<readonly number[]> = []
  private readonly setIndex = new Map<string, number>()
  private readonly steps = new Map<number, number>()
  /** For each live set, the trie states of the prefixes of the words that lead on from its nodes (built when first needed). */
  private readonly after: Array<Set<number> | undefined> = []
  /** The text of each pattern word, by id. */
  private readonly texts: string[]
  /** The trie states of the prefixes of the marked words and of the words that start a pattern, which every live set looks for. */
  private readonly everywhere = new Set<number>()
  /** For each live set, its nodes that output a match: [node, depth, rules] */
  private readonly outputs: Array<ReadonlyArray<readonly [number, number, readonly number[]]>> = []

  constructor(
    private readonly automaton: WordAutomaton,
    private readonly view: TrieView,
    bounds: SkimmerBounds = {}
  ) {
    // The start state and one more, at least.
    this.maxStates = Math.max(2, bounds.states ?? MAX_STATES)
    this.buildsPerScan = bounds.buildsPerScan ?? BUILDS_PER_SCAN
    this.table = new Int32Array(64 * STRIDE)
    this.texts = []
    // An exact word stands for its own id.
    for (const [word, ids] of automaton.words()) this.texts[ids[0] ?? 0] = word
    view.words.forEach((word, e) => {
      if ((view.marks[e] ?? 0) !== 0) this.addPrefixes(this.everywhere, word)
    })
    for (const id of automaton.wordsAfter(0)) this.addPrefixes(this.everywhere, this.texts[id] ?? '')
    this.reset()
  }

  private addPrefixes(into: Set<number>, word: string): void {
    let t = TRIE_ROOT
    for (let k = 0; k < word.length; k++) {
      const c = word.charCodeAt(k)
      if (c < 0x61 || c > 0x7a) return
      t = this.view.trie[t * TRIE_STRIDE + (c & 31)] ?? TRIE_DEAD
      if (t <= TRIE_CUT) return
      into.add(t)
    }
  }

  /**
   * Whether trie state `t` is the prefix of a word that matters in live set `live`: a marked
   * word, or one that leads on from the root or from a live node. Any other word steps the live
   * set exactly as a word that is no pattern word does, so the automaton reads it as one, and
   * its states are shared.
   */
  private relevant(live: number, t: number): boolean {
    if (this.everywhere.has(t)) return true
    let set = this.after[live]
    if (set === undefined) {
      set = new Set()
      for (const node of this.sets[live] ?? []) {
        for (const id of this.automaton.wordsAfter(node)) this.addPrefixes(set, this.texts[id] ?? '')
      }
      this.after[live] = set
    }
    return set.has(t)
  }

  /** The row where every scan starts: nothing live, between words. */
  static readonly START = 0

  /** Forgets every state, when there are too many: called between scans only. */
  reset(): void {
    this.rows = 0
    this.keys.length = 0
    this.index.clear()
    this.sets.length = 0
    this.setIndex.clear()
    this.steps.clear()
    this.outputs.length = 0
    this.after.length = 0
    this.actions.length = 0
    this.setOf([])
    this.state({ live: 0, where: BETWEEN, at: 0, letter: 0, run: 0, depth: 0 })
  }

  /** Called before each scan: starts over when the automaton has grown past its bound, and renews the scan's build budget. */
  beginScan(): void {
    if (this.rows >= this.maxStates) this.reset()
    this.builds = 0
  }

  /** The live nodes of a state (a row offset), as a set id; 0 is the empty set. */
  liveOf(state: number): number {
    return (this.keys[state / STRIDE] as StateKey).live
  }

  /** How many bytes back a word handed to the word loop starts, for a state holding a one-letter word back (0: the word the state is in). */
  rewindOf(state: number): number {
    const key = this.keys[state / STRIDE] as StateKey
    return key.where === PENDING ? key.run + 1 : key.where === PENDING_NEXT ? key.run + 2 : 0
  }

  nodesOf(live: number): readonly number[] {
    return this.sets[live] ?? []
  }

  /** The nodes of a live set that output a match, with their depth and rules. */
  outputsOf(live: number): ReadonlyArray<readonly [number, number, readonly number[]]> {
    return this.outputs[live] ?? []
  }

  private setOf(nodes: readonly number[]): number {
    const key = nodes.join(',')
    let id = this.setIndex.get(key)
    if (id === undefined) {
      id = this.sets.length
      this.sets.push(nodes)
      this.setIndex.set(key, id)
      const out: Array<readonly [number, number, readonly number[]]> = []
      for (const node of nodes) {
        const rules = this.automaton.outputsOf(node)
        if (rules.length > 0) out.push([node, this.automaton.depthOf(node), rules])
      }
      this.outputs.push(out)
    }
    return id
  }

  /** The live set after a word standing for `id` (or none, -1), or -1 when it is too large to follow. */
  private step(live: number, id: number): number {
    const key = live * 0x40000000 + id + 1
    let next = this.steps.get(key)
    if (next === undefined) {
      const nodes = this.automaton.stepNodes(this.sets[live] ?? [], id)
      next = nodes.length > MAX_LIVE ? -1 : this.setOf(nodes)
      this.steps.set(key, next)
    }
    return next
  }

  /** The row offset of a state, made (every transition UNBUILT) the first time; HARD when there is no room. */
  private state(key: StateKey): number {
    const name = `${key.live}|${key.where}|${key.at}|${key.where >= PENDING ? `${key.run}|${key.letter}` : ''}`
    let row = this.index.get(name)
    if (row === undefined) {
      if (this.rows >= this.maxStates) return HARD
      row = this.rows++
      if ((row + 1) * STRIDE > this.table.length) {
        const grown = new Int32Array(this.table.length * 2)
        grown.set(this.table)
        this.table = grown
      }
      this.table.fill(UNBUILT, row * STRIDE, (row + 1) * STRIDE)
      this.keys.push(key)
      this.index.set(name, row)
    }
    return row * STRIDE
  }

  private soft(action: SoftAction): number {
    this.actions.push(action)
    return SOFT_BASE - (this.actions.length - 1)
  }

  /** Works out, stores and returns the transition of `state` on a byte of class `cls` (HARD once the scan's budget is spent). The table may be replaced: read it again. */
  build(state: number, cls: number): number {
    if (++this.builds > this.buildsPerScan) return HARD
    const code = this.transition(this.keys[state / STRIDE] as StateKey, cls)
    this.table[state + cls] = code
    return code
  }

  private transition(key: StateKey, cls: number): number {
    const { live } = key
    if (cls >= 1 && cls <= 26) {
      switch (key.where) {
        case BETWEEN:
        case AFTER_DOT: {
          const first = this.enter(live, TRIE_ROOT, cls, 0, 0, 0)
          if (key.where === BETWEEN || first < 0) return first
          return this.soft({ next: first, mark: 0, emit: -1, dot: true, back: 0 })
        }
        case PENDING:
          return this.state({ live, where: PENDING_NEXT, at: key.at, letter: cls, run: key.run, depth: 0 })
        case PENDING_NEXT: {
          // A word of two letters or more: the one-letter word before it is a word of its own.
          const after = this.step(live, this.singleId(key.at))
          if (after < 0) return HARD
          const first = this.enter(after, TRIE_ROOT, key.letter, 0, 0, 0)
          if (first < 0) return HARD
          const next = this.transition(this.keys[first / STRIDE] as StateKey, cls)
          if (next < 0) return HARD
          return this.emits(after) ? this.soft({ next, mark: 0, emit: after, dot: false, back: key.run + 1 }) : next
        }
        case FIRST_DEAD:
          return this.state({ live, where: DEAD, at: 0, letter: 0, run: 0, depth: 0 })
        case DEAD:
          return this.state(key)
        case DEAD_RUN2:
          return cls === key.at ? HARD : this.state({ live, where: DEAD, at: 0, letter: 0, run: 0, depth: 0 })
        default:
          return this.enter(live, key.at, cls, key.letter, key.run, key.depth)
      }
    }
    if (cls === C_DIGIT || cls === C_APOSTROPHE || cls === C_SYMBOL) return HARD
    // A boundary.
    const between = cls === C_DOT ? AFTER_DOT : BETWEEN
    if (key.where === BETWEEN || key.where === AFTER_DOT) {
      return this.state({ live, where: between, at: 0, letter: 0, run: 0, depth: 0 })
    }
    // Another one-letter word: the word loop joins them.
    if (key.where === PENDING_NEXT) return HARD
    if (key.where === PENDING) {
      // Up to MAX_SPELLED_GAP soft separators, the next one-letter word would join it (a dot is left to the word loop).
      if (cls === C_SEPARATOR && key.run < MAX_SPELLED_GAP) return this.state({ ...key, run: key.run + 1 })
      if (cls === C_DOT) return HARD
      return this.single(live, key.at, key.run)
    }
    // The end of a word; one letter may be a word spelled out letter by letter.
    if (key.where === FIRST_DEAD || (key.where === AT_NODE && key.depth === 1)) {
      const letter = key.where === FIRST_DEAD ? key.at : key.letter
      if (cls === C_SEPARATOR) return this.state({ live, where: PENDING, at: letter, letter: 0, run: 1, depth: 0 })
      if (cls === C_DOT) return HARD
      return this.single(live, letter, 0)
    }
    const e = key.where === AT_NODE ? (this.view.entries[key.at] ?? -1) : -1
    const id = e >= 0 ? (this.view.wordIds[e] ?? -1) : -1
    const mark = e >= 0 ? (this.view.marks[e] ?? 0) : 0
    const after = this.step(live, id)
    if (after < 0) return HARD
    const next = this.state({ live: after, where: between, at: 0, letter: 0, run: 0, depth: 0 })
    if (next < 0) return HARD
    const emits = this.emits(after)
    return mark !== 0 || emits ? this.soft({ next, mark, emit: emits ? after : -1, dot: false, back: 0 }) : next
  }

  private emits(live: number): boolean {
    return (this.outputs[live] ?? []).length > 0
  }

  private singleId(letter: number): number {
    return this.view.singleIds[0x60 + letter] ?? -1
  }

  /** A one-letter word `letter` that ended `back` bytes ago and is a word of its own: it is stepped, and the text is between words. */
  private single(live: number, letter: number, back: number): number {
    const after = this.step(live, this.singleId(letter))
    if (after < 0) return HARD
    const next = this.state({ live: after, where: BETWEEN, at: 0, letter: 0, run: 0, depth: 0 })
    if (next < 0) return HARD
    return this.emits(after) ? this.soft({ next, mark: 0, emit: after, dot: false, back }) : next
  }

  /** Reading letter `cls` at trie node `node`, whose last letter `letter` ran `run` times. */
  private enter(live: number, node: number, cls: number, letter: number, run: number, depth: number): number {
    if (cls === letter && run + 1 >= STRETCH) return HARD
    let child = this.view.trie[node * TRIE_STRIDE + cls] ?? TRIE_DEAD
    if (child === TRIE_CUT) return HARD
    if (child > TRIE_CUT && !this.relevant(live, child)) child = TRIE_DEAD
    if (child === TRIE_DEAD) {
      if (depth === 0) return this.state({ live, where: FIRST_DEAD, at: cls, letter: 0, run: 0, depth: 0 })
      // On the second of a run, a third would be a stretch; on a new letter, no pattern word can follow.
      if (cls === letter) return this.state({ live, where: DEAD_RUN2, at: cls, letter: 0, run: 0, depth: 0 })
      return this.state({ live, where: DEAD, at: 0, letter: 0, run: 0, depth: 0 })
    }
    return this.state({ live, where: AT_NODE, at: child, letter: cls, run: cls === letter ? run + 1 : 1, depth: depth + 1 })
  }
}
