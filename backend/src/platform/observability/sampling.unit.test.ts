import { performance } from 'node:perf_hooks';
import { ROOT_CONTEXT, SpanKind, TraceFlags, trace, type Context } from '@opentelemetry/api';
import * as base from '@opentelemetry/sdk-trace-base';
import { describe, expect, it, vi } from 'vitest';
import {
  BLOCK_WINDOW_MS,
  DecidedSampler,
  RootDecider,
  ratioBound,
  samplerFromEnv,
} from './sampling';
import type { TracingOptions } from './tracing';

const sampledBy = (sampler: base.Sampler, traceId: string) =>
  sampler.shouldSample(ROOT_CONTEXT, traceId, 'GET /', SpanKind.SERVER, {}, []).decision ===
  base.SamplingDecision.RECORD_AND_SAMPLED;

/** The XOR of a trace id's four 32-bit words. */
const wordsXor = (traceId: string) =>
  [0, 8, 16, 24].reduce((x, i) => (x ^ parseInt(traceId.slice(i, i + 8), 16)) >>> 0, 0);

/** Draws roots; the trace ids of the sampled ones. */
function drawRoots(decider: RootDecider, n: number): string[] {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) if (decider.sampleRoot()) ids.push(decider.generateTraceId());
  return ids;
}

describe('samplerFromEnv', () => {
  it.each([
    ['always_on', undefined, 'AlwaysOnSampler', 2 ** 32],
    ['always_off', undefined, 'AlwaysOffSampler', 0],
    ['traceidratio', '0.25', 'TraceIdRatioBased{0.25}', Math.floor(0.25 * 0xffffffff)],
    ['parentbased_always_on', undefined, 'ParentBased{root=AlwaysOnSampler', 2 ** 32],
    ['parentbased_always_off', undefined, 'ParentBased{root=AlwaysOffSampler', 0],
    ['parentbased_traceidratio', '0.1', 'root=TraceIdRatioBased{0.1}', ratioBound(0.1)],
    // Unknown names and bad ratios fall back as the SDK's own reading of the variables does.
    [undefined, undefined, 'ParentBased{root=AlwaysOnSampler', 2 ** 32],
    ['parentbased_traceidratio', '7', 'root=TraceIdRatioBased{1}', 2 ** 32],
    ['parentbased_traceidratio', '  ', 'root=TraceIdRatioBased{1}', 2 ** 32],
    ['traceidratio', 'half', 'TraceIdRatioBased{1}', 2 ** 32],
  ])('%s (arg %s)', (name, arg, description, bound) => {
    const { sampler, rootBound } = samplerFromEnv(base, {
      OTEL_TRACES_SAMPLER: name,
      OTEL_TRACES_SAMPLER_ARG: arg,
    });
    expect(sampler.toString()).toContain(description);
    expect(rootBound).toBe(bound);
  });
});

