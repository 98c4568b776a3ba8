/**
 * The word automaton: every rule's pattern, as a sequence of normalised words and wildcards,
 * is a path in one trie whose edges are word ids. Scanning walks the text's words once,
 * carrying the set of trie nodes reached by paths that started at an earlier word (one per
 * pattern prefix still alive, never more than MAX_ACTIVE). Scanning is not re-entrant: it keeps
 * its buffers on the instance, which is safe because JavaScript runs one scan at a time, so its cost grows with the text
 * and with how many patterns share a prefix with it, not with the number of rules. Looking a
 * word up is one hash lookup; a stretched word (`killlll`) falls back to comparing its runs
 * of letters with the pattern words that have the same letters (`kil`).
 */
import type { PatternWord } from './pattern.js'
import { MAX_SPELLED_LETTERS as maxSpelled, type Token } from './tokenize.js'

const MAX_SPELLED_LETTERS = maxSpelled

/** A word stretched this much (`killl`, `diiie`) may stand for one or two of that letter. */
export const STRETCHED_RUN = 3
/** Concatenated form of a phrase (`killmyself`) is matched too, from this length on, so that short pairs (`to day`) don't turn into real words. */
const MIN_CONCATENATED_LENGTH = 6
/** Safety bound on live partial matches; only a hostile rule set of wildcards could reach it. */
const MAX_ACTIVE = 4096

interface RunShape {
  id: number
  runs: number[]
}

function skeletonOf(word: string): { skeleton: string; runs: number[] } {
  let skeleton = ''
  const runs: number[] = []
  let prev = ''
  for (const ch of word) {
    if (ch === prev) {
      runs[runs.length - 1] = (runs[runs.length - 1] ?? 0) + 1
    } else {
      skeleton += ch
      runs.push(1)
      prev = ch
    }
  }
  return { skeleton, runs }
}

function hasStretch(word: string): boolean {
  for (let i = 2; i < word.length; i++) {
    if (word.charCodeAt(i) === word.charCodeAt(i - 1) && word.charCodeAt(i) === word.charCodeAt(i - 2)) return true
  }
  return false
}

const NONE: readonly number[] = []

function edgeHash(node: number, word: number): number {
  return Math.imul(node, 0x9e3779b1) ^ word
}

export interface RawMatch {
  rule: number
  start: number
  end: number
}

export class WordAutomaton {
  private readonly exact = new Map<string, number>()
  private readonly single: number[][] = []
  private readonly shapes = new Map<string, RunShape[]>()
  private maxWordLength = 0
  private readonly children: Array<Map<number, number> | null> = [null]
  private readonly wild: number[] = [-1]
  private readonly outputs: Array<number[] | null> = [null]
  /** How many words lead from the root to each node: a match's first word is this many words back, less one. */
  private readonly depths: number[] = [0]
  // The trie's edges flattened for scanning, rebuilt after rules are added: the root's by word
  // id, the others in one open-addressing table keyed by (node, word), each slot three ints.
  private frozen = false
  private rootEdges = new Int32Array(0)
  private edges = new Int32Array(0)
  private edgeMask = 0

  private wordId(word: string): number {
    let id = this.exact.get(word)
    if (id === undefined) {
      id = this.single.length
      this.exact.set(word, id)
      this.single.push([id])
      const { skeleton, runs } = skeletonOf(word)
      const list = this.shapes.get(skeleton)
      if (list === undefined) this.shapes.set(skeleton, [{ id, runs }])
      else list.push({ id, runs })
      if (word.length > this.maxWordLength) this.maxWordLength = word.length
    }
    return id
  }

  private newNode(parent: number): number {
    this.children.push(null)
    this.wild.push(-1)
    this.outputs.push(null)
    this.depths.push((this.depths[parent] ?? 0) + 1)
    return this.children.length - 1
  }

