/**
 * Live fan-out: one post delivered to N = 1,000 and 10,000 sockets subscribed to one thread on one Lantern
 * instance, against a bare `ws` broadcast of the same frame to the same number of sockets.
 *
 *  - Delivery latency: from just before the trigger (Lantern: the REST call that creates the reply, so the
 *    figure includes the write, its commit, NOTIFY, the outbox read and the fan-out; floor: the HTTP call that
 *    makes the bare server broadcast) to each socket's receipt, on the machine-wide wall clock. p50/p99 over
 *    every socket of 8 measured posts (after one warm-up post).
 *  - Memory per idle socket: the server's heap + external (and RSS) after a full GC, before and after the N
 *    authenticated, subscribed, idle sockets connect, divided by N. Servers run with --expose-gc.
 *
 * Servers and clients each run in their own processes: 4 client processes share the sockets, so no single
 * event loop reads 10,000 of them. Sockets share a few accounts' session tokens (Bearer on the upgrade).
 */
import type { BenchDatabase } from './lib/db.js'
import { benchFile, type Child, startChild } from './lib/proc.js'
import { type Figure, log, ratioOf } from './lib/report.js'
import type { SeedData } from './lib/seed.js'
import { percentile, round, sleep, sortNumbers, wallMs } from './lib/stats.js'
import { makeBodies } from './lib/text.js'

export interface LiveBenchOptions {
  database: BenchDatabase
  seed: SeedData
  quick?: boolean
}

const CLIENT_PROCESSES = 4
const WARMUP_SOCKETS = 200
const MEASURED_ROUNDS = 8

type Memory = { heapUsed: number; external: number; rss: number; sockets: number }

interface Target {
  name: 'lantern' | 'floor'
  server: Child
  wsUrl: string
  channel: string | null
  /** Sends one message to every subscriber; returns once the trigger was answered. */
  trigger(round: number): Promise<void>
}

interface Measured {
  p50: number
  p99: number
  max: number
  missing: number
  heapPerSocket: number
  rssPerSocket: number
  connectMs: number
  frameBytes: number
  sample: string | null
  /** p99 of each measured post, to tell one slow round (a GC, a timer) from a slow fan-out. */
  roundP99s: number[]
}

const round2 = (v: number) => round(v, 1)

async function fanOut(target: Target, clients: Child[], n: number, tokens: string[], rounds: number): Promise<Measured> {
  const share = (i: number) => Math.floor(n / clients.length) + (i < n % clients.length ? 1 : 0)

  // Warm-up: the connect, subscribe and send paths run (and are compiled) before the baseline is taken.
  await clients[0]!.request({ type: 'connect', url: target.wsUrl, count: WARMUP_SOCKETS, tokens, channel: target.channel })
  await clients[0]!.request({ type: 'arm' })
  await target.trigger(-1)
  await clients[0]!.request({ type: 'wait', timeoutMs: 10_000 })
  await clients[0]!.request({ type: 'close' })
  await sleep(500)

  const before = await target.server.request<Memory>({ type: 'memory' })
  const connectStarted = performance.now()
  await Promise.all(
    clients.map((c, i) => c.request({ type: 'connect', url: target.wsUrl, count: share(i), tokens, channel: target.channel }, 180_000))
  )
  const connectMs = performance.now() - connectStarted
  await sleep(300)
  const after = await target.server.request<Memory>({ type: 'memory' })
  if (after.sockets !== n) log(`live: ${target.name} server counts ${after.sockets} sockets, expected ${n}`)

  const latencies: number[] = []
  let missing = 0
  let sample: string | null = null
  const roundP99s: number[] = []
  for (let round = 0; round <= rounds; round++) {
    await Promise.all(clients.map((c) => c.request({ type: 'arm' })))
    const t0 = wallMs()
    await target.trigger(round)
    const results = await Promise.all(
      clients.map((c) => c.request<{ times: number[]; missing: number; sample: string | null }>({ type: 'wait', timeoutMs: 30_000 }, 60_000))
    )
    if (round === 0) continue // warm-up post
    const thisRound: number[] = []
    for (const r of results) {
      missing += r.missing
      sample ??= r.sample
      for (const t of r.times) if (!Number.isNaN(t)) thisRound.push(t - t0)
    }
    roundP99s.push(round2(percentile(sortNumbers(thisRound), 99)))
    for (const l of thisRound) latencies.push(l)
    await sleep(100)
  }
  await Promise.all(clients.map((c) => c.request({ type: 'close' }, 60_000)))

  const sorted = sortNumbers(latencies)
  const heap = (m: Memory) => m.heapUsed + m.external
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    missing,
    heapPerSocket: (heap(after) - heap(before)) / n,
    rssPerSocket: (after.rss - before.rss) / n,
    connectMs,
    frameBytes: sample ? Buffer.byteLength(sample) : 0,
    sample,
    roundP99s
  }
}

async function startServer(script: string, database: BenchDatabase): Promise<{ child: Child; port: number }> {
  const env: Record<string, string> = database.url ? { BENCH_DB_URL: database.url } : { BENCH_DB_DIR: database.dataDir ?? '' }
  const child = startChild(benchFile(script), { gc: true, env })
  const { port } = await child.next<{ port: number }>('ready', 60_000)
  return { child, port }
}

