import { sha256 } from '@oslojs/crypto/sha2'
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding'
import { and, eq, lt, ne, sql } from 'drizzle-orm'
import { randomBytes } from 'node:crypto'
import type { Clock } from '../clock.js'
import type { Db } from '../db/client.js'
import { preparedOn } from '../db/prepared.js'
import { accounts, sessions } from '../db/schema.js'
import { channel } from '../live/channels.js'
import { type LiveEvent, writeEvents } from '../live/outbox.js'
import type { AccountRow } from './model.js'

/**
 * Sessions after Lucia's design (lucia-auth.com/sessions): the client holds a random token; the database
 * holds only its SHA-256, so a leaked sessions table opens no account. Expiry slides forward when a session
 * is used in the second half of its life.
 */
export interface SessionRecord {
  id: string
  accountId: string
  expiresAt: Date
}

export type TokenGenerator = () => string

// Every request looks its session up: a prepared statement (src/db/prepared.ts).
const prepareSessionById = (db: Db) =>
  db
    .select({ session: sessions, account: accounts })
    .from(sessions)
    .innerJoin(accounts, eq(accounts.id, sessions.accountId))
    .where(eq(sessions.id, sql.placeholder('id')))
    .limit(1)
    .prepare('lantern_session_by_id')

const sessionById = (db: Db) => preparedOn(db, 'session_by_id', prepareSessionById)

/** A session row with its account, as a lookup finds it. */
export interface SessionRow {
  session: typeof sessions.$inferSelect
  account: AccountRow
}

/**
 * Finds a session by id. The default reads the session and its account; a route may look it up together
 * with what its handler reads first, in one statement (see the reply route), saving a round trip.
 */
export type SessionLookup = (db: Db, id: string) => Promise<SessionRow | undefined>

const lookupById: SessionLookup = async (db, id) => (await sessionById(db).execute({ id }))[0]

/** 20 random bytes (160 bits), base32: Lucia's recommended token. */
export const generateSessionToken: TokenGenerator = () => encodeBase32LowerCaseNoPadding(randomBytes(20))

export function sessionIdFromToken(token: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(token)))
}

export interface SessionDeps {
  db: Db
  clock: Clock
  ttlDays: number
  generateToken?: TokenGenerator
}

/**
 * Opens a session for the account, or answers null if the account is deleted (or gone). The insert reads the
 * account under a key-share lock: a sign-in whose password was checked just before the account's deletion either
 * stores its session first (the deletion, which locks the account's row, then ends it with the others), or waits
 * for the deletion and, reading the account again as it committed, stores nothing. Read without the lock, the
 * account would still look active, and the session would outlive the deletion.
 */
export async function createSession(
  deps: SessionDeps,
  accountId: string
): Promise<{ token: string; session: SessionRecord } | null> {
  const token = (deps.generateToken ?? generateSessionToken)()
  const now = deps.clock.now()
  const session = {
    id: sessionIdFromToken(token),
    accountId,
    expiresAt: new Date(now.getTime() + deps.ttlDays * 86_400_000)
  }
  const stored = await deps.db
    .insert(sessions)
    .select(
      deps.db
        .select({
          id: sql<string>`${session.id}::text`.as('id'),
          accountId: accounts.id,
          createdAt: sql<Date>`${now.toISOString()}::timestamptz`.as('created_at'),
          expiresAt: sql<Date>`${session.expiresAt.toISOString()}::timestamptz`.as('expires_at')
        })
        .from(accounts)
        .where(and(eq(accounts.id, accountId), ne(accounts.status, 'deleted')))
        .for('key share')
    )
    .returning({ id: sessions.id })
  return stored.length ? { token, session } : null
}

/**
 * The account behind a token, or null. Expired sessions are deleted; a session past half its life is
 * extended (`renewed` tells the caller to refresh the cookie).
 */
export async function validateSessionToken(
  deps: SessionDeps,
  token: string,
  lookup: SessionLookup = lookupById
): Promise<{ session: SessionRecord; account: AccountRow; renewed: boolean } | null> {
  if (!/^[a-z2-7]{16,64}$/.test(token)) return null
  const id = sessionIdFromToken(token)
  const row = await lookup(deps.db, id)
  if (!row) return null
  const now = deps.clock.now().getTime()
  const ttl = deps.ttlDays * 86_400_000
  if (now >= row.session.expiresAt.getTime()) {
    await deps.db.delete(sessions).where(eq(sessions.id, id))
    return null
  }
  if (row.account.status === 'deleted') return null
  let renewed = false
  const session: SessionRecord = { id, accountId: row.session.accountId, expiresAt: row.session.expiresAt }
  if (now >= row.session.expiresAt.getTime() - ttl / 2) {
    session.expiresAt = new Date(now + ttl)
    await deps.db.update(sessions).set({ expiresAt: session.expiresAt }).where(eq(sessions.id, id))
    renewed = true
  }
  return { session, account: row.account, renewed }
}

/**
 * News for every instance that these sessions ended (sign-out, account deletion, create-admin): each closes their
 * sockets (4401) as soon as it reads the outbox, not at its next session check up to 15 s later. On a channel no
 * client can subscribe to; it carries the sessions' ids (hashes of their tokens), which open nothing.
 */
const sessionsEnded = (ids: string[]): LiveEvent => ({ channel: channel.sessions, event: 'session.ended', data: { sessions: ids } })

export async function invalidateSession(db: Db, sessionId: string, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    const ended = await tx.delete(sessions).where(eq(sessions.id, sessionId)).returning({ id: sessions.id })
    if (ended.length) await writeEvents(tx, now, [sessionsEnded([sessionId])])
  })
}

/** Ends every session of an account, in the caller's transaction; resolves to how many there were. */
export async function invalidateAllSessions(tx: Db, accountId: string, now: Date): Promise<number> {
  const ended = await tx.delete(sessions).where(eq(sessions.accountId, accountId)).returning({ id: sessions.id })
  if (ended.length) await writeEvents(tx, now, [sessionsEnded(ended.map((row) => row.id))])
  return ended.length
}

export async function deleteExpiredSessions(db: Db, clock: Clock): Promise<void> {
  await db.delete(sessions).where(lt(sessions.expiresAt, clock.now()))
}