describe('RootDecider', () => {
  it.each([0.01, 0.1, 0.5, 0.9])(
    'samples a ratio of %s of new traces, with ids the SDK ratio sampler samples too',
    (ratio) => {
      const { sampler, rootBound } = samplerFromEnv(base, {
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: String(ratio),
      });
      const plain = new base.TraceIdRatioBasedSampler(ratio);
      const n = 40_000;
      const ids = drawRoots(new RootDecider(rootBound), n);
      // Binomial: the observed rate is within 6 standard deviations (fails ~1 run in 10^9).
      const sd = Math.sqrt((ratio * (1 - ratio)) / n);
      expect(Math.abs(ids.length / n - ratio)).toBeLessThan(6 * sd);
      expect(ids.every((id) => sampledBy(sampler, id) && sampledBy(plain, id))).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
      // And they are any of the sampled ids, not a few of them: their words' XOR (what the sampler
      // compares) is spread evenly below the bound (uniform: mean bound/2, sd bound/sqrt(12 n)).
      const xors = ids.map(wordsXor);
      const mean = xors.reduce((sum, x) => sum + x, 0) / xors.length;
      expect(Math.abs(mean - rootBound / 2)).toBeLessThan(
        (6 * rootBound) / Math.sqrt(12 * xors.length),
      );
    },
  );

  it('samples every new trace with always_on and none with always_off', () => {
    const on = samplerFromEnv(base, { OTEL_TRACES_SAMPLER: 'always_on' });
    expect(drawRoots(new RootDecider(on.rootBound), 1000)).toHaveLength(1000);
    const ratioOne = samplerFromEnv(base, { OTEL_TRACES_SAMPLER: 'traceidratio' });
    const ids = drawRoots(new RootDecider(ratioOne.rootBound), 1000);
    expect(ids).toHaveLength(1000);
    expect(ids.every((id) => sampledBy(ratioOne.sampler, id))).toBe(true);
    const off = samplerFromEnv(base, { OTEL_TRACES_SAMPLER: 'always_off' });
    expect(drawRoots(new RootDecider(off.rootBound), 1000)).toHaveLength(0);
  });

  it('makes valid, distinct W3C ids, and hands out a decided or preset trace id once', () => {
    const ids = new RootDecider(2 ** 32);
    const traceIds = Array.from({ length: 5000 }, () => ids.generateTraceId());
    const spanIds = Array.from({ length: 5000 }, () => ids.generateSpanId());
    expect(traceIds.every((id) => /^[0-9a-f]{32}$/.test(id) && !/^0+$/.test(id))).toBe(true);
    expect(spanIds.every((id) => /^[0-9a-f]{16}$/.test(id) && !/^0+$/.test(id))).toBe(true);
    expect(new Set(traceIds).size).toBe(traceIds.length);
    expect(new Set(spanIds).size).toBe(spanIds.length);
    // Every hex digit position varies (the words are not left short of eight digits).
    for (let i = 0; i < 32; i++) expect(new Set(traceIds.map((id) => id[i])).size).toBe(16);

    ids.preset('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(ids.generateTraceId()).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    // A preset id was decided by another sampler: DecidedSampler must still ask that one.
    expect(ids.isDecidedRoot('4bf92f3577b34da6a3ce929d0e0e4736')).toBe(false);
    expect(ids.generateTraceId()).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(ids.sampleRoot()).toBe(true);
    const decided = ids.generateTraceId();
    expect(ids.isDecidedRoot(decided)).toBe(true);
    expect(ids.generateTraceId()).not.toBe(decided);
  });
});

describe('RootDecider with blocks of roots (TRACE_SAMPLE_BLOCK)', () => {
  const ratio = 0.1;
  const env = () =>
    samplerFromEnv(base, {
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: String(ratio),
    });
  /** |observed - expected| below 6 binomial standard deviations (fails ~1 run in 10^9). */
  const nearRatio = (hits: number, draws: number) =>
    expect(Math.abs(hits / draws - ratio)).toBeLessThan(
      6 * Math.sqrt((ratio * (1 - ratio)) / draws),
    );
  /** How often a decision differs from the one before: ~18 % when each is drawn on its own. */
  const changeRate = (xs: boolean[]) =>
    xs.filter((x, i) => i > 0 && x !== xs[i - 1]).length / (xs.length - 1);

  /** A decider whose clock the test sets; `at(ms)` returns it. */
  function onClock(blockSize: number, rootBound = env().rootBound) {
    let now = 0;
    const decider = new RootDecider(rootBound, { blockSize, now: () => now });
    return {
      decider,
      at: (ms: number) => {
        now = ms;
        return decider;
      },
    };
  }

  it('decides once per block of consecutive roots, each block at the ratio, independently', () => {
    const { at } = onClock(8);
    // Eight roots a millisecond: 800 in each window, so blocks of 8, from the first root of the
    // second window on. In the first, nothing is known of the rate: each root is decided alone.
    const decisions = Array.from({ length: 8 * 20_100 }, (_, i) => at(i / 8).sampleRoot());
    expect(changeRate(decisions.slice(0, 800))).toBeGreaterThan(0.07);
    const perBlock: boolean[] = [];
    for (let i = 800; i < decisions.length; i += 8) {
      expect(new Set(decisions.slice(i, i + 8)).size).toBe(1);
      perBlock.push(decisions[i]!);
    }
    nearRatio(perBlock.filter(Boolean).length, perBlock.length);
    // A sampled block is followed by a sampled one at the same rate: no memory between blocks.
    const afterSampled = perBlock.slice(1).filter((_, i) => perBlock[i]);
    nearRatio(afterSampled.filter(Boolean).length, afterSampled.length);
  });

  it.each([
    ['small requests', 64, 0.04, 0.12],
    ['heavy requests, blocks as long as a window', 1024, 0.4, 0.8],
  ])(
    'samples the ratio of roots under full load, where a sampled request takes longer: %s',
    (_, blockSize, unsampledMs, sampledMs) => {
      // A saturated process: the clock moves by each request's cost, more for a sampled one. A
      // block cut by the clock (a slice of time, or a time limit that binds, as for the heavy
      // requests here with blocks of 1024) would hold fewer sampled requests than unsampled ones
      // and sample ~3.6 % and ~5.3 % of them; blocks sized by the last window hold as many.
      const { decider, at } = onClock(blockSize);
      let now = 0;
      let sampled = 0;
      let n = 0;
      let changes = 0;
      let previous: boolean | undefined;
      while (changes < 5000) {
        const yes = at(now).sampleRoot();
        n++;
        if (previous !== undefined && yes !== previous) changes++;
        previous = yes;
        if (yes) {
          sampled++;
          decider.generateTraceId();
        }
        now += yes ? sampledMs : unsampledMs;
      }
      // The independent draws are the blocks, which change decision 2 r (1 - r) of the time:
      // ~28,000 of them (the bound is then ±1.1 points).
      const blocks = Math.round(changes / (2 * ratio * (1 - ratio)));
      nearRatio(Math.round((sampled / n) * blocks), blocks);
    },
  );

  it('sizes blocks by the last window, and decides a quiet process root by root', () => {
    const { at } = onClock(256);
    // 20 roots a window (one every 5 ms): blocks of 20 from the second window on.
    const steady = Array.from({ length: 20 * 2000 }, (_, i) => at(i * 5).sampleRoot());
    const blocks: boolean[] = [];
    for (let i = 20; i < steady.length; i += 20) {
      expect(new Set(steady.slice(i, i + 20)).size).toBe(1);
      blocks.push(steady[i]!);
    }
    // And no longer: consecutive blocks of 20 are decided apart (~18 % differ).
    expect(changeRate(blocks)).toBeGreaterThan(0.12);
    // A quiet process (a root every 200 ms, none in the window before each): each root alone.
    const quiet = Array.from({ length: 40_000 }, (_, i) => at(1e6 + i * 200).sampleRoot());
    nearRatio(quiet.filter(Boolean).length, quiet.length);
    expect(changeRate(quiet)).toBeGreaterThan(0.15);
    // A busy window, then one with no root: the busy one is not the last window, so the next
    // roots are decided one by one. (In a new decider's first window each root is its own block,
    // so none is open when the busy window ends.)
    let pairsDiffer = 0;
    for (let k = 0; k < 4000; k++) {
      const fresh = onClock(256);
      for (let i = 0; i < 300; i++) fresh.at(i / 4).sampleRoot();
      if (fresh.at(210).sampleRoot() !== fresh.at(220).sampleRoot()) pairsDiffer++;
    }
    // Decided apart, a pair differs 18 % of the time; in one block, never.
    expect(pairsDiffer / 4000).toBeGreaterThan(0.12);
    expect(BLOCK_WINDOW_MS).toBe(100);
  });

  it('gives each sampled root its own uniformly random id, one the SDK ratio sampler samples', () => {
    const { sampler, rootBound } = env();
    const plain = new base.TraceIdRatioBasedSampler(ratio);
    const { at } = onClock(16, rootBound);
    const ids: string[] = [];
    let sharedWords = 0;
    for (let chunk = 0; ids.length < 8000; chunk++) {
      const xors = new Set<number>();
      let sampled = 0;
      for (let i = 0; i < 16; i++) {
        if (!at(chunk + i / 16).sampleRoot()) continue;
        const id = at(chunk).generateTraceId();
        ids.push(id);
        sampled++;
        xors.add(wordsXor(id));
      }
      // Words shared within a block (one drawn per block, not per root); one collision among 16
      // random words below the bound is let pass (~1 chunk in 3.5 million).
      if (xors.size < sampled - 1) sharedWords++;
    }
    expect(sharedWords).toBe(0);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => sampledBy(sampler, id) && sampledBy(plain, id))).toBe(true);
    // Their words' XOR (what the sampler compares) falls evenly in 16 buckets below the bound:
    // chi-square with 15 degrees of freedom under 50 (fails ~1 run in 10^5 when uniform).
    const buckets = new Array<number>(16).fill(0);
    for (const id of ids) buckets[Math.floor((wordsXor(id) / rootBound) * 16)]!++;
    const expected = ids.length / 16;
    const chi2 = buckets.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(50);
  });

  it('keeps always_on and always_off whole', () => {
    const on = onClock(64, samplerFromEnv(base, { OTEL_TRACES_SAMPLER: 'always_on' }).rootBound);
    const off = onClock(64, samplerFromEnv(base, { OTEL_TRACES_SAMPLER: 'always_off' }).rootBound);
    for (let t = 0; t < 1000; t += 0.7) {
      expect(on.at(t).sampleRoot()).toBe(true);
      expect(on.decider.isDecidedRoot(on.decider.generateTraceId())).toBe(true);
      expect(off.at(t).sampleRoot()).toBe(false);
    }
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses a block of %s', (size) => {
    expect(() => new RootDecider(env().rootBound, { blockSize: size })).toThrow(RangeError);
  });
});

