import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestApp, type TestApp } from '../../../test/app';
import { AppError } from '../errors';
import { createUser } from '../../../test/users';

describe('HTTP conventions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { BODY_LIMIT_BYTES: '2048', RATE_LIMIT_MAX: '1000' },
      routes: (app) => {
        app.post(
          '/api/v1/_test/echo',
          {
            schema: {
              body: z.object({ name: z.string().min(2).max(10), age: z.number().int().min(0) }),
              response: { 200: z.object({ data: z.object({ name: z.string() }) }) },
            },
          },
          (request) => ({ data: { name: request.body.name } }),
        );
        app.get('/api/v1/_test/conflict', () => {
          throw new AppError('CONFLICT', 'That username is taken', { field: 'username' });
        });
        app.get('/api/v1/_test/crash', () => {
          throw new Error('database password is hunter2');
        });
        app.get('/api/v1/_test/list', () => ({ data: [1, 2, 3], meta: { nextCursor: null } }));
        app.get(
          '/api/v1/_test/limited',
          { config: { rateLimit: { max: 2, timeWindow: 60_000 } } },
          () => ({ data: 'ok' }),
        );
      },
    });
  });
  afterAll(() => t.close());

  it('rejects an invalid body with 400 VALIDATION_FAILED and field details', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/_test/echo',
      payload: { name: 'x', age: -1 },
    });
    expect(res.statusCode).toBe(400);
    const { error } = res.json();
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'body.age',
      'body.name',
    ]);
  });

  it('rejects malformed JSON with 400, not 500', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/_test/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": "ab",',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('rejects a body over the limit with 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/_test/echo',
      payload: { name: 'ab', age: 1, pad: 'x'.repeat(4096) },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('rejects an unsupported content type with 415', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/_test/echo',
      headers: { 'content-type': 'application/xml' },
      payload: '<a/>',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers a malformed URL with 400 in the error envelope', async () => {
    const res = await t.app.inject({ url: '/api/v1/items/%E0%A4%A' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
    expect(res.json().error.requestId).toBeTruthy();
  });

  it('refuses cursors that decode to out-of-range timestamps with 400, not 500', async () => {
    const user = await createUser(t);
    for (const date of ['-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', 'garbage']) {
      const cursor = Buffer.from(
        JSON.stringify([date, '01a21a91-6992-707d-a010-862c80dc1914']),
      ).toString('base64url');
      const res = await t.app.inject({
        url: `/api/v1/notifications?cursor=${cursor}`,
        headers: user.headers,
      });
      expect(res.statusCode).toBe(400);
    }
  });

  it('maps a domain error to its status and keeps its code and details', async () => {
    const res = await t.app.inject({ url: '/api/v1/_test/conflict' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({
      code: 'CONFLICT',
      message: 'That username is taken',
      details: { field: 'username' },
    });
  });

  it('hides internal messages in 5xx bodies', async () => {
    const res = await t.app.inject({ url: '/api/v1/_test/crash' });
    expect(res.statusCode).toBe(500);
    expect(res.json().error.code).toBe('INTERNAL');
    expect(res.body).not.toContain('hunter2');
    expect(res.body).not.toContain('at ');
  });

  it('sends an ETag on list responses and answers If-None-Match with 304', async () => {
    const first = await t.app.inject({ url: '/api/v1/_test/list' });
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^W\/".+"$/);
    const again = await t.app.inject({
      url: '/api/v1/_test/list',
      headers: { 'if-none-match': etag },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('rate-limits with 429 RATE_LIMITED and Retry-After', async () => {
    const responses = [];
    for (let i = 0; i < 3; i++) {
      responses.push(
        await t.app.inject({ url: '/api/v1/_test/limited', remoteAddress: '10.9.9.9' }),
      );
    }
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 429]);
    const last = responses[2]!;
    expect(last.json().error.code).toBe('RATE_LIMITED');
    expect(last.headers['retry-after']).toBeDefined();
  });
});
