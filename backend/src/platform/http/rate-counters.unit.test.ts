import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  MemoryRateCounter,
  SharedRateCounter,
  type HitBatchStore,
  type RateCounter,
} from './rate-counters';

/** One hit, answered synchronously (these counters always answer at once). */
function hit(counter: RateCounter, key: string, windowMs = 60_000) {
  let answer: { err: Error | null; count: number; resetMs: number } | undefined;
  counter.hit(key, windowMs, (err, count, resetMs) => (answer = { err, count, resetMs }));
  if (!answer) throw new Error('not answered synchronously');
  return answer;
}

describe('MemoryRateCounter', () => {
  it('counts hits per key in a fixed window that starts at the first hit', () => {
    let now = 1_000;
    const counter = new MemoryRateCounter(() => now);
    expect(hit(counter, 'a', 10_000)).toEqual({ err: null, count: 1, resetMs: 10_000 });
    now += 4_000;
    expect(hit(counter, 'a', 10_000)).toEqual({ err: null, count: 2, resetMs: 6_000 });
    expect(hit(counter, 'b', 10_000)).toMatchObject({ count: 1, resetMs: 10_000 });
    now += 6_000; // the window of `a` has ended
    expect(hit(counter, 'a', 10_000)).toEqual({ err: null, count: 1, resetMs: 10_000 });
  });

  it('keeps at most maxKeys, dropping ended windows first, then the oldest', () => {
    let now = 0;
    const counter = new MemoryRateCounter(() => now, 3);
    hit(counter, 'short', 1_000);
    hit(counter, 'k1');
    hit(counter, 'k2');
    now = 2_000; // `short` has ended
    hit(counter, 'k3');
    expect(counter.size).toBe(3);
    expect(hit(counter, 'k1').count).toBe(2); // kept: the ended `short` went instead
    hit(counter, 'k4'); // none has ended: the oldest key, k1, goes
    expect(counter.size).toBe(3);
    expect(hit(counter, 'k1').count).toBe(1); // a new window (and k2 went for it)
    expect(hit(counter, 'k3').count).toBe(2);
    expect(hit(counter, 'k4').count).toBe(2);
  });
});

/**
 * The hit script's semantics (rate-counters.ts HIT_SCRIPT) over a map, shared by the counters of
 * several "processes"; replies wait in `queue` until the test delivers them, as a socket's would.
 */
