/**
 * What one client may make a live instance hold and do (found in review: unlimited sockets, and resumes that loaded
 * up to 5,001 whole events each, any number at once, ran an instance out of memory). The socket counts are settings
 * (LIVE_SOCKETS_PER_ACCOUNT, LIVE_SOCKETS_PER_ADDRESS, LIVE_UNAUTHENTICATED_SOCKETS_PER_ADDRESS; src/config.ts), the
 * replays' turns constants. Each instance counts its own: behind N instances a client may hold N times as many sockets.
 */
/** Open sockets an instance allows (the LIVE_SOCKETS_* settings: Config['liveSockets']). */
export interface SocketLimits {
  /** Sockets of one account on this instance: tabs and devices, with room for reconnects not yet noticed as closed. */
  perAccount: number
  /** Sockets from one client address (as rate limits count it: src/http/security.ts addressKey), signed in or not. */
  perAddress: number
  /** Sockets from one address that have not authenticated yet (each may try one token within the auth timeout). */
  unauthenticatedPerAddress: number
}

/** Resumes reading at once on an instance, and of one account (a socket replays one at a time already); more wait their turn. */
export const REPLAY_TURNS = { perInstance: 4, perAccount: 2 } as const

/** A replay is read in pages of at most this many events (keyset on position)… */
export const REPLAY_PAGE_ROWS = 200
/** …and of about this many bytes of event data (always one event at least: a post's event is at most ~100 KB). */
export const REPLAY_PAGE_BYTES = 512 * 1024
/**
 * A replay sends while the socket's unsent data is under this (or a quarter of LIVE_MAX_BUFFERED_BYTES, if less),
 * then waits for the client to read: a large resume is sent as fast as the client takes it, never dropped as a slow
 * consumer (4008) for the server's own burst.
 */
export const REPLAY_DRAIN_BELOW_BYTES = 256 * 1024
/** A client that reads nothing of its replay for this long is a slow consumer (4008): its turn goes to others. */
export const REPLAY_STALL_MS = 30_000

/**
 * A token bucket per socket and kind of message: `rate` a second, up to `burst` at once. A message over it is
 * refused (rate_limited) and still counted, as a debt: a client that sends another `burst` without waiting is closed.
 */
export interface Allowance {
  rate: number
  burst: number
}
/** subscribe and unsubscribe: a client restoring its 100 channels in one write is served (the socket's maximum). */
export const SUBSCRIBE_ALLOWANCE: Allowance = { rate: 20, burst: 100 }
/** ping (and anything else that is not auth): a heartbeat is one every few seconds; a burst of 200 is still answered. */
export const PING_ALLOWANCE: Allowance = { rate: 10, burst: 250 }

/**
 * A socket's first messages are only counted (one small integer): its buckets are made at the next one, with these
 * taken from them. Most sockets send a few subscribes and nothing more, and an idle socket's memory is a target
 * (under 4 KiB): two buckets each would cost it about 80 bytes.
 */
export const FREE_MESSAGES = 20

export class TokenBucket {
  private tokens: number
  private at: number

  /** `spent`: messages already taken before the bucket was made (FREE_MESSAGES), as if all just now. */
  constructor(
    private readonly allowance: Allowance,
    now: number,
    spent = 0
  ) {
    this.tokens = allowance.burst - spent
    this.at = now
  }

  /** 'ok', 'refused' (answer rate_limited), or 'close' (refused a whole burst more: close 1008). */
  take(now: number): 'ok' | 'refused' | 'close' {
    const { rate, burst } = this.allowance
    this.tokens = Math.min(burst, this.tokens + ((now - this.at) / 1000) * rate)
    this.at = now
    this.tokens -= 1
    if (this.tokens >= 0) return 'ok'
    return this.tokens <= -burst ? 'close' : 'refused'
  }
}

/** What is counted of one address: its sockets, and how many of them have not authenticated. */
export interface AddressCount {
  readonly key: string
  sockets: number
  unauthenticated: number
}

/**
 * Open sockets per account and per address on this instance. A socket is counted from its upgrade until it closes
 * (a socket dropped by the hub still holds its connection until then).
 */
export class SocketCounts {
  private readonly addresses = new Map<string, AddressCount>()
  private readonly accounts = new Map<string, number>()

  constructor(private readonly limits: SocketLimits) {}

  /** Why an upgrade from this address (and account, if the request carried a session) is refused, or null. */
  refusal(address: string, accountId: string | null): string | null {
    const count = this.addresses.get(address)
    if (count && count.sockets >= this.limits.perAddress) return 'Too many live connections from this address.'
    if (accountId === null) {
      return count && count.unauthenticated >= this.limits.unauthenticatedPerAddress ? 'Too many unauthenticated live connections from this address.' : null
    }
    return this.accountFull(accountId) ? 'Too many live connections for this account.' : null
  }

  accountFull(accountId: string): boolean {
    return (this.accounts.get(accountId) ?? 0) >= this.limits.perAccount
  }

  open(address: string, accountId: string | null): AddressCount {
    let count = this.addresses.get(address)
    if (!count) this.addresses.set(address, (count = { key: address, sockets: 0, unauthenticated: 0 }))
    count.sockets++
    if (accountId === null) count.unauthenticated++
    else this.accounts.set(accountId, (this.accounts.get(accountId) ?? 0) + 1)
    return count
  }

  authenticated(count: AddressCount, accountId: string): void {
    count.unauthenticated--
    this.accounts.set(accountId, (this.accounts.get(accountId) ?? 0) + 1)
  }

  close(count: AddressCount, accountId: string | null): void {
    if (--count.sockets === 0) this.addresses.delete(count.key)
    if (accountId === null) {
      count.unauthenticated--
      return
    }
    const left = (this.accounts.get(accountId) ?? 1) - 1
    if (left === 0) this.accounts.delete(accountId)
    else this.accounts.set(accountId, left)
  }
}

/**
 * Turns for replays: at most `replaysPerInstance` at once on this instance and `replaysPerAccount` per account; the
 * others wait, first come first served (one a socket at most: a socket handles its messages one at a time).
 */
export class ReplayGate {
  private running = 0
  private readonly perAccount = new Map<string, number>()
  private readonly waiting: Array<{ accountId: string; grant: () => void }> = []

  /** Resolves with the function that gives the turn back (call it exactly once). */
  acquire(accountId: string): Promise<() => void> {
    return new Promise((resolve) => {
      this.waiting.push({ accountId, grant: () => resolve(() => this.release(accountId)) })
      this.next()
    })
  }

  private release(accountId: string): void {
    this.running--
    const left = (this.perAccount.get(accountId) ?? 1) - 1
    if (left === 0) this.perAccount.delete(accountId)
    else this.perAccount.set(accountId, left)
    this.next()
  }

  private next(): void {
    for (let i = 0; i < this.waiting.length && this.running < REPLAY_TURNS.perInstance; ) {
      const { accountId, grant } = this.waiting[i]!
      const own = this.perAccount.get(accountId) ?? 0
      if (own >= REPLAY_TURNS.perAccount) {
        i++
        continue
      }
      this.waiting.splice(i, 1)
      this.running++
      this.perAccount.set(accountId, own + 1)
      grant()
    }
  }
}
