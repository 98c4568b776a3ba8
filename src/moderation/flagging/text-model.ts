/**
 * What the crisis and sourcing models share: a logistic regression over the words of a post and their
 * pairs and triples, after the same normalisation as the rules (case, accents, look-alikes, leetspeak,
 * split and stretched letters). scripts/train-models.ts fits each from the labelled sets kept with the
 * tests; crisis-model.ts and sourcing-model.ts say which texts each reads and what it does with them.
 */
import { normalize } from './tokenize.js'
import type { RuleAction, RuleCategory } from './types.js'

export interface TextModel {
  bias: number
  threshold: number
  weights: ReadonlyMap<string, number>
}

export interface ModelMatch {
  /** The probability the model gives the whole text. */
  score: number
  /** The sentence it scores highest, as offsets into the original text: what a moderator is shown. */
  start: number
  end: number
}

/** The model file's fields (written by scripts/train-models.ts). */
export interface ModelFile {
  bias: number
  threshold: number
  weights: Record<string, number>
}

export function readModel(file: ModelFile): TextModel {
  return { bias: file.bias, threshold: file.threshold, weights: new Map(Object.entries(file.weights)) }
}

/** The features of a text: its normalised words, and each pair and triple of neighbours. */
export function textFeatures(words: readonly string[]): string[] {
  const features: string[] = []
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string
    features.push(word)
    if (i + 1 < words.length) {
      const pair = `${word} ${words[i + 1] as string}`
      features.push(pair)
      if (i + 2 < words.length) features.push(`${pair} ${words[i + 2] as string}`)
    }
  }
  return features
}

/** The probability the model gives a bag of features (each counted once): for training and tests. */
export function probability(m: TextModel, features: readonly string[]): number {
  let z = m.bias
  for (const feature of new Set(features)) z += m.weights.get(feature) ?? 0
  return 1 / (1 + Math.exp(-z))
}

// Scanning hashes the features instead of building their strings: a word's two 32-bit hashes (FNV-1a and a
// multiply-xorshift), and a pair's or a triple's made from its words' hashes, looked up in an open-addressing
// table built once from the weights. A feature is found only when both hashes agree, so a word the model never
// saw does not take another's weight (with one 32-bit hash, "piqixazu" read as "plan").
const wordHash = (word: string, from = 0, to = word.length): number => {
  let h = 0x811c9dc5
  for (let i = from; i < to; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193)
  return h | 0
}
const wordHash2 = (word: string, from = 0, to = word.length): number => {
  let h = 0x2545f491
  for (let i = from; i < to; i++) {
    h = Math.imul(h ^ word.charCodeAt(i), 0x5bd1e995)
    h ^= h >>> 15
  }
  return h | 0
}
const joinHash = (a: number, b: number): number => {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) | 0
}
const joinHash2 = (a: number, b: number): number => {
  let h = Math.imul(a ^ 0x7f4a7c15, 0x27d4eb2f) ^ b
  h = Math.imul(h ^ (h >>> 15), 0x165667b1)
  return (h ^ (h >>> 13)) | 0
}

/**
 * The weights by their features' two hashes, open addressing. A slot is four 32-bit words side by side
 * (hash, second hash, weight, the pass that last counted it), so that a lookup reads one cache line: with
 * the fields in arrays of their own, each lookup of a reply's few hundred features missed the cache four
 * times over, and the models cost a loaded server about four times what they cost alone.
 */
class WeightTable {
  private readonly slots: Int32Array
  /** The same memory as slots, for the weights. */
  private readonly weights: Float32Array
  /** The current text's number: a slot keeps the number of the text that last counted it, so a feature counts once per text. */
  private pass = 0
  private readonly mask: number
  /** Masks a word offset into the table (its size in words, less one). */
  private readonly wrap: number

  constructor(weights: ReadonlyMap<string, number>) {
    let size = 16
    while (size < weights.size * 2) size *= 2
    const buffer = new ArrayBuffer(size * SLOT * 4)
    this.slots = new Int32Array(buffer)
    this.weights = new Float32Array(buffer)
    this.mask = size - 1
    this.wrap = size * SLOT - 1
    for (const [feature, weight] of weights) {
      const words = feature.split(' ')
      const hash = words.map((word) => wordHash(word)).reduce(joinHash)
      const hash2 = secondKey(words.map((word) => wordHash2(word)).reduce(joinHash2))
      let at = (hash & this.mask) * SLOT
      while (this.slots[at + 1] !== EMPTY && (this.slots[at] !== hash || this.slots[at + 1] !== hash2)) at = (at + SLOT) & this.wrap
      // Two features of both hashes (2^-63) would share the sum of their weights.
      this.weights[at + 2] = (this.weights[at + 2] ?? 0) + weight
      this.slots[at] = hash
      this.slots[at + 1] = hash2
    }
  }