function fakeRedis(clock: () => number) {
  const keys = new Map<string, { count: number; expiresAt: number }>();
  const queue: (() => void)[] = [];
  const calls: { keys: string[]; hits: number[] }[] = [];
  let failNext = 0;
  const store: HitBatchStore = {
    addHits(ks, hits, windowMs, reply) {
      calls.push({ keys: [...ks], hits: [...hits] });
      if (failNext > 0) {
        failNext--;
        queue.push(() => reply(new Error('connection lost')));
        return;
      }
      // Applied when sent (Redis runs the script then); answered when the test delivers it.
      const now = clock();
      const results = ks.map((k, i): [number, number] => {
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
    failNext: (n: number) => (failNext = n),
    deliver() {
      while (queue.length) queue.shift()!();
    },
  };
}

describe('SharedRateCounter', () => {
  afterEach(() => vi.useRealTimers());

  it('answers each hit at once from its own counts, never letting one process past max', () => {
    const redis = fakeRedis(() => 0);
    const counter = new SharedRateCounter({ store: redis.store, now: () => 0 });
    const counts = Array.from({ length: 5 }, () => hit(counter, 'ip').count);
    expect(counts).toEqual([1, 2, 3, 4, 5]);
    expect(redis.calls).toEqual([]); // nothing sent yet: no round trip per hit
    counter.close();
  });

  it('sends its hits in one batch per sync and learns the other processes’ counts', () => {
    const now = 0;
    const redis = fakeRedis(() => now);
    const a = new SharedRateCounter({ store: redis.store, now: () => now });
    const b = new SharedRateCounter({ store: redis.store, now: () => now });
    for (let i = 0; i < 3; i++) hit(a, 'ip1');
    hit(a, 'ip2');
    for (let i = 0; i < 4; i++) hit(b, 'ip1');

    a.sync();
    expect(redis.calls).toEqual([{ keys: ['ip1', 'ip2'], hits: [3, 1] }]);
    // A hit while the sync is under way counts what was sent as well.
    expect(hit(a, 'ip1').count).toBe(4);
    redis.deliver();
    b.sync();
    redis.deliver();
    expect(redis.count('ip1')).toBe(7); // a's first 3 and b's 4: each hit sent once
    // b learnt a's 3; a still knows only its own until its next sync.
    expect(hit(b, 'ip1').count).toBe(8);
    a.sync(); // sends a's fourth
    redis.deliver();
    expect(redis.count('ip1')).toBe(8);
    expect(hit(a, 'ip1').count).toBe(9); // 8 in Redis, and this one
    a.close();
    b.close();
  });

  it('takes the window end from Redis, where another process may have started the window', () => {
    let now = 0;
    const redis = fakeRedis(() => now);
    const a = new SharedRateCounter({ store: redis.store, now: () => now });
    const b = new SharedRateCounter({ store: redis.store, now: () => now });
    hit(a, 'ip');
    a.sync();
    redis.deliver(); // the window in Redis: 0 to 60 s
    now = 20_000;
    expect(hit(b, 'ip').resetMs).toBe(60_000); // b's own guess, until it syncs
    b.sync();
    redis.deliver();
    expect(hit(b, 'ip')).toMatchObject({ count: 3, resetMs: 40_000 });
    now = 60_000; // the window has ended: counting starts again
    expect(hit(b, 'ip')).toMatchObject({ count: 1, resetMs: 60_000 });
    a.close();
    b.close();
  });

  it('keeps the hits of a failed sync and sends them with the next, reporting the failure once', () => {
    const redis = fakeRedis(() => 0);
    const errors: Error[] = [];
    let recovered = 0;
    const counter = new SharedRateCounter({
      store: redis.store,
      now: () => 0,
      onSyncError: (err) => errors.push(err),
      onSyncRecovered: () => recovered++,
    });
    hit(counter, 'ip');
    hit(counter, 'ip');
    redis.failNext(2);
    counter.sync();
    redis.deliver();
    expect(hit(counter, 'ip').count).toBe(3); // still counted here
    counter.sync();
    redis.deliver();
    expect(errors.map((e) => e.message)).toEqual(['connection lost']); // once per failing stretch
    expect(redis.count('ip')).toBe(0);
    counter.sync();
    redis.deliver();
    expect(redis.count('ip')).toBe(3); // all three, once each
    expect(recovered).toBe(1);
    expect(hit(counter, 'ip').count).toBe(4);
    counter.close();
  });

  it('drops a sync’s answer for a window that ended meanwhile, and forgets ended windows', () => {
    let now = 0;
    const redis = fakeRedis(() => now);
    const counter = new SharedRateCounter({ store: redis.store, now: () => now });
    for (let i = 0; i < 5; i++) hit(counter, 'ip', 1_000);
    counter.sync();
    now = 1_000; // ended before the answer came
    expect(hit(counter, 'ip', 1_000).count).toBe(1);
    redis.deliver(); // says 5: the old window's count, not applied to the new one
    expect(hit(counter, 'ip', 1_000).count).toBe(2);
    hit(counter, 'other', 1_000);
    now = 5_000;
    counter.sync(); // sends nothing for ended windows, then sweeps them
    redis.deliver();
    expect(counter.size).toBe(0);
    counter.close();
  });

  it('syncs on its own every syncMs while there are hits to send, until closed', () => {
    vi.useFakeTimers();
    const redis = fakeRedis(() => Date.now());
    const counter = new SharedRateCounter({ store: redis.store, syncMs: 50 });
    hit(counter, 'ip');
    vi.advanceTimersByTime(49);
    expect(redis.calls).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(redis.calls).toEqual([{ keys: ['ip'], hits: [1] }]);
    redis.deliver();
    vi.advanceTimersByTime(500); // nothing new: no sync
    expect(redis.calls).toHaveLength(1);
    hit(counter, 'ip');
    counter.close();
    vi.advanceTimersByTime(500);
    expect(redis.calls).toHaveLength(1);
  });
});
