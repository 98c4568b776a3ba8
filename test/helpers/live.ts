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