describe('RootDecider with a limit on sampled roots a second (TRACE_SAMPLE_MAX_PER_SECOND)', () => {
  const ratio = 0.1;
  const { sampler, rootBound } = samplerFromEnv(base, {
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: String(ratio),
  });
  const plain = new base.TraceIdRatioBasedSampler(ratio);

  /**
   * `perSecond` roots a second for `seconds` seconds, evenly spaced, through a decider limited to
   * `max` a second: how many were sampled, the sum of 1/probability over them (each sampled root
   * standing for that many), and their trace ids.
   */
  function run(options: {
    blockSize: number;
    max: number;
    /** When root i arrives, in ms (default: `perSecond` evenly spaced). */
    at?: (i: number) => number;
    perSecond: number;
    seconds: number;
  }) {
    let now = 0;
    const decider = new RootDecider(rootBound, {
      blockSize: options.blockSize,
      maxPerSecond: options.max,
      now: () => now,
    });
    const ids: string[] = [];
    const decisions: boolean[] = [];
    let weighted = 0;
    const n = options.perSecond * options.seconds;
    for (let i = 0; i < n; i++) {
      now = options.at ? options.at(i) : (i * 1000) / options.perSecond;
      const yes = decider.sampleRoot();
      decisions.push(yes);
      if (!yes) continue;
      weighted += 1 / decider.probability;
      ids.push(decider.generateTraceId());
    }
    return { n, sampled: ids.length, weighted, ids, decisions };
  }

  /** The lengths of the runs of consecutive sampled roots. */
  const runs = (decisions: boolean[]) => {
    const lengths: number[] = [];
    let length = 0;
    for (const yes of [...decisions, false]) {
      if (yes) {
        length++;
      } else if (length > 0) {
        lengths.push(length);
        length = 0;
      }
    }
    return lengths;
  };

  it.each([1, 64, 256])(
    'samples about the limit a second under heavy traffic, each sampled root weighted back to the whole (blocks of %s)',
    (blockSize) => {
      // 20,000 roots a second, 10 % of which would be 2,000 a second: 100 a second instead.
      const { n, sampled, weighted, ids, decisions } = run({
        blockSize,
        max: 100,
        perSecond: 20_000,
        seconds: 120,
      });
      // 12,000 expected. Under the limit, blocks hold at most its share of a window (10), so
      // the independent draws are ~1,200 sampled blocks of 10 (sd ~35 blocks, ~3 %): ±15 % is
      // over 5 sd (fails ~1 run in 10^6); decisions alone are tighter still.
      expect(sampled).toBeGreaterThan(12_000 * 0.85);
      expect(sampled).toBeLessThan(12_000 * 1.15);
      // The counts scale back: each sampled root stands for 1/probability roots (Horvitz-Thompson).
      expect(Math.abs(weighted / n - 1)).toBeLessThan(0.15);
      // Several short runs a second, not one long one every few seconds: a run is a block of at
      // most 10, or two that happened to be sampled one after the other (~0.5 % of blocks).
      const lengths = runs(decisions);
      expect(lengths.filter((length) => length > 10).length).toBeLessThan(lengths.length * 0.05);
      // Still ids any ratio sampler at the configured ratio samples, each its own, and any of
      // them: their words' XOR spread evenly below the ratio's bound (mean bound/2, 6 sd).
      expect(ids.every((id) => sampledBy(sampler, id) && sampledBy(plain, id))).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
      const mean = ids.map(wordsXor).reduce((sum, x) => sum + x, 0) / ids.length;
      expect(Math.abs(mean - rootBound / 2)).toBeLessThan(
        (6 * rootBound) / Math.sqrt(12 * ids.length),
      );
    },
  );

  it('keeps near the limit when traffic comes and goes, and the weighted count unbiased', () => {
    // Bursts of 100 ms (one window each) at 25,000 roots a second, an empty window between them:
    // five bursts a second. Forgetting the traffic at each empty window would decide each burst
    // from nothing, at the ratio until its own count lowers the bound: ~42 sampled a burst, ~210
    // a second. Halving it per empty window: ~17 a burst, ~85 a second.
    const { n, sampled, weighted } = run({
      blockSize: 256,
      max: 100,
      perSecond: 2500 * 5,
      seconds: 120,
      at: (i) => Math.floor(i / 2500) * 200 + ((i % 2500) * 100) / 2500,
    });
    // 120 s: ~10,200 expected, against 12,000 at the limit and ~25,000 if gaps were forgotten.
    expect(sampled).toBeLessThan(12_000 * 1.1);
    expect(sampled).toBeGreaterThan(12_000 * 0.6);
    expect(Math.abs(weighted / n - 1)).toBeLessThan(0.15);
  });

  it('records for every root of a block the probability the block was drawn with', () => {
    // always_on, blocks of 8, 2,000 a second (200 a window): a window of 1,000 roots, then one
    // whose own count grows past it, lowering the bound for each block that opens, not within one.
    let now = 0;
    const decider = new RootDecider(2 ** 32, {
      blockSize: 8,
      maxPerSecond: 2000,
      now: () => now,
    });
    for (let i = 0; i < 1000; i++) {
      now = i / 10;
      decider.sampleRoot();
    }
    now = 150; // window 1 throughout: its count grows with every root
    const probabilities = new Set<number>();
    let roots = 0;
    let blocks = 0;
    while (roots < 8000) {
      roots++;
      if (!decider.sampleRoot()) continue;
      // A sampled block: this root and the 7 after it, all sampled, all with its probability.
      const p = decider.probability;
      for (let k = 0; k < 7; k++) {
        roots++;
        expect(decider.sampleRoot()).toBe(true);
        expect(decider.probability).toBe(p);
      }
      // Drawn when the block opened: 200 of the roots counted then (of 1,000 at first).
      expect(p).toBeCloseTo(200 / Math.max(1000, roots - 7), 6);
      probabilities.add(p);
      blocks++;
    }
    // ~65 sampled blocks expected (fewer than 20: ~1 run in 10^9), and from block to block the
    // probability fell as the window's count grew.
    expect(blocks).toBeGreaterThan(20);
    expect(probabilities.size).toBeGreaterThan(10);
  });

  it('holds the sampled count of decisions made alone to the limit closely', () => {
    const { sampled, weighted, n } = run({
      blockSize: 1,
      max: 100,
      perSecond: 20_000,
      seconds: 60,
    });
    // 6,000 expected, binomial: sd ~77.
    expect(Math.abs(sampled - 6000)).toBeLessThan(6 * 77);
    expect(Math.abs(weighted / n - 1)).toBeLessThan(0.08);
  });

  it('samples at the ratio where the ratio stays under the limit, and says so', () => {
    // 500 roots a second at 10 %: 50 a second, under a limit of 100.
    let now = 0;
    const decider = new RootDecider(rootBound, { blockSize: 1, maxPerSecond: 100, now: () => now });
    let sampled = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      now = i * 2;
      if (!decider.sampleRoot()) continue;
      sampled++;
      expect(decider.probability).toBe(ratio);
      decider.generateTraceId();
    }
    expect(Math.abs(sampled / n - ratio)).toBeLessThan(6 * Math.sqrt((ratio * (1 - ratio)) / n));
  });

  it('lowers the probability by the last window’s traffic, and records it for the sampled root', () => {
    let now = 0;
    const decider = new RootDecider(rootBound, { maxPerSecond: 100, now: () => now });
    // 1,000 roots in the window 0–100 ms: 10 a window allowed, so 1 % from the next window on.
    for (let i = 0; i < 1000; i++) {
      now = i / 10;
      decider.sampleRoot();
      decider.generateTraceId();
    }
    now = 150;
    const probabilities = new Set<number>();
    for (let draws = 0; draws < 50_000; draws++) {
      if (decider.sampleRoot()) {
        probabilities.add(decider.probability);
        decider.generateTraceId();
      }
      now = 150 + draws / 1e6; // the same window throughout: its own roots outnumber the last's
    }
    // This window's own count overtakes the last window's: the probability falls with it.
    expect(Math.max(...probabilities)).toBeLessThanOrEqual(0.01);
    expect(Math.min(...probabilities)).toBeLessThan(0.001);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses a limit of %s', (max) => {
    expect(() => new RootDecider(rootBound, { maxPerSecond: max })).toThrow(RangeError);
  });

  it('leaves always_off sampling nothing and a limit of 0 as no limit', () => {
    const off = samplerFromEnv(base, { OTEL_TRACES_SAMPLER: 'always_off' });
    let now = 0;
    const none = new RootDecider(off.rootBound, { maxPerSecond: 100, now: () => now });
    const all = new RootDecider(2 ** 32, { maxPerSecond: 0, now: () => now });
    for (let i = 0; i < 10_000; i++) {
      now = i / 100;
      expect(none.sampleRoot()).toBe(false);
      expect(all.sampleRoot()).toBe(true);
      expect(all.probability).toBe(1);
      all.generateTraceId();
    }
  });
});

