/**
 * Keyword-flagging throughput: Lantern's word automaton against a naive RegExp alternation and
 * the `obscenity` matcher, on the same phrases and the same forum-like text, at 50, 2,000 and
 * 20,000 rules. Run on its own with `npx tsx bench/flagging.ts`.
 *
 * Floors (from the issue): at 2,000 rules at least 10x the RegExp alternation; at 20,000 rules
 * within 2x of the throughput at 50 rules. The alternation does no normalisation at all, and V8
 * runs a literal alternation fast, so the first floor is reported rather than asserted; the
 * matches/MB column shows that the engines do not find the same things (obscenity's transformers
 * and Lantern's normalisation find evasions the alternation cannot). At 2,000 rules a reference row gives the
 * ceiling of any byte-at-a-time scanner here: a bare transition-table loop that matches nothing.
 */
import { DataSet, RegExpMatcher, englishRecommendedTransformers, parseRawPattern } from 'obscenity'
import { pathToFileURL } from 'node:url'
import { compileRules, loadDefaultRules, type FlagRule } from '../src/moderation/flagging/index.js'
import { prng } from './lib/text.js'

/** Long enough for the engines to reach steady state: Lantern's skimmer builds its states lazily and V8 optimises its scan loop only after a few hundred milliseconds of it. */
const WARMUP_MS = 1500
const MEASURE_MS = 1000
/** Each engine of each cell is measured this many times, all of them taking turns, and the median reported: one burst of load elsewhere on the machine then skews no single engine or cell. */
const ROUNDS = 5
/** Posts scanned between clock reads, so that reading the clock costs the fast engines no more than the slow. */
const CLOCK_EVERY = 8
const CORPUS_BYTES = 3 * 1024 * 1024
const RULE_COUNTS = [50, 2_000, 20_000] as const


const VOCABULARY = (
  'meeting sponsor sober clean day week month year craving family kids work job morning night coffee tea walk run gym ' +
  'group share story step program relapse recovery hope fear anger shame gratitude journal prayer therapist counselor ' +
  'doctor nurse clinic pharmacy prescription medication sleep dream phone call text friend mother father sister brother ' +
  'partner home house car bus train church basement chair circle chip token birthday milestone support list plan goal ' +
  'honest open willing patient kind strong tired hungry lonely angry calm anxious happy grateful proud scared hard easy ' +
  'today tomorrow yesterday always never sometimes often again still just really maybe because although while until'
).split(' ')

const TEMPLATES = [
  'I went to a {w} {w} this {w} and it helped.',
  'My {w} said the {w} gets easier with {w}.',
  'Day {n} and the {w} is still {w}, but I am {w}.',
  'Has anyone else felt {w} about the {w} after a {w}?',
  'I have {n} days clean and my {w} is {w}.',
  'Thank you all for the {w}, I could not do this {w} without you.',
  'The {w} {w} was {w} but I called my {w} instead of using.',
  'I wrote a {w} list and read it at the {w} {w}.'
]

function makeCorpus(random: () => number, size: number, plants: readonly string[]): string[] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T
  const posts: string[] = []
  let total = 0
  while (total < size) {
    const sentences: string[] = []
    const count = 3 + Math.floor(random() * 8)
    for (let s = 0; s < count; s++) {
      let sentence = pick(TEMPLATES).replace(/\{w\}/g, () => pick(VOCABULARY)).replace(/\{n\}/g, () => String(1 + Math.floor(random() * 400)))
      // About one sentence in twenty carries a phrase that some rule matches.
      if (random() < 0.05) sentence += ` Honestly ${pick(plants)} sometimes.`
      sentences.push(sentence)
    }
    const post = sentences.join(' ')
    posts.push(post)
    total += Buffer.byteLength(post)
  }
  return posts
}

