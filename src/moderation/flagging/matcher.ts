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
const STRETCHED_RUN = 3
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

  private newNode(): number {
    this.children.push(null)
    this.wild.push(-1)
    this.outputs.push(null)
    return this.children.length - 1
  }

  private addPath(words: readonly PatternWord[], rule: number): void {
    let node = 0
    for (const word of words) {
      if (word === null) {
        let next = this.wild[node] ?? -1
        if (next < 0) {
          next = this.newNode()
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
          next = this.newNode()
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
    this.addPath(words, rule)
    if (words.length >= 2 && words.every((w) => w !== null)) {
      const joined = words.join('')
      if (joined.length >= MIN_CONCATENATED_LENGTH) this.addPath([joined], rule)
    }
  }

  /** The pattern words a text word can stand for. */
  private lookup(word: string): readonly number[] {
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
  private segment(token: Token): void {
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

  /** Advances every live partial match by one word; `origin` of a path is where its first word starts. */
  private step(ids: readonly number[], start: number, end: number): void {
    let active = this.active
    const count = this.activeCount
    if (count + 2 > active.length) {
      const bigger = new Int32Array(active.length * 2)
      bigger.set(active)
      active = this.active = bigger
    }
    active[count] = 0
    active[count + 1] = start
    let next = this.next
    let n = 0
    const limit = MAX_ACTIVE * 2
    for (let a = 0; a <= count && n < limit; a += 2) {
      const node = active[a] ?? 0
      const origin = active[a + 1] ?? 0
      const w = this.wild[node] ?? -1
      const map = this.children[node]
      const needed = n + 2 * (ids.length + 1)
      if (needed > next.length) {
        const bigger = new Int32Array(Math.max(needed, next.length * 2))
        bigger.set(next)
        next = this.next = bigger
      }
      if (map !== null && map !== undefined) {
        for (const id of ids) {
          const child = map.get(id)
          if (child !== undefined) {
            next[n++] = child
            next[n++] = origin
          }
        }
      }
      if (w >= 0) {
        next[n++] = w
        next[n++] = origin
      }
    }
    for (let a = 0; a < n; a += 2) {
      const out = this.outputs[next[a] ?? 0]
      if (out === null || out === undefined) continue
      for (const rule of out) this.matches.push({ rule, start: next[a + 1] ?? start, end })
    }
    this.next = active
    this.active = next
    this.activeCount = n
  }

  scan(tokens: readonly Token[]): RawMatch[] {
    this.activeCount = 0
    this.matches = []
    for (const token of tokens) {
      if (token.letters !== null) this.segment(token)
      else this.step(this.lookupToken(token), token.start, token.end)
    }
    const matches = this.matches
    this.matches = []
    this.activeCount = 0
    return matches
  }
}
