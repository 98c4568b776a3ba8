import { execFile } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { chown, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type AppOptions, buildApp } from '../../src/app.js'
import { systemClock } from '../../src/clock.js'
import { openDatabase } from '../../src/db/client.js'
import { prepareDatabase } from '../../src/db/prepare.js'
import { testConfig } from './app.js'
import { sleep } from './live.js'

const run = promisify(execFile)

/** The machine's PostgreSQL binaries (Debian layout), or null when there are none. */
export function postgresBin(): string | null {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return null
  const version = readdirSync(root).sort().pop()
  const bin = version ? join(root, version, 'bin') : null
  return bin && existsSync(join(bin, 'initdb')) ? bin : null
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

export interface Cluster {
  url: string
  start(): Promise<void>
  stop(): Promise<void>
  destroy(): Promise<void>
}

/**
 * A throwaway PostgreSQL cluster of the test's own (initdb + pg_ctl), which it may stop and start at will
 * without disturbing anyone else's database. PostgreSQL refuses to run as root, so as root it runs as the
 * postgres user.
 */
export async function throwawayCluster(): Promise<Cluster> {
  const bin = postgresBin()
  if (!bin) throw new Error('no PostgreSQL binaries')
  const asRoot = process.getuid?.() === 0
  const dir = await mkdtemp(join(tmpdir(), 'lantern-pg-'))
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres'])
    const { stdout: gid } = await run('id', ['-g', 'postgres'])
    await chown(dir, Number(stdout.trim()), Number(gid.trim()))
  }
  const pg = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]) : run(join(bin, tool), args)
  const data = join(dir, 'data')
  await pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions'])
  const port = await freePort()
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=50`
  const cluster: Cluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: async () => {
      await pg('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start'])
    },
    stop: async () => {
      await pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop'])
    },
    destroy: async () => {
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {})
      await rm(dir, { recursive: true, force: true })
    }
  }
  await cluster.start()
  return cluster
}

/**
 * A test app (logs silent) on a throwaway cluster of its own, prepared, for a test that stops and starts PostgreSQL
 * under it. The cluster is destroyed when the test ends, even if the app never came up; `closeWithinMs`, if set,
 * bounds how long the teardown waits for app.close() (a test that closes the app itself, or may leave it hung).
 */
export async function appOnThrowawayCluster(
  t: { teardown(fn: () => unknown): void },
  options: { poolSize: number; live?: AppOptions['live']; closeWithinMs?: number }
) {
  const cluster = await throwawayCluster()
  t.teardown(() => cluster.destroy())
  const database = await openDatabase({ url: cluster.url, poolSize: options.poolSize })
  await prepareDatabase(database, systemClock)
  const app = await buildApp({ config: testConfig({ logLevel: 'silent' }), database, live: options.live })
  t.teardown(async () => {
    await (options.closeWithinMs === undefined ? app.close() : Promise.race([app.close(), sleep(options.closeWithinMs)]))
    await database.close()
  })
  await app.ready()
  return { app, database, cluster }
}
