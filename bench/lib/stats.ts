// Small statistics for benchmark trials: median, min, max, percentiles, and
// how they print in the markdown tables. Timings are reported, never judged.

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function summarize(values: readonly number[]): Summary | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v[v.length - 1]!, n: v.length };
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * v.length));
  return v[Math.min(v.length, rank) - 1]!;
}

/** "0.112 (0.101–0.130)" with `digits` decimals; "—" when there is nothing. */
export function fmt(s: Summary | null, digits = 3): string {
  if (!s) return '—';
  if (s.n === 1 || s.min === s.max) return s.median.toFixed(digits);
  return `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
}

/** ours / other of the medians, as "1.23×"; "—" when either is missing. */
export function ratio(ours: Summary | null, other: Summary | null): string {
  if (!ours || !other || other.median === 0) return '—';
  return `${(ours.median / other.median).toFixed(2)}×`;
}