  private addPath(words: readonly PatternWord[], rule: number): void {
    let node = 0
    for (const word of words) {
      if (word === null) {
        let next = this.wild[node] ?? -1
        if (next < 0) {
          next = this.newNode(node)
          this.wild[node] = next
        }
        node = next
      } else {
        const id = this.wordId(word)
        let map = this.children[node]
        if (map === null || map === undefined) {
          map = new Map()
          this.children[node] = map
        }
        let next = map.get(id)
        if (next === undefined) {
          next = this.newNode(node)
          map.set(id, next)
        }
        node = next
      }
    }
    const out = this.outputs[node]
    if (out === null || out === undefined) this.outputs[node] = [rule]
    else if (!out.includes(rule)) out.push(rule)
  }

  add(words: readonly PatternWord[], rule: number): void {
    this.frozen = false
    this.addPath(words, rule)
    if (words.length >= 2 && words.every((w) => w !== null)) {
      const joined = words.join('')
      if (joined.length >= MIN_CONCATENATED_LENGTH) this.addPath([joined], rule)
    }
  }

  /** Every pattern word with the ids it stands for as a text word: lets a scanner build its own index. */
  *words(): IterableIterator<[string, readonly number[]]> {
    for (const [word, id] of this.exact) yield [word, this.single[id] ?? NONE]
  }

  /** The pattern words a text word can stand for. */
  lookup(word: string): readonly number[] {
    const id = this.exact.get(word)
    if (!hasStretch(word)) return id === undefined ? NONE : (this.single[id] ?? NONE)
    const { skeleton, runs } = skeletonOf(word)
    const candidates = this.shapes.get(skeleton)
    if (candidates === undefined) return NONE
    const ids: number[] = []
    for (const shape of candidates) {
      let fits = shape.runs.length === runs.length
      for (let r = 0; fits && r < runs.length; r++) {
        const inText = runs[r] ?? 0
        fits = inText === shape.runs[r] || inText >= STRETCHED_RUN
      }
      if (fits) ids.push(shape.id)
    }
    return ids
  }

  private lookupToken(token: Token): readonly number[] {
    const ids = this.lookup(token.text)
    if (ids.length > 0 || token.alt === null) return ids
    return this.lookup(token.alt)
  }

  /**
   * A word spelled letter by letter (`k i l l m y s e l f`) is cut into the fewest pattern
   * words that leave the fewest letters unexplained; unexplained letters next to each other
   * form one unknown word, which only a wildcard can match.
   */
  segment(token: Token): void {
    const letters = token.letters ?? []
    const text = token.text
    const n = text.length
    if (n > MAX_SPELLED_LETTERS || n !== letters.length) {
      this.step(this.lookupToken(token), token.start, token.end)
      return
    }
    const unknown = new Array<number>(n + 1).fill(Infinity)
    const pieces = new Array<number>(n + 1).fill(Infinity)
    const from = new Array<number>(n + 1).fill(-1)
    const wordAt = new Array<number>(n + 1).fill(-1)
    unknown[0] = 0
    pieces[0] = 0
    const better = (i: number, u: number, p: number): boolean => u < (unknown[i] ?? Infinity) || (u === unknown[i] && p < (pieces[i] ?? Infinity))
    for (let i = 0; i < n; i++) {
      const u = unknown[i] ?? Infinity
      const p = pieces[i] ?? Infinity
      if (u === Infinity) continue
      if (better(i + 1, u + 1, p + 1)) {
        unknown[i + 1] = u + 1
        pieces[i + 1] = p + 1
        from[i + 1] = i
        wordAt[i + 1] = -1
      }
      const longest = Math.min(this.maxWordLength, n - i)
      for (let len = 1; len <= longest; len++) {
        const id = this.exact.get(text.slice(i, i + len))
        if (id !== undefined && better(i + len, u, p + 1)) {
          unknown[i + len] = u
          pieces[i + len] = p + 1
          from[i + len] = i
          wordAt[i + len] = id
        }
      }
    }
    const parts: Array<{ from: number; to: number; id: number }> = []
    for (let i = n; i > 0; i = from[i] ?? 0) parts.push({ from: from[i] ?? 0, to: i, id: wordAt[i] ?? -1 })
    parts.reverse()
    let k = 0
    while (k < parts.length) {
      const part = parts[k] as { from: number; to: number; id: number }
      let to = part.to
      if (part.id < 0) {
        while (k + 1 < parts.length && (parts[k + 1]?.id ?? 0) < 0) to = (parts[++k] as { to: number }).to
      }
      this.step(part.id < 0 ? NONE : (this.single[part.id] ?? NONE), letters[part.from]?.start ?? token.start, letters[to - 1]?.end ?? token.end)
      k++
    }
  }

