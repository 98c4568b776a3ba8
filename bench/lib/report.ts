/** One measured figure, side by side with its floor. */
export interface Figure {
  part: string
  figure: string
  unit: string
  lantern: number
  floor: number | null
  /** lantern / floor (for latencies and memory: how many times the floor). */
  ratio: number | null
  target: string
  /** null: reported, no target. */
  met: boolean | null
  note?: string
}

export interface BenchContextLog {
  (line: string): void
}

export const log: BenchContextLog = (line) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`)

export function ratioOf(lantern: number, floor: number | null): number | null {
  if (floor === null || !Number.isFinite(floor) || floor === 0 || !Number.isFinite(lantern)) return null
  return Number((lantern / floor).toFixed(3))
}

const fmt = (v: number | null) =>
  v === null ? '-' : !Number.isFinite(v) ? 'n/a' : Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(Number(v.toFixed(2)))

/** Prints the figures as an aligned text table. */
export function printFigures(figures: Figure[]): void {
  const header = ['part', 'figure', 'lantern', 'floor', 'ratio', 'target', 'met']
  const rows = figures.map((f) => [
    f.part,
    `${f.figure} (${f.unit})`,
    fmt(f.lantern),
    fmt(f.floor),
    f.ratio === null ? '-' : f.ratio.toFixed(2),
    f.target,
    f.met === null ? '-' : f.met ? 'yes' : 'NO'
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')
  console.log(line(header))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const r of rows) console.log(line(r))
  const notes = figures.filter((f) => f.note)
  if (notes.length) {
    console.log('')
    for (const f of notes) console.log(`  note: ${f.part} / ${f.figure}: ${f.note}`)
  }
}
