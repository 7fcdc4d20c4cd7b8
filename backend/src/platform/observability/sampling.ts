import { randomFillSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  TraceFlags,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanKind,
} from '@opentelemetry/api';
import type * as SdkTraceBase from '@opentelemetry/sdk-trace-base';
import type { IdGenerator, Sampler, SamplingResult } from '@opentelemetry/sdk-trace-base';

/**
 * The sampler OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG describe (the W3C names, as the SDK
 * reads them; default parentbased_always_on), and how it decides a new trace, so that a request
 * that starts one can be decided without asking it (`RootDecider`).
 */
export interface EnvSampler {
  sampler: Sampler;
  /**
   * A new trace is sampled when a uniform random 32-bit word falls below this bound: the ratio
   * samplers' rule (the XOR of a trace id's four words below the ratio's bound; 2^32 for always
   * on, 0 for always off). Every sampler the environment can name decides roots this way.
   */
  rootBound: number;
  /** A parentbased_* sampler: a child of a local sampled span is sampled (localParentSampled). */
  parentBased: boolean;
}

export function samplerFromEnv(base: typeof SdkTraceBase, env: NodeJS.ProcessEnv): EnvSampler {
  // Unset, blank, not a number or out of [0, 1]: 1, as the SDK reads it (Number('') would be 0).
  const raw = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  const arg = raw ? Number(raw) : 1;
  const ratio = Number.isFinite(arg) && arg >= 0 && arg <= 1 ? arg : 1;
  const samplers: Record<string, () => EnvSampler> = {
    always_on: () => ({ sampler: new base.AlwaysOnSampler(), rootBound: ALL, parentBased: false }),
    always_off: () => ({ sampler: new base.AlwaysOffSampler(), rootBound: 0, parentBased: false }),
    traceidratio: () => ({
      sampler: new base.TraceIdRatioBasedSampler(ratio),
      rootBound: ratioBound(ratio),
      parentBased: false,
    }),
    parentbased_always_on: () => ({
      sampler: new base.ParentBasedSampler({ root: new base.AlwaysOnSampler() }),
      rootBound: ALL,
      parentBased: true,
    }),
    parentbased_always_off: () => ({
      sampler: new base.ParentBasedSampler({ root: new base.AlwaysOffSampler() }),
      rootBound: 0,
      parentBased: true,
    }),
    parentbased_traceidratio: () => ({
      sampler: new base.ParentBasedSampler({ root: new base.TraceIdRatioBasedSampler(ratio) }),
      rootBound: ratioBound(ratio),
      parentBased: true,
    }),
  };
  return (samplers[env.OTEL_TRACES_SAMPLER ?? ''] ?? samplers.parentbased_always_on!)();
}

const ALL = 0x1_0000_0000;

/** TraceIdRatioBasedSampler's upper bound for a ratio in [0, 1] (@opentelemetry/sdk-trace). */
export function ratioBound(ratio: number): number {
  return ratio === 1 ? ALL : Math.floor(ratio * 0xffffffff);
}

/**
 * Blocks of roots sharing one decision (TRACE_SAMPLE_BLOCK) hold as many roots as the process
 * started in the last window of this many milliseconds (at most the block size): about a window's
 * worth of requests, whatever the load, so that a quiet process decides each on its own.
 */
export const BLOCK_WINDOW_MS = 100;
/** Random 32-bit words and random hex, each drawn 4 KiB of `crypto.randomFillSync` at a time. */
class RandomPool {
  readonly #words = new Uint32Array(1024);
  #word = this.#words.length;
  readonly #bytes = Buffer.alloc(4096);
  #hex = '';
  #char = 0;

