import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { and, asc, eq, gt, inArray, isNull, lt, lte, max, or, sql } from 'drizzle-orm'
import type { FastifyBaseLogger } from 'fastify'
import type { WebSocket } from 'ws'
import { effectiveStatus, type AccountRow, type AccountView } from '../accounts/model.js'
import type { Clock } from '../clock.js'
import { type Database, type Db, rows } from '../db/client.js'
import { preparedOn } from '../db/prepared.js'
import { accounts, eventRetention, events, sessions } from '../db/schema.js'
import { DomainError } from '../errors.js'
import { type Authorised, authoriseChannel, channelOf, publicName } from './channels.js'
import {
  REPLAY_DRAIN_BELOW_BYTES,
  REPLAY_PAGE_BYTES,
  REPLAY_PAGE_ROWS,
  REPLAY_STALL_MS,
  ReplayGate,
  SocketCounts,
  type SocketLimits
} from './limits.js'
import { EVENTS_CHANNEL } from './outbox.js'

type EventRow = typeof events.$inferSelect

interface Subscription {
  auth: Authorised
  /** Highest event id sent (or skipped as older than the subscription) on this channel. */
  lastSent: number
  /** While something holds the channel's live events (a resume replaying, a re-authorisation), they wait here so the order holds. */
  buffer: EventRow[] | null
  /** How many hold them. */
  holds: number
  /**
   * The thread was hidden (held or removed) while the subscription was being authorised, by a read that may have seen
   * it visible: its author's id, and the hold's last release decides, with the authorisation's answer in hand.
   */
  hiddenPending?: string
  /** A paged replay waiting for another hold (a re-authorisation) to end, or for the subscription to end. */
  wake?: () => void
}

/**
 * What a socket keeps of its account: enough to authorise channels and filter events, no more. It is kept
 * current: a role given or taken, a circle or a suspension reaches open sockets (refreshAccount).
 */
export type LiveAccount = Pick<AccountRow, 'id' | 'handle' | 'role' | 'circle'> & { suspended: boolean }
type LiveAccountSource = Pick<AccountRow, 'id' | 'handle' | 'role' | 'circle' | 'status' | 'suspendedUntil'>
export const liveAccount = (a: LiveAccountSource, now: Date): LiveAccount => ({
  id: a.id,
  handle: a.handle,
  role: a.role,
  circle: a.circle,
  suspended: effectiveStatus(a, now) === 'suspended'
})
/** The columns liveAccount needs (never the password hash). */
const LIVE_ACCOUNT_COLUMNS = {
  id: accounts.id,
  handle: accounts.handle,
  role: accounts.role,
  circle: accounts.circle,
  status: accounts.status,
  suspendedUntil: accounts.suspendedUntil
}
const sameAccount = (a: LiveAccount, b: LiveAccount) =>
  a.handle === b.handle && a.role === b.role && a.circle === b.circle && a.suspended === b.suspended

export interface LiveClient {
  socket: WebSocket
  account: LiveAccount | null
  sessionId: string | null
  subs: Map<string, Subscription>
  alive: boolean
}

export interface HubOptions {
  clock: Clock
  log: FastifyBaseLogger
  retentionHours: number
  maxBufferedBytes: number
  /** Sockets per account and per address (the LIVE_SOCKETS_* settings). */
  sockets: SocketLimits
  /** How often sessions behind open sockets are re-checked (ms). */
  sessionCheckMs?: number
  heartbeatMs?: number
}

/** Largest replay served on resume; a client further behind resyncs from the REST API instead. */
const MAX_REPLAY = 5000
const BATCH = 500
/** A read of the outbox longer than this is logged: live news on this instance waited for it. */
const SLOW_POLL_MS = 5000
/** How soon a round that failed while a write waited for it is tried again. */
const RETRY_POLL_MS = 200
/** The shortest time between two wakes (a round, an outbox read and a NOTIFY) after local writes. */
const WAKE_MS = 5

export const frame = (message: object) => JSON.stringify(message)

/** How long a socket told the server is going away has to finish the close handshake before it is cut. */
export const SHUTDOWN_CLOSE_MS = 1500

function goAway(socket: WebSocket): void {
  socket.close(1001, 'server shutting down')
  const cut = setTimeout(() => socket.terminate(), SHUTDOWN_CLOSE_MS)
  cut.unref()
  socket.once('close', () => clearTimeout(cut))
}

