import type { FastifyInstance } from 'fastify'
import WebSocket from 'ws'

export type Message = { type: string; channel?: string; id?: string; event?: string; data?: Record<string, unknown>; code?: string; cursor?: string }

export async function liveUrl(app: FastifyInstance): Promise<string> {
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  return `${address.replace('http', 'ws')}/api/v1/live`
}

/** A real websocket client that records every message, for tests. */
export class LiveSocket {
  readonly messages: Message[] = []
  readonly closed: Promise<{ code: number; reason: string }>
  private waiters: Array<() => void> = []

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      this.messages.push(JSON.parse(raw.toString()) as Message)
      for (const wake of this.waiters.splice(0)) wake()
    })
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  }

  static open(url: string, options: { token?: string; headers?: Record<string, string> } = {}): Promise<LiveSocket> {
    const headers = { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers }
    const ws = new WebSocket(url, { headers })
    const socket = new LiveSocket(ws)
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(socket))
      ws.once('error', reject)
      ws.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)))
    })
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message))
  }

  /** Resolves with the first recorded message (from `from` on) that matches, or rejects after the timeout. */
  async waitFor(match: (m: Message) => boolean, timeoutMs = 3000, from = 0): Promise<Message> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.messages.slice(from).find(match)
      if (found) return found
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no matching message in ${timeoutMs} ms; got ${JSON.stringify(this.messages).slice(0, 800)}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  async subscribe(channel: string, since?: string): Promise<Message> {
    const from = this.messages.length
    this.send({ type: 'subscribe', channel, ...(since ? { since } : {}) })
    return this.waitFor((m) => (m.type === 'subscribed' || m.type === 'error') && m.channel === channel, 3000, from)
  }

  events(channel?: string): Message[] {
    return this.messages.filter((m) => m.type === 'event' && (!channel || m.channel === channel))
  }

  close(): void {
    this.ws.close()
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A stand-in for a database whose chosen reads answer late, as over a slow round trip: a `select` whose fields
 * `holds` picks runs at once, but its answer (or its prepared statement's) is given only after `release()`.
 * `answered` settles once such a read's real answer is in, so the read is known to have happened.
 */
export function holdReads<T extends object>(db: T, holds: (fields: object | undefined) => boolean) {
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  let answer!: () => void
  const answered = new Promise<void>((resolve) => (answer = resolve))
  type Thenable = { then(ok: (v: unknown) => unknown, ko?: (e: unknown) => unknown): Promise<unknown> }
  // Every object a held builder returns (the builder again, a prepared statement, its promise) is held too.
  const held = <O extends object>(o: O): O =>
    new Proxy(o, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown
        if (typeof value !== 'function') return value
        if (prop === 'then') {
          return (ok: (v: unknown) => unknown, ko?: (e: unknown) => unknown) =>
            (target as unknown as Thenable).then(async (v) => {
              answer()
              await gate
              return v
            }).then(ok, ko)
        }
        return (...args: unknown[]) => {
          const result = (value as (...a: unknown[]) => unknown).apply(target, args)
          return result && typeof result === 'object' ? held(result) : result
        }
      }
    })
  const select = (db as unknown as { select: (fields?: object) => object }).select.bind(db)
  const stand = new Proxy(db, {
    get(target, prop) {
      if (prop === 'select') return (fields?: object) => (holds(fields) ? held(select(fields)) : select(fields))
      const value = Reflect.get(target, prop, target) as unknown
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    }
  })
  return { db: stand, answered, release }
}

/**
 * A resume from the start of a channel (`since` 0) as `token`, until `count` of its events have come (of `about`, the
 * id of a post or a thread, when given): answers those.
 */
export async function replayFromStart(url: string, token: string, channel: string, count: number, about?: string): Promise<Message[]> {
  const s = await LiveSocket.open(url, { token })
  try {
    const subscribed = await s.subscribe(channel, '0')
    if (subscribed.type !== 'subscribed') throw new Error(`not subscribed to ${channel}: ${JSON.stringify(subscribed)}`)
    const mine = () => s.events(channel).filter((m) => about === undefined || m.data?.id === about)
    await s.waitFor(() => mine().length >= count)
    return mine()
  } finally {
    s.close()
  }
}
