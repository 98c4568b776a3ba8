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
import type { PatternStep } from './pattern.js'
import { runSteps, type Steps } from './steps.js'
import { MAX_SPELLED_LETTERS as maxSpelled, type Token } from './tokenize.js'

const MAX_SPELLED_LETTERS = maxSpelled

/** A word stretched this much (`killl`, `diiie`) may stand for one or two of that letter. */
export const STRETCHED_RUN = 3
/** Concatenated form of a phrase (`killmyself`) is matched too, from this length on, so that short pairs (`to day`) don't turn into real words. */
const MIN_CONCATENATED_LENGTH = 6
/** A phrase with more choices of words than this is not also matched run together (each choice is a word to look up). */
const MAX_JOINED = 64
/** Safety bound on live partial matches; only a hostile rule set of wildcards could reach it. */
const MAX_ACTIVE = 4096
/** Nodes flattened between the pauses of freezeSteps. */
const NODES_PER_STEP = 8192

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
  /** How many edges lead to each node (the root: none). */
  private readonly refs: number[] = [0]
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
    this.refs.push(0)
    this.depths.push((this.depths[parent] ?? 0) + 1)
    return this.children.length - 1
  }

  /**
   * A copy of `node` (same edges, wildcard and outputs, same depth) for the edges `into` it, which are
   * moved to it (`id` -1: a wildcard edge): what is added after it then reaches no other path.
   */
  private split(into: ReadonlyArray<readonly [number, number]>, node: number): number {
    const copy = this.newNode(into[0]?.[0] ?? 0)
    const map = this.children[node]
    if (map) {
      this.children[copy] = new Map(map)
      for (const child of map.values()) this.refs[child] = (this.refs[child] ?? 0) + 1
    }
    const w = this.wild[node] ?? -1
    if (w >= 0) {
      this.wild[copy] = w
      this.refs[w] = (this.refs[w] ?? 0) + 1
    }
    const out = this.outputs[node]
    if (out) this.outputs[copy] = [...out]
    for (const [from, id] of into) {
      if (id < 0) this.wild[from] = copy
      else this.children[from]?.set(id, copy)
    }
    this.refs[node] = (this.refs[node] ?? 0) - into.length
    this.refs[copy] = into.length
    return copy
  }

  /** The node `id` leads to from `from` (-1: none), making the map as needed. */
  private edgesOf(from: number): Map<number, number> {
    let map = this.children[from]
    if (map === null || map === undefined) {
      map = new Map()
      this.children[from] = map
    }
    return map
  }

  /**
   * Adds one path. A step is a set of phrases of one length (any of which leads on) or null, one word of
   * any kind. The automaton is a trie whose nodes may be shared: every phrase of a step ends in one node,
   * so that `{a|b|c} x` costs one node for the three, not three. A node is extended only by the paths that
   * reach it: one reached by other edges too is split first. Every path into a node has the same length,
   * so a node's depth still says where a match began.
   */
  private addPath(steps: readonly PatternStep[], rule: number): void {
    let frontier = [0]
    for (const step of steps) {
      const next: number[] = []
      const reached = new Set<number>()
      const reach = (node: number) => {
        if (reached.has(node)) return
        reached.add(node)
        next.push(node)
      }
      if (step === null) {
        for (const node of frontier) {
          let w = this.wild[node] ?? -1
          if (w < 0) {
            w = this.newNode(node)
            this.wild[node] = w
            this.refs[w] = 1
          } else if ((this.refs[w] ?? 0) > 1) {
            w = this.split([[node, -1]], w)
          }
          reach(w)
        }
        frontier = next
        continue
      }
      const length = step[0]?.length ?? 0
      // Walk the phrases' words but the last as a trie (each word its own node)...
      let level: Array<{ node: number; phrases: ReadonlyArray<readonly string[]> }> = frontier.map((node) => ({ node, phrases: step }))
      for (let k = 0; k < length - 1; k++) {
        const deeper: typeof level = []
        for (const { node, phrases } of level) {
          const byWord = new Map<string, Array<readonly string[]>>()
          for (const phrase of phrases) {
            const word = phrase[k] as string
            const list = byWord.get(word)
            if (list === undefined) byWord.set(word, [phrase])
            else list.push(phrase)
          }
          const map = this.edgesOf(node)
          for (const [word, list] of byWord) {
            const id = this.wordId(word)
            let child = map.get(id) ?? -1
            if (child < 0) {
              child = this.newNode(node)
              map.set(id, child)
              this.refs[child] = 1
            } else if ((this.refs[child] ?? 0) > 1) {
              child = this.split([[node, id]], child)
            }
            deeper.push({ node: child, phrases: list })
          }
        }
        level = deeper
      }
      // ...and their last words into one node: the existing ones grouped by where they lead.
      const byChild = new Map<number, Array<readonly [number, number]>>()
      for (const { node, phrases } of level) {
        const map = this.edgesOf(node)
        for (const phrase of phrases) {
          const id = this.wordId(phrase[length - 1] as string)
          const child = map.get(id) ?? -1
          const edges = byChild.get(child)
          const edge = [node, id] as const
          if (edges === undefined) byChild.set(child, [edge])
          else edges.push(edge)
        }
      }
      for (const [child, edges] of byChild) {
        if (child < 0) {
          const fresh = this.newNode(edges[0]?.[0] ?? 0)
          for (const [node, id] of edges) this.edgesOf(node).set(id, fresh)
          this.refs[fresh] = edges.length
          reach(fresh)
        } else {
          // Reached by these edges only: extend it; by others too: split it off for these.
          reach((this.refs[child] ?? 0) > edges.length ? this.split(edges, child) : child)
        }
      }
      frontier = next
    }
    for (const node of frontier) {
      const out = this.outputs[node]
      if (out === null || out === undefined) this.outputs[node] = [rule]
      else if (!out.includes(rule)) out.push(rule)
    }
  }

  add(steps: readonly PatternStep[], rule: number): void {
    this.frozen = false
    this.addPath(steps, rule)
    // The words of a phrase run together ("killmyself"), for each choice of its words.
    const combinations = steps.reduce((product, step) => product * (step?.length ?? 0), 1)
    if (combinations > 0 && combinations <= MAX_JOINED && steps.reduce((words, step) => words + (step?.[0]?.length ?? 0), 0) >= 2) {
      let joined = ['']
      for (const step of steps) joined = joined.flatMap((head) => (step ?? []).map((phrase) => head + phrase.join('')))
      const long = joined.filter((word) => word.length >= MIN_CONCATENATED_LENGTH)
      if (long.length > 0) this.addPath([long.map((word) => [word])], rule)
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

  /** Flattens the edges for scanning; scanning does it when rules were added since, a compile does it up front. */
  freeze(): void {
    runSteps(this.freezeSteps())
  }

  /** freeze in steps, yielding every NODES_PER_STEP nodes (steps.ts). */
  *freezeSteps(): Steps<void> {
    this.rootEdges = new Int32Array(this.single.length).fill(-1)
    let count = 0
    for (const map of this.children) count += map?.size ?? 0
    let size = 16
    while (size < count * 2) size *= 2
    this.edges = new Int32Array(size * 3).fill(-1)
    this.edgeMask = size - 1
    for (let node = 0; node < this.children.length; node++) {
      if (node % NODES_PER_STEP === NODES_PER_STEP - 1) yield
      const map = this.children[node]
      if (map === null || map === undefined) continue
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
    }
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
