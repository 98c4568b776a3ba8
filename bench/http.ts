/**
 * HTTP figures, each against its floor in the same run:
 *  - reading a thread page of 50 posts (GET /api/v1/threads/:id?limit=50, Bearer) at 100 connections,
 *    against a bare Fastify + pg handler running the same statements and returning the same bytes;
 *  - creating a reply (validation, sanitising, flagging with the default rules, transaction, outbox event,
 *    response) at 50 connections, spread over 100 accounts and 40 threads, against a bare handler that only
 *    INSERTs the post row.
 * Servers and the load generator (autocannon) each run in a process of their own.
 */
import type { BenchDatabase } from './lib/db.js'
import type { LoadResult, LoadSpec } from './lib/load.js'
import { benchFile, type Child, startChild } from './lib/proc.js'
import { type Figure, log, ratioOf } from './lib/report.js'
import type { SeedData } from './lib/seed.js'
import { round } from './lib/stats.js'
import { makeBodies } from './lib/text.js'

export interface HttpBenchOptions {
  database: BenchDatabase
  seed: SeedData
  /** Seconds per measured cell, and of the warm-up before it. */
  durationSec?: number
  warmupSec?: number
  /** Write a CPU profile of the Lantern server to this folder. */
  cpuProfDir?: string | null
}

const READ_CONNECTIONS = 100
const WRITE_CONNECTIONS = 50

function dbEnv(database: BenchDatabase): Record<string, string> {
  return database.url ? { BENCH_DB_URL: database.url } : { BENCH_DB_DIR: database.dataDir ?? '' }
}

async function startServer(script: string, database: BenchDatabase, nodeFlags: string[] = []): Promise<{ child: Child; base: string }> {
  const child = startChild(benchFile(script), { env: dbEnv(database), nodeFlags })
  const { port } = await child.next<{ port: number }>('ready', 60_000)
  return { child, base: `http://127.0.0.1:${port}` }
}

interface Cells {
  read: LoadResult
  write: LoadResult
  readBody: string
}

async function measure(load: Child, base: string, options: HttpBenchOptions, writeSpec: Omit<LoadSpec, 'url' | 'connections' | 'durationSec'>): Promise<Cells> {
  const { seed } = options
  const duration = options.durationSec ?? 10
  const warmup = options.warmupSec ?? 3
  const readPath = `/api/v1/threads/${seed.readThreadId}?limit=50`
  const check = await fetch(`${base}${readPath}`, { headers: { authorization: `Bearer ${seed.reader.token}` } })
  const readBody = await check.text()
  if (check.status !== 200) throw new Error(`thread page answered ${check.status}: ${readBody.slice(0, 200)}`)

  const readSpec: LoadSpec = { url: `${base}${readPath}`, connections: READ_CONNECTIONS, durationSec: warmup, method: 'GET', tokens: [seed.reader.token] }
  await load.request({ type: 'run', spec: readSpec })
  const read = await load.request<LoadResult>({ type: 'run', spec: { ...readSpec, durationSec: duration } })
  const write0: LoadSpec = { ...writeSpec, url: base, connections: WRITE_CONNECTIONS, durationSec: warmup }
  await load.request({ type: 'run', spec: write0 })
  const write = await load.request<LoadResult>({ type: 'run', spec: { ...write0, durationSec: duration } })
  return { read, write, readBody }
}

const describe = (r: LoadResult) =>
  `${round(r.rps, 0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.requests} requests, ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`

const problems = (r: LoadResult) =>
  r.non2xx + r.errors + r.timeouts > 0 ? `${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts` : undefined

export async function runHttpBench(options: HttpBenchOptions): Promise<Figure[]> {
  const { database, seed } = options
  const bodies = makeBodies(500, 99)
  const writeSpec = {
    method: 'POST' as const,
    tokens: seed.writers.map((w) => w.token),
    paths: seed.writeThreadIds.map((id) => `/api/v1/threads/${id}/posts`),
    bodies
  }
  const load = startChild(benchFile('load.ts'))
  let lantern: Cells
  let floor: Cells
  try {
    log('http: Lantern server')
    const flags = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : []
    const server = await startServer('lantern-server.ts', database, flags)
    try {
      lantern = await measure(load, server.base, options, writeSpec)
    } finally {
      await server.child.stop()
    }
    log(`http: Lantern read ${describe(lantern.read)}`)
    log(`http: Lantern write ${describe(lantern.write)}`)

    log('http: floor server (bare Fastify + pg)')
    const bare = await startServer('floor-http.ts', database)
    try {
      await bare.child.request({ type: 'authors', authors: Object.fromEntries(seed.writers.map((w) => [w.token, { id: w.id, handle: w.handle }])) })
      floor = await measure(load, bare.base, options, writeSpec)
    } finally {
      await bare.child.stop()
    }
    log(`http: floor read ${describe(floor.read)}`)
    log(`http: floor write ${describe(floor.write)}`)
  } finally {
    await load.stop()
  }

  const sameBytes = lantern.readBody === floor.readBody
  if (!sameBytes) log(`http: WARNING the floor's thread page differs from Lantern's (${floor.readBody.length} vs ${lantern.readBody.length} bytes)`)
  const readRatio = ratioOf(lantern.read.rps, floor.read.rps)
  const writeRatio = ratioOf(lantern.write.rps, floor.write.rps)
  const readNote = [
    `response ${lantern.readBody.length} bytes, ${sameBytes ? 'identical to the floor' : 'DIFFERS from the floor'}`,
    problems(lantern.read) && `Lantern: ${problems(lantern.read)}`,
    problems(floor.read) && `floor: ${problems(floor.read)}`
  ].filter(Boolean).join('; ')
  const writeNote = [problems(lantern.write) && `Lantern: ${problems(lantern.write)}`, problems(floor.write) && `floor: ${problems(floor.write)}`]
    .filter(Boolean)
    .join('; ')
  return [
    {
      part: 'http',
      figure: `read thread page of 50 posts @${READ_CONNECTIONS} conns`,
      unit: 'req/s',
      lantern: round(lantern.read.rps, 0),
      floor: round(floor.read.rps, 0),
      ratio: readRatio,
      target: '>= 0.70 of floor',
      met: readRatio !== null && readRatio >= 0.7 && sameBytes,
      note: readNote
    },
    {
      part: 'http',
      figure: `read thread page p99 @${READ_CONNECTIONS} conns`,
      unit: 'ms',
      lantern: lantern.read.p99,
      floor: floor.read.p99,
      ratio: ratioOf(lantern.read.p99, floor.read.p99),
      target: '-',
      met: null
    },
    {
      part: 'http',
      figure: `create reply @${WRITE_CONNECTIONS} conns`,
      unit: 'posts/s',
      lantern: round(lantern.write.rps, 0),
      floor: round(floor.write.rps, 0),
      ratio: writeRatio,
      target: '>= 0.50 of floor and >= 1,000/s',
      met: writeRatio !== null && writeRatio >= 0.5 && lantern.write.rps >= 1000 && lantern.write.non2xx === 0,
      ...(writeNote ? { note: writeNote } : {})
    },
    {
      part: 'http',
      figure: `create reply p99 @${WRITE_CONNECTIONS} conns`,
      unit: 'ms',
      lantern: lantern.write.p99,
      floor: floor.write.p99,
      ratio: ratioOf(lantern.write.p99, floor.write.p99),
      target: '-',
      met: null
    }
  ]
}
