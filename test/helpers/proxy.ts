import net from 'node:net'
import { openDatabase } from '../../src/db/client.js'
import { buildTestApp } from './app.js'
import { createTestDatabase } from './database.js'

/** What a pgProxy caller decides for one connection: whether each chunk is passed on, to the server or back. */
export interface ProxyHooks {
  /** Whether this chunk the client sent reaches the server. */
  toServer(chunk: Buffer): boolean
  /** Whether this chunk the server answered reaches the client. */
  toClient(chunk: Buffer): boolean
}

/**
 * A TCP proxy in front of PostgreSQL on a port of its own: `hooks` is called for each new connection, with `end()`,
 * which destroys both of its sockets, and decides the fate of that connection's bytes. A socket that errs or closes
 * ends its connection; `close()` destroys every socket and stops listening.
 */
export async function pgProxy(databaseUrl: string, hooks: (connection: { end(): void }) => ProxyHooks) {
  const target = new URL(databaseUrl)
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname)
    sockets.add(client)
    sockets.add(upstream)
    const end = () => {
      client.destroy()
      upstream.destroy()
    }
    const decide = hooks({ end })
    client.on('data', (chunk: Buffer) => {
      if (decide.toServer(chunk)) upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      if (decide.toClient(chunk)) client.write(chunk)
    })
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
 * A TCP proxy in front of PostgreSQL that can stop passing the server's answers back, as a host that froze or a
 * network cut just then would: `cut(chunk)` is asked of every chunk the client sends, and from the first it says
 * yes to, that connection's answers are dropped (`forward` decides whether that chunk still reaches the server).
 */
export function cuttingProxy(databaseUrl: string, options: { cut: (sent: string) => boolean; forward: boolean }) {
  return pgProxy(databaseUrl, () => {
    let cut = false
    return {
      toServer(chunk) {
        if (!cut && options.cut(chunk.toString('latin1').toLowerCase())) cut = true
        return !cut || options.forward
      },
      toClient: () => !cut
    }
  })
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
