import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app';

describe('health and platform endpoints', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('answers liveness at /healthz and /api/v1/healthz', async () => {
    for (const url of ['/healthz', '/api/v1/healthz']) {
      const res = await t.app.inject({ url });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok' });
    }
  });

  it('reports every dependency ready, with the runtime in use', async () => {
    const res = await t.app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'ok',
      checks: { database: 'ok', cache: 'ok', queue: 'ok', storage: 'ok' },
      runtime: t.config.runtime,
    });
  });

  it('answers 503 naming the dependency that is down', async () => {
    const spy = vi
      .spyOn(t.runtime.adapters.storage, 'ping')
      .mockRejectedValue(new Error('disk gone'));
    try {
      const res = await t.app.inject({ url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json().checks).toEqual({
        database: 'ok',
        cache: 'ok',
        queue: 'ok',
        storage: 'down',
      });
    } finally {
      spy.mockRestore();
    }
  });

  it('echoes a sane inbound request id and replaces an unsafe one', async () => {
    const sane = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123.x' } });
    expect(sane.headers['x-request-id']).toBe('abc-123.x');
    const unsafe = await t.app.inject({
      url: '/healthz',
      headers: { 'x-request-id': 'bad id\r\nwith spaces' },
    });
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown API routes with a JSON 404 in the error envelope', async () => {
    const res = await t.app.inject({ url: '/api/v1/does-not-exist' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/json');
    const body = res.json();
    expect(body.error.code).toBe('NOT_FOUND');
    expect(body.error.requestId).toBe(res.headers['x-request-id']);
  });

  it('serves the OpenAPI 3.1 document and the interactive docs', async () => {
    const spec = await t.app.inject({ url: '/api/v1/openapi.json' });
    expect(spec.statusCode).toBe(200);
    expect(spec.json().openapi).toBe('3.1.0');
    expect(Object.keys(spec.json().paths)).toContain('/readyz');
    const docs = await t.app.inject({ url: '/api/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
  });

  it('sets the API security headers on JSON and the full document set on pages', async () => {
    for (const url of ['/healthz', '/api/v1/healthz', '/api/v1/nope']) {
      const res = await t.app.inject({ url });
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['content-security-policy'], url).toBe(
        "default-src 'none';frame-ancestors 'none'",
      );
      expect(res.headers['cross-origin-resource-policy'], url).toBe('same-origin');
      expect(res.headers['x-frame-options'], url).toBeUndefined();
      expect(res.headers['x-request-id'], url).toMatch(/^[0-9a-f-]{36}$/);
    }
    const docs = await t.app.inject({ url: '/api/docs/' });
    expect(docs.headers['x-content-type-options']).toBe('nosniff');
    expect(docs.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(docs.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(docs.headers['referrer-policy']).toBe('no-referrer');
    expect(docs.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
