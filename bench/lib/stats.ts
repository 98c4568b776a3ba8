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
 * CPU time (user + system, µs) used so far by the PostgreSQL server processes on this machine, read from
 * /proc; null where that cannot be read (another OS, or a database elsewhere), and then not reported.
 */
export function postgresCpuUs(): number | null {
  let ticks = 0
  let found = false
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
      // utime + stime, and cutime + cstime: the postmaster's reaped children, so a backend that exits
      // during a measurement (a pool closing an idle connection) does not take its CPU time with it.
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])
      found = true
    }
  } catch {
    return null
  }
  // Linux reports in clock ticks of 1/100 s (USER_HZ) on every common architecture.
  return found ? ticks * 10_000 : null
}
