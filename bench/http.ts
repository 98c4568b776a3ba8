/**
 * HTTP figures, each against its floor in the same run:
 *  - reading a thread page of 50 posts (GET /api/v1/threads/:id?limit=50, Bearer) at 100 connections,
 *    against a bare Fastify + pg handler running the same statements and returning the same bytes;
 *  - creating a reply (validation, sanitising, flagging with the default rules, transaction, outbox event,
 *    response) at 50 connections, spread over 100 accounts and 40 threads, against a bare handler that only
 *    INSERTs the post row; and, for comparison only, against a floor that also looks the session up first
 *    (the issue's floor is the first).
 * Each cell runs ~10 s after a warm-up, twice per side, Lantern and the floor taking turns; figures are the
 * averages. Servers and the load generator (autocannon) each run in a process of their own.
 */
import type { BenchDatabase } from './lib/db.js'
import type { LoadResult, LoadSpec } from './lib/load.js'
import { benchFile, type Child, startChild } from './lib/proc.js'
import { type Figure, log, ratioOf } from './lib/report.js'
import type { SeedData } from './lib/seed.js'
import { postgresCpu, postgresCpuBetween, round, sleep } from './lib/stats.js'
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

/** Each cell is measured this many times, Lantern and the floor taking turns (L F L F), and averaged: a burst of other work on the machine then skews neither side alone. */
const TURNS = 2

type Cell = 'read' | 'write'
type Side = 'lantern' | 'floor' | 'sessionFloor'
const SIDE_NAMES: Record<Side, string> = {
  lantern: 'Lantern',
  floor: 'floor (bare Fastify + pg)',
  sessionFloor: 'floor with a session check'
}
/** The session-checked floor is measured for replies only: the read floor checks the session already. */
const sidesOf = (cell: Cell): Side[] => (cell === 'write' ? ['lantern', 'floor', 'sessionFloor'] : ['lantern', 'floor'])

/**
 * A load run with the CPU time (user + system) per request of the server process and, when PostgreSQL runs
 * on this machine, of its server processes (PGlite runs inside the server process, so it is in the first).
 */
/** What a bench server reports of itself: its CPU time and the statements it sent. */
type ServerCounters = NodeJS.CpuUsage & { queries: number }
type Measured = LoadResult & { cpuUsPerRequest: number; dbCpuUsPerRequest: number | null; queriesPerRequest: number }

function average(results: Measured[]): Measured {
  const mean = (pick: (r: Measured) => number) => results.reduce((sum, r) => sum + pick(r), 0) / results.length
  const sum = (pick: (r: LoadResult) => number) => results.reduce((total, r) => total + pick(r), 0)
  return {
    rps: mean((r) => r.rps),
    p50: mean((r) => r.p50),
    p90: mean((r) => r.p90),
    p99: mean((r) => r.p99),
    requests: sum((r) => r.requests),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    bytesPerSec: mean((r) => r.bytesPerSec),
    cpuUsPerRequest: mean((r) => r.cpuUsPerRequest),
    dbCpuUsPerRequest: results.every((r) => r.dbCpuUsPerRequest !== null) ? mean((r) => r.dbCpuUsPerRequest ?? 0) : null,
    queriesPerRequest: mean((r) => r.queriesPerRequest)
  }
}

async function readPage(base: string, seed: SeedData): Promise<string> {
  const res = await fetch(`${base}/api/v1/threads/${seed.readThreadId}?limit=50`, { headers: { authorization: `Bearer ${seed.reader.token}` } })
  const body = await res.text()
  if (res.status !== 200) throw new Error(`thread page answered ${res.status}: ${body.slice(0, 200)}`)
  return body
}

const describe = (r: Measured) =>
  `${round(r.rps, 0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, server CPU ${round(r.cpuUsPerRequest, 0)} µs/request${r.dbCpuUsPerRequest === null ? '' : `, database CPU ${round(r.dbCpuUsPerRequest, 0)} µs/request`}, ${round(r.queriesPerRequest, 2)} statements/request, ${r.requests} requests, ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`

const problems = (r: LoadResult) =>
  r.non2xx + r.errors + r.timeouts > 0 ? `${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts` : undefined

