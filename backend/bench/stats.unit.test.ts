import { describe, expect, it } from 'vitest';
import { clusteredMedianInterval, median, percentileInterval } from './stats';

describe('median', () => {
  it('is the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('clusteredMedianInterval', () => {
  /** What the implementation gave for `rounds([85, 90, 95], 12)` when it was written (seed 1). */
  const PINNED = { median: 89.9, low: 85, high: 94.8 };
  /** Rounds around each group's level, `perGroup` each, with a small spread of their own. */
  const rounds = (levels: number[], perGroup: number) =>
    levels.flatMap((level, group) =>
      Array.from({ length: perGroup }, (_, i) => ({ group, value: level + (i % 5) * 0.2 - 0.4 })),
    );

  it('reports the median of the rounds, inside its interval', () => {
    const r = rounds([85, 90, 95], 12);
    const interval = clusteredMedianInterval(r);
    expect(interval.median).toBe(median(r.map((x) => x.value)));
    expect(interval.low).toBeLessThanOrEqual(interval.median);
    expect(interval.high).toBeGreaterThanOrEqual(interval.median);
  });

  it('is as wide as the groups differ, not as narrow as their rounds make it look', () => {
    const grouped = rounds([85, 90, 95], 12);
    const clustered = clusteredMedianInterval(grouped);
    const asOneGroup = clusteredMedianInterval(grouped.map((x) => ({ ...x, group: 0 })));
    // One group: the 36 rounds look like many independent draws around 90.
    expect(asOneGroup.high - asOneGroup.low).toBeLessThan(6);
    // Three processes' levels: a resample can draw the slow one twice, or the fast one.
    expect(clustered.low).toBeLessThan(86);
    expect(clustered.high).toBeGreaterThan(94);
  });

  it('collapses to the value when every round agrees, and is the same on every call', () => {
    const same = Array.from({ length: 9 }, (_, i) => ({ group: i % 3, value: 92 }));
    expect(clusteredMedianInterval(same)).toEqual({ median: 92, low: 92, high: 92 });
    const r = rounds([88, 91, 93], 7);
    expect(clusteredMedianInterval(r)).toEqual(clusteredMedianInterval(r));
  });

  it('narrows at a lower level', () => {
    const r = rounds([85, 90, 95], 12);
    const wide = clusteredMedianInterval(r, { level: 0.95 });
    const narrow = clusteredMedianInterval(r, { level: 0.5 });
    expect(narrow.high - narrow.low).toBeLessThan(wide.high - wide.low);
  });

  it('resamples the rounds within a group, not only the groups', () => {
    // One group: the groups alone would give the same sample every time.
    const one = clusteredMedianInterval(rounds([90], 20));
    expect(one.low).toBeLessThan(one.median);
    expect(one.high).toBeGreaterThan(one.median);
  });

  it('gives the same interval as before for a fixed set of rounds (a change shows here)', () => {
    expect(clusteredMedianInterval(rounds([85, 90, 95], 12))).toEqual(PINNED);
  });

  it('refuses no rounds', () => {
    expect(() => clusteredMedianInterval([])).toThrow(/no rounds/);
  });
});

describe('percentileInterval', () => {
  it('leaves as many values below low as above high', () => {
    const sorted = Array.from({ length: 2000 }, (_, i) => i);
    expect(percentileInterval(sorted, 0.95)).toEqual({ low: 50, high: 1949 });
    expect(percentileInterval(sorted, 0.5)).toEqual({ low: 500, high: 1499 });
  });

  it('spans everything when there are too few values to leave any out, and meets in the middle', () => {
    expect(percentileInterval([1, 2, 3], 0.95)).toEqual({ low: 1, high: 3 });
    expect(percentileInterval([1, 2, 3], 0)).toEqual({ low: 2, high: 2 });
    expect(percentileInterval([1, 2, 3, 4], 0)).toEqual({ low: 2, high: 3 });
    expect(() => percentileInterval([], 0.95)).toThrow(/no values/);
  });
});
