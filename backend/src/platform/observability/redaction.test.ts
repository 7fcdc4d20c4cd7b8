import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app';
import { captureLogs } from '../../../test/logs';

/**
 * Requests that carry every kind of secret (passwords, access and refresh tokens, cookies, CSRF
 * tokens, signed URLs) through the real endpoints, with logging at its most verbose; then the
 * captured log is searched for each secret: none may appear.
 */
describe('log redaction', () => {
  const logs = captureLogs();
  let t: TestApp;
  const password = 'Sup3r-Secret-Passw0rd!';
  const wrongPassword = 'Wr0ng-Secret-Passw0rd?';
  const newPassword = 'N3w-Secret-Passw0rd#';
  const resetToken = 'reset-token-3c1f9a7be2d04f6aa1b2';
  const signature = 'a3f1c9e8d7b6a5f4e3d2c1b0a9f8e7d6';
  const amzSignature = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
  const amzCredential = 'AKIASECRETCREDENTIAL%2F20260101';
  const secrets: string[] = [
    password,
    wrongPassword,
    newPassword,
    resetToken,
    signature,
    amzSignature,
    amzCredential,
  ];

  beforeAll(async () => {
    t = await createTestApp({
      env: { LOG_LEVEL: 'trace' },
      logStream: logs.stream,
      routes: (app) => {
        app.post('/api/v1/_test/echo', (request) => {
          // A careless handler logging the whole body must still not leak its secrets.
          request.log.info({ body: request.body }, 'echo body');
          return { data: 'ok' };
        });
      },
    });
  });
  afterAll(() => t?.close());

  it('writes no password, token, cookie or URL signature to the logs', async () => {
    const email = 'redaction@example.test';
    const register = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, username: 'redaction_user', password },
    });
    expect(register.statusCode).toBeLessThan(300);
    await t.settle();
    await t.runtime.adapters.database.db.execute(
      sql`update users set email_verified_at = now() where email = ${email}`,
    );

    const failed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email, password: wrongPassword },
    });
    expect(failed.statusCode).toBe(401);

    const apiLogin = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email, password, client: 'api' },
    });
    expect(apiLogin.statusCode).toBe(200);
    const { accessToken, refreshToken } = apiLogin.json().data as {
      accessToken: string;
      refreshToken: string;
    };
    secrets.push(accessToken, refreshToken);

    const browserLogin = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email, password },
    });
    expect(browserLogin.statusCode).toBe(200);
    const cookies = Object.fromEntries(browserLogin.cookies.map((c) => [c.name, c.value]));
    const cookieValues = Object.values(cookies).filter((v) => v.length >= 16);
    expect(cookieValues.length).toBeGreaterThanOrEqual(2);
    secrets.push(...cookieValues, browserLogin.json().data.accessToken as string);
    const cookieHeader = Object.entries(cookies)
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
    const csrf = browserLogin.json().data.csrfToken as string;
    secrets.push(csrf);

    const requests = [
      t.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${accessToken}` } }),
      t.app.inject({ url: '/api/v1/me', headers: { cookie: cookieHeader } }),
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        payload: { refreshToken },
      }),
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        headers: { cookie: cookieHeader, 'x-csrf-token': csrf },
      }),
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/password/reset',
        payload: { token: resetToken, newPassword },
      }),
      t.app.inject({
        method: 'POST',
        url: '/api/v1/_test/echo',
        headers: { authorization: `Bearer ${refreshToken}` },
        payload: { password, token: resetToken, accessToken, refreshToken, newPassword },
      }),
      t.app.inject({
        url: `/api/v1/storage/originals/x.jpg?expires=1999999999&signature=${signature}`,
      }),
      t.app.inject({
        url: `/api/v1/storage/originals/y.jpg?X-Amz-Credential=${amzCredential}&X-Amz-Signature=${amzSignature}`,
      }),
      t.app.inject({ url: `/api/v1/no-such-route?token=${resetToken}&signature=${signature}` }),
    ];
    for (const res of await Promise.all(requests))
      expect(res.statusCode, `${res.raw.req.url} ${res.body}`).toBeLessThan(500);

    const presigned = await t.runtime.adapters.storage.presignGet('originals/secret.jpg', {
      expiresInSec: 60,
    });
    const url = new URL(presigned.url);
    const sig = url.searchParams.get('signature') ?? url.searchParams.get('X-Amz-Signature');
    expect(sig).toBeTruthy();
    secrets.push(sig!);
    await t.app.inject({
      url: `/api/v1/storage${url.pathname.replace(/^.*?\/originals/, '/originals')}${url.search}`,
    });
    await t.settle();

    const text = logs.text();
    // The log did record these requests (so an empty log cannot pass) …
    const requestLines = logs
      .lines()
      .filter((l) => l.msg === 'request' || l.msg === 'request failed');
    expect(requestLines.length).toBeGreaterThanOrEqual(14);
    expect(text).toContain('[REDACTED]');
    expect(text).toContain('echo body');
    // … and none of the secrets.
    const leaks = secrets.filter((s) => text.includes(s));
    expect(leaks).toEqual([]);
  });
});
