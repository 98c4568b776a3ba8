/**
 * Seeds the fresh bench database through Lantern's own API (buildApp + inject), in the parent process,
 * before any server starts: accounts with sessions, a 60-post thread to read, threads to reply in, and a
 * thread for the live fan-out. The database is closed again afterwards (PGlite allows one process at a time).
 */
import { randomBytes } from 'node:crypto'
import { buildApp } from '../../src/app.js'
import { systemClock } from '../../src/clock.js'
import { openDatabase } from '../../src/db/client.js'
import { prepareDatabase } from '../../src/db/prepare.js'
import type { BenchDatabase } from './db.js'
import { benchConfig } from './config.js'
import { makeBodies } from './text.js'

export interface SeedAccount {
  id: string
  handle: string
  token: string
}

export interface SeedData {
  /** The reader of the thread page (a member, not staff). */
  reader: SeedAccount
  /** The thread with 60 posts; GET ?limit=50 returns 50 of them and a cursor. */
  readThreadId: string
  /** Writers for the reply bench, and the threads they reply in. */
  writers: SeedAccount[]
  writeThreadIds: string[]
  /** Accounts whose tokens the live sockets share, the thread they subscribe to, and who posts in it. */
  liveAccounts: SeedAccount[]
  liveThreadId: string
  livePoster: SeedAccount
}

const WRITERS = 100
const WRITE_THREADS = 40
const LIVE_ACCOUNTS = 8

export async function seed(target: BenchDatabase): Promise<SeedData> {
  const database = await openDatabase(target.url ? { url: target.url, poolSize: 10 } : { dataDir: target.dataDir })
  try {
    await prepareDatabase(database, systemClock)
    const app = await buildApp({ config: benchConfig(), database })
    await app.ready()
    try {
      // Letters only: a handle with many digits would look like a phone number (refused).
      const letters = (value: number) => {
        let out = ''
        do {
          out += String.fromCharCode(97 + (value % 26))
          value = Math.floor(value / 26)
        } while (value > 0)
        return out
      }
      const tag = letters(randomBytes(3).readUIntBE(0, 3))
      let n = 0
      const signUp = async (): Promise<SeedAccount> => {
        const handle = `bench-${tag}-${letters(++n)}`
        const res = await app.inject({
          method: 'POST',
          url: '/api/v1/accounts',
          payload: { handle, password: 'a long enough password', circle: 'recovery' }
        })
        if (res.statusCode !== 201) throw new Error(`sign-up failed: ${res.statusCode} ${res.body}`)
        const body = res.json() as { account: { id: string; handle: string }; token: string }
        return { id: body.account.id, handle: body.account.handle, token: body.token }
      }
      const accounts: SeedAccount[] = []
      const total = 1 + WRITERS + LIVE_ACCOUNTS + 1
      while (accounts.length < total) {
        const batch = Math.min(8, total - accounts.length)
        accounts.push(...(await Promise.all(Array.from({ length: batch }, signUp))))
      }
      const [reader, ...rest] = accounts as [SeedAccount, ...SeedAccount[]]
      const writers = rest.slice(0, WRITERS)
      const liveAccounts = rest.slice(WRITERS, WRITERS + LIVE_ACCOUNTS)
      const livePoster = rest[WRITERS + LIVE_ACCOUNTS] as SeedAccount

      const post = async (account: SeedAccount, url: string, payload: object) => {
        const res = await app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${account.token}` } })
        if (res.statusCode !== 201) throw new Error(`seed write failed: ${res.statusCode} ${res.body}`)
        return res.json() as { thread?: { id: string }; post: { id: string } }
      }
      const startThread = async (account: SeedAccount, board: string, title: string, body: string) =>
        (await post(account, `/api/v1/boards/${board}/threads`, { title, body })).thread!.id

      const bodies = makeBodies(200, 7)
      const readThreadId = await startThread(writers[0]!, 'general', 'What helped you get through the first month?', bodies[0]!)
      for (let i = 1; i < 60; i++) {
        await post(writers[i % writers.length]!, `/api/v1/threads/${readThreadId}/posts`, { body: bodies[i]! })
      }
      const writeThreadIds: string[] = []
      for (let i = 0; i < WRITE_THREADS; i++) {
        const board = i % 2 === 0 ? 'general' : 'relapse-prevention'
        writeThreadIds.push(await startThread(writers[(i * 7) % writers.length]!, board, `Check-in thread number ${i + 1}`, bodies[60 + i]!))
      }
      const liveThreadId = await startThread(livePoster, 'general', 'Live check-in', bodies[120]!)
      return { reader, readThreadId, writers, writeThreadIds, liveAccounts, liveThreadId, livePoster }
    } finally {
      await app.close()
    }
  } finally {
    await database.close()
  }
}
