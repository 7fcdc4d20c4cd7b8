import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  MemoryRateCounter,
  SharedRateCounter,
  type HitBatchStore,
  type LocalRateCounter,
} from './rate-counters';

const BIG = 1_000_000;

/** One hit: the count and when its window ends, as the limiter reads them. */
function hit(counter: LocalRateCounter, key: string, windowMs = 60_000, max = BIG) {
  const count = counter.count(key, windowMs, max);
  return { count, resetMs: counter.resetMs };
}

describe('MemoryRateCounter', () => {
  it('counts hits per key in a fixed window that starts at the first hit', () => {
    let now = 1_000;
    const counter = new MemoryRateCounter(() => now);
    expect(hit(counter, 'a', 10_000)).toEqual({ count: 1, resetMs: 10_000 });
    now += 4_000;
    expect(hit(counter, 'a', 10_000)).toEqual({ count: 2, resetMs: 6_000 });
    expect(hit(counter, 'b', 10_000)).toEqual({ count: 1, resetMs: 10_000 });
    now += 6_000; // the window of `a` has ended
    expect(hit(counter, 'a', 10_000)).toEqual({ count: 1, resetMs: 10_000 });
  });

  it('keeps at most maxKeys: ended windows go first, else the window that began first', () => {
    let now = 0;
    const counter = new MemoryRateCounter(() => now, 3);
    hit(counter, 'short', 1_000);
    hit(counter, 'k1');
    hit(counter, 'k2');
    now = 2_000; // `short` has ended
    hit(counter, 'k3');
    expect(counter.size).toBe(3);
    expect(hit(counter, 'k1').count).toBe(2); // kept: the ended `short` went instead
    hit(counter, 'k4'); // none has ended: k1, whose window began first, goes
    expect(counter.size).toBe(3);
    expect(hit(counter, 'k1').count).toBe(1); // a new window (and k2 went for it)
    expect(hit(counter, 'k3').count).toBe(2);
    expect(hit(counter, 'k4').count).toBe(2);
  });

  it('drops ended windows of every length before a live one, whichever began first', () => {
    let now = 0;
    const counter = new MemoryRateCounter(() => now, 3);
    hit(counter, 'export', 3_600_000); // began first, ends last
    hit(counter, 'login1', 60_000);
    hit(counter, 'login2', 60_000);
    now = 61_000; // both sign-in windows have ended
    hit(counter, 'login3', 60_000);
    expect(counter.size).toBe(2);
    expect(hit(counter, 'export', 3_600_000).count).toBe(2); // kept, still counting
  });
});

/**
 * The hit script's semantics (rate-counters.ts HIT_SCRIPT) over a map, shared by the counters of
 * several "processes". Scripts run when sent; replies wait in `queue` until the test delivers
 * them, as a socket's would.
 */
function fakeRedis(clock: () => number) {
  const keys = new Map<string, { count: number; expiresAt: number }>();
  const queue: (() => void)[] = [];
  const calls: { keys: string[]; hits: number[] }[] = [];
  let failBatches = 0;
  const failKeys = new Set<string>();
  const store: HitBatchStore = {
    addHits(ks, hits, windowMs, reply) {
      calls.push({ keys: [...ks], hits: [...hits] });
      if (failBatches > 0) {
        failBatches--;
        queue.push(() => reply(new Error('connection lost')));
        return;
      }
      const now = clock();
      const results = ks.map((k, i): [number, number] | Error => {
        if (failKeys.has(k)) return new Error(`WRONGTYPE ${k}`);
        let e = keys.get(k);
        if (!e || e.expiresAt <= now) {
          e = { count: 0, expiresAt: now + windowMs[i]! };
          keys.set(k, e);
        }
        e.count += hits[i]!;
        return [e.count, e.expiresAt - now];
      });
      queue.push(() => reply(null, results));
    },
  };
  return {
    store,
    calls,
    count: (k: string) => keys.get(k)?.count ?? 0,
    failBatches: (n: number) => (failBatches = n),
    failKeys,
    deliver() {
      while (queue.length) queue.shift()!();
    },
  };
}

