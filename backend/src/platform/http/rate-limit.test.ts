import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app';
import { RedisRateCounter, redisHitBatchStore } from './rate-counters';
import type { App } from './types';

const services = process.env.HANGER_TEST_RUNTIME === 'services';

function routes(app: App) {
  app.get('/api/v1/_test/open', () => ({ data: 'ok' }));
  app.get('/api/v1/_test/own', { config: { rateLimit: { max: 2, timeWindow: 60_000 } } }, () => ({
    data: 'ok',
  }));
}

describe('rate limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_MAX: '3' }, routes, worker: false });
  });
  afterAll(() => t.close());

  const get = (url: string, remoteAddress: string, app = t) =>
    app.app.inject({ url, remoteAddress });

  it('counts each client address apart, says where it stands, and refuses past max with 429', async () => {
    const responses = [];
    for (let i = 0; i < 4; i++) responses.push(await get('/api/v1/_test/open', '10.1.1.1'));
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 429]);
    expect(responses.map((r) => r.headers['x-ratelimit-remaining'])).toEqual(['2', '1', '0', '0']);
    for (const r of responses) {
      expect(r.headers['x-ratelimit-limit']).toBe('3');
      const reset = Number(r.headers['x-ratelimit-reset']);
      expect(reset).toBeGreaterThan(0);
      expect(reset).toBeLessThanOrEqual(60);
    }
    const refused = responses[3]!;
    expect(refused.json()).toMatchObject({
      error: { code: 'RATE_LIMITED', details: { retryAfterSeconds: expect.any(Number) } },
    });
    expect(refused.headers['retry-after']).toBe(
      String(refused.json().error.details.retryAfterSeconds),
    );
    expect(responses[0]!.headers['retry-after']).toBeUndefined();
    // Another address is not affected.
    expect((await get('/api/v1/_test/open', '10.1.1.2')).statusCode).toBe(200);
  });

  it('counts a route with its own limit apart from the global one', async () => {
    const own = [];
    for (let i = 0; i < 3; i++) own.push(await get('/api/v1/_test/own', '10.2.2.2'));
    expect(own.map((r) => r.statusCode)).toEqual([200, 200, 429]);
    expect(own[0]!.headers['x-ratelimit-limit']).toBe('2');
    const open = await get('/api/v1/_test/open', '10.2.2.2');
    expect(open.statusCode).toBe(200);
    expect(open.headers['x-ratelimit-remaining']).toBe('2'); // the route's hits are not in it
  });

  it('never limits an exempt route (probes)', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await get('/healthz', '10.3.3.3');
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
  });

  it.skipIf(!services)(
    'shares counts across API processes: a route’s own limit exactly, the global one from each sync',
    async () => {
      const t2 = await createTestApp({
        env: { RATE_LIMIT_MAX: '3' },
        shareWith: t,
        routes,
        worker: false,
      });
      try {
        // A route's own limit: one Redis round trip per hit, so the third hit is refused whichever
        // process takes it.
        const statuses = [
          (await get('/api/v1/_test/own', '10.4.4.4', t)).statusCode,
          (await get('/api/v1/_test/own', '10.4.4.4', t2)).statusCode,
          (await get('/api/v1/_test/own', '10.4.4.4', t)).statusCode,
          (await get('/api/v1/_test/own', '10.4.4.4', t2)).statusCode,
        ];
        expect(statuses).toEqual([200, 200, 429, 429]);

        // The global limit: each process counts its own hits and syncs them with Redis.
        const redis = t.runtime.adapters.redis!;
        const key = `${t.config.redis!.prefix}:rl:10.5.5.5`;
        for (let i = 0; i < 3; i++) {
          expect((await get('/api/v1/_test/open', '10.5.5.5', t)).statusCode).toBe(200);
        }
        await vi.waitFor(async () => expect(await redis.get(key)).toBe('3'), { timeout: 5_000 });
        // The second process knows only its own hits until its first sync for the address answers
        // (the bounded excess of ADR 0011), then refuses, as the first does. On its own hits
        // alone it would have let three through.
        const onSecond: number[] = [];
        await vi.waitFor(
          async () => {
            const res = await get('/api/v1/_test/open', '10.5.5.5', t2);
            onSecond.push(res.statusCode);
            expect(res.statusCode).toBe(429);
            expect(res.json().error.code).toBe('RATE_LIMITED');
          },
          { timeout: 5_000, interval: 20 },
        );
        expect(onSecond[0]).toBe(200);
        expect(onSecond.filter((s) => s === 200).length).toBeLessThan(3);
        expect(Number(await redis.pttl(key))).toBeGreaterThan(0);
      } finally {
        await t2.close();
      }
    },
  );

  it.skipIf(!services)(
    'counts in Redis with the hit script: per key, per batch, mending a key without expiry',
    async () => {
      const redis = t.runtime.adapters.redis!;
      const prefix = `${t.config.redis!.prefix}:rl-test:`;
      const counter = new RedisRateCounter(redis, prefix);
      const hit = (key: string, windowMs: number) =>
        new Promise<{ err: Error | null; count: number; resetMs: number }>((resolve) =>
          counter.hit(key, windowMs, (err, count, resetMs) => resolve({ err, count, resetMs })),
        );
      const first = await hit('a', 60_000);
      expect(first).toMatchObject({ err: null, count: 1 });
      expect(first.resetMs).toBeGreaterThan(59_000);
      expect(first.resetMs).toBeLessThanOrEqual(60_000);
      expect(await hit('a', 60_000)).toMatchObject({ err: null, count: 2 });
      // A key left without an expiry (a crash between INCR and PEXPIRE elsewhere) gets one.
      await redis.set(`${prefix}b`, '5');
      expect(await hit('b', 30_000)).toMatchObject({ err: null, count: 6 });
      expect(await redis.pttl(`${prefix}b`)).toBeGreaterThan(0);

      // A batch answers per key; a key whose command fails does not fail the others.
      await redis.hset(`${prefix}wrong`, 'field', 'value');
      const store = redisHitBatchStore(redis, prefix);
      const batch = await new Promise<{ err: Error | null; res?: ([number, number] | Error)[] }>(
        (resolve) =>
          store.addHits(['a', 'wrong', 'c'], [3, 1, 2], [60_000, 60_000, 1_000], (err, res) =>
            resolve({ err, res }),
          ),
      );
      expect(batch.err).toBeNull();
      expect(batch.res![0]).toEqual([5, expect.any(Number)]);
      expect(batch.res![1]).toBeInstanceOf(Error);
      const [count, ttl] = batch.res![2] as [number, number];
      expect(count).toBe(2);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(1_000);
    },
  );
});
