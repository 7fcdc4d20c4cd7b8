import { ROOT_CONTEXT, context } from '@opentelemetry/api';
import type { Redis } from 'ioredis';

/**
 * Fixed-window hit counters for the rate limiter (rate-limit.ts; ADR 0011).
 *
 * A window starts at a key's first hit and lasts `windowMs`; every hit counts, those refused too,
 * as @fastify/rate-limit's counters did before these replaced them.
 */

/**
 * A hit's answer: the hits in the key's window so far (this one included) and the milliseconds
 * until the window ends; or the error that kept the counter from answering.
 */
export type HitAnswer = (err: Error | null, count: number, resetMs: number) => void;

export interface RateCounter {
  /**
   * Counts one hit on `key`. Answers through `answer`, synchronously when the counter can (the
   * in-memory and shared counters always do), otherwise once its store has answered.
   */
  hit(key: string, windowMs: number, answer: HitAnswer): void;
  /** Stops background work (the shared counter's sync). */
  close(): void;
}

interface Window {
  count: number;
  resetAt: number;
}

/** What a counter reads the time from (tests move it by hand). */
export type Clock = () => number;

/** Most keys a local counter keeps: past it, the oldest window goes first. */
const MAX_KEYS = 100_000;

/**
 * Exact counts in this process: the embedded runtime's counter, a single process being the whole
 * API. Windows end on their own; a full map drops its oldest key (a key seen again starts a new
 * window, so an attacker cycling through addresses cannot grow memory without bound).
 */
export class MemoryRateCounter implements RateCounter {
  readonly #windows = new Map<string, Window>();

  constructor(
    private readonly now: Clock = Date.now,
    private readonly maxKeys = MAX_KEYS,
  ) {}

  hit(key: string, windowMs: number, answer: HitAnswer): void {
    const now = this.now();
    let w = this.#windows.get(key);
    if (w === undefined || w.resetAt <= now) {
      if (w !== undefined)
        this.#windows.delete(key); // re-inserted last: the map is by age
      else if (this.#windows.size >= this.maxKeys) this.#evict(now);
      w = { count: 0, resetAt: now + windowMs };
      this.#windows.set(key, w);
    }
    w.count++;
    answer(null, w.count, w.resetAt - now);
  }

  /** Ended windows first; if none had ended, the oldest one. */
  #evict(now: number) {
    for (const [key, w] of this.#windows) if (w.resetAt <= now) this.#windows.delete(key);
    if (this.#windows.size >= this.maxKeys) {
      const oldest = this.#windows.keys().next();
      if (!oldest.done) this.#windows.delete(oldest.value);
    }
  }

  close(): void {}

  /** Keys held (tests). */
  get size(): number {
    return this.#windows.size;
  }
}

/**
 * Adds `ARGV[2]` hits to the window of KEYS[1] (`ARGV[1]` ms long, started by the hit that made the
 * key) and answers `{ count, ms until the window ends }`. A key without an expiry (a PEXPIRE lost
 * to a crash between the two calls, which a script cannot have) gets one, so no key is forever.
 */
const HIT_SCRIPT = `
local count = redis.call('INCRBY', KEYS[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if count == tonumber(ARGV[2]) or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { count, ttl }
`;

type HitReply = (err: Error | null, result?: [number, number]) => void;

interface RateRedis {
  hangerRateHit(key: string, windowMs: number, hits: number, reply: HitReply): void;
}

/** The script as a command of `redis` (defined once per connection; ioredis sends EVALSHA). */
function withHitCommand(redis: Redis): RateRedis {
  const r = redis as Redis & Partial<RateRedis>;
  if (typeof r.hangerRateHit !== 'function') {
    redis.defineCommand('hangerRateHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
  }
  return r as unknown as RateRedis;
}

/**
 * Exact counts in Redis, one round trip per hit: for the per-route limits (sign-in, sign-up, data
 * exports), few requests whose every hit must count across all API processes. The command is sent
 * in the root context: it makes no span (the ioredis instrumentation asks for a parent), being
 * the same on every request it guards (docs/observability.md, "What is not traced").
 */
export class RedisRateCounter implements RateCounter {
  readonly #redis: RateRedis;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    this.#redis = withHitCommand(redis);
  }

  hit(key: string, windowMs: number, answer: HitAnswer): void {
    context.with(ROOT_CONTEXT, () =>
      this.#redis.hangerRateHit(this.prefix + key, windowMs, 1, (err, result) => {
        if (err || !result) answer(err ?? new Error('rate limit: empty reply'), 0, 0);
        else answer(null, result[0], result[1]);
      }),
    );
  }

  close(): void {}
}

