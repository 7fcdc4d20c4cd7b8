import { ROOT_CONTEXT, context } from '@opentelemetry/api';
import type { Redis } from 'ioredis';

/**
 * Fixed-window hit counters for the rate limiter (rate-limit.ts; ADR 0011).
 *
 * A window starts at a key's first hit and lasts `windowMs`; every hit counts, those refused too,
 * as @fastify/rate-limit's counters did before these replaced them.
 */

/**
 * A hit's answer from a counter that asks its store: the hits in the key's window so far (this one
 * included) and the milliseconds until the window ends; or the error that kept it from answering.
 */
export type HitAnswer = (err: Error | null, count: number, resetMs: number) => void;

/** A counter that answers at once, from counts this process holds. */
export interface LocalRateCounter {
  readonly immediate: true;
  /**
   * Counts one hit on `key` (a window of `windowMs`, a limit of `max`) and returns the hits in its
   * window so far, this one included; `resetMs` is then the milliseconds until that window ends.
   */
  count(key: string, windowMs: number, max: number): number;
  readonly resetMs: number;
  /** Stops background work (the shared counter sends what it has first). */
  close(): void;
}

/** A counter that asks its store on every hit. */
export interface RemoteRateCounter {
  readonly immediate: false;
  hit(key: string, windowMs: number, answer: HitAnswer): void;
  close(): void;
}

export type RateCounter = LocalRateCounter | RemoteRateCounter;

interface Window {
  count: number;
  resetAt: number;
}

/** What a counter reads the time from (tests move it by hand). */
export type Clock = () => number;

/** Most keys a local counter keeps: past it, the key whose window began first goes. */
const MAX_KEYS = 100_000;

/**
 * Exact counts in this process: the embedded runtime's counter, a single process being the whole
 * API. One map per window length, each kept in the order its windows began (a key whose window
 * ends is moved to the back when it starts a new one), which is the order they end: ended windows
 * are dropped from the front, and a full counter drops the first key of the map it adds to, in
 * constant time. An attacker cycling through addresses costs memory up to the cap and no more.
 */
export class MemoryRateCounter implements LocalRateCounter {
  readonly immediate = true;
  resetMs = 0;
  readonly #byWindow = new Map<number, Map<string, Window>>();
  #size = 0;

  constructor(
    private readonly now: Clock = Date.now,
    private readonly maxKeys = MAX_KEYS,
  ) {}

