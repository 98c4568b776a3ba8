/**
 * One process at a time in an embedded database's folder (DATA_DIR). PGlite takes no lock of its own (its
 * postmaster.pid holds a made-up pid, -42), and two processes on one folder each write over the other's files:
 * acknowledged writes are lost. Real PostgreSQL needs none of this.
 *
 * The lock is a file in the folder, created with O_EXCL and holding the pid and host of its holder. A lock whose
 * process is gone (killed, crashed, a power cut) is taken over; one whose process lives, or that names another host
 * (the folder on shared storage: its pid cannot be checked from here), is refused. Why not `proper-lockfile`: it
 * decides staleness by the lock's age, refreshed on a timer, and PGlite runs queries on the event loop, so a long
 * migration or query could miss the refresh and let a second process in; and after a crash the next start would
 * wait out the staleness period. A pid is exact on one host, and there is nothing to refresh.
 */
import { randomUUID } from 'node:crypto'
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { ConfigError } from '../config.js'

const LOCK_FILE = 'lantern.lock'

interface LockContent {
  pid: number
  host: string
  since: string
  /** Tells this lock from a later one of the same pid (a pid is reused, in a container after every restart). */
  token?: string
}

/** DATA_DIR is held by another process: start-up stops as on bad configuration (exit 78), saying what to do. */
export class DataDirInUseError extends ConfigError {
  constructor(
    readonly dataDir: string,
    readonly holder: LockContent
  ) {
    const where = holder.host === hostname() ? '' : ` on host ${holder.host}`
    const self = holder.pid === process.pid && !where ? ' (this very process: it is open already)' : ''
    const who = holder.pid > 0 ? `is in use by process ${holder.pid}${where}${self}, since ${holder.since}` : `holds a lock file of unknown content`
    super(
      'DATA_DIR',
      `${dataDir} ${who}. The embedded database ` +
        `takes one process at a time: stop that process first (the server, or a running npm run cli / db:migrate), ` +
        `or set DATABASE_URL to use PostgreSQL, which takes any number. If no such process runs, delete ${join(dataDir, LOCK_FILE)}.`
    )
    this.name = 'DataDirInUseError'
  }
}

export interface DataDirLock {
  /** Gives the folder back (idempotent). */
  release(): void
}

/** The folders this process holds, with their lock's token: released on exit however the process ends. */
const held = new Map<string, string>()
let releaseOnExit = false

function readLock(path: string): LockContent | null {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
  try {
    const value = JSON.parse(text) as Partial<LockContent>
    if (Number.isInteger(value.pid) && typeof value.host === 'string') {
      return { pid: value.pid!, host: value.host, since: typeof value.since === 'string' ? value.since : 'an unknown time', ...(value.token ? { token: value.token } : {}) }
    }
  } catch {
    // below
  }
  // Not a lock this code writes (it writes the whole content in one write right after creating the file): treated
  // as held by an unknown process, so the operator decides.
  return { pid: 0, host: 'unknown', since: 'an unknown time' }
}

/** Whether a process with this pid exists on this host (EPERM: it does, under another user). */
function alive(pid: number): boolean {
  if (pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Whether nobody holds this lock any more: its process is gone, or it is this process's own pid from an earlier life. */
function stale(lock: LockContent, folder: string): boolean {
  if (lock.host !== hostname() || lock.pid <= 0) return false
  if (lock.pid === process.pid) return !held.has(folder)
  return !alive(lock.pid)
}

/**
 * Makes the folder as `mkdir -p` would. Node 20's recursive mkdir never returns for a folder that cannot be made
 * under an existing parent that refuses it with ENOENT (/proc/x), so each level is made in turn.
 */
function makeFolder(folder: string): void {
  try {
    mkdirSync(folder)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') {
      if (!statSync(folder).isDirectory()) throw new Error('it exists and is not a folder', { cause: error })
      return
    }
    const parent = dirname(folder)
    if (code !== 'ENOENT' || parent === folder) throw error
    let parentExists = true
    try {
      statSync(parent)
    } catch {
      parentExists = false
    }
    if (parentExists) throw error
    makeFolder(parent)
    mkdirSync(folder)
  }
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error))

/**
 * Takes DATA_DIR for this process, making the folder if needed. Throws DataDirInUseError if another process holds
 * it, or a ConfigError for DATA_DIR if the folder cannot be made or written.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  let folder = resolve(dataDir)
  try {
    makeFolder(folder)
    // One folder, one key, whichever path (a symlink, a relative path) names it.
    folder = realpathSync(folder)
  } catch (error) {
    throw new ConfigError('DATA_DIR', `${folder}: cannot make the folder for the embedded database: ${reason(error)}`)
  }
  const path = join(folder, LOCK_FILE)
  const token = randomUUID()
  const content: LockContent = { pid: process.pid, host: hostname(), since: new Date().toISOString(), token }

  // A few rounds: each either creates the lock, or finds it held (refused), or finds it stale and clears it first.
  for (let round = 0; round < 5; round++) {
    try {
      const fd = openSync(path, 'wx', 0o644)
      try {
        writeSync(fd, `${JSON.stringify(content)}\n`)
      } finally {
        closeSync(fd)
      }
      held.set(folder, token)
      if (!releaseOnExit) {
        releaseOnExit = true
        // process.exit() and a crash both come here; SIGKILL does not, and its lock is taken over as stale.
        process.on('exit', () => {
          for (const [heldFolder, heldToken] of held) releaseLock(heldFolder, heldToken)
        })
      }
      return { release: () => releaseLock(folder, token) }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ConfigError('DATA_DIR', `${folder}: cannot write in the folder of the embedded database: ${reason(error)}`)
      }
    }
    const existing = readLock(path)
    if (!existing) continue
    if (!stale(existing, folder)) throw new DataDirInUseError(folder, existing)
    clearStaleLock(path, existing)
  }
  throw new ConfigError('DATA_DIR', `${folder}: could not take ${LOCK_FILE}: other processes keep taking it`)
}

/**
 * Removes a lock judged stale, unless another process took the folder over in the meantime: the file is first moved
 * aside (one rename wins), then checked to be the one judged stale; a fresh lock moved by mistake is put back.
 */
function clearStaleLock(path: string, judged: LockContent) {
  const aside = `${path}.stale-${process.pid}-${randomUUID()}`
  try {
    renameSync(path, aside)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  const moved = readLock(aside)
  if (moved && (moved.pid !== judged.pid || moved.token !== judged.token)) {
    try {
      // Put back without overwriting (a hard link fails if the name exists): should yet another lock have appeared
      // meanwhile, three processes raced for one stale lock in the same instant, and the newest stands.
      linkSync(aside, path)
    } catch (error) {
      // A file system without hard links: a rename puts it back (over a lock that appeared in that instant).
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') renameSync(aside, path)
    }
  }
  try {
    unlinkSync(aside)
  } catch {
    // put back by rename
  }
}

function releaseLock(folder: string, token: string) {
  if (held.get(folder) !== token) return
  held.delete(folder)
  const path = join(folder, LOCK_FILE)
  // Only this lock: a folder taken over after this process was thought dead is not given away.
  if (readLock(path)?.token === token) {
    try {
      unlinkSync(path)
    } catch {
      // gone already
    }
  }
}