  word(): number {
    if (this.#word === this.#words.length) {
      randomFillSync(this.#words);
      this.#word = 0;
    }
    return this.#words[this.#word++]!;
  }

  /** `chars` random lowercase hex digits, cut from one long string (no formatting per id). */
  hex(chars: number): string {
    if (this.#char + chars > this.#hex.length) {
      this.#hex = randomFillSync(this.#bytes).toString('hex');
      this.#char = 0;
    }
    return this.#hex.slice(this.#char, (this.#char += chars));
  }

  /**
   * The XOR of the 32-bit words the last `chars` hex digits `hex` returned spell (`chars` a
   * multiple of 8), read from the bytes they were written from: parseInt with a radix runs in V8's
   * runtime, ~400 instructions a word (callgrind by function, docs/benchmarks.md, session 22).
   */
  lastHexXor(chars: number): number {
    const b = this.#bytes;
    let x = 0;
    for (let at = (this.#char - chars) >>> 1, end = this.#char >>> 1; at < end; at += 4) {
      x ^= (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
    }
    return x >>> 0;
  }
}

/** Two hex digits for every byte value. */
const BYTE_HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** Eight lowercase hex digits (Number#toString(16) goes through a floating-point path). */
const hex8 = (word: number) =>
  BYTE_HEX[word >>> 24]! +
  BYTE_HEX[(word >>> 16) & 0xff]! +
  BYTE_HEX[(word >>> 8) & 0xff]! +
  BYTE_HEX[word & 0xff]!;

/**
 * Trace and span ids from a pool of random words, and the decision for a request that starts a
 * trace, made on one random word without asking the SDK's sampler.
 *
 * The SDK's ratio sampler samples a trace id when the XOR of its four 32-bit words is below the
 * bound; for a random id that XOR is a uniform random word. So the decision is drawn first, as one
 * word `w`: not sampled, and nothing else is done (no id, no sampler call, no span). Sampled, and
 * the trace id is built with three random words `a`, `b`, `c` and `a ^ b ^ c ^ w` as the fourth: a
 * uniformly random sampled id, whose XOR is `w`, so that the provider's sampler, asked again when
 * the span is made, decides the same (sampling.unit.test.ts checks it against the SDK's).
 *
 * The SDK's own generator writes Math.random() words into a buffer and hex-encodes it with a
 * native call per id; the sampler then re-checks the id character by character and parses
 * it. On a small request those three cost more than the rest of its metrics (docs/benchmarks.md).
 *
 * With a block size (`blockSize` > 1; TRACE_SAMPLE_BLOCK, ADR 0014), one decision is drawn for a
 * block of consecutive roots instead of for each. Each block is sampled with the ratio's
 * probability, independently of the others, so each root still is, and the sampled fraction is
 * still the ratio. A busy process then samples runs of requests instead of one in ten at random,
 * and a sampled request finds the code and data its span needs still in the CPU's caches: at
 * random, it ran cold and cost about twice its instructions' time (docs/benchmarks.md, sessions 16
 * and 17).
 *
 * A block's length is fixed when it opens, from what came before it: the roots of the last
 * BLOCK_WINDOW_MS window, at least 1 and at most `blockSize`; nothing else closes it. Its length
 * never depends on its own decision, which is what keeps each root, counted in arrival order, at
 * the ratio: under full load a sampled request is slower, so a block cut by the clock (a slice of
 * time, or a time limit) would hold fewer sampled requests than unsampled ones. A sampled root's
 * trace id is drawn as without blocks (a uniformly random id the ratio samples), so it is as
 * unpredictable, and the ratio rule still decides it the same anywhere downstream.
 *
 * With a limit (`maxPerSecond` > 0; TRACE_SAMPLE_MAX_PER_SECOND, ADR 0015), a decision's
 * probability is lowered from the ratio's where the roots of the last window (or of the current one
 * so far) at the ratio would exceed the limit's share of a window: a busy process samples about
 * the limit a second instead of the ratio of its traffic. The probability comes from roots counted
 * before the decision, and `probability` says what it was, for the span to record.
 */
export class RootDecider implements IdGenerator {
  readonly #random = new RandomPool();
  /** The BLOCK_WINDOW_MS window being counted, its roots so far, and the last full window's. */
  #window = Number.NaN;
  #windowRoots = 0;
  #lastWindowRoots = 0;
  /** Roots the open block still takes (0: none open), and its decision. */
  #blockLeft = 0;
  #blockSampled = false;
  /** Words below which `#wordBelowBound` takes one: the largest multiple of the bound in 2^32. */
  readonly #wordLimit: number;
  /** The trace id the next `generateTraceId` returns (the decided root's). */
  #next: string | undefined;
  /** Whether `#next` came from `sampleRoot` (not from `preset`). */
  #nextDecided = false;
  /** The trace id of the last root `sampleRoot` decided, once handed out (`isDecidedRoot`). */
  #decided: string | undefined;
  readonly #blockSize: number;
  /** Roots sampled at most per BLOCK_WINDOW_MS window, on average (0: no limit). */
  readonly #perWindow: number;
  /** Whether roots are counted by window (for blocks, or for the limit). */
  readonly #counted: boolean;
  readonly #now: () => number;
  /** Roots of the last window with any, halved for each empty window since (for the limit). */
  #recentRoots = 0;
  /** The longest block while the limit lowers the bound: its share of a window, at least 1. */
  readonly #maxLimitedBlock: number;
  /** The bound the open block, or the last sampled root decided alone, was drawn against. */
  #bound: number;
  /** `probability`, and the bound it was worked out for. */
  #probability = 1;
  #probabilityOf = ALL;

  /**
   * `rootBound`: EnvSampler's. `blockSize`: at most how many consecutive roots share one decision
   * (1: each its own). `maxPerSecond`: at most how many roots to sample a second, on average (0:
   * no limit; ADR 0015). `now`: a monotonic clock in milliseconds (tests pass their own).
   */
  constructor(
    private readonly rootBound: number,
    options: { blockSize?: number; maxPerSecond?: number; now?: () => number } = {},
  ) {
    const { blockSize = 1, maxPerSecond = 0, now = performance.now.bind(performance) } = options;
    if (!Number.isSafeInteger(blockSize) || blockSize < 1) {
      throw new RangeError(`blockSize must be a whole number from 1, got ${blockSize}`);
    }
    if (!(maxPerSecond >= 0 && maxPerSecond < Number.POSITIVE_INFINITY)) {
      throw new RangeError(`maxPerSecond must be a finite number from 0, got ${maxPerSecond}`);
    }
    this.#blockSize = blockSize;
    this.#perWindow = (maxPerSecond * BLOCK_WINDOW_MS) / 1000;
    this.#maxLimitedBlock = Math.min(blockSize, Math.max(1, Math.floor(this.#perWindow)));
    // Nothing to count when nothing is ever sampled.
    this.#counted = rootBound > 0 && (blockSize > 1 || maxPerSecond > 0);
    this.#now = now;
    this.#bound = rootBound;
    this.#wordLimit = rootBound > 0 ? ALL - (ALL % rootBound) : 0;
  }

  /**
   * The probability the last sampled root was sampled with: the ratio's, or less where
   * `maxPerSecond` lowered it (its span records it, so that counts can be scaled back up).
   */
  get probability(): number {
    if (this.#probabilityOf !== this.#bound) {
      this.#probabilityOf = this.#bound;
      // To seven significant digits: the ratio's bound is floor(ratio × (2^32 − 1)), which reads
      // 0.0999999999767 for 0.1.
      this.#probability = Number((this.#bound / ALL).toPrecision(7));
    }
    return this.#probability;
  }

  /**
   * Decides a request without a parent: sampled, and the next span's trace id is set to one the
   * sampler samples (true), or not (false).
   */
  sampleRoot(): boolean {
    if (this.#counted) {
      const window = Math.floor(this.#now() / BLOCK_WINDOW_MS);
      if (window !== this.#window) {
        // Windows with no root in between (NaN at first, negative if the clock went back).
        const gap = window - this.#window - 1;
        this.#lastWindowRoots = gap === 0 ? this.#windowRoots : 0;
        // For the limit, a gap halves the traffic remembered per empty window instead of
        // forgetting it: after a pause, a burst would otherwise be decided at the ratio for a
        // whole window, and on-and-off traffic sampled at several times the limit.
        this.#recentRoots = gap >= 0 ? this.#windowRoots / 2 ** gap : 0;
        this.#window = window;
        this.#windowRoots = 0;
      }
      this.#windowRoots++;
    }
    let w: number;
    if (this.#blockSize > 1) {
      if (this.#blockLeft === 0) {
        const bound = this.#limitedBound();
        // Under the limit, blocks of at most its share of a window: the ~limit sampled roots a
        // second come as several short runs, not one run of up to blockSize every few seconds.
        this.#blockLeft = Math.min(
          bound < this.rootBound ? this.#maxLimitedBlock : this.#blockSize,
          Math.max(1, this.#lastWindowRoots),
        );
        this.#bound = bound;
        this.#blockSampled = this.#random.word() < bound;
      }
      this.#blockLeft--;
      if (!this.#blockSampled) return false;
      w = this.#wordBelowBound();
    } else {
      w = this.#random.word();
      if (w >= this.rootBound) return false; // not sampled at the ratio: not at a lower bound either
      if (this.#perWindow > 0) {
        const bound = this.#limitedBound();
        if (w >= bound) return false;
        this.#bound = bound;
        // Below a lowered bound: an id uniform among all those the ratio samples, as without one.
        if (bound < this.rootBound) w = this.#wordBelowBound();
      }
    }
    let abc: string, d: number;
    do {
      abc = this.#random.hex(24);
      d = (this.#random.lastHexXor(24) ^ w) >>> 0;
    } while (d === 0 && abc === ZERO_ABC); // the all-zero id is invalid (W3C trace-context)
    this.#next = abc + hex8(d);
    this.#nextDecided = true;
    return true;
  }

  /**
   * The ratio's bound, or with a limit a lower one where the recent roots (the last window's, or
   * this one's so far if more) sampled at the ratio would exceed the limit's share of a window:
   * one that samples that share of them, at least 1. From roots counted before, never from this
   * decision, so each root's probability (`probability`) is known when it is decided.
   */
  #limitedBound(): number {
    if (this.#perWindow === 0) return this.rootBound;
    const roots = Math.max(this.#recentRoots, this.#windowRoots);
    const limited = Math.floor((ALL * this.#perWindow) / roots);
    return limited >= this.rootBound ? this.rootBound : Math.max(1, limited);
  }

  /** A uniform random word below the bound (> 0): the XOR of a sampled id, as drawn per root. */
  #wordBelowBound(): number {
    let word: number;
    do word = this.#random.word();
    while (word >= this.#wordLimit);
    return word % this.rootBound;
  }

  /** Sets the trace id the next `generateTraceId` returns (a root decided by the sampler). */
  preset(traceId: string): void {
    this.#next = traceId;
    this.#nextDecided = false;
  }

  generateTraceId(): string {
    const next = this.#next;
    if (next !== undefined) {
      this.#next = undefined;
      if (this.#nextDecided) this.#decided = next;
      return next;
    }
    return this.#nonZeroHex(32);
  }

  /** Whether a trace id is the one handed out for the last root `sampleRoot` decided (sampled). */
  isDecidedRoot(traceId: string): boolean {
    return traceId === this.#decided;
  }

  generateSpanId(): string {
    return this.#nonZeroHex(16);
  }

  #nonZeroHex(chars: number): string {
    let id: string;
    // The all-zero id is invalid (W3C trace-context). Compared only when it starts with a zero:
    // comparing every id's characters was ~270 instructions a sampled request.
    do id = this.#random.hex(chars);
    while (id.charCodeAt(0) === 48 && id === (chars === 32 ? ZERO_TRACE_ID : ZERO_SPAN_ID));
    return id;
  }
}

const ZERO_ABC = '0'.repeat(24);
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/**
 * Whether a span is a sampled local parent: recording (so this process's own) and sampled. Its
 * children are sampled under the environment's parent-based samplers, whose localParentSampled
 * is always on; `DecidedSampler` answers so, and `sampledChildSpan` (request-span.ts) relies on it.
 */
export function isSampledLocalSpan(span: Span): boolean {
  return span.isRecording() && (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;
}

/**
 * The provider's sampler when it comes from the environment: that sampler, except where its answer
 * is already known, which it would otherwise work out again for every span of a sampled request.
 *
 * - A root whose trace id `RootDecider` decided (and handed out): sampled. The ratio sampler would
 *   check the id character by character and parse its four words to say so again.
 * - With a parentbased_* sampler, a child of a recording, sampled span: sampled (a recording span
 *   is this process's own, so a local parent, and such a sampler's localParentSampled is always
 *   on). ParentBasedSampler would first check both of the parent's ids, character by character.
 *
 * Everything else (remote and unsampled parents, roots started elsewhere) is asked of the sampler.
 * sampling.unit.test.ts checks both answers against the environment's sampler.
 */
export class DecidedSampler implements Sampler {
  readonly #sampled: SamplingResult;

  constructor(
    private readonly env: EnvSampler,
    private readonly ids: RootDecider,
    sampled: SdkTraceBase.SamplingDecision,
  ) {
    this.#sampled = Object.freeze({ decision: sampled });
  }

  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    const parent = trace.getSpan(context);
    if (parent === undefined) {
      if (this.ids.isDecidedRoot(traceId)) return this.#sampled;
    } else if (this.env.parentBased && isSampledLocalSpan(parent)) {
      return this.#sampled;
    }
    return this.env.sampler.shouldSample(context, traceId, spanName, spanKind, attributes, links);
  }

  toString(): string {
    return this.env.sampler.toString();
  }
}
