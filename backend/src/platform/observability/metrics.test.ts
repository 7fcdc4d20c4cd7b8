import { Registry, collectDefaultMetrics } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app';
import { find } from '../../../test/prometheus';
import { startOpsServer } from './ops-server';

declare module '../queue/types' {
  interface JobMap {
    'observability.tick': { fail: boolean };
  }
}

describe('GET /metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      setup: (runtime) => {
        runtime.adapters.registry.define({
          name: 'observability.tick',
          attempts: 1,
          handle: ({ fail }) =>
            fail ? Promise.reject(new Error('tick failed')) : Promise.resolve(),
        });
      },
      routes: (app) => {
        app.get('/api/v1/_test/things/:id', () => ({ data: 'ok' }));
        app.post('/api/v1/_test/tick', async (request) => {
          const { fail } = request.body as { fail: boolean };
          await t.runtime.adapters.outbox.transaction((_tx, emit) =>
            emit('observability.tick', { fail }),
          );
          return { data: 'queued' };
        });
      },
    });
  });
  afterAll(() => t?.close());

  const scrape = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.body;
  };

  it('exposes request duration by route template, method and status, never by raw URL', async () => {
    for (const id of ['a1', 'b2', 'c3']) {
      expect((await t.app.inject({ url: `/api/v1/_test/things/${id}` })).statusCode).toBe(200);
    }
    expect((await t.app.inject({ url: '/api/v1/no/such/route-xyz' })).statusCode).toBe(404);
    const text = await scrape();
    const count = find(text, 'hanger_http_request_duration_seconds_count', {
      method: 'GET',
      route: '/api/v1/_test/things/:id',
      status_code: '200',
    });
    expect(count).toHaveLength(1);
    expect(count[0]!.value).toBe(3);
    expect(
      find(text, 'hanger_http_request_duration_seconds_bucket', {
        route: '/api/v1/_test/things/:id',
        le: '+Inf',
      })[0]?.value,
    ).toBe(3);
    expect(
      find(text, 'hanger_http_request_duration_seconds_count', {
        route: 'unmatched',
        status_code: '404',
      })[0]?.value,
    ).toBe(1);
    expect(text).not.toContain('a1');
    expect(text).not.toContain('route-xyz');
    // The scrape itself is in flight while it renders; nothing else is.
    expect(find(text, 'hanger_http_requests_in_flight')[0]?.value).toBe(1);
  });

  it('exposes queue depth per queue and state, and job duration per queue, job and outcome', async () => {
    for (const fail of [false, false, true]) {
      await t.app.inject({ method: 'POST', url: '/api/v1/_test/tick', payload: { fail } });
    }
    await t.settle();
    const text = await scrape();
    for (const state of ['waiting', 'active', 'delayed', 'failed', 'completed']) {
      expect(find(text, 'hanger_queue_jobs', { queue: 'observability', state })).toHaveLength(1);
    }
    const jobs = (outcome: string) =>
      find(text, 'hanger_job_duration_seconds_count', {
        queue: 'observability',
        job: 'observability.tick',
        outcome,
      })[0]?.value;
    expect(jobs('completed')).toBe(2);
    expect(jobs('failed')).toBe(1);
    if (t.runtime.adapters.queue.kind === 'memory') {
      expect(
        find(text, 'hanger_queue_jobs', { queue: 'observability', state: 'failed' })[0]?.value,
      ).toBe(1);
    }
  });

  it('counts cache hits and misses by key namespace', async () => {
    const { cache } = t.runtime.adapters;
    await cache.set('obs:k', 'v', 60_000);
    await cache.get('obs:k');
    await cache.get('obs:k');
    await cache.get('obs:absent');
    const text = await scrape();
    expect(
      find(text, 'hanger_cache_requests_total', { cache: 'obs', result: 'hit' })[0]?.value,
    ).toBe(2);
    expect(
      find(text, 'hanger_cache_requests_total', { cache: 'obs', result: 'miss' })[0]?.value,
    ).toBe(1);
  });

  it('exposes WebSocket and image-processing series that modules record through their recorders', async () => {
    const { ws, images } = t.runtime.adapters.metrics;
    const before = find(await scrape(), 'hanger_image_processing_total', { outcome: 'processed' });
    expect(before[0]?.value).toBe(0); // present from the start, so alerts can use rate()
    ws.connectionOpened();
    ws.connectionOpened();
    ws.connectionClosed();
    ws.message('out', 'notification.created');
    ws.message('in', 'some free text that is not a code!');
    images.outcome('processed');
    images.outcome('rejected', 'UNSUPPORTED_TYPE');
    const text = await scrape();
    expect(find(text, 'hanger_ws_connections')[0]?.value).toBe(1);
    expect(
      find(text, 'hanger_ws_messages_total', { direction: 'out', type: 'notification.created' })[0]
        ?.value,
    ).toBe(1);
    expect(
      find(text, 'hanger_ws_messages_total', { direction: 'in', type: 'other' })[0]?.value,
    ).toBe(1);
    expect(
      find(text, 'hanger_image_processing_total', {
        outcome: 'rejected',
        reason: 'UNSUPPORTED_TYPE',
      })[0]?.value,
    ).toBe(1);
  });

  it("exposes Node process metrics: prom-client's defaults without the per-GC histogram", async () => {
    const text = await scrape();
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(find(text, name).length, name).toBeGreaterThan(0);
    }
    // Every default but the GC histogram: what collectProcessMetrics loads by module path must
    // keep up with prom-client's own list.
    const defaults = new Registry();
    collectDefaultMetrics({ register: defaults });
    const names = (await defaults.getMetricsAsJSON()).map((metric) => metric.name);
    expect(names).toContain('nodejs_gc_duration_seconds');
    const exposed = new Set(
      text.split('\n').flatMap((line) => /^# TYPE (\S+) /.exec(line)?.[1] ?? []),
    );
    expect(names.filter((name) => !exposed.has(name))).toEqual(['nodejs_gc_duration_seconds']);
  });

  it('exposes the Postgres pool and query durations in the services runtime', async () => {
    if (inject('runtime') !== 'services') {
      expect(find(await scrape(), 'hanger_db_pool_connections')).toHaveLength(0);
      return;
    }
    await t.app.inject({ url: '/readyz' });
    const text = await scrape();
    expect(find(text, 'hanger_db_pool_connections', { state: 'max' })[0]?.value).toBe(5);
    expect(find(text, 'hanger_db_pool_connections', { state: 'total' })[0]?.value).toBeGreaterThan(
      0,
    );
    expect(
      find(text, 'hanger_db_query_duration_seconds_count', { operation: 'select' })[0]?.value,
    ).toBeGreaterThan(0);
  });
});

