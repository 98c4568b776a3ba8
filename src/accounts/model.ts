import type { accounts } from '../db/schema.js'

export type AccountRow = typeof accounts.$inferSelect & {
  /**
   * The boards a moderator moderates, when the session check read them (src/http/auth.ts): a moderator limited to
   * some boards is staff on those only, and elsewhere reads as a member of their circle. Null or absent: every board.
   */
  moderates?: readonly string[] | null
}
export type Circle = AccountRow['circle']
export type Role = AccountRow['role']

/** The account as the contract shows it. */
export interface AccountView {
  id: string
  handle: string
  circle: Circle
  role: Role
  status: AccountRow['status']
  createdAt: string
}

export function isStaff(account: Pick<AccountRow, 'role'>): boolean {
  return account.role === 'moderator' || account.role === 'admin'
}

/** Suspensions lapse by themselves when their time is up. */
export function effectiveStatus(account: Pick<AccountRow, 'status' | 'suspendedUntil'>, now: Date): AccountRow['status'] {
  if (account.status === 'suspended' && account.suspendedUntil && account.suspendedUntil.getTime() <= now.getTime()) {
    return 'active'
  }
  return account.status
}

export function accountView(account: AccountRow, now: Date): AccountView {
  return {
    id: account.id,
    handle: account.handle,
    circle: account.circle,
    role: account.role,
    status: effectiveStatus(account, now),
    createdAt: account.createdAt.toISOString()
  }
}