describe('DecidedSampler', () => {
  const SAMPLERS = [
    ['always_on', undefined],
    ['always_off', undefined],
    ['traceidratio', '0.5'],
    ['parentbased_always_on', undefined],
    ['parentbased_always_off', undefined],
    ['parentbased_traceidratio', '0.5'],
  ] as const;

  /** A context whose active span has these properties (what the samplers read of a parent). */
  const withParent = (traceId: string, recording: boolean, sampled: boolean, isRemote: boolean) => {
    const spanContext = {
      traceId,
      spanId: 'b7ad6b7169203331',
      traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
      isRemote,
    };
    const span = trace.wrapSpanContext(spanContext);
    if (recording) span.isRecording = () => true;
    return trace.setSpan(ROOT_CONTEXT, span);
  };

  const decide = (sampler: base.Sampler, context: Context, traceId: string) =>
    sampler.shouldSample(context, traceId, 'GET /', SpanKind.SERVER, {}, []).decision;

  it.each(SAMPLERS)(
    'decides as %s (arg %s) does, without asking it for decided roots (and sampled children if parent-based)',
    (name, arg) => {
      const env = samplerFromEnv(base, { OTEL_TRACES_SAMPLER: name, OTEL_TRACES_SAMPLER_ARG: arg });
      const ids = new RootDecider(env.rootBound);
      const sampler = new DecidedSampler(env, ids, base.SamplingDecision.RECORD_AND_SAMPLED);
      const asked = vi.spyOn(env.sampler, 'shouldSample');
      let decidedRoots = 0;
      for (let i = 0; i < 400; i++) {
        // A root the request hook decided (sampled or not), and then a root started elsewhere
        // (a job without a parent), whose id was not decided.
        const decided = ids.sampleRoot();
        const traceId = ids.generateTraceId();
        for (const [rootId, wasDecided] of [
          [traceId, decided],
          [ids.generateTraceId(), false],
        ] as const) {
          asked.mockClear();
          const expected = decide(env.sampler, ROOT_CONTEXT, rootId);
          expect(decide(sampler, ROOT_CONTEXT, rootId)).toBe(expected);
          // Asked once by the line above; a second time by DecidedSampler unless it was decided.
          expect(asked).toHaveBeenCalledTimes(wasDecided ? 1 : 2);
        }
        if (decided) decidedRoots++;
        // Children of every kind of parent.
        for (const recording of [true, false]) {
          for (const sampled of [true, false]) {
            for (const isRemote of recording ? [false] : [true, false]) {
              const parent = withParent(traceId, recording, sampled, isRemote);
              asked.mockClear();
              const got = decide(sampler, parent, traceId);
              expect(got).toBe(decide(env.sampler, parent, traceId));
              const shortCut = env.parentBased && recording && sampled;
              expect(asked).toHaveBeenCalledTimes(shortCut ? 1 : 2);
            }
          }
        }
      }
      // The decided-root path was exercised (always_off and parentbased_always_off decide none).
      if (env.rootBound > 0) expect(decidedRoots).toBeGreaterThan(0);
      expect(sampler.toString()).toBe(env.sampler.toString());
    },
  );
});