  private active = new Int32Array(64)
  private next = new Int32Array(64)
  private activeCount = 0
  private matches: RawMatch[] = []

  /** True when a word that stands for no pattern word cannot change anything: no partial match is alive and no pattern starts with a wildcard. */
  idle(): boolean {
    return this.activeCount === 0 && (this.wild[0] ?? -1) < 0
  }

  /** Some pattern starts with a wildcard, so that every word can start a match and the automaton is never idle. */
  startsWithWildcard(): boolean {
    return (this.wild[0] ?? -1) >= 0
  }

  /** Advances every live partial match by one word; `origin` of a path is where its first word starts. */
  step(ids: readonly number[], start: number, end: number): void {
    const active = this.active
    const count = this.activeCount
    // Room for every live state, and the root, to take each word and the wildcard.
    const needed = (count + 2) * (ids.length + 1)
    if (needed > this.next.length) this.next = new Int32Array(Math.max(needed, this.next.length * 2))
    const next = this.next
    const limit = MAX_ACTIVE * 2
    let n = 0
    for (let a = 0; a < count && n < limit; a += 2) {
      const node = active[a] ?? 0
      const origin = active[a + 1] ?? 0
      for (let j = 0; j < ids.length; j++) {
        const child = this.child(node, ids[j] ?? 0)
        if (child >= 0) {
          next[n++] = child
          next[n++] = origin
        }
      }
      const w = this.wild[node] ?? -1
      if (w >= 0) {
        next[n++] = w
        next[n++] = origin
      }
    }
    // A path may also start at this word: the root comes last, as an extra live state would.
    if (n < limit) {
      for (let j = 0; j < ids.length; j++) {
        const child = this.rootEdges[ids[j] ?? 0] ?? -1
        if (child >= 0) {
          next[n++] = child
          next[n++] = start
        }
      }
      const w = this.wild[0] ?? -1
      if (w >= 0) {
        next[n++] = w
        next[n++] = start
      }
    }
    this.settle(active, next, n, start, end)
  }

  /** Records the matches that end at this word and makes the new live states current (shared by both steps). */
  private settle(active: typeof this.active, next: typeof this.next, n: number, start: number, end: number): void {
    for (let a = 0; a < n; a += 2) {
      const out = this.outputs[next[a] ?? 0]
      if (out === null || out === undefined) continue
      for (const rule of out) this.matches.push({ rule, start: next[a + 1] ?? start, end })
    }
    this.next = active
    this.active = next
    this.activeCount = n
  }

  /** `step` for a word that stands for exactly one pattern word, the common case, without the loop over ids. */
  stepWord(id: number, start: number, end: number): void {
    const active = this.active
    const count = this.activeCount
    if (2 * count + 4 > this.next.length) this.next = new Int32Array(Math.max(2 * count + 4, this.next.length * 2))
    const next = this.next
    const limit = MAX_ACTIVE * 2
    let n = 0
    for (let a = 0; a < count && n < limit; a += 2) {
      const node = active[a] ?? 0
      const origin = active[a + 1] ?? 0
      const child = this.child(node, id)
      if (child >= 0) {
        next[n++] = child
        next[n++] = origin
      }
      const w = this.wild[node] ?? -1
      if (w >= 0) {
        next[n++] = w
        next[n++] = origin
      }
    }
    if (n < limit) {
      const child = this.rootEdges[id] ?? -1
      if (child >= 0) {
        next[n++] = child
        next[n++] = start
      }
      const w = this.wild[0] ?? -1
      if (w >= 0) {
        next[n++] = w
        next[n++] = start
      }
    }
    this.settle(active, next, n, start, end)
  }