/** Rows are read by position, so every row read has one (given by events_sequence() after its commit). */
const positionOf = (row: EventRow) => row.position as number

const eventFrame = (row: EventRow) =>
  frame({ type: 'event', channel: publicName(row.channel), id: String(row.position), event: row.event, data: row.data })

/**
 * One per instance. Reads the outbox after each NOTIFY (one query per batch, however many sockets),
 * fans each event out to the sockets subscribed to its channel, serialising it once per channel,
 * and serves resumes from the outbox so a client that reconnects, to any instance, misses nothing.
 */
// Every write wakes the hub to read the outbox: the read is prepared (src/db/prepared.ts).
const prepareOutboxAfter = (db: Db) =>
  db
    .select()
    .from(events)
    .where(gt(events.position, sql.placeholder('after')))
    .orderBy(asc(events.position))
    .limit(BATCH)
    .prepare('lantern_outbox_after')

export class LiveHub {
  /** Open sockets per account and per address (src/live/routes.ts refuses upgrades over them). */
  readonly sockets: SocketCounts
  private readonly replays = new ReplayGate()
  private readonly channels = new Map<string, Set<LiveClient>>()
  private readonly clients = new Set<LiveClient>()
  private lastSeen = 0
  private polling: Promise<void> | null = null
  private pollAgain = false
  private stopListening: (() => Promise<void>) | null = null
  private timers: NodeJS.Timeout[] = []
  private closed = false
  /** Signs this instance's NOTIFYs, so that it can tell its own from the others'. */
  private readonly instanceId = randomUUID()

  constructor(
    private readonly database: Database,
    private readonly options: HubOptions
  ) {
    this.sockets = new SocketCounts(options.sockets)
  }

  private get db(): Db {
    return this.database.db
  }

  async start(): Promise<void> {
    this.lastSeen = await this.newestInOutbox()
    this.stopListening = await this.database.listen(
      EVENTS_CHANNEL,
      // This instance's own NOTIFY comes back to it too; it read the outbox just before sending it.
      (from) => (from === this.instanceId ? undefined : void this.poll()),
      () => void this.poll()
    )
    const every = (ms: number, fn: () => unknown) => {
      const timer = setInterval(() => void Promise.resolve(fn()).catch((err) => this.options.log.warn({ err }, 'live housekeeping failed')), ms)
      timer.unref()
      this.timers.push(timer)
    }
    // A safety net: a NOTIFY lost while the listener reconnected is caught by the next poll.
    every(2000, () => this.poll())
    every(this.options.heartbeatMs ?? 30_000, () => this.heartbeat())
    every(this.options.sessionCheckMs ?? 15_000, () => this.checkSessions())
    every(10 * 60_000, () => this.purge())
  }

  /**
   * Shutdown (the websocket plugin's preClose, src/app.ts): every socket is told the server is going away (1001),
   * and one that has not finished the close handshake within SHUTDOWN_CLOSE_MS is cut: ws would wait 30 s for a
   * peer that went away without a word (a phone out of coverage), and the process could not exit until then.
   */
  async close(): Promise<void> {
    this.closed = true
    if (this.wakeTimer) clearTimeout(this.wakeTimer)
    for (const timer of this.timers) clearInterval(timer)
    for (const client of this.clients) goAway(client.socket)
    await this.stopListening?.()
    await this.polling
  }

  get connectedClients(): number {
    return this.clients.size
  }

  add(client: LiveClient): void {
    // An upgrade that completed while the server was closing: told at once, never registered.
    if (this.closed) return goAway(client.socket)
    this.clients.add(client)
    this.adopt(client)
  }

  remove(client: LiveClient): void {
    if (this.clients.delete(client)) this.release(client)
    // As unsubscribe does, a channel left empty goes: thread channels come and go with page views.
    for (const key of [...client.subs.keys()]) this.unsubscribe(client, key)
  }

  // Many sockets share one account and one session (tabs, devices, reconnects): they share one copy of each,
  // counted, so an idle socket does not carry its own account object and session id string.
  private readonly sharedAccounts = new Map<string, { value: LiveAccount; refs: number; changedAt: number }>()
  /** Counts the account changes learnt from events, so that a read begun before one never undoes it. */
  private epoch = 0
  private readonly sharedSessions = new Map<string, { value: string; refs: number }>()

