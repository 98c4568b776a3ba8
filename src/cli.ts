// Operator commands: `npm run cli -- create-admin --handle <handle>` (password on standard input).
import { parseArgs } from 'node:util'
import { createOrPromoteAdmin } from './accounts/service.js'
import { systemClock } from './clock.js'
import { ConfigError, loadConfig } from './config.js'
import { openDatabase } from './db/client.js'
import { DataDirInUseError } from './db/data-dir-lock.js'
import { prepareDatabase } from './db/prepare.js'
import { DomainError } from './errors.js'
import { errorForLog } from './http/errors.js'

const USAGE = `Usage:
  npm run cli -- create-admin --handle <handle>    (reads the password from standard input)
With the embedded database (no DATABASE_URL), stop the server first: DATA_DIR takes one process at a time.`

/** sysexits.h: an unknown command (EX_USAGE), bad configuration or DATA_DIR in use (EX_CONFIG). */
const EXIT_USAGE = 64
const EXIT_CONFIG = 78

class Cancelled extends Error {}

/** Piped in (`echo … | npm run cli …`): the first line is the password, without its line ending. */
async function readPipedPassword(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? ''
}

/**
 * Typed at a terminal: read with echo off (raw mode), so the password never shows on the screen or in the
 * scrollback, and ended by Enter. Backspace takes back a character; Ctrl-C cancels; other control keys and escape
 * sequences (arrows) are ignored.
 */
function readTypedPassword(): Promise<string> {
  const input = process.stdin
  process.stdout.write('Password (not shown; Enter when done): ')
  input.setRawMode(true)
  input.setEncoding('utf8')
  input.resume()
  return new Promise((resolve, reject) => {
    let password: string[] = []
    const finish = (error?: Error) => {
      input.off('data', onData)
      input.setRawMode(false)
      input.pause()
      process.stdout.write('\n')
      if (error) reject(error)
      else resolve(password.join(''))
    }
    const onData = (chunk: string) => {
      if (chunk.startsWith('\u001b')) return
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish()
        if (char === '\u0003') return finish(new Cancelled('cancelled'))
        if (char === '\u007f' || char === '\b') password = password.slice(0, -1)
        else if (char >= ' ') password.push(char)
      }
    }
    input.on('data', onData)
  })
}

/**
 * An unexpected failure as the operator sees it: its code and its cause's message. A failed query's own message
 * quotes the statement with its parameters (here the new password's hash), so it is never printed (errorForLog).
 */
function failureLine(error: unknown): string {
  const logged = errorForLog(error)
  const cause = logged.cause as ReturnType<typeof errorForLog> | undefined
  const code = cause?.code ?? logged.code
  const message = (cause ?? logged).message.split('\n')[0] || (cause ?? logged).type
  return `error${code === undefined ? '' : ` (${String(code)})`}: ${message}`
}

async function createAdmin(args: string[]) {
  const { values } = parseArgs({ args, options: { handle: { type: 'string' } }, strict: true })
  if (!values.handle) {
    console.error(`error: --handle is required\n${USAGE}`)
    process.exit(1)
  }
  // Configuration and the database first: a bad setting or a DATA_DIR in use is told before a password is typed.
  const config = loadConfig()
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, timeouts: config.database })
  try {
    const password = process.stdin.isTTY ? await readTypedPassword() : await readPipedPassword()
    await prepareDatabase(database, systemClock)
    const { account, created, sessionsEnded } = await createOrPromoteAdmin({ db: database.db, clock: systemClock }, values.handle, password)
    if (created) console.log(`Created admin ${account.handle} (${account.id})`)
    else {
      const ended =
        sessionsEnded === 0 ? 'it had no open session' : `its ${sessionsEnded === 1 ? '1 session was' : `${sessionsEnded} sessions were`} ended (opened with the old password)`
      console.log(`Promoted admin ${account.handle} (${account.id}): its password was replaced, and ${ended}`)
    }
  } finally {
    await database.close()
  }
}

const [command, ...rest] = process.argv.slice(2)
try {
  if (command === 'create-admin') await createAdmin(rest)
  else {
    console.error(USAGE)
    process.exit(EXIT_USAGE)
  }
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`error: ${error instanceof DataDirInUseError ? '' : 'bad configuration: '}${error.message}`)
    process.exit(EXIT_CONFIG)
  }
  if (error instanceof Cancelled) process.exit(130)
  if (error instanceof DomainError) console.error(`error: ${error.message}`)
  else console.error(failureLine(error))
  process.exit(1)
}
