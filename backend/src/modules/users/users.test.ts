import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastMail, randomIp, signUp, strongPassword } from '../../../test/accounts';
import { createTestApp, type TestApp } from '../../../test/app';
import { sessions } from '../auth/auth.table';
import { dataExports, users } from './users.table';

describe('profiles, my account, export and deletion', () => {
  let t: TestApp;
  const db = () => t.runtime.adapters.database.db;
  const patchMe = (headers: Record<string, string>, payload: object) =>
    t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers, payload });

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('serves a public profile by username in any case, without private fields', async () => {
    const u = await signUp(t, 'Paula.K');
    const res = await t.app.inject({ url: '/api/v1/users/paula.k' });
    expect(res.statusCode).toBe(200);
    const p = res.json().data;
    expect(p).toMatchObject({
      id: u.user.id,
      username: 'Paula.K',
      counts: { followers: 0, following: 0, listings: 0, sold: 0 },
      followedByMe: false,
    });
    expect(p).not.toHaveProperty('email');
    expect(p).not.toHaveProperty('role');
    expect((await t.app.inject({ url: '/api/v1/users/nobody_here' })).statusCode).toBe(404);
  });

  it('answers 401 to my-account routes without a session, before looking at the body', async () => {
    const patch = await patchMe({}, { displayName: 42, nonsense: true });
    expect(patch.statusCode).toBe(401);
    expect(patch.json().error.code).toBe('UNAUTHENTICATED');
    const del = await t.app.inject({ method: 'DELETE', url: '/api/v1/me', payload: {} });
    expect(del.statusCode).toBe(401);
    const sessionsRes = await t.app.inject({ method: 'DELETE', url: '/api/v1/me/sessions/nope' });
    expect(sessionsRes.statusCode).toBe(401);
  });

  it('updates my profile fields and sizes', async () => {
    const u = await signUp(t, 'quinn');
    const res = await patchMe(u.headers, {
      displayName: 'Quinn',
      bio: 'Vintage denim, mostly.',
      city: 'Lisbon',
      country: 'PT',
      location: { lat: 38.72, lng: -9.14 },
      sizes: { top: 'M', shoes: '42' },
      mutedNotificationTypes: ['item.liked', 'item.liked'],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({
      displayName: 'Quinn',
      city: 'Lisbon',
      country: 'PT',
      location: { lat: 38.72, lng: -9.14 },
      sizes: { top: 'M', bottom: null, shoes: '42' },
      mutedNotificationTypes: ['item.liked'],
    });
    const [row] = await db().select().from(users).where(eq(users.id, u.user.id));
    expect(row!.sizeShoes).toBe('42');
  });

  it.each([
    [{ role: 'admin' }],
    [{ emailVerified: true }],
    [{ followerCount: 1000 }],
    [{ country: 'Portugal' }],
    [{ location: { lat: 91, lng: 0 } }],
    [{ bio: 'x'.repeat(501) }],
    [{ mutedNotificationTypes: ['not.a.type'] }],
  ])('rejects %j with 400 and changes nothing', async (payload) => {
    const u = await signUp(t, `r${Math.random().toString(36).slice(2, 8)}`);
    const res = await patchMe(u.headers, payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
    const [row] = await db().select().from(users).where(eq(users.id, u.user.id));
    expect(row!.role).toBe('user');
    expect(row!.followerCount).toBe(0);
  });

  it('changes the password only with the current one, ending my other sessions', async () => {
    const u = await signUp(t, 'rosa');
    const other = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: u.email, password: strongPassword, client: 'api' },
      remoteAddress: randomIp(),
    });
    const otherHeaders = { authorization: `Bearer ${other.json().data.accessToken}` };
    const without = await patchMe(u.headers, { password: 'brand new passphrase' });
    expect(without.statusCode).toBe(403);
    const wrong = await patchMe(u.headers, {
      password: 'brand new passphrase',
      currentPassword: 'nope nope',
    });
    expect(wrong.statusCode).toBe(403);
    const ok = await patchMe(u.headers, {
      password: 'brand new passphrase',
      currentPassword: strongPassword,
    });
    expect(ok.statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/v1/me', headers: u.headers })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/v1/me', headers: otherHeaders })).statusCode).toBe(401);
  });

  it('changes the email once the new address confirms it', async () => {
    const u = await signUp(t, 'sam');
    const res = await patchMe(u.headers, {
      email: 'sam.new@example.test',
      currentPassword: strongPassword,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.email).toBe(u.email);
    await t.settle();
    const { token } = await lastMail(t, 'sam.new@example.test');
    const confirm = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/verify-email',
      payload: { token },
    });
    expect(confirm.statusCode).toBe(200);
    expect(confirm.json().data.user.email).toBe('sam.new@example.test');
  });

  it('refuses to move my email onto another account’s address', async () => {
    const a = await signUp(t, 'tina');
    await signUp(t, 'uma');
    const res = await patchMe(a.headers, {
      email: 'UMA@example.test',
      currentPassword: strongPassword,
    });
    expect(res.statusCode).toBe(409);
  });

  it('exports my data as a downloadable JSON archive', async () => {
    const u = await signUp(t, 'vera');
    const start = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/export',
      headers: u.headers,
    });
    expect(start.statusCode).toBe(202);
    expect(start.json().data.status).toBe('pending');
    await t.settle();
    const status = await t.app.inject({
      url: `/api/v1/me/exports/${start.json().data.id}`,
      headers: u.headers,
    });
    expect(status.statusCode).toBe(200);
    const job = status.json().data;
    expect(job.status).toBe('ready');
    const [row] = await db().select().from(dataExports).where(eq(dataExports.id, job.id));
    const archive = JSON.parse(
      (await t.runtime.adapters.storage.get(row!.objectKey!)).toString('utf8'),
    );
    expect(archive.profile).toMatchObject({ username: 'vera', email: u.email });
    expect(job.downloadUrl).toContain(row!.objectKey!.split('/').pop());

    const someoneElse = await signUp(t, 'walt');
    const peek = await t.app.inject({
      url: `/api/v1/me/exports/${job.id}`,
      headers: someoneElse.headers,
    });
    expect(peek.statusCode).toBe(404);
  });

  it('deletes my account with my password: sessions end, PII is erased, the username is free', async () => {
    const u = await signUp(t, 'xena');
    const wrong = await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/me',
      headers: u.headers,
      payload: { password: 'nope nope' },
    });
    expect(wrong.statusCode).toBe(403);
    const res = await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/me',
      headers: u.headers,
      payload: { password: strongPassword },
    });
    expect(res.statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/v1/me', headers: u.headers })).statusCode).toBe(401);
    const [row] = await db().select().from(users).where(eq(users.id, u.user.id));
    expect(row).toMatchObject({ email: null, passwordHash: null, displayName: null, bio: null });
    expect(row!.deletedAt).toBeInstanceOf(Date);
    expect(row!.username).not.toBe('xena');
    const live = await db().select().from(sessions).where(eq(sessions.userId, u.user.id));
    expect(live.every((s) => s.revokedAt !== null)).toBe(true);
    expect((await t.app.inject({ url: '/api/v1/users/xena' })).statusCode).toBe(404);
    await t.settle();
    await signUp(t, 'xena');
  });

  it('keeps the dev mailbox out of production', async () => {
    const prod = await createTestApp({ env: { NODE_ENV: 'production' }, worker: false });
    try {
      const res = await prod.app.inject({ url: '/api/v1/dev/mailbox' });
      expect(res.statusCode).toBe(404);
    } finally {
      await prod.close();
    }
  });
});