  /**
   * Accounts changed by an event while this instance had no socket of theirs, and when: a socket whose account was
   * read just before (at its upgrade or its auth message) and that joins just after would keep the old copy, a
   * demoted moderator's role with it, until the next session check. It reads the account again instead.
   */
  private readonly changedWithoutSocket = new Map<string, number>()

  private noteChangeWithoutSocket(id: string): void {
    const now = Date.now()
    this.changedWithoutSocket.delete(id)
    this.changedWithoutSocket.set(id, now)
    // Oldest first (a Map keeps insertion order): a minute is far longer than any upgrade takes.
    for (const [key, at] of this.changedWithoutSocket) {
      if (now - at < 60_000) break
      this.changedWithoutSocket.delete(key)
    }
  }

  /** Takes the client's account and session id into the shared copies (after it authenticated, too). */
  adopt(client: LiveClient): void {
    if (client.account) {
      const fresh = client.account
      const shared = this.sharedAccounts.get(fresh.id)
      const entry = shared ?? { value: fresh, refs: 0, changedAt: 0 }
      entry.refs++
      this.sharedAccounts.set(entry.value.id, entry)
      client.account = entry.value
      // The copies differ: one of them is behind. The database says which. A first copy is behind if news of the
      // account came while it was being read.
      if (shared ? entry.value !== fresh && !sameAccount(entry.value, fresh) : this.changedWithoutSocket.has(fresh.id)) void this.reloadAccount(fresh.id)
    }
    if (client.sessionId) {
      const entry = this.sharedSessions.get(client.sessionId) ?? { value: client.sessionId, refs: 0 }
      entry.refs++
      this.sharedSessions.set(entry.value, entry)
      client.sessionId = entry.value
    }
  }

  private release(client: LiveClient): void {
    const account = client.account && this.sharedAccounts.get(client.account.id)
    if (account && --account.refs === 0) this.sharedAccounts.delete(account.value.id)
    const session = client.sessionId ? this.sharedSessions.get(client.sessionId) : undefined
    if (session && --session.refs === 0) this.sharedSessions.delete(session.value)
  }

  /**
   * Gives committed events their positions (migrations 0009 and 0011): a round runs before every read of the outbox,
   * so what this instance wrote, and anything a dead instance left, is read in order. A round never waits for a
   * writer: an event whose row another transaction holds (rewriting it) is numbered by a round after that one ends.
   */
  private async sequence(): Promise<void> {
    await this.db.execute(sql`select events_sequence()`)
  }

  /** After a round, the highest id in the outbox: every event up to it can be read, so this instance reads on from it. */
  private async newestInOutbox(): Promise<number> {
    await this.sequence()
    const [row] = await this.db.select({ position: max(events.position) }).from(events)
    return Number(row?.position ?? 0)
  }

  /**
   * The latest id ever given, after a round: the sequence's, which nothing takes back. The highest id left in the
   * outbox would not do to tell an id from the future: retention purges everything after a quiet day, and a deleted
   * account's events go, so the very cursor a client was just given would look like one this server never gave.
   */
  private async latestId(): Promise<number> {
    await this.sequence()
    const [row] = await rows<{ given: string | number }>(
      this.db,
      sql`select case when is_called then last_value else last_value - 1 end as given from events_position_seq`
    )
    return Number(row?.given ?? 0)
  }

  private wakeTimer: NodeJS.Timeout | null = null
  private lastWake = 0