  /** Starts a text: every feature may count again. */
  begin(): void {
    this.pass++
    if (this.pass > 0x7fffffff) {
      for (let at = 3; at < this.slots.length; at += SLOT) this.slots[at] = 0
      this.pass = 1
    }
  }

  /** The weight of a feature the first time the text has it; 0 after, and for a feature without one. */
  take(hash: number, hash2: number): number {
    const key2 = secondKey(hash2)
    for (let at = (hash & this.mask) * SLOT; ; at = (at + SLOT) & this.wrap) {
      const k2 = this.slots[at + 1] as number
      if (k2 === EMPTY) return 0
      if (this.slots[at] !== hash || k2 !== key2) continue
      if (this.slots[at + 3] === this.pass) return 0
      this.slots[at + 3] = this.pass
      return this.weights[at + 2] as number
    }
  }
}

/** 32-bit words per slot of WeightTable. */
const SLOT = 4
/** A slot whose second hash is 0 is empty: stored second hashes have their low bit set. */
const EMPTY = 0
const secondKey = (hash2: number): number => hash2 | 1

const tables = new WeakMap<TextModel, WeightTable>()

/** probability() over the words of a normalised text (one space between words), by hashes. */
function scoreWords(m: TextModel, text: string): number {
  let table = tables.get(m)
  if (table === undefined) tables.set(m, (table = new WeightTable(m.weights)))
  table.begin()
  let z = m.bias
  let prev1 = 0
  let prev2 = 0
  let prev1b = 0
  let prev2b = 0
  let count = 0
  let from = 0
  for (let i = 0; i <= text.length; i++) {
    if (i < text.length && text.charCodeAt(i) !== 0x20) continue
    if (i > from) {
      const h = wordHash(text, from, i)
      const hb = wordHash2(text, from, i)
      z += table.take(h, hb)
      if (count >= 1) {
        z += table.take(joinHash(prev1, h), joinHash2(prev1b, hb))
        if (count >= 2) z += table.take(joinHash(joinHash(prev2, prev1), h), joinHash2(joinHash2(prev2b, prev1b), hb))
      }
      prev2 = prev1
      prev1 = h
      prev2b = prev1b
      prev1b = hb
      count++
    }
    from = i + 1
  }
  return 1 / (1 + Math.exp(-z))
}

/** Which texts a model reads, by their normalised words. */
export type ReadingGate = (words: readonly string[]) => boolean

/** A model's place under the rules: what it reads, and the rule it acts as when a text reaches its threshold. */
export interface SecondNet {
  category: RuleCategory
  action: RuleAction
  detector: 'crisis_model' | 'sourcing_model'
  reads: ReadingGate
}

/** The model's probability for a text its gate lets through; null for one it does not read. `normalized` is normalize(text).text, when the caller has it. */
export function scoreText(m: TextModel, reads: ReadingGate, text: string, normalized?: string): number | null {
  const words = normalized ?? normalize(text).text
  const list = words === '' ? [] : words.split(' ')
  if (!reads(list)) return null
  return scoreWords(m, words)
}

/** The end of a sentence: `.`, `!` or `?` before a space or the end, or a line break. Not inside a word: `o.x.y.s` and `s!ck` are words disguised, which the normalisation reads whole. */
const SENTENCE_END = /[.!?]+(?=\s|$)|\n+/gu

/**
 * The text's score and its highest-scoring sentence when the score reaches the model's threshold;
 * otherwise null. Only a text found at the threshold is read sentence by sentence.
 */
export function detectWith(m: TextModel, reads: ReadingGate, text: string, normalized?: string): ModelMatch | null {
  const score = scoreText(m, reads, text, normalized)
  if (score === null || score < m.threshold) return null
  const sentences: Array<[number, number]> = []
  let from = 0
  for (const end of text.matchAll(SENTENCE_END)) {
    sentences.push([from, end.index])
    from = end.index + end[0].length
  }
  sentences.push([from, text.length])
  let best = { score: -1, start: 0, end: text.length }
  if (sentences.length > 1) {
    for (const [start, end] of sentences) {
      const sentence = normalize(text.slice(start, end)).text
      if (sentence === '') continue
      const s = scoreWords(m, sentence)
      if (s > best.score) best = { score: s, start, end }
    }
  }
  // The sentence without the spaces around it.
  let { start, end } = best
  while (start < end && /\s/u.test(text[start] as string)) start++
  while (end > start && /\s/u.test(text[end - 1] as string)) end--
  return { score, start, end }
}