export async function runLiveBench(options: LiveBenchOptions): Promise<Figure[]> {
  const { database, seed } = options
  const sizes = options.quick ? [1000] : [1000, 10_000]
  const rounds = options.quick ? 3 : MEASURED_ROUNDS
  const tokens = seed.liveAccounts.map((a) => a.token)
  const bodies = makeBodies(40, 1234)
  const channel = `thread:${seed.liveThreadId}`
  const clients = Array.from({ length: CLIENT_PROCESSES }, () => startChild(benchFile('ws-clients.ts')))
  const figures: Figure[] = []
  try {
    for (const n of sizes) {
      // Lantern first: its delivered frame is the payload the floor broadcasts.
      log(`live: Lantern, ${n.toLocaleString('en-US')} sockets`)
      const lanternServer = await startServer('lantern-server.ts', database)
      let lantern: Measured
      try {
        const base = `http://127.0.0.1:${lanternServer.port}`
        lantern = await fanOut(
          {
            name: 'lantern',
            server: lanternServer.child,
            wsUrl: `ws://127.0.0.1:${lanternServer.port}/api/v1/live`,
            channel,
            async trigger(round) {
              const res = await fetch(`${base}/api/v1/threads/${seed.liveThreadId}/posts`, {
                method: 'POST',
                headers: { authorization: `Bearer ${seed.livePoster.token}`, 'content-type': 'application/json' },
                body: JSON.stringify({ body: bodies[(round + 1) % bodies.length] })
              })
              if (res.status !== 201) throw new Error(`live post answered ${res.status}: ${await res.text()}`)
              await res.arrayBuffer()
            }
          },
          clients,
          n,
          tokens,
          rounds
        )
      } finally {
        await lanternServer.child.stop()
      }
      log(`live: Lantern ${n}: p50 ${round(lantern.p50, 2)} ms, p99 ${round(lantern.p99, 2)} ms, max ${round(lantern.max, 1)} ms, ${lantern.missing} missing, ${round(lantern.heapPerSocket, 0)} B heap+external/socket, ${round(lantern.rssPerSocket, 0)} B RSS/socket, connected in ${round(lantern.connectMs, 0)} ms; p99 per post ${lantern.roundP99s.join(', ')}`)

      log(`live: bare ws broadcast, ${n.toLocaleString('en-US')} sockets`)
      const payload = lantern.sample ?? JSON.stringify({ type: 'event', channel, id: '1', event: 'post.created', data: { bodyHtml: bodies[0] } })
      const floorServer = await startServer('floor-ws.ts', database)
      let floor: Measured
      try {
        floor = await fanOut(
          {
            name: 'floor',
            server: floorServer.child,
            wsUrl: `ws://127.0.0.1:${floorServer.port}/`,
            channel: null,
            async trigger() {
              const res = await fetch(`http://127.0.0.1:${floorServer.port}/broadcast`, { method: 'POST', body: payload })
              if (res.status !== 204) throw new Error(`broadcast answered ${res.status}`)
              await res.arrayBuffer()
            }
          },
          clients,
          n,
          tokens,
          rounds
        )
      } finally {
        await floorServer.child.stop()
      }
      log(`live: floor ${n}: p50 ${round(floor.p50, 2)} ms, p99 ${round(floor.p99, 2)} ms, max ${round(floor.max, 1)} ms, ${floor.missing} missing, ${round(floor.heapPerSocket, 0)} B heap+external/socket, ${round(floor.rssPerSocket, 0)} B RSS/socket; p99 per post ${floor.roundP99s.join(', ')}`)

      const label = n.toLocaleString('en-US')
      const p99Ratio = ratioOf(lantern.p99, floor.p99)
      const delivered = `${lantern.missing} of ${(n * rounds).toLocaleString('en-US')} deliveries missing (floor ${floor.missing}); frame ${lantern.frameBytes} bytes`
      figures.push(
        {
          part: 'live',
          figure: `fan-out p50 to ${label} sockets`,
          unit: 'ms',
          lantern: round(lantern.p50, 2),
          floor: round(floor.p50, 2),
          ratio: ratioOf(lantern.p50, floor.p50),
          target: '-',
          met: null
        },
        {
          part: 'live',
          figure: `fan-out p99 to ${label} sockets`,
          unit: 'ms',
          lantern: round(lantern.p99, 2),
          floor: round(floor.p99, 2),
          ratio: p99Ratio,
          target: '<= 2x floor',
          met: p99Ratio !== null && p99Ratio <= 2 && lantern.missing === 0,
          note: `${delivered}; p99 per post: Lantern ${lantern.roundP99s.join(', ')}; floor ${floor.roundP99s.join(', ')}`
        },
        {
          part: 'live',
          figure: `memory per idle socket, heap+external (${label})`,
          unit: 'bytes',
          lantern: round(lantern.heapPerSocket, 0),
          floor: round(floor.heapPerSocket, 0),
          ratio: ratioOf(lantern.heapPerSocket, floor.heapPerSocket),
          target: '< 4,096 B',
          met: lantern.heapPerSocket < 4096
        },
        {
          part: 'live',
          figure: `memory per idle socket, RSS (${label})`,
          unit: 'bytes',
          lantern: round(lantern.rssPerSocket, 0),
          floor: round(floor.rssPerSocket, 0),
          ratio: ratioOf(lantern.rssPerSocket, floor.rssPerSocket),
          target: '-',
          met: null
        }
      )
    }
  } finally {
    await Promise.all(clients.map((c) => c.stop()))
  }
  return figures
}
