/**
 * `npm run bench [-- --only http,live,flagging] [-- --cpu-prof]`: every part of the bench in one run, each
 * figure side by side with its floor. Prints a table and writes bench/results.json.
 *
 * Database: DATABASE_URL, else TEST_DATABASE_URL, else PostgreSQL at 127.0.0.1:5432 if it answers, else
 * embedded PGlite (the floors then use PGlite too). A fresh database is created, prepared, seeded and
 * dropped at the end.
 */
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { runFlaggingBench } from './flagging.js'
import { runHttpBench } from './http.js'
import { runLiveBench } from './live.js'
import { type BenchDatabase, createBenchDatabase } from './lib/db.js'
import { type Figure, log, printFigures } from './lib/report.js'
import { seed, type SeedData } from './lib/seed.js'

const PARTS = ['flagging', 'http', 'live'] as const
type Part = (typeof PARTS)[number]

const USAGE = `usage: npm run bench [-- --only ${PARTS.join(',')}] [--quick] [--cpu-prof]
  --only      run only these parts (comma-separated)
  --quick     shorter runs, for a quick look (figures less steady)
  --cpu-prof  write CPU profiles of the server under test
Results print as a table and go to bench/results.json; see the README's Benchmarks section.`

function parseArgs(argv: string[]) {
  let only: Part[] = [...PARTS]
  let cpuProf = false
  let quick = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const value = arg.startsWith('--only=') ? arg.slice('--only='.length) : arg === '--only' ? argv[++i] : undefined
    if (value !== undefined) {
      const wanted = value.split(',').map((s) => s.trim()).filter(Boolean)
      const unknown = wanted.filter((w) => !(PARTS as readonly string[]).includes(w))
      if (unknown.length) throw new Error(`--only: unknown part(s) ${unknown.join(', ')}; parts are ${PARTS.join(', ')}`)
      only = wanted as Part[]
    } else if (arg === '--cpu-prof') cpuProf = true
    else if (arg === '--quick') quick = true
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE)
      process.exit(0)
    } else {
      console.error(`unknown argument ${arg}\n${USAGE}`)
      process.exit(64)
    }
  }
  return { only, cpuProf, quick }
}

const { only, cpuProf, quick } = parseArgs(process.argv.slice(2))
const started = Date.now()
// Other work on the machine skews every figure; the load average before and after is recorded with them.
const loadBefore = os.loadavg().map((l) => Number(l.toFixed(2)))
const figures: Figure[] = []
let flaggingRows: Array<Record<string, string | number>> = []
let database: BenchDatabase | null = null
let exitCode = 0

try {
  if (only.includes('flagging')) {
    log('flagging: runFlaggingBench()')
    flaggingRows = await runFlaggingBench()
  }
  let data: SeedData | null = null
  if (only.includes('http') || only.includes('live')) {
    database = await createBenchDatabase()
    log(`database: ${database.source}`)
    const seedStarted = Date.now()
    data = await seed(database)
    log(`seeded in ${Date.now() - seedStarted} ms`)
  }
  const profiles = cpuProf ? fileURLToPath(new URL('./profiles', import.meta.url)) : null
  if (only.includes('http') && database && data) {
    figures.push(...(await runHttpBench({ database, seed: data, cpuProfDir: profiles, ...(quick ? { durationSec: 3, warmupSec: 1 } : {}) })))
  }
  if (only.includes('live') && database && data) {
    figures.push(...(await runLiveBench({ database, seed: data, quick })))
  }
} catch (error) {
  exitCode = 1
  console.error(error)
} finally {
  await database?.drop().catch((error: unknown) => console.error('dropping the bench database failed:', error))
}

const cpus = os.cpus()
const machine = {
  cpu: cpus[0]?.model ?? 'unknown',
  cores: cpus.length,
  memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
  node: process.version,
  platform: `${os.platform()} ${os.release()}`,
  database: database ? { kind: database.kind, source: database.source } : null,
  loadAverage: { before: loadBefore, after: os.loadavg().map((l) => Number(l.toFixed(2))) }
}

console.log('')
console.log(`Lantern bench — ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, database ${machine.database ? `${machine.database.kind} (${machine.database.source})` : 'none'}`)
console.log(`load average (1, 5, 15 min) before ${machine.loadAverage.before.join(' ')}, after ${machine.loadAverage.after.join(' ')}${machine.loadAverage.before[0]! > 1 ? ' — other work was running on this machine; figures are noisy' : ''}`)
if (database?.kind === 'pglite') console.log('NOTE: no PostgreSQL was reachable; Lantern and the floors ran on embedded PGlite.')
if (flaggingRows.length) {
  console.log('\nflagging (bench/flagging.ts)')
  console.table(flaggingRows)
}
if (figures.length) {
  console.log('')
  printFigures(figures)
}
const results = {
  when: new Date().toISOString(),
  durationSec: Math.round((Date.now() - started) / 1000),
  parts: only,
  machine,
  flagging: flaggingRows,
  figures
}
writeFileSync(fileURLToPath(new URL('./results.json', import.meta.url)), `${JSON.stringify(results, null, 2)}\n`)
console.log(`\nwrote bench/results.json (${results.durationSec} s)`)
process.exit(exitCode)
