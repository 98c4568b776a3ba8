/**
 * Child process: the live floor. A plain `ws` WebSocketServer (same maxPayload as Lantern, no compression)
 * that accepts any connection and, on POST /broadcast, sends the request body as one text frame to every
 * client, then answers 204. Announces `{type: 'ready', port}`; requests: `memory`, `heapSnapshot {file}`, `stop`.
 */
import http from 'node:http'
import { WebSocketServer } from 'ws'
import { writeHeapSnapshot } from 'node:v8'
import { announce, type Message, measureMemory, serve } from './proc.js'

const server = http.createServer((request, response) => {
  if (request.method !== 'POST' || request.url !== '/broadcast') {
    response.writeHead(404).end()
    return
  }
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    const payload = Buffer.concat(chunks).toString('utf8')
    for (const client of wss.clients) client.send(payload)
    response.writeHead(204).end()
  })
})
const wss = new WebSocketServer({ server, maxPayload: 64 * 1024 })
wss.on('connection', (socket) => {
  socket.on('error', () => socket.terminate())
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))

serve(
  {
    memory: () => ({ ...measureMemory(), sockets: wss.clients.size }),
    heapSnapshot: (message: Message) => {
      measureMemory()
      return writeHeapSnapshot(String(message.file))
    }
  },
  async () => {
    for (const client of wss.clients) client.terminate()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
)
announce({ type: 'ready', port: (server.address() as { port: number }).port })