const RULE_WORDS = (
  'blue river stone quiet hollow ember silver harbor cedar meadow north velvet copper willow bright shadow frost ' +
  'glass iron paper thunder candle orchard lemon marble needle pepper rocket saddle timber violet wander yellow ' +
  'anchor basket canyon dragon falcon garden hammer island jungle kettle ladder mirror nickel oyster pillow quartz'
).split(' ')

function makeRules(random: () => number, count: number): FlagRule[] {
  const literal = loadDefaultRules().filter((r) => !/[*{]/.test(r.pattern))
  const rules: FlagRule[] = literal.slice(0, count).map((r) => ({ id: r.key, pattern: r.pattern, category: r.category, action: r.action }))
  const seen = new Set(rules.map((r) => r.pattern))
  while (rules.length < count) {
    const length = 1 + Math.floor(random() * 4)
    const phrase = Array.from({ length }, () => RULE_WORDS[Math.floor(random() * RULE_WORDS.length)] ?? 'x').join(' ')
    if (seen.has(phrase)) continue
    seen.add(phrase)
    rules.push({ id: `generated-${rules.length}`, pattern: phrase, category: 'custom', action: 'flag' })
  }
  return rules
}

type Scanner = (post: string) => number

/** Scans posts round-robin, from the first, for at least `ms`; returns MB/s and matches found per MB. */
function measure(scan: Scanner, posts: readonly string[], bytes: readonly number[], ms: number): { mbps: number; perMb: number } {
  let scanned = 0
  let matches = 0
  let i = 0
  const started = performance.now()
  let elapsed = 0
  while (elapsed < ms) {
    for (let k = 0; k < CLOCK_EVERY; k++) {
      const at = i++ % posts.length
      matches += scan(posts[at] as string)
      scanned += bytes[at] as number
    }
    elapsed = performance.now() - started
  }
  const mb = scanned / (1024 * 1024)
  return { mbps: mb / (elapsed / 1000), perMb: matches / mb }
}

/**
 * The ceiling of a byte-at-a-time scanner in JavaScript on this machine, for reference: the post encoded to
 * bytes, then one byte-class load and one dependent load from a small transition table per byte, with no
 * stops and nothing found. Lantern's skimming loop has this shape (src/moderation/flagging/ascii.ts skimRun).
 */
function byteLoopCeiling(): Scanner {
  const buffer = new Uint8Array(64 * 1024)
  const encoder = new TextEncoder()
  const byteClass = new Uint8Array(256).map((_, c) => (c >= 97 && c <= 122 ? c - 96 : c >= 65 && c <= 90 ? c - 64 : c === 32 ? 27 : 28))
  const table = new Int32Array(64 * 32).map((_, i) => ((i * 7919) % 64) * 32)
  return (post) => {
    const n = encoder.encodeInto(post, buffer).written
    let s = 0
    for (let i = 0; i < n; i++) {
      s = table[s + (byteClass[buffer[i] as number] as number)] as number
      if (s < 0) return 1
    }
    return 0
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

export async function runFlaggingBench(): Promise<Array<Record<string, string | number>>> {
  const random = prng(20240611)
  const plantRules = makeRules(prng(7), 60)
  const posts = makeCorpus(random, CORPUS_BYTES, plantRules.map((r) => r.pattern))
  const bytes = posts.map((p) => Buffer.byteLength(p))
  const rows: Array<Record<string, string | number>> = []

  // Every engine of every cell is built first, then all take turns in each round, the two sides of each ratio
  // back to back (Lantern at 50 and at 20,000 rules; Lantern, the alternation and the reference loop at 2,000),
  // and each ratio is the median of its rounds' ratios: a slow spell of the machine (frequent on shared virtual
  // machines) then falls on both sides of a ratio, not on one side's every turn.
  const cells = RULE_COUNTS.map((count) => {
    const rules = makeRules(prng(count), count)
    const phrases = rules.map((r) => r.pattern)

    const compileStarted = performance.now()
    const lantern = compileRules(rules)
    const compileMs = performance.now() - compileStarted

    const alternation = new RegExp('\\b(?:' + phrases.map(escapeRegExp).join('|') + ')\\b', 'gi')
    const dataset = new DataSet<{ phrase: string }>()
    for (const phrase of phrases) dataset.addPhrase((p) => p.setMetadata({ phrase }).addPattern(parseRawPattern(`|${phrase}|`)))
    const obscenity = new RegExpMatcher({ ...dataset.build(), ...englishRecommendedTransformers })

    const engines: Array<[string, Scanner]> = [
      ['lantern', (post) => lantern.scan(post).length],
      ['regexp alternation', (post) => post.match(alternation)?.length ?? 0],
      ['obscenity', (post) => obscenity.getAllMatches(post).length],
      ...(count === 2_000 ? [['reference: byte loop, no matching', byteLoopCeiling()] as [string, Scanner]] : [])
    ]
    return { count, compileMs, engines, results: engines.map(() => [] as Array<{ mbps: number; perMb: number }>) }
  })
  // The order of a round: the pairs that make the ratios first, each side beside the other, then the rest.
  const FIRST = ['lantern@50', 'lantern@20000', 'lantern@2000', 'regexp alternation@2000', 'reference: byte loop, no matching@2000']
  const slots = cells.flatMap((cell) => cell.engines.map(([engine, scan], e) => ({ key: `${engine}@${cell.count}`, scan, results: cell.results[e] ?? [] })))
  const rank = (key: string) => (FIRST.includes(key) ? FIRST.indexOf(key) : FIRST.length)
  slots.sort((a, b) => rank(a.key) - rank(b.key))
  for (const { scan } of slots) measure(scan, posts, bytes, WARMUP_MS)
  for (let round = 0; round < ROUNDS; round++) for (const { scan, results } of slots) results.push(measure(scan, posts, bytes, MEASURE_MS))
  const byKey = new Map(slots.map((slot) => [slot.key, slot.results]))
  /** The median over rounds of one engine's MB/s over another's, each round's pair measured back to back. */
  const ratio = (top: string, bottom: string): number => {
    const a = byKey.get(top) ?? []
    const b = byKey.get(bottom) ?? []
    const ratios = a.map((r, i) => r.mbps / (b[i]?.mbps ?? NaN)).sort((x, y) => x - y)
    return ratios[Math.floor(ratios.length / 2)] ?? NaN
  }
  for (const { count, compileMs, engines, results } of cells) {
    for (const [e, [engine]] of engines.entries()) {
      const sorted = [...(results[e] ?? [])].sort((a, b) => a.mbps - b.mbps)
      const { mbps, perMb } = sorted[Math.floor(sorted.length / 2)] ?? { mbps: NaN, perMb: NaN }
      rows.push({
        rules: count,
        engine,
        'MB/s': Number(mbps.toFixed(2)),
        'matches/MB': engine.startsWith('reference') ? '-' : Math.round(perMb),
        'compile ms': engine === 'lantern' ? Number(compileMs.toFixed(1)) : '-'
      })
    }
  }
  rows.push({
    rules: 2_000,
    engine: 'lantern / regexp alternation (floor 10x)',
    'MB/s': Number(ratio('lantern@2000', 'regexp alternation@2000').toFixed(1)),
    'matches/MB': '-',
    'compile ms': '-'
  })
  rows.push({
    rules: 2_000,
    engine: 'reference byte loop / regexp alternation',
    'MB/s': Number(ratio('reference: byte loop, no matching@2000', 'regexp alternation@2000').toFixed(1)),
    'matches/MB': '-',
    'compile ms': '-'
  })
  rows.push({
    rules: 20_000,
    engine: 'lantern at 20,000 / at 50 (floor 0.5)',
    'MB/s': Number(ratio('lantern@20000', 'lantern@50').toFixed(2)),
    'matches/MB': '-',
    'compile ms': '-'
  })
  return rows
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.table(await runFlaggingBench())
}
