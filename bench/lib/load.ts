/**
 * Child process: the load generator (autocannon), kept out of the servers' processes. Request `run` with
 * a plain-data spec; for writes, each request picks the next (token, thread, body) in rotation so the load
 * is spread over many accounts and threads. Answers with req/s and latency percentiles.
 */
import autocannon from 'autocannon'
import { type Message, serve } from './proc.js'

export interface LoadSpec {
  url: string
  connections: number
  durationSec: number
  method: 'GET' | 'POST'
  /** GET: one token for every request. POST: rotated. */
  tokens: string[]
  /** POST: paths rotated; GET: the url's path is used. */
  paths?: string[]
  bodies?: string[]
}

export interface LoadResult {
  rps: number
  p50: number
  p90: number
  p99: number
  requests: number
  non2xx: number
  errors: number
  timeouts: number
  bytesPerSec: number
}

function run(spec: LoadSpec): Promise<LoadResult> {
  const { tokens, paths = [], bodies = [] } = spec
  let turn = 0
  const options: autocannon.Options = {
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationSec,
    pipelining: 1,
    timeout: 10
  }
  if (spec.method === 'GET') {
    options.headers = { authorization: `Bearer ${tokens[0]}` }
  } else {
    options.requests = [
      {
        method: 'POST',
        setupRequest: (request) => {
          const i = turn++
          // Different strides so that account, thread and body combinations vary.
          const token = tokens[i % tokens.length]!
          const path = paths[(i * 7) % paths.length]!
          const body = bodies[(i * 13) % bodies.length]!
          return {
            ...request,
            method: 'POST',
            path,
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ body })
          }
        }
      }
    ]
  }
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => {
      if (error) return reject(error)
      resolve({
        rps: result.requests.average,
        p50: result.latency.p50,
        p90: result.latency.p90,
        p99: result.latency.p99,
        requests: result.requests.total,
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        bytesPerSec: result.throughput.average
      })
    })
  })
}

serve({ run: (message: Message) => run(message.spec as LoadSpec) })