/** A key's window as one process knows it between syncs. */
interface SharedWindow {
  /** The window's count in Redis at the last sync (every process's hits). */
  known: number;
  /** This process's hits sent in the sync under way, not yet in `known`. */
  sending: number;
  /** This process's hits since, not yet sent. */
  pending: number;
  /** When the window ends, by this process's clock. */
  resetAt: number;
  windowMs: number;
  /** Which of the key's windows this is here: a sync's answer for an earlier one is dropped. */
  generation: number;
}

/** What the shared counter needs of Redis: the hit script, for many keys in one round trip. */
export interface HitBatchStore {
  /** Adds `hits[i]` hits to `keys[i]` (a window of `windowMs[i]`); answers each key's state. */
  addHits(
    keys: string[],
    hits: number[],
    windowMs: number[],
    reply: (err: Error | null, results?: ([number, number] | Error)[]) => void,
  ): void;
}

/** The hit script pipelined over one Redis connection, sent outside any trace. */
export function redisHitBatchStore(redis: Redis, prefix: string): HitBatchStore {
  withHitCommand(redis); // a pipeline takes the connection's scripts as it is made
  return {
    addHits(keys, hits, windowMs, reply) {
      context.with(ROOT_CONTEXT, () => {
        const pipeline = redis.pipeline() as unknown as RateRedis & {
          exec(cb: (err: Error | null, res?: [Error | null, unknown][] | null) => void): void;
        };
        for (let i = 0; i < keys.length; i++) {
          pipeline.hangerRateHit(prefix + keys[i]!, windowMs[i]!, hits[i]!, noop);
        }
        pipeline.exec((err, res) => {
          if (err || !res) return reply(err ?? new Error('rate limit: empty reply'));
          reply(
            null,
            res.map(([e, v]) => (e ? e : (v as [number, number]))),
          );
        });
      });
    },
  };
}

function noop() {}

export interface SharedRateCounterOptions {
  store: HitBatchStore;
  /** How often this process sends its hits and learns the others' (ms). */
  syncMs?: number;
  /** Told once per failing stretch, and when syncing works again. */
  onSyncError?: (err: Error) => void;
  onSyncRecovered?: () => void;
  now?: Clock;
  maxKeys?: number;
}

/**
 * Counts shared by every API process, without a round trip per request: each process counts its
 * own hits locally and, every `syncMs`, adds them to Redis in one pipelined round trip, learning
 * the window's total (every process's hits) in the answer. A hit is judged on the last known total
 * plus this process's hits since, so it is answered at once.
 *
 * What that costs in accuracy (ADR 0011): between two syncs, each process knows only its own new
 * hits, so a client spreading requests over N processes can get up to N − 1 syncs' worth of its own
 * hits past the limit (at 100 ms and 600 a minute, a burst's first fraction of a second). A single
 * process never lets more than `max` through. If Redis fails, hits stay counted here and are sent
 * with the next sync that works: the limit holds per process meanwhile, and no request fails.
 */
export class SharedRateCounter implements RateCounter {
  readonly #windows = new Map<string, SharedWindow>();
  readonly #store: HitBatchStore;
  readonly #syncMs: number;
  readonly #now: Clock;
  readonly #maxKeys: number;
  readonly #onSyncError: (err: Error) => void;
  readonly #onSyncRecovered: () => void;
  #timer: NodeJS.Timeout | undefined;
  #syncing = false;
  #failing = false;
  #closed = false;

