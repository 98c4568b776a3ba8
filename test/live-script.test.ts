/** `npm run live` (scripts/live.ts), the terminal client the README's two-instance demo uses. */
import { spawn } from 'node:child_process'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { buildTestApp } from './helpers/app.js'

t.test('npm run live signs in, subscribes and prints each message as a JSON line; Ctrl-C ends it with 0', async (t) => {
  const h = await buildTestApp(t)
  await h.app.listen({ port: 0, host: '127.0.0.1' })
  const url = `ws://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/api/v1/live`
  const member = await h.signUp()
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/live.ts', url, member.token, 'board:general'])
  const lines: Array<{ type: string; event?: string; data?: { title?: string } }> = []
  let stderr = ''
  let buffered = ''
  const seen = (done: (l: (typeof lines)[number]) => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not seen; lines ${JSON.stringify(lines)}, stderr ${stderr}`)), 20_000)
      const check = () => {
        if (lines.some(done)) {
          clearTimeout(timer)
          resolve()
        } else setTimeout(check, 20)
      }
      check()
    })
  child.stdout.on('data', (d) => {
    buffered += d
    const parts = buffered.split('\n')
    buffered = parts.pop() ?? ''
    for (const part of parts) lines.push(JSON.parse(part))
  })
  child.stderr.on('data', (d) => (stderr += d))
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  await seen((l) => l.type === 'subscribed')
  await h.startThread(member, 'general', { title: 'Seen from a terminal', body: 'hello' })
  await seen((l) => l.type === 'event' && l.event === 'thread.created' && l.data?.title === 'Seen from a terminal')
  child.kill('SIGINT')
  t.equal(await exited, 0, stderr)
  t.match(stderr, /closed 1000/)
})

t.test('npm run live without its arguments prints its usage and exits 64', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/live.ts'])
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  t.equal(await new Promise((resolve) => child.on('close', resolve)), 64)
  t.match(stderr, /usage: npm run live/)
})
