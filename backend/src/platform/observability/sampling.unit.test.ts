import { ROOT_CONTEXT, SpanKind, TraceFlags, trace, type Context } from '@opentelemetry/api';
import * as base from '@opentelemetry/sdk-trace-base';
import { describe, expect, it, vi } from 'vitest';
import { DecidedSampler, RootDecider, ratioBound, samplerFromEnv } from './sampling';

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

describe('RootDecider with slices of time (TRACE_SAMPLE_SLICE_MS)', () => {
  const ratio = 0.1;
  const env = () =>
    samplerFromEnv(base, {
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: String(ratio),
    });

  /** A decider on a clock the test moves: `at(ms)` then `sampleRoot()`. */
  function onClock(sliceMs: number, rootBound = env().rootBound) {
    let now = 0;
    const decider = new RootDecider(rootBound, sliceMs, () => now);
    return {
      decider,
      at: (ms: number) => {
        now = ms;
        return decider;
      },
    };
  }

  it('decides once per slice: every root in a slice shares its decision', () => {
    const { at } = onClock(2);
    // 20,000 slices of 2 ms, 7 roots in each at different times within the slice.
    const perSlice: boolean[] = [];
    for (let slice = 0; slice < 20_000; slice++) {
      const decisions = [0, 0.1, 0.5, 1, 1.5, 1.9, 1.999].map((t) =>
        at(slice * 2 + t).sampleRoot(),
      );
      expect(new Set(decisions).size).toBe(1);
      perSlice.push(decisions[0]!);
    }
    // Each slice is sampled with the ratio's probability (6 binomial standard deviations).
    const rate = perSlice.filter(Boolean).length / perSlice.length;
    expect(Math.abs(rate - ratio)).toBeLessThan(6 * Math.sqrt((ratio * (1 - ratio)) / 20_000));
    // Independently of each other: a sampled slice is followed by a sampled one at the same rate.
    let after = 0;
    let followed = 0;
    for (let i = 1; i < perSlice.length; i++) {
      if (!perSlice[i - 1]) continue;
      after++;
      if (perSlice[i]) followed++;
    }
    expect(Math.abs(followed / after - ratio)).toBeLessThan(
      6 * Math.sqrt((ratio * (1 - ratio)) / after),
    );
  });

  it('gives each sampled root its own random id, one the SDK ratio sampler samples', () => {
    const { sampler, rootBound } = env();
    const plain = new base.TraceIdRatioBasedSampler(ratio);
    const { at } = onClock(2, rootBound);
    const ids: string[] = [];
    for (let slice = 0; ids.length < 5000; slice++) {
      for (let i = 0; i < 10; i++) {
        if (at(slice * 2 + i / 10).sampleRoot()) ids.push(at(slice * 2).generateTraceId());
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => sampledBy(sampler, id) && sampledBy(plain, id))).toBe(true);
    // Spread evenly below the bound, as without slices.
    const xors = ids.map(wordsXor);
    const mean = xors.reduce((sum, x) => sum + x, 0) / xors.length;
    expect(Math.abs(mean - rootBound / 2)).toBeLessThan(
      (6 * rootBound) / Math.sqrt(12 * xors.length),
    );
  });

  it('samples a quiet process request by request at the ratio (one root per slice or fewer)', () => {
    const { at } = onClock(2);
    // One root every 50 ms: each in a slice of its own, so each decided on its own.
    const n = 40_000;
    let sampled = 0;
    for (let i = 0; i < n; i++) if (at(i * 50).sampleRoot()) sampled++;
    expect(Math.abs(sampled / n - ratio)).toBeLessThan(6 * Math.sqrt((ratio * (1 - ratio)) / n));
  });

  it('keeps always_on and always_off whole, and draws again when the clock goes back', () => {
    const on = onClock(2, samplerFromEnv(base, { OTEL_TRACES_SAMPLER: 'always_on' }).rootBound);
    const off = onClock(2, samplerFromEnv(base, { OTEL_TRACES_SAMPLER: 'always_off' }).rootBound);
    for (let t = 0; t < 1000; t += 0.7) {
      expect(on.at(t).sampleRoot()).toBe(true);
      expect(on.decider.isDecidedRoot(on.decider.generateTraceId())).toBe(true);
      expect(off.at(t).sampleRoot()).toBe(false);
    }
    // A slice seen before is a new slice: its decision is drawn again, not remembered.
    const { at } = onClock(2);
    let sampled = 0;
    for (let i = 0; i < 20_000; i++) if (at(i % 2 === 0 ? 0 : 10).sampleRoot()) sampled++;
    expect(Math.abs(sampled / 20_000 - ratio)).toBeLessThan(
      6 * Math.sqrt((ratio * (1 - ratio)) / 20_000),
    );
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses a slice of %s ms', (ms) => {
    expect(() => new RootDecider(env().rootBound, ms)).toThrow(RangeError);
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
  it('holds one decision for a slice given by sampleSliceMs, and reads TRACE_SAMPLE_SLICE_MS', async () => {
    const { loadConfig, ConfigError } = await import('../../config');
    expect(loadConfig({}).observability.tracing.sampleSliceMs).toBe(2);
    expect(loadConfig({ TRACE_SAMPLE_SLICE_MS: '0' }).observability.tracing.sampleSliceMs).toBe(0);
    expect(loadConfig({ TRACE_SAMPLE_SLICE_MS: '0.5' }).observability.tracing.sampleSliceMs).toBe(
      0.5,
    );
    for (const bad of ['-1', '101', 'soon']) {
      expect(() => loadConfig({ TRACE_SAMPLE_SLICE_MS: bad })).toThrow(ConfigError);
    }

    const { startServerSpan, startTracing, stopTracing } = await import('./tracing');
    const saved = { ...process.env };
    process.env.OTEL_TRACES_SAMPLER = 'parentbased_traceidratio';
    process.env.OTEL_TRACES_SAMPLER_ARG = '0.5';
    const decisions = async (sampleSliceMs: number) => {
      await startTracing({
        serviceName: 'hanger-test',
        spanProcessors: [new base.SimpleSpanProcessor(new base.InMemorySpanExporter())],
        instrument: false,
        sampleSliceMs,
      });
      try {
        return Array.from({ length: 60 }, () => {
          const started = startServerSpan({}, 'GET', '/probe');
          started?.span.end();
          return started !== undefined;
        });
      } finally {
        await stopTracing();
      }
    };
    /** How often the decision changes from one request to the next. */
    const changes = (xs: boolean[]) => xs.filter((x, i) => i > 0 && x !== xs[i - 1]).length;
    try {
      // 60 requests within 100 ms cross at most one slice boundary. Each on its own at 0.5, they
      // change decision ~30 times (fewer than 2 changes: ~1 run in 10^16).
      expect(changes(await decisions(100))).toBeLessThanOrEqual(1);
      expect(changes(await decisions(0))).toBeGreaterThan(1);
    } finally {
      process.env = saved;
    }
  });

  it('records a decided root and its child in one trace, and drops unsampled roots', async () => {
    const { startServerSpan, startTracing, stopTracing, getTracer } = await import('./tracing');
    const saved = { ...process.env };
    process.env.OTEL_TRACES_SAMPLER = 'parentbased_traceidratio';
    process.env.OTEL_TRACES_SAMPLER_ARG = '0.5';
    const exporter = new base.InMemorySpanExporter();
    try {
      await startTracing({
        serviceName: 'hanger-test',
        spanProcessors: [new base.SimpleSpanProcessor(exporter)],
        instrument: false,
      });
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
    } finally {
      await stopTracing();
      process.env = saved;
    }
  });
});
