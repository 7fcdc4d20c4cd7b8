import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app';
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

        // The global limit: each process sends its hits every 100 ms and learns the total.
        const redis = t.runtime.adapters.redis!;
        const key = `${t.config.redis!.prefix}:rl:10.5.5.5`;
        for (let i = 0; i < 3; i++) {
          expect((await get('/api/v1/_test/open', '10.5.5.5', t)).statusCode).toBe(200);
        }
        await vi.waitFor(async () => expect(await redis.get(key)).toBe('3'), { timeout: 5_000 });
        // The second process has not synced this address yet: it knows only its own hit (the
        // bounded excess of ADR 0011)...
        expect((await get('/api/v1/_test/open', '10.5.5.5', t2)).statusCode).toBe(200);
        await vi.waitFor(async () => expect(await redis.get(key)).toBe('4'), { timeout: 5_000 });
        // ...and once it has read the answer (just after Redis counted its hit), it refuses, as
        // the first does. On its own hits alone it would have let three through.
        const afterSync: number[] = [];
        await vi.waitFor(
          async () => {
            const res = await get('/api/v1/_test/open', '10.5.5.5', t2);
            afterSync.push(res.statusCode);
            expect(res.statusCode).toBe(429);
            expect(res.json().error.code).toBe('RATE_LIMITED');
          },
          { timeout: 5_000, interval: 20 },
        );
        expect(1 + afterSync.filter((s) => s === 200).length).toBeLessThan(3);
        expect(Number(await redis.pttl(key))).toBeGreaterThan(0);
      } finally {
        await t2.close();
      }
    },
  );
});