describe('/metrics access', () => {
  it('asks for the bearer token when METRICS_TOKEN is set', async () => {
    const t = await createTestApp({ env: { METRICS_TOKEN: 'scrape-token-0123456789' } });
    try {
      const none = await t.app.inject({ url: '/metrics' });
      expect(none.statusCode).toBe(401);
      expect(none.json().error.code).toBe('UNAUTHENTICATED');
      const wrong = await t.app.inject({
        url: '/metrics',
        headers: { authorization: 'Bearer scrape-token-0123456780' },
      });
      expect(wrong.statusCode).toBe(401);
      const right = await t.app.inject({
        url: '/metrics',
        headers: { authorization: 'Bearer scrape-token-0123456789' },
      });
      expect(right.statusCode).toBe(200);
      expect(right.body).toContain('hanger_http_request_duration_seconds');
    } finally {
      await t.close();
    }
  });

  it('hides /metrics in production when neither a token nor a metrics port is set', async () => {
    const t = await createTestApp({ env: { NODE_ENV: 'production' }, worker: false });
    try {
      expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(404);
    } finally {
      await t.close();
    }
  });

  it('serves /metrics, /healthz and /readyz on the separate metrics port instead of the API port', async () => {
    const t = await createTestApp({ env: { METRICS_PORT: '9464' }, worker: false });
    const ops = await startOpsServer({
      metrics: t.runtime.adapters.metrics,
      adapters: t.runtime.adapters,
      runtime: t.config.runtime,
      host: '127.0.0.1',
      port: 0,
    });
    try {
      expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(404);
      const metrics = await ops.inject({ url: '/metrics' });
      expect(metrics.statusCode).toBe(200);
      expect(metrics.body).toContain('hanger_queue_jobs');
      expect((await ops.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
      expect((await ops.inject({ url: '/readyz' })).statusCode).toBe(200);
    } finally {
      await ops.close();
      await t.close();
    }
  });
});
