/**
 * Child process: a share of the live bench's websocket clients. Several of these run side by side so that
 * 10,000 sockets are not read by one event loop. Every receipt time is read from the machine-wide wall clock
 * (`performance.timeOrigin + performance.now()`, microsecond resolution) the moment the message arrives,
 * before it is parsed, so the parent can subtract the time it took just before triggering the post.
 *
 * Requests:
 *  - connect {url, count, tokens, channel|null}: opens `count` sockets (Bearer header rotated over `tokens`);
 *    with a channel, subscribes each to it and waits for `subscribed`.
 *  - arm: the next event each socket receives is timed.
 *  - wait {timeoutMs}: resolves when every socket got one, with the receipt times and a sample frame.
 *  - close: closes every socket.
 */
import WebSocket from 'ws'
import { type Message, serve } from './proc.js'
import { wallMs } from './stats.js'

let sockets: WebSocket[] = []
let times = new Float64Array(0)
let received = 0
let armed = false
let sample: string | null = null
let onAll: (() => void) | null = null

function record(index: number, at: number, raw: WebSocket.RawData) {
  if (!armed || !Number.isNaN(times[index])) return
  const text = raw.toString()
  const message = JSON.parse(text) as { type?: string; event?: string }
  if (message.type !== 'event' || message.event !== 'post.created') return
  times[index] = at
  sample ??= text
  if (++received === sockets.length) onAll?.()
}

function open(url: string, token: string, channel: string | null, index: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false })
    const fail = (error: Error) => reject(error)
    ws.once('error', fail)
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)))
    ws.on('message', (raw) => {
      const at = wallMs()
      if (armed) return record(index, at, raw)
      if (channel) {
        const message = JSON.parse(raw.toString()) as { type?: string; channel?: string; code?: string }
        if (message.type === 'subscribed' && message.channel === channel) resolve(ws)
        else if (message.type === 'error') reject(new Error(`subscribe refused: ${message.code}`))
      }
    })
    ws.once('open', () => {
      ws.off('error', fail)
      ws.on('error', () => {})
      if (channel) ws.send(JSON.stringify({ type: 'subscribe', channel }))
      else resolve(ws)
    })
  })
}

async function connect(message: Message) {
  const { url, count, tokens, channel } = message as unknown as { url: string; count: number; tokens: string[]; channel: string | null }
  const started = performance.now()
  const opened: WebSocket[] = new Array(count)
  let next = 0
  // At most 100 handshakes in flight per process: the server's accept backlog is not what is measured.
  const worker = async () => {
    while (next < count) {
      const i = next++
      opened[i] = await open(url, tokens[i % tokens.length]!, channel, sockets.length + i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(100, count) }, worker))
  sockets = sockets.concat(opened)
  times = new Float64Array(sockets.length).fill(NaN)
  return { connected: sockets.length, ms: Math.round(performance.now() - started) }
}

serve({
  connect,
  arm: () => {
    times = new Float64Array(sockets.length).fill(NaN)
    received = 0
    sample = null
    armed = true
    return true
  },
  wait: async (message: Message) => {
    const timeoutMs = Number(message.timeoutMs ?? 30_000)
    if (received < sockets.length) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs)
        onAll = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
    onAll = null
    armed = false
    return { times: Array.from(times), missing: sockets.length - received, sample }
  },
  close: async () => {
    armed = false
    const closing = sockets.map((ws) => new Promise<void>((resolve) => {
      if (ws.readyState === WebSocket.CLOSED) return resolve()
      ws.once('close', () => resolve())
      ws.close()
      setTimeout(() => {
        ws.terminate()
        resolve()
      }, 5000).unref()
    }))
    await Promise.all(closing)
    sockets = []
    times = new Float64Array(0)
    return true
  }
})