export async function runHttpBench(options: HttpBenchOptions): Promise<Figure[]> {
  const { database, seed } = options
  const duration = options.durationSec ?? 10
  const warmup = options.warmupSec ?? 3
  const bodies = makeBodies(500, 99)
  const specFor = (cell: Cell, base: string, durationSec: number, prefix = ''): LoadSpec =>
    cell === 'read'
      ? {
          url: `${base}/api/v1/threads/${seed.readThreadId}?limit=50`,
          connections: READ_CONNECTIONS,
          durationSec,
          method: 'GET',
          tokens: [seed.reader.token]
        }
      : {
          url: base,
          connections: WRITE_CONNECTIONS,
          durationSec,
          method: 'POST',
          tokens: seed.writers.map((w) => w.token),
          paths: seed.writeThreadIds.map((id) => `${prefix}/api/v1/threads/${id}/posts`),
          bodies
        }

  // BENCH_HTTP_CELLS=write (or read) measures one cell only, e.g. to profile it with --cpu-prof.
  const cells = (['read', 'write'] as const).filter((c) => !process.env.BENCH_HTTP_CELLS || process.env.BENCH_HTTP_CELLS.split(',').includes(c))
  // Only a PostgreSQL on this machine has server processes to read the CPU time of.
  const localDatabase = database.url !== null && ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(database.url).hostname)
  const load = startChild(benchFile('load.ts'))
  const results: Record<Side, Record<Cell, Measured[]>> = {
    lantern: { read: [], write: [] },
    floor: { read: [], write: [] },
    sessionFloor: { read: [], write: [] }
  }
  let lanternBody: string
  let floorBody: string
  const servers: Child[] = []
  try {
    // Both servers are up at once (the idle one costs nothing) so that their cells can take turns.
    const flags = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : []
    const lantern = await startServer('lantern-server.ts', database, flags)
    servers.push(lantern.child)
    const bare = await startServer('floor-http.ts', database)
    servers.push(bare.child)
    await bare.child.request({ type: 'authors', authors: Object.fromEntries(seed.writers.map((w) => [w.token, { id: w.id, handle: w.handle }])) })
    lanternBody = await readPage(lantern.base, seed)
    floorBody = await readPage(bare.base, seed)
    const bases: Record<Side, string> = { lantern: lantern.base, floor: bare.base, sessionFloor: bare.base }
    const specOf = (cell: Cell, side: Side, durationSec: number) =>
      specFor(cell, bases[side], durationSec, side === 'sessionFloor' ? '/session-checked' : '')
    for (const cell of cells) {
      for (const side of sidesOf(cell)) {
        log(`http: ${cell}, ${side} warm-up`)
        await load.request({ type: 'run', spec: specOf(cell, side, warmup) })
      }
      for (let turn = 0; turn < TURNS; turn++) {
        for (const side of sidesOf(cell)) {
          const server = side === 'lantern' ? lantern.child : bare.child
          const cpuBefore = await server.request<ServerCounters>({ type: 'cpu' })
          const dbBefore = localDatabase ? postgresCpu() : null
          const result = await load.request<LoadResult>({ type: 'run', spec: specOf(cell, side, duration) })
          const dbAfter = localDatabase ? postgresCpu() : null
          const cpuAfter = await server.request<ServerCounters>({ type: 'cpu' })
          const cpuUs = cpuAfter.user - cpuBefore.user + cpuAfter.system - cpuBefore.system
          const perRequest = (us: number) => (result.requests > 0 ? us / result.requests : 0)
          const dbUs = postgresCpuBetween(dbBefore, dbAfter)
          const measured: Measured = {
            ...result,
            cpuUsPerRequest: perRequest(cpuUs),
            dbCpuUsPerRequest: dbUs === null ? null : perRequest(dbUs),
            queriesPerRequest: perRequest(cpuAfter.queries - cpuBefore.queries)
          }
          log(`http: ${cell}, ${SIDE_NAMES[side]}: ${describe(measured)}`)
          results[side][cell].push(measured)
        }
      }
    }
    // Let the last requests finish before the servers close their pools.
    await sleep(1000)
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
    await load.stop()
  }
  const lantern = { read: average(results.lantern.read), write: average(results.lantern.write), readBody: lanternBody }
  const floor = { read: average(results.floor.read), write: average(results.floor.write), readBody: floorBody }
  const sessionFloor = results.sessionFloor.write.length ? average(results.sessionFloor.write) : null

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
    ...(sessionFloor
      ? [
          {
            part: 'http',
            // Not the issue's floor (the row above): the least any real reply needs, a session lookup and the INSERT.
            figure: `create reply @${WRITE_CONNECTIONS} conns, against a floor that checks the session too`,
            unit: 'posts/s',
            lantern: round(lantern.write.rps, 0),
            floor: round(sessionFloor.rps, 0),
            ratio: ratioOf(lantern.write.rps, sessionFloor.rps),
            target: '-',
            met: null,
            ...(problems(sessionFloor) ? { note: `floor with a session check: ${problems(sessionFloor)}` } : {})
          }
        ]
      : []),
    {
      part: 'http',
      figure: `create reply p99 @${WRITE_CONNECTIONS} conns`,
      unit: 'ms',
      lantern: lantern.write.p99,
      floor: floor.write.p99,
      ratio: ratioOf(lantern.write.p99, floor.write.p99),
      target: '-',
      met: null
    },
    ...(['read', 'write'] as const).map((cell) => ({
      part: 'http',
      // Less sensitive than req/s to what else the 2 cores run: where the server's time goes.
      figure: `server CPU per ${cell === 'read' ? 'thread page' : 'reply'}`,
      unit: 'µs',
      lantern: round(lantern[cell].cpuUsPerRequest, 0),
      floor: round(floor[cell].cpuUsPerRequest, 0),
      ratio: ratioOf(lantern[cell].cpuUsPerRequest, floor[cell].cpuUsPerRequest),
      target: '-',
      met: null
    })),
    ...(['read', 'write'] as const).map((cell) => ({
      part: 'http',
      // Every statement is a round trip to PostgreSQL: on a busy machine the count says more than the SQL.
      figure: 'database statements',
      unit: `per ${cell === 'read' ? 'thread page' : 'reply'}`,
      lantern: round(lantern[cell].queriesPerRequest, 2),
      floor: round(floor[cell].queriesPerRequest, 2),
      ratio: ratioOf(lantern[cell].queriesPerRequest, floor[cell].queriesPerRequest),
      target: '-',
      met: null
    })),
    ...(lantern.write.dbCpuUsPerRequest === null || floor.write.dbCpuUsPerRequest === null
      ? []
      : (['read', 'write'] as const).map((cell) => ({
          part: 'http',
          figure: `database CPU per ${cell === 'read' ? 'thread page' : 'reply'}`,
          unit: 'µs',
          lantern: round(lantern[cell].dbCpuUsPerRequest ?? NaN, 0),
          floor: round(floor[cell].dbCpuUsPerRequest ?? NaN, 0),
          ratio: ratioOf(lantern[cell].dbCpuUsPerRequest ?? NaN, floor[cell].dbCpuUsPerRequest ?? NaN),
          target: '-',
          met: null
        })))
  ]
}
