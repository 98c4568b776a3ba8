/** Small numeric helpers shared by the bench parts. */

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
