/** Small numeric helpers shared by the bench parts. */
import { readdirSync, readFileSync } from 'node:fs'

/** Nearest-rank percentile of an ascending-sorted array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] as number
}

export function sortNumbers(values: number[]): Float64Array {
  const array = Float64Array.from(values)
  array.sort()
  return array
}

export const round = (value: number, digits = 1) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : NaN)

/** The wall clock shared by every process on the machine, in milliseconds with sub-millisecond precision. */
export const wallMs = () => performance.timeOrigin + performance.now()

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * CPU time (user + system, µs) used so far by each PostgreSQL server process on this machine, read from
 * /proc; null where that cannot be read (another OS, or a database elsewhere), and then not reported.
 */
export function postgresCpu(): Map<number, number> | null {
  const byPid = new Map<number, number>()
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue
      let stat: string
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      } catch {
        continue
      }
      // comm is in parentheses and may hold spaces; the fields after it are space-separated.
      const close = stat.lastIndexOf(')')
      if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue
      const fields = stat.slice(close + 2).split(' ')
      // utime + stime, in clock ticks of 1/100 s (USER_HZ on every common Linux architecture).
      byPid.set(Number(pid), (Number(fields[11]) + Number(fields[12])) * 10_000)
    }
  } catch {
    return null
  }
  return byPid.size ? byPid : null
}

/**
 * The CPU time PostgreSQL's processes spent between two readings: a process born in between counts whole, one
 * that exited in between is missed (its time cannot be read any more), so a pool closing idle connections
 * neither adds their past nor goes negative.
 */
export function postgresCpuBetween(before: Map<number, number> | null, after: Map<number, number> | null): number | null {
  if (!before || !after) return null
  let us = 0
  for (const [pid, spent] of after) us += spent - (before.get(pid) ?? 0)
  return us
}
