/** Statistics the HTTP benchmarks report (http.ts, http-instructions.ts). */
import { rng } from './discovery/vocabulary';

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface Interval {
  median: number;
  low: number;
  high: number;
}

/**
 * The median of per-round values (each round's B over its A) and a percentile bootstrap interval
 * for it that respects how the rounds were run: each round ran on one pair of server processes
 * (its `group`, the forks), and a process can stay fast or slow for its whole life, so rounds of
 * one group are not independent. Each resample draws as many groups as there are, with
 * replacement, then each drawn group's rounds with replacement (a two-stage cluster bootstrap),
 * and takes the median. With one group it is the plain bootstrap over rounds. Seeded: a report
 * gives the same interval for the same rounds.
 */
export function clusteredMedianInterval(
  rounds: readonly { group: number; value: number }[],
  options: { level?: number; resamples?: number; seed?: number } = {},
): Interval {
  const { level = 0.95, resamples = 2000, seed = 1 } = options;
  if (rounds.length === 0) throw new Error('clusteredMedianInterval: no rounds');
  const groups = new Map<number, number[]>();
  for (const { group, value } of rounds) {
    const values = groups.get(group);
    if (values) values.push(value);
    else groups.set(group, [value]);
  }
  const lists = [...groups.values()];
  const random = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const medians: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const sample: number[] = [];
    for (let g = 0; g < lists.length; g++) {
      const values = pick(lists);
      for (let i = 0; i < values.length; i++) sample.push(pick(values));
    }
    medians.push(median(sample));
  }
  medians.sort((a, b) => a - b);
  return { median: median(rounds.map((r) => r.value)), ...percentileInterval(medians, level) };
}

/**
 * The central `level` of sorted values: as many values below `low` as above `high`
 * (round((1 - level) / 2 × n) each side).
 */
export function percentileInterval(
  sorted: readonly number[],
  level: number,
): { low: number; high: number } {
  if (sorted.length === 0) throw new Error('percentileInterval: no values');
  const k = Math.min(
    Math.floor((sorted.length - 1) / 2),
    Math.round(((1 - level) / 2) * sorted.length),
  );
  return { low: sorted[k]!, high: sorted[sorted.length - 1 - k]! };
}