describe('SharedRateCounter', () => {
  // Its syncs run from setImmediate and setTimeout: the tests run them by hand.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'] });
  });
  afterEach(() => vi.useRealTimers());

  const settle = (redis: ReturnType<typeof fakeRedis>) => {
    vi.advanceTimersByTime(0); // pending immediates
    redis.deliver();
  };

  it('answers each hit at once from its own counts, with no round trip per hit', () => {
    const redis = fakeRedis(() => 0);
    const counter = new SharedRateCounter({ store: redis.store, now: () => 0 });
    const counts = Array.from({ length: 5 }, () => hit(counter, 'ip', 60_000, 3).count);
    // One process alone never lets more than max through: the fourth hit counts 4 > 3.
    expect(counts).toEqual([1, 2, 3, 4, 5]);
    expect(redis.calls).toEqual([]); // all answered before anything was sent
    settle(redis);
    // A new window is synced on the next turn of the event loop, with every hit of this turn.
    expect(redis.calls).toEqual([{ keys: ['ip'], hits: [5] }]);
    counter.close();
  });

  it('sends its hits in one batch per sync and learns the other processes’ counts', () => {
    const redis = fakeRedis(() => 0);
    const a = new SharedRateCounter({ store: redis.store, now: () => 0 });
    const b = new SharedRateCounter({ store: redis.store, now: () => 0 });
    for (let i = 0; i < 3; i++) hit(a, 'ip1');
    hit(a, 'ip2');
    for (let i = 0; i < 4; i++) hit(b, 'ip1');
    vi.advanceTimersByTime(0);
    expect(redis.calls).toEqual([
      { keys: ['ip1', 'ip2'], hits: [3, 1] },
      { keys: ['ip1'], hits: [4] },
    ]);
    // A hit while a sync is under way counts what was sent as well.
    expect(hit(a, 'ip1').count).toBe(4);
    redis.deliver();
    expect(redis.count('ip1')).toBe(7); // each hit sent once
    // Each learnt the other's hits from its own sync's answer (b's ran after a's in Redis).
    expect(hit(b, 'ip1').count).toBe(8);
    // a: 3 in Redis when its sync ran, the hit made during it, and this one.
    expect(hit(a, 'ip1').count).toBe(5);
    a.close();
    b.close();
  });

  it('syncs at once near the limit, on the timer far from it, and leaves no timer when idle', () => {
    const redis = fakeRedis(() => 0);
    const counter = new SharedRateCounter({ store: redis.store, now: () => 0, syncMs: 100 });
    hit(counter, 'ip', 60_000, 160);
    settle(redis); // the first sync of the window
    expect(redis.calls).toHaveLength(1);
    // Far from the limit (159 left, a sixteenth is under 10): nine unsent hits wait for the timer.
    for (let i = 0; i < 9; i++) hit(counter, 'ip', 60_000, 160);
    vi.advanceTimersByTime(0);
    expect(redis.calls).toHaveLength(1);
    // The tenth reaches a sixteenth of what is left: sent on the next turn.
    hit(counter, 'ip', 60_000, 160);
    settle(redis);
    expect(redis.calls.map((c) => c.hits)).toEqual([[1], [10]]);
    expect(vi.getTimerCount()).toBe(1); // the timer armed by the first hits, not needed now
    vi.advanceTimersByTime(100); // fires with nothing to send
    expect(redis.calls).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
    counter.close();
  });

  it('sends hits past the limit on the timer only', () => {
    const redis = fakeRedis(() => 0);
    const counter = new SharedRateCounter({ store: redis.store, now: () => 0, syncMs: 100 });
    for (let i = 0; i < 3; i++) hit(counter, 'ip', 60_000, 2);
    settle(redis);
    expect(redis.calls.map((c) => c.hits)).toEqual([[3]]);
    for (let i = 0; i < 5; i++) expect(hit(counter, 'ip', 60_000, 2).count).toBe(4 + i);
    vi.advanceTimersByTime(99);
    expect(redis.calls).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(redis.calls.map((c) => c.hits)).toEqual([[3], [5]]);
    counter.close();
  });

  it('takes the window end from Redis, where another process may have started the window', () => {
    let now = 0;
    const redis = fakeRedis(() => now);
    const a = new SharedRateCounter({ store: redis.store, now: () => now });
    const b = new SharedRateCounter({ store: redis.store, now: () => now });
    hit(a, 'ip');
    settle(redis); // the window in Redis: 0 to 60 s
    now = 20_000;
    expect(hit(b, 'ip').resetMs).toBe(60_000); // b's own guess, until it syncs
    settle(redis);
    expect(hit(b, 'ip')).toEqual({ count: 3, resetMs: 40_000 });
    now = 60_000; // the window has ended: counting starts again
    expect(hit(b, 'ip')).toEqual({ count: 1, resetMs: 60_000 });
    a.close();
    b.close();
  });

  it('keeps the hits of a failed sync and sends them later, reporting the failure once', () => {
    const redis = fakeRedis(() => 0);
    const errors: Error[] = [];
    let recovered = 0;
    const counter = new SharedRateCounter({
      store: redis.store,
      now: () => 0,
      syncMs: 100,
      onSyncError: (err) => errors.push(err),
      onSyncRecovered: () => recovered++,
    });
    redis.failBatches(2);
    hit(counter, 'ip');
    hit(counter, 'ip');
    settle(redis); // fails
    expect(hit(counter, 'ip').count).toBe(3); // still counted here
    vi.advanceTimersByTime(0);
    expect(redis.calls).toHaveLength(1); // a new hit does not retry at once while failing
    vi.advanceTimersByTime(100); // retried on the timer's pace, not at once
    redis.deliver(); // fails again
    expect(errors.map((e) => e.message)).toEqual(['connection lost']); // once per failing stretch
    expect(redis.count('ip')).toBe(0);
    vi.advanceTimersByTime(100);
    redis.deliver();
    expect(redis.count('ip')).toBe(3); // all three, once each
    expect(recovered).toBe(1);
    expect(hit(counter, 'ip').count).toBe(4);
    counter.close();
  });

  it('resends only the keys whose own command failed in a batch', () => {
    const redis = fakeRedis(() => 0);
    const errors: Error[] = [];
    const counter = new SharedRateCounter({
      store: redis.store,
      now: () => 0,
      syncMs: 100,
      onSyncError: (err) => errors.push(err),
    });
    redis.failKeys.add('b');
    for (const key of ['a', 'b', 'c']) hit(counter, key);
    settle(redis);
    expect(errors.map((e) => e.message)).toEqual(['WRONGTYPE b']);
    expect([redis.count('a'), redis.count('c')]).toEqual([1, 1]);
    redis.failKeys.clear();
    vi.advanceTimersByTime(100);
    redis.deliver();
    expect(redis.calls.map((c) => c.keys)).toEqual([['a', 'b', 'c'], ['b']]);
    expect([redis.count('a'), redis.count('b'), redis.count('c')]).toEqual([1, 1, 1]);
    counter.close();
  });

  it('drops a sync’s answer for a window that ended meanwhile, and forgets ended windows', () => {
    let now = 0;
    const redis = fakeRedis(() => now);
    const counter = new SharedRateCounter({ store: redis.store, now: () => now });
    for (let i = 0; i < 5; i++) hit(counter, 'ip', 1_000);
    vi.advanceTimersByTime(0); // sent; not answered yet
    now = 1_000; // ended before the answer came
    expect(hit(counter, 'ip', 1_000).count).toBe(1);
    redis.deliver(); // says 5: the old window's count, not applied to the new one
    expect(hit(counter, 'ip', 1_000).count).toBe(2);
    settle(redis);
    hit(counter, 'other', 1_000);
    settle(redis);
    now = 5_000;
    hit(counter, 'third', 1_000); // its sync sweeps the ended windows before it
    settle(redis);
    expect(counter.size).toBe(1);
    counter.close();
  });

  it('keeps at most maxKeys, dropping the window that began first', () => {
    const redis = fakeRedis(() => 0);
    const counter = new SharedRateCounter({ store: redis.store, now: () => 0, maxKeys: 2 });
    hit(counter, 'k1');
    hit(counter, 'k2');
    hit(counter, 'k3'); // k1 goes, its unsent hit with it
    expect(counter.size).toBe(2);
    settle(redis);
    expect(redis.calls.map((c) => c.keys)).toEqual([['k2', 'k3']]);
    counter.close();
  });

  it('sends what it has when closed, then stops', () => {
    const redis = fakeRedis(() => 0);
    const counter = new SharedRateCounter({ store: redis.store, now: () => 0 });
    hit(counter, 'ip', 60_000, 100);
    settle(redis);
    hit(counter, 'ip', 60_000, 100); // waits for the timer
    counter.close();
    redis.deliver();
    expect(redis.count('ip')).toBe(2);
    hit(counter, 'ip', 60_000, 100);
    vi.advanceTimersByTime(1_000);
    expect(redis.calls).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sends the hits of a sync’s round trip with another at once when one asked for it', () => {
    const redis = fakeRedis(() => 0);
    const counter = new SharedRateCounter({ store: redis.store, now: () => 0, syncMs: 100 });
    hit(counter, 'a');
    vi.advanceTimersByTime(0); // the first sync of `a`, under way
    hit(counter, 'b'); // a new window: wants a sync at once, but one is under way
    vi.advanceTimersByTime(0);
    expect(redis.calls).toHaveLength(1);
    redis.deliver(); // the answer starts the next one on the following turn, not the timer
    vi.advanceTimersByTime(0);
    expect(redis.calls.map((c) => c.keys)).toEqual([['a'], ['b']]);
    counter.close();
  });

  it('gives up on a sync Redis does not answer and sends its hits again, ignoring a late answer', () => {
    const redis = fakeRedis(() => 0);
    const errors: string[] = [];
    const counter = new SharedRateCounter({
      store: redis.store,
      now: () => 0,
      syncMs: 100,
      onSyncError: (err) => errors.push(err.message),
    });
    hit(counter, 'ip');
    hit(counter, 'ip');
    vi.advanceTimersByTime(0); // sent; Redis ran it, the answer hangs
    vi.advanceTimersByTime(2_000);
    expect(errors).toEqual(['rate limit: no answer from Redis in 2000 ms']);
    expect(hit(counter, 'ip').count).toBe(3);
    vi.advanceTimersByTime(100); // the timer sends all three again
    expect(redis.calls.map((c) => c.hits)).toEqual([[2], [3]]);
    redis.deliver(); // the late first answer (2) is ignored; the second says 5 (2 counted twice)
    expect(hit(counter, 'ip').count).toBe(6);
    counter.close();
  });

  it('sends what came during a sync under way at close, once it answers', () => {
    const redis = fakeRedis(() => 0);
    const counter = new SharedRateCounter({ store: redis.store, now: () => 0 });
    hit(counter, 'ip');
    vi.advanceTimersByTime(0); // under way
    hit(counter, 'ip');
    counter.close();
    expect(redis.calls).toHaveLength(1);
    redis.deliver(); // the answer sends the rest
    redis.deliver();
    expect(redis.count('ip')).toBe(2);
    expect(redis.calls).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });
});