  /** Whether a text word standing for `ids` can start a path: when none is alive, a word that cannot need not be stepped. */
  startsPath(ids: readonly number[]): boolean {
    const root = this.children[0]
    return (this.wild[0] ?? -1) >= 0 || ids.some((id) => root?.has(id) === true)
  }

  private freeze(): void {
    this.rootEdges = new Int32Array(this.single.length).fill(-1)
    let count = 0
    for (const map of this.children) count += map?.size ?? 0
    let size = 16
    while (size < count * 2) size *= 2
    this.edges = new Int32Array(size * 3).fill(-1)
    this.edgeMask = size - 1
    this.children.forEach((map, node) => {
      if (map === null) return
      for (const [word, child] of map) {
        if (node === 0) {
          this.rootEdges[word] = child
          continue
        }
        let slot = edgeHash(node, word) & this.edgeMask
        while ((this.edges[slot * 3] ?? -1) >= 0) slot = (slot + 1) & this.edgeMask
        this.edges[slot * 3] = node
        this.edges[slot * 3 + 1] = word
        this.edges[slot * 3 + 2] = child
      }
    })
    this.frozen = true
  }

  private child(node: number, word: number): number {
    const edges = this.edges
    const mask = this.edgeMask
    for (let slot = edgeHash(node, word) & mask; ; slot = (slot + 1) & mask) {
      const at = slot * 3
      const from = edges[at] ?? -1
      if (from < 0) return -1
      if (from === node && edges[at + 1] === word) return edges[at + 2] ?? -1
    }
  }

  // What a scanner that follows the live nodes itself, without their origins, needs (dfa.ts):
  // the nodes one word leads to, in the order step() would put them; what a node outputs and
  // how deep it is; and a way to hand the live nodes back, with their origins, to step().

  /** The nodes live after a word standing for pattern word `id` (or for none, -1) when `nodes` were: what step() computes, without origins. */
  stepNodes(nodes: readonly number[], id: number): number[] {
    if (!this.frozen) this.freeze()
    const next: number[] = []
    for (const node of nodes) {
      if (id >= 0) {
        const child = this.child(node, id)
        if (child >= 0) next.push(child)
      }
      const w = this.wild[node] ?? -1
      if (w >= 0) next.push(w)
    }
    if (id >= 0) {
      const child = this.rootEdges[id] ?? -1
      if (child >= 0) next.push(child)
    }
    const w = this.wild[0] ?? -1
    if (w >= 0) next.push(w)
    return next
  }

  /** The pattern words that lead on from `node` (the root is 0): only these, or any word through a wildcard, can advance it. */
  wordsAfter(node: number): number[] {
    return [...(this.children[node]?.keys() ?? [])]
  }

  outputsOf(node: number): readonly number[] {
    return this.outputs[node] ?? NONE
  }

  depthOf(node: number): number {
    return this.depths[node] ?? 0
  }

  /** Makes `nodes` the live partial matches, node k's first word starting at `origins[k]`; only while idle. */
  resume(nodes: readonly number[], origins: readonly number[]): void {
    if (2 * nodes.length > this.active.length) this.active = new Int32Array(2 * nodes.length)
    for (let k = 0; k < nodes.length; k++) {
      this.active[2 * k] = nodes[k] ?? 0
      this.active[2 * k + 1] = origins[k] ?? 0
    }
    this.activeCount = 2 * nodes.length
  }

  /** A match found by such a scanner. */
  record(rule: number, start: number, end: number): void {
    this.matches.push({ rule, start, end })
  }

  /** Starts a scan; the words then come through `step` and `segment`, and `finish` hands back the matches. */
  begin(): void {
    if (!this.frozen) this.freeze()
    this.activeCount = 0
    this.matches = []
  }

  finish(): RawMatch[] {
    const matches = this.matches
    this.matches = []
    this.activeCount = 0
    return matches
  }

  scan(tokens: readonly Token[]): RawMatch[] {
    this.begin()
    for (const token of tokens) {
      if (token.letters !== null) this.segment(token)
      else this.step(this.lookupToken(token), token.start, token.end)
    }
    return this.finish()
  }
}