  constructor(options: SharedRateCounterOptions) {
    this.#store = options.store;
    this.#syncMs = options.syncMs ?? 100;
    this.#now = options.now ?? Date.now;
    this.#maxKeys = options.maxKeys ?? MAX_KEYS;
    this.#onSyncError = options.onSyncError ?? noop;
    this.#onSyncRecovered = options.onSyncRecovered ?? noop;
  }

  hit(key: string, windowMs: number, answer: HitAnswer): void {
    const now = this.#now();
    let w = this.#windows.get(key);
    if (w === undefined) {
      if (this.#windows.size >= this.#maxKeys) this.#evict(now);
      w = { known: 0, sending: 0, pending: 0, resetAt: now + windowMs, windowMs, generation: 0 };
      this.#windows.set(key, w);
    } else if (w.resetAt <= now) {
      // The window has ended: a new one, whose total the next sync tells. Hits of the old one not
      // yet counted in Redis are dropped with it (they would count against the new window), and
      // so is the answer of a sync under way.
      w.known = 0;
      w.sending = 0;
      w.pending = 0;
      w.generation++;
      w.resetAt = now + windowMs;
      w.windowMs = windowMs;
    }
    w.pending++;
    if (this.#timer === undefined && !this.#closed) this.#schedule();
    answer(null, w.known + w.sending + w.pending, w.resetAt - now);
  }

  #schedule() {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.sync();
    }, this.#syncMs);
    this.#timer.unref();
  }

  /** Sends the hits not yet sent and learns each window's total; one sync at a time. */
  sync(): void {
    if (this.#syncing) return;
    const keys: string[] = [];
    const hits: number[] = [];
    const windows: number[] = [];
    const sent: SharedWindow[] = [];
    const generations: number[] = [];
    const now = this.#now();
    for (const [key, w] of this.#windows) {
      if (w.pending === 0) continue;
      if (w.resetAt <= now) {
        w.pending = 0; // its window ended before these could be sent (Redis down): dropped
        continue;
      }
      keys.push(key);
      hits.push(w.pending);
      windows.push(w.windowMs);
      sent.push(w);
      generations.push(w.generation);
      w.sending = w.pending;
      w.pending = 0;
    }
    if (sent.length === 0) {
      this.#sweep(now);
      return;
    }
    this.#syncing = true;
    const startedAt = now;
    this.#store.addHits(keys, hits, windows, (err, results) => {
      this.#syncing = false;
      let failed: Error | undefined = err ?? undefined;
      for (let i = 0; i < sent.length; i++) {
        const w = sent[i]!;
        const result = results?.[i];
        if (w.generation !== generations[i]) continue; // its window ended here meanwhile
        if (failed || result === undefined || result instanceof Error) {
          // Not counted in Redis: sent again with the next sync.
          failed ??= result instanceof Error ? result : new Error('rate limit: no reply');
          w.pending += w.sending;
          w.sending = 0;
          continue;
        }
        const [count, ttl] = result;
        w.sending = 0;
        w.known = count;
        // Redis's window, which another process may have started: it decides when this one ends.
        w.resetAt = startedAt + ttl;
      }
      this.#sweep(this.#now());
      if (failed) {
        if (!this.#failing) this.#onSyncError(failed);
        this.#failing = true;
      } else if (this.#failing) {
        this.#failing = false;
        this.#onSyncRecovered();
      }
      if (this.#hasPending() && this.#timer === undefined && !this.#closed) this.#schedule();
    });
  }

  #hasPending(): boolean {
    for (const w of this.#windows.values()) if (w.pending > 0) return true;
    return false;
  }

  /** Forgets ended windows with nothing left to send. */
  #sweep(now: number) {
    for (const [key, w] of this.#windows) {
      if (w.resetAt <= now && w.pending === 0 && w.sending === 0) this.#windows.delete(key);
    }
  }

  #evict(now: number) {
    this.#sweep(now);
    if (this.#windows.size >= this.#maxKeys) {
      const oldest = this.#windows.keys().next();
      if (!oldest.done) this.#windows.delete(oldest.value);
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Keys held (tests). */
  get size(): number {
    return this.#windows.size;
  }
}