  count(key: string, windowMs: number): number {
    const now = this.now();
    let windows = this.#byWindow.get(windowMs);
    if (windows === undefined) this.#byWindow.set(windowMs, (windows = new Map<string, Window>()));
    let w = windows.get(key);
    if (w === undefined) {
      if (this.#size >= this.maxKeys) this.#makeRoom(windows, now);
      w = { count: 0, resetAt: now + windowMs };
      windows.set(key, w);
      this.#size++;
    } else if (w.resetAt <= now) {
      windows.delete(key); // to the back: a new window
      windows.set(key, w);
      w.count = 0;
      w.resetAt = now + windowMs;
    }
    w.count++;
    this.resetMs = w.resetAt - now;
    return w.count;
  }

  /** Ended windows (at the front of each map) go; if none had ended, the first of `windows`. */
  #makeRoom(windows: Map<string, Window>, now: number) {
    for (const map of this.#byWindow.values()) {
      for (const [key, w] of map) {
        if (w.resetAt > now) break;
        map.delete(key);
        this.#size--;
      }
    }
    // Nothing to drop in this map (a window length seen for the first time): another's first.
    for (const map of [windows, ...this.#byWindow.values()]) {
      if (this.#size < this.maxKeys) return;
      const first = map.keys().next();
      if (!first.done) {
        map.delete(first.value);
        this.#size--;
      }
    }
  }

  close(): void {}

  /** Keys held (tests). */
  get size(): number {
    return this.#size;
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
 * in the root context: it makes no span (a Redis command makes one only under a sampled span),
 * being the same on every request it guards (docs/observability.md, "What is not traced").
 */
export class RedisRateCounter implements RemoteRateCounter {
  readonly immediate = false;
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
  readonly key: string;
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
  /** Whether a sync has answered for this window yet (until then `known` is only a guess). */
  synced: boolean;
  /** Whether it is in the list of windows with hits to send. */
  dirty: boolean;
}

/** What the shared counter needs of Redis: the hit script, for many keys in one round trip. */
export interface HitBatchStore {
  /**
   * Adds `hits[i]` hits to `keys[i]` (a window of `windowMs[i]`); answers each key's state, or
   * the error of that key's command, or an error for the whole batch.
   */
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
            res.map(([e, v]) => e ?? (v as [number, number])),
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

/** How long a sync may take before its hits are sent again with the next one. */
const SYNC_DEADLINE_MS = 2_000;

/**
 * Counts shared by every API process, without a round trip per request (ADR 0011): each process
 * counts its own hits and answers at once from the window's total at its last sync plus its own
 * hits since. It sends its hits to Redis in one pipelined round trip (the hit script, with the
 * number of hits) and learns each window's total, every process's hits, from the answer:
 *
 * - at once (the next turn of the event loop) for a window no sync has answered for yet, and for
 *   one whose unsent hits reach a sixteenth of what the limit leaves (as this process last heard),
 *   while under the limit and while syncs work. A single process never lets more than `max`
 *   through; N processes, between two syncs each, at most about (N − 1)/16 of the limit more,
 *   plus what arrives within a couple of round trips (ADR 0011);
 * - otherwise every `syncMs`, while there are hits to send.
 *
 * One sync at a time, given SYNC_DEADLINE_MS to answer. If Redis fails (or is late), hits stay
 * counted here and go with the next sync (a script Redis ran whose answer was lost counts those
 * hits twice: the error is on the strict side); meanwhile each process still enforces the limit
 * on its own hits, and no request fails.
 */
export class SharedRateCounter implements LocalRateCounter {
  readonly immediate = true;
  resetMs = 0;
  /** Windows in the order they end (a window whose end moves later moves to the back). */
  readonly #windows = new Map<string, SharedWindow>();
  /** Windows with hits to send, each once (`dirty`); dropped ones are skipped when sent. */
  #dirty: SharedWindow[] = [];
  readonly #store: HitBatchStore;
  readonly #syncMs: number;
  readonly #now: Clock;
  readonly #maxKeys: number;
  readonly #onSyncError: (err: Error) => void;
  readonly #onSyncRecovered: () => void;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #syncing = false;
  /** A sync was asked for at once while one was under way: another goes when it answers. */
  #again = false;
  /** The last sync failed as a whole (Redis unreachable or late): eager syncs wait for the timer. */
  #failing = false;
  /** Told about a key's own failing command already, until a sync has none. */
  #keyFailing = false;
  #closed = false;
  /** Closed while a sync was under way: what is left goes when it answers. */
  #finalSync = false;

  constructor(options: SharedRateCounterOptions) {
    this.#store = options.store;
    this.#syncMs = options.syncMs ?? 100;
    this.#now = options.now ?? Date.now;
    this.#maxKeys = options.maxKeys ?? MAX_KEYS;
    this.#onSyncError = options.onSyncError ?? noop;
    this.#onSyncRecovered = options.onSyncRecovered ?? noop;
  }

  count(key: string, windowMs: number, max: number): number {
    const now = this.#now();
    let w = this.#windows.get(key);
    if (w === undefined) {
      if (this.#windows.size >= this.#maxKeys) this.#makeRoom(now);
      w = {
        key,
        known: 0,
        sending: 0,
        pending: 0,
        resetAt: now + windowMs,
        windowMs,
        generation: 0,
        synced: false,
        dirty: false,
      };
      this.#windows.set(key, w);
    } else if (w.resetAt <= now) {
      // The window has ended: a new one, at the back of the map, whose total a sync will tell.
      // Hits of the old one not yet counted in Redis are dropped with it (they would count
      // against the new window), and so is the answer of a sync under way.
      this.#windows.delete(key);
      this.#windows.set(key, w);
      w.known = 0;
      w.sending = 0;
      w.pending = 0;
      w.resetAt = now + windowMs;
      w.windowMs = windowMs;
      w.generation++;
      w.synced = false;
    }
    w.pending++;
    if (!w.dirty) {
      w.dirty = true;
      this.#dirty.push(w);
      // Windows dropped to make room wait in the list until the next sync; if syncs stall, a
      // stream of new addresses must not grow it without bound.
      if (this.#dirty.length > 2 * this.#maxKeys) {
        this.#dirty = this.#dirty.filter((d) => this.#windows.get(d.key) === d);
      }
    }
    const count = w.known + w.sending + w.pending;
    // While syncs fail, only the timer retries (not one attempt per turn of the event loop).
    if (count <= max && !this.#failing && (!w.synced || w.pending * 16 >= max - w.known)) {
      this.#syncSoon();
    } else if (this.#timer === undefined && !this.#closed) this.#schedule();
    this.resetMs = w.resetAt - now;
    return count;
  }

  #schedule() {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.sync();
    }, this.#syncMs);
    this.#timer.unref();
  }

  /** A sync on the next turn of the event loop (hits of this turn go with it). */
  #syncSoon() {
    if (this.#closed) return;
    if (this.#syncing) {
      this.#again = true;
      return;
    }
    if (this.#immediate !== undefined) return;
    this.#immediate = setImmediate(() => {
      this.#immediate = undefined;
      this.sync();
    });
    this.#immediate.unref();
  }

  /** Sends the hits not yet sent and learns each window's total; one sync at a time. */
  sync(): void {
    if (this.#syncing) return;
    const now = this.#now();
    const keys: string[] = [];
    const hits: number[] = [];
    const windows: number[] = [];
    const sent: SharedWindow[] = [];
    const generations: number[] = [];
    for (const w of this.#dirty) {
      w.dirty = false;
      // Dropped from the map to make room, or its window ended before these could be sent (Redis
      // down): not sent.
      if (this.#windows.get(w.key) !== w || w.resetAt <= now || w.pending === 0) {
        w.pending = 0;
        continue;
      }
      keys.push(w.key);
      hits.push(w.pending);
      windows.push(w.windowMs);
      sent.push(w);
      generations.push(w.generation);
      w.sending = w.pending;
      w.pending = 0;
    }
    this.#dirty = [];
    if (sent.length === 0) {
      this.#sweep(now);
      return;
    }
    this.#syncing = true;
    let answered = false;
    const answer = (err: Error | null, results?: ([number, number] | Error)[]) => {
      if (answered) return; // late, after the deadline: its hits were put back to send again
      answered = true;
      clearTimeout(deadline);
      this.#answer(sent, generations, err, results);
    };
    const deadline = setTimeout(
      () => answer(new Error(`rate limit: no answer from Redis in ${SYNC_DEADLINE_MS} ms`)),
      SYNC_DEADLINE_MS,
    );
    deadline.unref();
    this.#store.addHits(keys, hits, windows, answer);
  }

  #answer(
    sent: SharedWindow[],
    generations: number[],
    err: Error | null,
    results: ([number, number] | Error)[] | undefined,
  ) {
    this.#syncing = false;
    const now = this.#now();
    const batchError = err ?? (results === undefined ? new Error('rate limit: no reply') : null);
    let keyError: Error | undefined;
    for (let i = 0; i < sent.length; i++) {
      const w = sent[i]!;
      const result = batchError ?? results![i] ?? new Error('rate limit: no reply for a key');
      if (!batchError && result instanceof Error) keyError ??= result;
      if (w.generation !== generations[i]) continue; // its window ended here meanwhile
      if (result instanceof Error) {
        // Not counted in Redis: sent again with the next sync.
        w.pending += w.sending;
        w.sending = 0;
        if (!w.dirty) {
          w.dirty = true;
          this.#dirty.push(w);
        }
        continue;
      }
      const [count, ttl] = result;
      w.sending = 0;
      w.known = count;
      w.synced = true;
      // Redis's window, which another process may have started: it decides when this one ends
      // (from the answer's arrival: if anything, a little late, on the strict side).
      const resetAt = now + ttl;
      if (resetAt > w.resetAt && this.#windows.get(w.key) === w) {
        this.#windows.delete(w.key); // keep the map in the order windows end
        this.#windows.set(w.key, w);
      }
      w.resetAt = resetAt;
    }
    this.#sweep(now);
    this.#report(batchError, keyError);
    if (this.#closed) {
      // Closed while this sync was under way: what came since goes once more, and that is all.
      if (this.#finalSync) {
        this.#finalSync = false;
        this.sync();
      }
      return;
    }
    const again = this.#again;
    this.#again = false;
    if (this.#dirty.length === 0) return;
    // After a failure, the timer's pace, not a retry per turn of the event loop.
    if (again && !batchError) this.#syncSoon();
    else if (this.#timer === undefined) this.#schedule();
  }

  /** One warning per failing stretch (of Redis, or of a key's own command); one line when over. */
  #report(batchError: Error | null, keyError: Error | undefined) {
    if (this.#closed) return;
    if (batchError) {
      if (!this.#failing) this.#onSyncError(batchError);
      this.#failing = true;
      return;
    }
    if (keyError && !this.#keyFailing) this.#onSyncError(keyError);
    const wasFailing = this.#failing || (this.#keyFailing && !keyError);
    this.#failing = false;
    this.#keyFailing = keyError !== undefined;
    if (wasFailing) this.#onSyncRecovered();
  }

  /** Forgets ended windows with nothing in flight, from the front (those that end first). */
  #sweep(now: number) {
    for (const [key, w] of this.#windows) {
      if (w.resetAt > now || w.pending !== 0 || w.sending !== 0) break;
      this.#windows.delete(key);
    }
  }

  /** Ended windows at the front go; if none had ended, the first (its unsent hits with it). */
  #makeRoom(now: number) {
    this.#sweep(now);
    if (this.#windows.size >= this.#maxKeys) {
      const first = this.#windows.keys().next();
      if (!first.done) this.#windows.delete(first.value);
    }
  }

  /** Sends what it has (once more when a sync is under way: after it answers) and stops. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
    if (this.#syncing) this.#finalSync = true;
    else this.sync();
  }

  /** Keys held (tests). */
  get size(): number {
    return this.#windows.size;
  }
}