describe('the environment sampler under a real provider (startTracing)', () => {
  /**
   * The environment's parentbased_traceidratio at 0.5, and performance.now (which the decider
   * reads) on the test's clock while `clock.fake` is set: a stalled machine would otherwise change
   * the windows. `restore` undoes both.
   */
  /** Starts tracing with the environment's sampler, each span going to `exporter` as it ends. */
  async function startExporting(
    exporter: base.InMemorySpanExporter,
    options: Pick<TracingOptions, 'sampleBlock' | 'maxSampledPerSecond'> = {},
  ) {
    const { startTracing } = await import('./tracing');
    await startTracing({
      serviceName: 'hanger-test',
      spanProcessors: [new base.SimpleSpanProcessor(exporter)],
      ...options,
    });
  }

  function ratioHalfOnTestClock() {
    const saved = { ...process.env };
    process.env.OTEL_TRACES_SAMPLER = 'parentbased_traceidratio';
    process.env.OTEL_TRACES_SAMPLER_ARG = '0.5';
    const realNow = performance.now.bind(performance);
    const clock: { fake?: number } = {};
    const spy = vi.spyOn(performance, 'now').mockImplementation(() => clock.fake ?? realNow());
    return {
      clock,
      restore: () => {
        spy.mockRestore();
        process.env = saved;
      },
    };
  }

  it('shares one decision among the roots of a block given by sampleBlock', async () => {
    const { startServerSpan, stopTracing } = await import('./tracing');
    const { clock, restore } = ratioHalfOnTestClock();
    /** 3,000 roots, 0.1 ms apart: 1,000 a window. */
    const decisions = async (sampleBlock: number | undefined) => {
      await startExporting(new base.InMemorySpanExporter(), { sampleBlock });
      try {
        return Array.from({ length: 3000 }, (_, i) => {
          clock.fake = 1e7 + i / 10;
          const started = startServerSpan({}, 'GET', '/probe');
          clock.fake = undefined;
          started?.span.end();
          return started !== undefined;
        });
      } finally {
        await stopTracing();
      }
    };
    try {
      // Blocks of 30 from the second window on, whole and no longer.
      const blocked = await decisions(30);
      const firsts: boolean[] = [];
      for (let i = 1000; i < 3000; i += 30) {
        expect(new Set(blocked.slice(i, Math.min(i + 30, 3000))).size).toBe(1);
        firsts.push(blocked[i]!);
      }
      // 67 blocks at 0.5: ~33 changes (fewer than 10: ~1 run in 10^6).
      expect(firsts.filter((x, i) => i > 0 && x !== firsts[i - 1]).length).toBeGreaterThan(10);
      // Without the option, each root on its own.
      const each = await decisions(undefined);
      expect(each.filter((x, i) => i > 0 && x !== each[i - 1]).length).toBeGreaterThan(1000);
    } finally {
      restore();
    }
  });

  it('records a decided root and its child in one trace, and drops unsampled roots', async () => {
    const { startServerSpan, stopTracing, getTracer } = await import('./tracing');
    const { restore } = ratioHalfOnTestClock(); // the real clock: nothing here is timed
    const exporter = new base.InMemorySpanExporter();
    try {
      await startExporting(exporter);
      let sampled = 0;
      for (let i = 0; i < 200; i++) {
        const started = startServerSpan({}, 'GET', '/probe');
        if (!started) continue;
        sampled++;
        const child = getTracer()!.startSpan('child', {}, started.context);
        expect(child.isRecording()).toBe(true);
        child.end();
        started.span.end();
      }
      // ~100 of 200 at ratio 0.5 (the binomial's 6 standard deviations: ±43).
      expect(Math.abs(sampled - 100)).toBeLessThan(43);
      const spans = exporter.getFinishedSpans();
      expect(spans).toHaveLength(2 * sampled);
      const roots = spans.filter((span) => span.name === 'GET /probe');
      const children = spans.filter((span) => span.name === 'child');
      expect(children.map((span) => span.parentSpanContext?.spanId)).toEqual(
        roots.map((span) => span.spanContext().spanId),
      );
      expect(children.map((span) => span.spanContext().traceId)).toEqual(
        roots.map((span) => span.spanContext().traceId),
      );
      // The roots' ids are ones the ratio sampler itself samples.
      const ratio = new base.TraceIdRatioBasedSampler(0.5);
      expect(roots.every((span) => sampledBy(ratio, span.spanContext().traceId))).toBe(true);
      // Each root says what it was sampled with; a child is its root's trace and says nothing.
      expect(roots.every((span) => span.attributes['hanger.sampling.probability'] === 0.5)).toBe(
        true,
      );
      expect(children.every((span) => !('hanger.sampling.probability' in span.attributes))).toBe(
        true,
      );
    } finally {
      await stopTracing();
      restore();
    }
  });

  it('limits the sampled roots a second given by maxSampledPerSecond, and records the lower probability', async () => {
    const { startServerSpan, stopTracing, ATTR_SAMPLING_PROBABILITY } = await import('./tracing');
    const { clock, restore } = ratioHalfOnTestClock();
    const exporter = new base.InMemorySpanExporter();
    try {
      await startExporting(exporter, { maxSampledPerSecond: 50 });
      // 10,000 roots a second for 2 s: 5,000 a second at 0.5, limited to 50 (5 a window), so
      // from the second window on 5 in 1,000: probability 0.005.
      const n = 20_000;
      for (let i = 0; i < n; i++) {
        clock.fake = 1e7 + i / 10;
        startServerSpan({}, 'GET', '/probe')?.span.end();
        clock.fake = undefined;
      }
      const roots = exporter.getFinishedSpans();
      const probabilities = roots.map((span) => span.attributes[ATTR_SAMPLING_PROBABILITY]);
      expect(probabilities.every((p) => typeof p === 'number' && p > 0 && p <= 0.5)).toBe(true);
      // ~100 over 2 s (the first window, before the rate is known, at 0.5 as its count grows).
      expect(roots.length).toBeGreaterThan(50);
      expect(roots.length).toBeLessThan(300);
      expect(probabilities.filter((p) => p === 0.005).length).toBeGreaterThan(roots.length / 2);
    } finally {
      await stopTracing();
      restore();
    }
  });
});