  /**
   * After this instance committed events: a round of positions and a read of the outbox (delivering here),
   * then one NOTIFY for the other instances (after commit, so commits never queue behind PostgreSQL's
   * notification lock). At most once per WAKE_MS however many writes there were: a burst of writes costs a
   * few statements, not three more per write.
   */
  wake(): void {
    if (this.wakeTimer || this.closed) return
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = null
        this.lastWake = Date.now()
        void this.poll().then(() => {
          if (this.closed) return
          this.database.notify(EVENTS_CHANNEL, this.instanceId).catch((err: unknown) => {
            // The other instances' periodic poll still picks the events up.
            this.options.log.warn({ err: { message: (err as Error).message } }, 'live: NOTIFY failed')
          })
        })
      },
      Math.max(0, this.lastWake + WAKE_MS - Date.now())
    )
  }

  /** Reads everything new in the outbox, in id order; concurrent calls coalesce into one more round. */
  poll(): Promise<void> {
    if (this.closed) return Promise.resolve()
    if (this.polling) {
      this.pollAgain = true
      return this.polling
    }
    this.polling = (async () => {
      const started = Date.now()
      let failed = false
      try {
        do {
          this.pollAgain = false
          await this.sequence()
          for (;;) {
            const rows = await preparedOn(this.db, 'outbox_after', prepareOutboxAfter).execute({ after: this.lastSeen })
            for (const row of rows) {
              this.deliver(row)
              this.lastSeen = positionOf(row)
            }
            if (rows.length < BATCH) break
          }
        } while (this.pollAgain)
      } catch (err) {
        failed = true
        this.options.log.warn({ err: { message: (err as Error).message } }, 'live: reading the outbox failed; will retry')
      } finally {
        this.polling = null
        // A write that committed during the failed round asked for another (pollAgain): it gets one soon, not at the
        // next periodic poll. A round that failed with no one waiting is retried by that poll only, so an outage
        // costs one warning every two seconds, not a loop.
        if (failed && this.pollAgain && !this.closed) setTimeout(() => void this.poll(), RETRY_POLL_MS).unref()
        this.pollAgain = false
        // Every delivery on this instance waited for this round: say so when it was long (a round waiting on a lock,
        // a database slow to answer), as nothing else would show that live news came late.
        const took = Date.now() - started
        if (took > SLOW_POLL_MS) this.options.log.warn({ ms: took }, 'live: reading the outbox took long; live news was late meanwhile')
      }
    })()
    return this.polling
  }

  private allowed(client: LiveClient, sub: Subscription, row: EventRow): boolean {
    const account = client.account
    if (!account) return false
    if (row.restrictedTo && row.restrictedTo !== account.id && !sub.auth.staff) return false
    if (sub.auth.scope && row.boardSlug && !sub.auth.scope.includes(row.boardSlug)) return false
    return true
  }

  private deliver(row: EventRow): void {
    if (row.event === 'session.ended') return this.sessionsEnded((row.data as { sessions?: string[] } | null)?.sessions ?? [])
    if (row.event === 'account.updated' || row.event === 'account.suspended') {
      const view = (row.data as { account?: AccountView } | null)?.account
      if (view) this.refreshAccount({ id: view.id, handle: view.handle, role: view.role, circle: view.circle, suspended: view.status === 'suspended' }, null)
    } else if (row.event === 'thread.updated' && row.restrictedTo && row.channel.startsWith('thread:')) {
      this.threadHidden(row.channel, row.restrictedTo)
    }
    const subscribers = this.channels.get(row.channel)
    if (!subscribers || subscribers.size === 0) return
    let message: string | null = null
    for (const client of subscribers) {
      const sub = client.subs.get(publicName(row.channel))
      if (!sub) continue
      if (sub.buffer) {
        sub.buffer.push(row)
        continue
      }
      if (positionOf(row) <= sub.lastSent || !this.allowed(client, sub, row)) continue
      // Serialised once per event, shared by every socket that receives it.
      message ??= eventFrame(row)
      sub.lastSent = positionOf(row)
      this.send(client, message)
    }
  }

  /** Sends, or drops a client whose unsent data passed the bound instead of letting memory grow. */
  send(client: LiveClient, message: string): void {
    const socket = client.socket
    if (socket.readyState !== socket.OPEN) return
    if (socket.bufferedAmount > this.options.maxBufferedBytes) return this.dropSlowConsumer(client)
    socket.send(message)
  }

  private dropSlowConsumer(client: LiveClient): void {
    const socket = client.socket
    this.options.log.info('live: dropping a slow consumer')
    this.remove(client)
    socket.close(4008, 'slow consumer: too many unsent events')
    setTimeout(() => socket.terminate(), 1000).unref()
  }

  /**
   * Subscribes, optionally resuming after event id `since`: every later event of the channel is sent in
   * order, then live ones, with no gap and no duplicate. The subscription is registered (buffering) before
   * the channel is authorised and the outbox is read, so an event committed meanwhile is either in the replay
   * or in the buffer — and the lastSent watermark drops the one that is in both.
   */
  async subscribe(client: LiveClient, name: string, since: string | undefined): Promise<void> {
    const account = client.account
    if (!account) throw new DomainError('unauthenticated', 'Authenticate first.')
    if (since !== undefined && !/^\d{1,18}$/.test(since)) {
      throw new DomainError('validation_failed', 'since must be an event id from this server.')
    }
    // A client already removed (closed, dropped) must not be registered again: nothing would remove it.
    if (!this.clients.has(client)) return
    const internal = channelOf(account.id, name)
    const key = publicName(internal)
    this.unsubscribe(client, key)
    if (client.subs.size >= 100) throw new DomainError('validation_failed', 'At most 100 subscriptions per socket.')

    // Registered, and held, before the channel is authorised: news that ends the channel while it is read (the
    // thread hidden, the account demoted) finds the subscription and ends it, and news delivered before the
    // read began is in what it reads. Live from what this instance has read: no query per subscription (10,000
    // sockets subscribing at once would be 10,000 queries); an event committed just before, not yet read,
    // arrives live — never a gap.
    const sub: Subscription = { auth: { internal, scope: null, staff: false }, lastSent: this.lastSeen, buffer: null, holds: 0 }
    let set = this.channels.get(internal)
    if (!set) this.channels.set(internal, (set = new Set()))
    set.add(client)
    client.subs.set(key, sub)
    this.hold(sub)
    // Ended while a read was awaited (by news, whose handler told the client, or by the socket closing): the
    // subscribe stops there, and never registers a closed socket again.
    const ended = () => client.subs.get(key) !== sub
    const unauthorised = sub.auth
    try {
      const auth = await authoriseChannel(this.db, account, name, this.options.clock.now())
      if (ended()) return
      // The account changed meanwhile and the subscription was authorised again: that read began later.
      if (sub.auth === unauthorised) sub.auth = auth
      // Hidden while this read was answered: a reader who is not staff on its board is told so, not subscribed.
      if (this.hiddenFrom(client, sub)) throw new DomainError('not_found', 'That thread is no longer available.')
      if (since === undefined) {
        this.send(client, frame({ type: 'subscribed', channel: key, cursor: String(sub.lastSent) }))
        this.releaseHold(client, sub)
        return
      }
      await this.replay(client, key, sub, since, ended)
    } catch (error) {
      if (ended()) return
      this.unsubscribe(client, key)
      throw error
    }
  }

  /**
   * Sends a resume's events, `from` excluded, then what was held meanwhile. Nothing of the replay is loaded to decide
   * that it is too long (a count over at most MAX_REPLAY + 1 rows), what the subscriber may not read is left in the
   * database, and the rest is read and sent a page at a time, each page once the client has read most of the last:
   * a resume holds one page in memory, however long it is, and a large one is never dropped as a slow consumer.
   * It reads only what this instance's hub has read (lastSeen, L3 in the live review): account news and thread
   * hides are applied in that order before anything after them is sent, and what comes later reaches the held
   * subscription through deliver, in order (sendIfNew drops what the replay already sent).
   */
  private async replay(client: LiveClient, key: string, sub: Subscription, since: string, ended: () => boolean): Promise<void> {
    const accountId = client.account!.id
    const below = Math.min(REPLAY_DRAIN_BELOW_BYTES, this.options.maxBufferedBytes / 4)
    // A resume reads under a turn (src/live/limits.ts), and gives it back while it waits for its client to read: a
    // client that reads slowly, or hardly at all, holds no turn and no page (the next page is read after it drains).
    let release: (() => void) | null = await this.replays.acquire(accountId)
    /** Waits until the client has read its socket down to `below`, without the turn meanwhile: false if it went. */
    const clientRead = async () => {
      if (client.socket.bufferedAmount <= below) return client.socket.readyState === client.socket.OPEN
      release?.()
      release = null
      if (!(await this.drained(client, below))) return false
      release = await this.replays.acquire(accountId)
      return !ended()
    }
    try {
      if (ended()) return
      const from = Number(since)
      const gone = () => new DomainError('resync_required', 'Those events are no longer kept; reload and subscribe again.')
      const latest = await this.latestId()
      if (ended()) return
      if (from > latest) throw gone()
      const cap = this.lastSeen
      const [counted] = await rows<{ n: string | number }>(
        this.db,
        sql`select count(*) as n from (select 1 from ${events} where ${this.replayable(sub.auth, accountId, from, cap)} limit ${MAX_REPLAY + 1}) kept`
      )
      // The retention bound is read after the count: a purge that committed before the count's read also shows here,
      // so a replay it cut short is never taken for a whole one.
      const purged = await this.purgedThrough()
      if (ended()) return
      if (from < purged) throw gone()
      if (Number(counted?.n ?? 0) > MAX_REPLAY) throw new DomainError('resync_required', 'Too many events missed; reload and subscribe again.')
      this.send(client, frame({ type: 'subscribed', channel: key, cursor: since }))
      sub.lastSent = from
      for (;;) {
        if (!(await clientRead()) || !(await this.settled(sub, ended))) return
        if (this.hiddenFrom(client, sub)) return this.endHidden(client, key)
        const auth = sub.auth
        const page = await this.replayPage(auth, accountId, sub.lastSent, cap)
        if (ended()) return
        let more = page.length === REPLAY_PAGE_ROWS
        for (const row of page) {
          if (!row.included) break
          // The client has not read enough yet, or the subscription was authorised again meanwhile (or is being so): the
          // page is let go, and the rest read again from what was sent, once the client has read, under the answer then.
          if (client.socket.bufferedAmount > below || sub.holds > 1 || sub.auth !== auth) {
            more = true
            break
          }
          this.sendIfNew(client, sub, row)
        }
        if (!more && page.every((row) => row.included)) break
      }
      // A purge that ran while the pages were read may have taken some before they were read: the client reloads.
      const purgedSince = await this.purgedThrough()
      if (ended()) return
      if (purgedSince > purged && purgedSince > from) {
        this.unsubscribe(client, key)
        this.send(client, frame({ type: 'error', code: 'resync_required', message: 'Those events are no longer kept; reload and subscribe again.', channel: key }))
        return
      }
      this.releaseHold(client, sub)
    } finally {
      release?.()
    }
  }

  private async purgedThrough(): Promise<number> {
    const [retention] = await this.db.select().from(eventRetention).where(eq(eventRetention.id, 1))
    return Number(retention?.purgedThrough ?? 0)
  }

  /** The channel's events after `from`, up to `cap`, that this authorisation may read: allowed()'s rules, in SQL. */
  private replayable(auth: Authorised, accountId: string, from: number, cap: number) {
    return and(
      eq(events.channel, auth.internal),
      gt(events.position, from),
      lte(events.position, cap),
      auth.staff ? undefined : or(isNull(events.restrictedTo), eq(events.restrictedTo, accountId)),
      auth.scope ? or(isNull(events.boardSlug), inArray(events.boardSlug, auth.scope)) : undefined
    )
  }

  /**
   * One page of a replay: up to REPLAY_PAGE_ROWS events, cut after about REPLAY_PAGE_BYTES of data (the first always
   * included). The events past the cut come without their data (`included` false), so the caller knows more follow.
   */
  private async replayPage(auth: Authorised, accountId: string, after: number, cap: number): Promise<Array<EventRow & { included: boolean }>> {
    const page = await rows<{
      id: string | number
      position: string | number
      channel: string
      event: string
      data: unknown
      restricted_to: string | null
      board_slug: string | null
      created_at: Date | string
      included: boolean
    }>(
      this.db,
      sql`select id, position, channel, event, case when included then data end as data, restricted_to, board_slug, created_at, included
        from (select ${events}.*, coalesce(sum(octet_length(data::text)) over (order by position rows between unbounded preceding and 1 preceding), 0) < ${REPLAY_PAGE_BYTES} as included
                from ${events} where ${this.replayable(auth, accountId, after, cap)} order by position limit ${REPLAY_PAGE_ROWS}) page
        order by position`
    )
    return page.map((r) => ({
      id: Number(r.id),
      position: Number(r.position),
      channel: r.channel,
      event: r.event,
      data: r.data,
      restrictedTo: r.restricted_to,
      boardSlug: r.board_slug,
      createdAt: new Date(r.created_at),
      included: r.included
    }))
  }

  /**
   * Waits until the client has read its socket down to `below` bytes unsent: false if the socket closed, or was
   * dropped as a slow consumer after reading nothing for REPLAY_STALL_MS.
   */
  private async drained(client: LiveClient, below: number): Promise<boolean> {
    const socket = client.socket
    let waited = 0
    let unsent = socket.bufferedAmount
    while (socket.readyState === socket.OPEN && socket.bufferedAmount > below) {
      if (socket.bufferedAmount < unsent) waited = 0
      unsent = socket.bufferedAmount
      if (waited >= REPLAY_STALL_MS) {
        this.dropSlowConsumer(client)
        return false
      }
      await sleep(10)
      waited += 10
    }
    return socket.readyState === socket.OPEN
  }

  /** Waits while another hold (a re-authorisation) is on the subscription: false if it ended meanwhile. */
  private async settled(sub: Subscription, ended: () => boolean): Promise<boolean> {
    while (sub.holds > 1 && !ended()) await new Promise<void>((resolve) => (sub.wake = resolve))
    sub.wake = undefined
    return !ended()
  }

  private hold(sub: Subscription): void {
    sub.holds++
    sub.buffer ??= []
  }

  /** The last holder sends what waited, in order. */
  private releaseHold(client: LiveClient, sub: Subscription): void {
    if (--sub.holds > 0) return sub.wake?.()
    if (this.hiddenFrom(client, sub)) {
      this.endHidden(client, publicName(sub.auth.internal))
      return
    }
    const held = sub.buffer ?? []
    sub.buffer = null
    for (const row of held) this.sendIfNew(client, sub, row)
  }

  private sendIfNew(client: LiveClient, sub: Subscription, row: EventRow) {
    if (positionOf(row) <= sub.lastSent) return
    sub.lastSent = positionOf(row)
    if (!this.allowed(client, sub, row)) return
    this.send(client, eventFrame(row))
  }

  unsubscribe(client: LiveClient, name: string): boolean {
    const sub = client.subs.get(name)
    if (!sub) return false
    client.subs.delete(name)
    sub.wake?.()
    const set = this.channels.get(sub.auth.internal)
    set?.delete(client)
    if (set?.size === 0) this.channels.delete(sub.auth.internal)
    return true
  }

  /**
   * The account changed (its role, its boards as a moderator, circle or suspension): every socket of it takes
   * the new copy, and each of their subscriptions is authorised again, its events held meanwhile; one the
   * account may no longer read ends with an error, as a fresh subscribe would (a demoted moderator loses
   * `moderation` and the boards of the other circle at once, not when the socket closes).
   */
  refreshAccount(fresh: LiveAccount, readAt: number | null): void {
    const entry = this.sharedAccounts.get(fresh.id)
    if (!entry) {
      if (readAt === null) this.noteChangeWithoutSocket(fresh.id)
      return
    }
    // A copy read from the database before an event changed the account is older than what the event said.
    if (readAt !== null && entry.changedAt > readAt) return
    if (readAt === null) entry.changedAt = ++this.epoch
    // An event may be about what this copy does not hold (the boards a moderator moderates, which the `moderation`
    // channel's authorisation keeps): after one, every subscription is authorised again even if the copy is unchanged.
    if (readAt !== null && sameAccount(entry.value, fresh)) return
    Object.assign(entry.value, fresh)
    for (const client of this.clients) {
      if (client.account !== entry.value) continue
      for (const [key, sub] of client.subs) void this.reauthorise(client, key, sub)
    }
  }

  private async reauthorise(client: LiveClient, key: string, sub: Subscription): Promise<void> {
    this.hold(sub)
    const current = () => client.subs.get(key) === sub
    try {
      const auth = await authoriseChannel(this.db, client.account!, key, this.options.clock.now())
      if (!current()) return
      sub.auth = auth
      this.releaseHold(client, sub)
    } catch (error) {
      if (!current()) return
      this.unsubscribe(client, key)
      const code = error instanceof DomainError ? error.code : 'unavailable'
      this.send(client, frame({ type: 'error', code, message: 'This channel can no longer be read; subscribe again if you may.', channel: key }))
    }
  }

  /** Reads the account again and gives its sockets that copy, unless an event changed it meanwhile. */
  private async reloadAccount(id: string): Promise<void> {
    const readAt = this.epoch
    try {
      const [row] = await this.db.select(LIVE_ACCOUNT_COLUMNS).from(accounts).where(eq(accounts.id, id)).limit(1)
      if (row) this.refreshAccount(liveAccount(row, this.options.clock.now()), readAt)
    } catch (err) {
      // The next session check (every sessionCheckMs) reads it again.
      this.options.log.warn({ err }, 'live: reading an account again failed')
    }
  }

  /**
   * A thread was held or removed (its thread.updated is then restricted to its author and staff): readers who
   * subscribed while it was visible lose it before any later event of it, as a fresh subscribe would.
   */
  private threadHidden(internal: string, author: string): void {
    const key = publicName(internal)
    for (const client of [...(this.channels.get(internal) ?? [])]) {
      const sub = client.subs.get(key)
      if (!sub || client.account?.id === author) continue
      // Still being authorised (a subscribe, or the account's news): whether it reads as staff is not known yet.
      if (sub.holds > 0) sub.hiddenPending = author
      else if (!sub.auth.staff) this.endHidden(client, key)
    }
  }

  /** Whether news that the thread was hidden, which came while the subscription was being authorised, ends it. */
  private hiddenFrom(client: LiveClient, sub: Subscription): boolean {
    const author = sub.hiddenPending
    if (author === undefined) return false
    sub.hiddenPending = undefined
    return !sub.auth.staff && client.account?.id !== author
  }

  private endHidden(client: LiveClient, key: string): void {
    this.unsubscribe(client, key)
    this.send(client, frame({ type: 'error', code: 'not_found', message: 'That thread is no longer available.', channel: key }))
  }

  /** Closes the sockets of a session that ended on this instance (sign-out), before its news comes back. */
  endSession(sessionId: string): void {
    this.sessionsEnded([sessionId])
  }

  /** Sessions that ended on any instance (news on channel.sessions): their sockets here close as endSession's do. */
  private sessionsEnded(ids: string[]): void {
    const ended = new Set(ids)
    for (const client of this.clients) {
      if (client.sessionId && ended.has(client.sessionId)) client.socket.close(4401, 'session ended')
    }
  }

  endAccount(accountId: string): void {
    for (const client of this.clients) {
      if (client.account?.id === accountId) client.socket.close(4401, 'session ended')
    }
  }

  /** Sessions can end on another instance or expire: one query re-checks every socket's session. */
  private async checkSessions(): Promise<void> {
    const bySession = new Map<string, LiveClient[]>()
    for (const client of this.clients) {
      if (!client.sessionId) continue
      let list = bySession.get(client.sessionId)
      if (!list) bySession.set(client.sessionId, (list = []))
      list.push(client)
    }
    if (bySession.size === 0) return
    const ids = [...bySession.keys()]
    const now = this.options.clock.now()
    const readAt = this.epoch
    // The accounts come along: a change another path made without an event (a suspension that lapsed, the
    // admin CLI) reaches the sockets here at the latest.
    const live = await this.db
      .select({ id: sessions.id, account: LIVE_ACCOUNT_COLUMNS })
      .from(sessions)
      .innerJoin(accounts, eq(accounts.id, sessions.accountId))
      .where(and(inArray(sessions.id, ids), gt(sessions.expiresAt, now)))
    const valid = new Set(live.map((s) => s.id))
    for (const [id, clients] of bySession) {
      if (!valid.has(id)) for (const client of clients) client.socket.close(4401, 'session ended')
    }
    for (const { account } of live) this.refreshAccount(liveAccount(account, now), readAt)
  }

  /** Ping every socket; one that did not answer the previous ping is dead and is dropped. */
  private heartbeat(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        this.remove(client)
        client.socket.terminate()
        continue
      }
      client.alive = false
      client.socket.ping()
    }
  }

  /** Retention: events older than EVENT_RETENTION_HOURS go; resuming before them answers resync_required. */
  async purge(): Promise<void> {
    // Old events still waiting for a position get theirs first, so the purge's bound covers them.
    await this.sequence()
    const cutoff = new Date(this.options.clock.now().getTime() - this.options.retentionHours * 3_600_000)
    await this.db.transaction(async (tx) => {
      const [newest] = await tx.select({ position: max(events.position) }).from(events).where(lt(events.createdAt, cutoff))
      if (!newest?.position) return
      await tx.delete(events).where(sql`${events.position} <= ${newest.position}`)
      await tx
        .update(eventRetention)
        .set({ purgedThrough: sql`greatest(${eventRetention.purgedThrough}, ${newest.position})` })
        .where(eq(eventRetention.id, 1))
    })
  }
}
