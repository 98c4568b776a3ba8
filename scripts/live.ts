/**
 * Watches live channels from a terminal: `npm run live -- <ws url> <token> <channel>...` signs in with the token
 * (the first-message auth of the contract), subscribes to each channel and prints every message the server sends
 * as one JSON line, until Ctrl-C or the server closes the socket. For trying the live API, and the README's
 * two-instance demo.
 */
import WebSocket from 'ws'

const [url, token, ...channels] = process.argv.slice(2)
if (!url || !token || channels.length === 0 || url === '--help') {
  console.error('usage: npm run live -- <ws://host:port/api/v1/live> <token> <channel> [channel...]   (channels: board:<slug>, thread:<id>, me, moderation)')
  process.exit(url === '--help' ? 0 : 64)
}

const socket = new WebSocket(url)
socket.on('open', () => {
  socket.send(JSON.stringify({ type: 'auth', token }))
  for (const channel of channels) socket.send(JSON.stringify({ type: 'subscribe', channel }))
})
socket.on('message', (data) => console.log(String(data)))
socket.on('close', (code, reason) => {
  console.error(`closed ${code}${reason.length ? ` ${String(reason)}` : ''}`)
  process.exit(code === 1000 || code === 1001 ? 0 : 1)
})
socket.on('error', (error) => {
  console.error(`cannot connect to ${url}: ${error.message}`)
  process.exit(1)
})
process.on('SIGINT', () => socket.close(1000))
process.on('SIGTERM', () => socket.close(1000))
