// Operator commands: `npm run cli -- create-admin --handle <handle>` (password on standard input).
import { parseArgs } from 'node:util'
import { createOrPromoteAdmin } from './accounts/service.js'
import { systemClock } from './clock.js'
import { ConfigError, loadConfig } from './config.js'
import { openDatabase } from './db/client.js'
import { prepareDatabase } from './db/prepare.js'
import { DomainError } from './errors.js'

const USAGE = `Usage:
  npm run cli -- create-admin --handle <handle>    (reads the password from standard input)`

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  // Only the first line is the password, without its line ending.
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? ''
}

async function createAdmin(args: string[]) {
  const { values } = parseArgs({ args, options: { handle: { type: 'string' } }, strict: true })
  if (!values.handle) throw new Error(`--handle is required\n${USAGE}`)
  if (process.stdin.isTTY) console.log('Password (then Enter, then Ctrl-D):')
  const password = await readStdin()
  const config = loadConfig()
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, timeouts: config.database })
  try {
    await prepareDatabase(database, systemClock)
    const { account, created } = await createOrPromoteAdmin({ db: database.db, clock: systemClock }, values.handle, password)
    console.log(`${created ? 'Created' : 'Promoted'} admin ${account.handle} (${account.id})`)
  } finally {
    await database.close()
  }
}

const [command, ...rest] = process.argv.slice(2)
try {
  if (command === 'create-admin') await createAdmin(rest)
  else {
    console.error(USAGE)
    process.exit(64)
  }
} catch (error) {
  if (error instanceof DomainError || error instanceof ConfigError) console.error(`error: ${error.message}`)
  else console.error(error instanceof Error ? error.message : error)
  process.exit(1)
}
