import net from 'node:net'
import { openDatabase } from '../../src/db/client.js'
import { buildTestApp } from './app.js'
import { createTestDatabase } from './database.js'

/**
 * A TCP proxy in front of PostgreSQL that can stop passing the server's answers back, as a host that froze or a
 * network cut just then would: `cut(chunk)` is asked of every chunk the client sends, and from the first it says
 * yes to, that connection's answers are dropped (`forward` decides whether that chunk still reaches the server).
 */
export async function cuttingProxy(databaseUrl: string, options: { cut: (sent: string) => boolean; forward: boolean }) {
  const target = new URL(databaseUrl)
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname)
    sockets.add(client)
    sockets.add(upstream)
    let cut = false
    client.on('data', (chunk) => {
      if (!cut && options.cut(chunk.toString('latin1').toLowerCase())) cut = true
      if (!cut || options.forward) upstream.write(chunk)
    })
    upstream.on('data', (chunk) => {
      if (!cut) client.write(chunk)
    })
    const end = () => {
      client.destroy()
      upstream.destroy()
    }
    for (const s of [client, upstream]) {
      s.on('error', end)
      s.on('close', end)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = new URL(databaseUrl)
  url.hostname = '127.0.0.1'
  url.port = String((server.address() as net.AddressInfo).port)
  return {
    url: url.toString(),
    close() {
      for (const s of sockets) s.destroy()
      server.close()
    }
  }
}

/**
 * A test app on a database of its own, reached through a cutting proxy, with short timeouts (statement 1 s, lock
 * 0.5 s, query 1.5 s) so that a cut answer fails within a test. `fresh` reaches the database directly.
 */
export async function appBehindCuttingProxy(
  t: { teardown(fn: () => unknown): void },
  options: { cut: (sent: string) => boolean; forward: boolean; poolSize: number }
) {
  const fresh = await createTestDatabase()
  const proxy = await cuttingProxy(fresh.url!, options)
  const database = await openDatabase({
    url: proxy.url,
    poolSize: options.poolSize,
    timeouts: { statementTimeoutMs: 1000, lockTimeoutMs: 500, queryTimeoutMs: 1500, migrationTimeoutMs: 0, idleInTransactionTimeoutMs: 0 }
  })
  t.teardown(async () => {
    // A connection cut mid-answer may never end cleanly: never wait long for the pool to close.
    await Promise.race([database.close().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 500))])
    proxy.close()
    await fresh.drop()
  })
  const h = await buildTestApp(t, {}, { database, url: proxy.url, drop: async () => {} })
  return { h, database, fresh }
}
