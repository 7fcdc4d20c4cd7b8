import { eq, sql } from 'drizzle-orm';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookiesOf, lastMail, randomIp, signUp, strongPassword } from '../../../test/accounts';
import { createTestApp, type TestApp } from '../../../test/app';
import { createUser } from '../../../test/users';
import { users } from '../users/users.table';
import { refreshTokens, sessions } from './auth.table';

describe('accounts: sign-up, sign-in and sessions', () => {
  let t: TestApp;
  const db = () => t.runtime.adapters.database.db;
  const post = (
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
    remoteAddress?: string,
  ) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1${url}`,
      payload: payload as object,
      headers,
      remoteAddress: remoteAddress ?? randomIp(),
    });

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  describe('register and verify', () => {
    it('creates an unverified account, mails a link, and signs in on verification', async () => {
      const res = await post('/auth/register', {
        email: 'Ana@Example.test',
        username: 'ana',
        password: strongPassword,
      });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toEqual({
        data: { status: 'verification_sent', email: 'Ana@Example.test' },
      });
      const [row] = await db().select().from(users).where(eq(users.username, 'ana'));
      expect(row!.emailVerifiedAt).toBeNull();
      expect(row!.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

      await t.settle();
      const { mail, token } = await lastMail(t, 'ana@example.test');
      expect(mail!.subject).toContain('Confirm your email');
      const verified = await post('/auth/verify-email', { token });
      expect(verified.statusCode).toBe(200);
      const body = verified.json().data;
      expect(body.user).toMatchObject({ username: 'ana', emailVerified: true, role: 'user' });
      expect(body.refreshToken).toBeUndefined();
      const { byName } = cookiesOf(verified);
      expect(byName.hanger_at).toBeTruthy();
      expect(byName.hanger_rt).toBeTruthy();
      expect(byName.csrf_token).toBe(body.csrfToken);
      const at = verified.cookies.find((c) => c.name === 'hanger_at')!;
      expect(at).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
      const rt = verified.cookies.find((c) => c.name === 'hanger_rt')!;
      expect(rt).toMatchObject({ httpOnly: true, path: '/api/v1/auth' });

      const me = await t.app.inject({
        url: '/api/v1/me',
        headers: { authorization: `Bearer ${body.accessToken}` },
      });
      expect(me.statusCode).toBe(200);
      expect(me.json().data.email).toBe('Ana@Example.test');

      const again = await post('/auth/verify-email', { token });
      expect(again.statusCode).toBe(400);
      expect(again.json().error.details.reason).toBe('used');
    });

    it('answers a second sign-up with a registered email exactly like a new one', async () => {
      const res = await post('/auth/register', {
        email: 'ANA@example.test',
        username: 'ana_two',
        password: strongPassword,
      });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toEqual({
        data: { status: 'verification_sent', email: 'ANA@example.test' },
      });
      const rows = await db()
        .select()
        .from(users)
        .where(sql`lower(${users.email}) = 'ana@example.test'`);
      expect(rows).toHaveLength(1);
      await t.settle();
      expect((await lastMail(t, 'ana@example.test')).mail!.subject).toContain('tried to sign up');
    });

    it('rejects a username taken in another case with 409', async () => {
      const res = await post('/auth/register', {
        email: 'other@example.test',
        username: 'ANA',
        password: strongPassword,
      });
      expect(res.statusCode).toBe(409);
      expect(res.json().error).toMatchObject({ code: 'CONFLICT', details: { field: 'username' } });
    });

    it.each([
      [{ email: 'not-an-email', username: 'bob', password: strongPassword }, 'body.email'],
      [{ email: 'bob@example.test', username: 'b', password: strongPassword }, 'body.username'],
      [
        { email: 'bob@example.test', username: 'bad name!', password: strongPassword },
        'body.username',
      ],
      [{ email: 'bob@example.test', username: 'bob', password: 'short' }, 'body.password'],
      [{ email: 'bob@example.test', username: 'bob', password: 'x'.repeat(129) }, 'body.password'],
      [
        { email: 'bob@example.test', username: 'bob', password: strongPassword, role: 'admin' },
        'body',
      ],
    ])('rejects invalid sign-up %j with 400 on %s', async (payload, path) => {
      const res = await post('/auth/register', payload);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(res.json().error.details)).toContain(path);
    });

    it('refuses one of the 10,000 most common passwords', async () => {
      const res = await post('/auth/register', {
        email: 'carl@example.test',
        username: 'carl',
        password: 'iloveyou',
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details[0].path).toBe('body.password');
      expect(await db().select().from(users).where(eq(users.username, 'carl'))).toHaveLength(0);
    });

    it('rejects an unknown or malformed verification token', async () => {
      const res = await post('/auth/verify-email', { token: 'nope' });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details.reason).toBe('invalid');
    });
  });

  describe('login', () => {
    it('answers a wrong password and an unknown email identically', async () => {
      await signUp(t, 'dora');
      const wrong = await post(
        '/auth/login',
        { email: 'dora@example.test', password: 'wrong password!' },
        {},
        '10.0.0.1',
      );
      const unknown = await post(
        '/auth/login',
        { email: 'nobody@example.test', password: 'wrong password!' },
        {},
        '10.0.0.1',
      );
      expect(wrong.statusCode).toBe(401);
      expect(unknown.statusCode).toBe(401);
      expect(wrong.json().error.message).toBe(unknown.json().error.message);
      expect(wrong.json().error.code).toBe('UNAUTHENTICATED');
    });

    it('backs off after repeated failures without locking the owner out from elsewhere', async () => {
      await signUp(t, 'eve');
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        statuses.push(
          (
            await post(
              '/auth/login',
              { email: 'eve@example.test', password: 'guess guess guess' },
              {},
              '10.6.6.6',
            )
          ).statusCode,
        );
      }
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses).toContain(429);
      const blocked = await post(
        '/auth/login',
        { email: 'eve@example.test', password: strongPassword },
        {},
        '10.6.6.6',
      );
      expect(blocked.statusCode).toBe(429);
      expect(blocked.json().error.details.retryAfterSeconds).toBeGreaterThan(0);
      const owner = await post(
        '/auth/login',
        { email: 'eve@example.test', password: strongPassword },
        {},
        '10.7.7.7',
      );
      expect(owner.statusCode).toBe(200);
    });

    it('counts an IPv6 client by its /64, and records its own address on the session', async () => {
      const u = await signUp(t, 'sixfour');
      const attempt = (password: string, address: string) =>
        post('/auth/login', { email: u.email, password }, {}, address);
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        // A fresh address of the same /64 each time: rotating them gains nothing.
        statuses.push((await attempt('guess guess guess', `2001:db8:1:2::${i + 1}`)).statusCode);
      }
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses).toContain(429);
      expect((await attempt(strongPassword, '2001:db8:1:2:ffff::9')).statusCode).toBe(429);

      const elsewhere = await attempt(strongPassword, '2001:db8:1:3::1');
      expect(elsewhere.statusCode).toBe(200);
      const rows = await db()
        .select({ ip: sessions.ip })
        .from(sessions)
        .where(eq(sessions.userId, u.user.id));
      expect(rows.map((r) => r.ip)).toContain('2001:db8:1:3::1');
    });

    it('counts recovery requests from one IPv6 /64 together', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) {
        const res = await post(
          '/auth/password/forgot',
          { email: `nobody${i}@example.test` },
          {},
          `2001:db8:9:9::${i + 1}`,
        );
        statuses.push(res.statusCode);
      }
      // 10 an hour per client (docs/auth.md); the 11th from the same /64 is refused.
      expect(statuses).toEqual([...Array<number>(10).fill(202), 429]);
      const other = await post(
        '/auth/password/forgot',
        { email: 'nobody@example.test' },
        {},
        '2001:db8:9:a::1',
      );
      expect(other.statusCode).toBe(202);
    });

    it('refuses a suspended account, and a suspension ends live sessions at once', async () => {
      const u = await signUp(t, 'fred');
      await db().update(users).set({ suspendedAt: new Date() }).where(eq(users.id, u.user.id));
      expect((await t.app.inject({ url: '/api/v1/me', headers: u.headers })).statusCode).toBe(401);
      const res = await post('/auth/login', { email: u.email, password: strongPassword });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.details.reason).toBe('SUSPENDED');
    });

    it('re-reads the role on every request', async () => {
      const u = await signUp(t, 'gina');
      await db().update(users).set({ role: 'moderator' }).where(eq(users.id, u.user.id));
      const me = await t.app.inject({ url: '/api/v1/me', headers: u.headers });
      expect(me.json().data.role).toBe('moderator');
    });
  });

  describe('access tokens', () => {
    it('rejects expired, forged and alg-none tokens with 401', async () => {
      const u = await signUp(t, 'hank');
      const key = new TextEncoder().encode(`access:${t.config.appSecret}`);
      const base = () =>
        new SignJWT({ sid: 'x' })
          .setSubject(u.user.id)
          .setIssuer('hanger')
          .setAudience('hanger-api');
      const expired = await base()
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
        .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
        .sign(key);
      const forged = await base()
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode('another secret entirely, 32+ chars long'));
      const [h, p] = u.accessToken.split('.');
      const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
      const cases: [string, string][] = [
        [expired, 'Your session has expired'],
        [forged, 'Authentication required'],
        [none, 'Authentication required'],
        [`${h}.${p}.tampered`, 'Authentication required'],
      ];
      for (const [token, message] of cases) {
        const res = await t.app.inject({
          url: '/api/v1/me',
          headers: { authorization: `Bearer ${token}` },
        });
        expect(res.statusCode).toBe(401);
        expect(res.json().error.message).toBe(message);
      }
    });
  });

  describe('refresh tokens', () => {
    const login = async (email: string) =>
      (await post('/auth/login', { email, password: strongPassword, client: 'api' })).json().data;

    it('rotates on every refresh; replaying a used token revokes the whole family', async () => {
      const u = await signUp(t, 'ivy');
      const first = await login(u.email);
      const second = await post('/auth/refresh', { refreshToken: first.refreshToken });
      expect(second.statusCode).toBe(200);
      const rotated = second.json().data.refreshToken as string;
      expect(rotated).not.toBe(first.refreshToken);

      // Age the used token past the race grace period, then replay it: a thief.
      await db()
        .update(refreshTokens)
        .set({ usedAt: sql`now() - interval '1 minute'` })
        .where(sql`${refreshTokens.usedAt} is not null`);
      const replay = await post('/auth/refresh', { refreshToken: first.refreshToken });
      expect(replay.statusCode).toBe(401);
      expect(replay.json().error.details.reason).toBe('TOKEN_REUSED');
      const newest = await post('/auth/refresh', { refreshToken: rotated });
      expect(newest.statusCode).toBe(401);
      const me = await t.app.inject({
        url: '/api/v1/me',
        headers: { authorization: `Bearer ${second.json().data.accessToken}` },
      });
      expect(me.statusCode).toBe(401);
    });

    it('lets at most one of two concurrent refreshes of one token succeed', async () => {
      const u = await signUp(t, 'jack');
      const s = await login(u.email);
      const results = await Promise.all(
        Array.from({ length: 4 }, () => post('/auth/refresh', { refreshToken: s.refreshToken })),
      );
      expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
      expect(results.filter((r) => r.statusCode === 401)).toHaveLength(3);
    });

    it('refuses a refresh past the idle expiry', async () => {
      const u = await signUp(t, 'kate');
      const s = await login(u.email);
      await db()
        .update(sessions)
        .set({ lastUsedAt: sql`now() - interval '15 days'` })
        .where(eq(sessions.userId, u.user.id));
      const res = await post('/auth/refresh', { refreshToken: s.refreshToken });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.details.reason).toBe('IDLE');
    });

    it('needs the CSRF token to refresh with the cookie', async () => {
      const u = await signUp(t, 'liam');
      const res = await post('/auth/login', { email: u.email, password: strongPassword });
      const { header, byName } = cookiesOf(res);
      const bare = await post('/auth/refresh', undefined, { cookie: header });
      expect(bare.statusCode).toBe(403);
      const ok = await post('/auth/refresh', undefined, {
        cookie: header,
        'x-csrf-token': byName.csrf_token!,
      });
      expect(ok.statusCode, ok.body).toBe(200);
      expect(cookiesOf(ok).byName.hanger_rt).not.toBe(byName.hanger_rt);
    });
  });

  describe('CSRF on cookie-authenticated writes', () => {
    it('refuses an unsafe request without the double-submit token; Bearer needs none', async () => {
      const u = await signUp(t, 'mia');
      const res = await post('/auth/login', { email: u.email, password: strongPassword });
      const { header, byName } = cookiesOf(res);
      const patch = (headers: Record<string, string>) =>
        t.app.inject({ method: 'PATCH', url: '/api/v1/me', payload: { bio: 'hi' }, headers });
      const missing = await patch({ cookie: header });
      expect(missing.statusCode).toBe(403);
      expect(missing.json().error.details.reason).toBe('CSRF');
      expect((await patch({ cookie: header, 'x-csrf-token': 'wrong' })).statusCode).toBe(403);
      expect((await patch({ cookie: header, 'x-csrf-token': byName.csrf_token! })).statusCode).toBe(
        200,
      );
      expect((await patch(u.headers)).statusCode).toBe(200);
      const read = await t.app.inject({ url: '/api/v1/me', headers: { cookie: header } });
      expect(read.statusCode).toBe(200);
    });
  });

  describe('password reset', () => {
    it('always answers 202, mails only real accounts, and a reset ends every session', async () => {
      const u = await signUp(t, 'nina');
      const real = await post('/auth/password/forgot', { email: u.email });
      const fake = await post('/auth/password/forgot', { email: 'ghost@example.test' });
      expect(real.statusCode).toBe(202);
      expect(fake.statusCode).toBe(202);
      expect(real.body).toBe(fake.body);
      await t.settle();
      expect((await lastMail(t, 'ghost@example.test')).mail).toBeUndefined();
      const { mail, token } = await lastMail(t, u.email);
      expect(mail!.subject).toContain('Reset');

      const weak = await post('/auth/password/reset', { token, newPassword: 'password1' });
      expect(weak.statusCode).toBe(400);
      const reset = await post('/auth/password/reset', {
        token,
        newPassword: 'a whole new passphrase',
      });
      expect(reset.statusCode).toBe(204);
      expect((await t.app.inject({ url: '/api/v1/me', headers: u.headers })).statusCode).toBe(401);
      const old = await post('/auth/login', { email: u.email, password: strongPassword });
      expect(old.statusCode).toBe(401);
      const fresh = await post('/auth/login', {
        email: u.email,
        password: 'a whole new passphrase',
      });
      expect(fresh.statusCode).toBe(200);
      const reuse = await post('/auth/password/reset', {
        token,
        newPassword: 'yet another passphrase',
      });
      expect(reuse.statusCode).toBe(400);
    });
  });

  describe('password reset job', () => {
    it('is idempotent: a rerun of the same job mails nothing and keeps the first link valid', async () => {
      const u = await signUp(t, 'pablo');
      await t.runtime.services.auth.sendPasswordReset(u.email, 'job-reset-1');
      await t.settle();
      const first = await lastMail(t, u.email);
      await t.runtime.services.auth.sendPasswordReset(u.email, 'job-reset-1');
      await t.settle();
      const again = await lastMail(t, u.email);
      expect(again.token).toBe(first.token);
      const reset = await post('/auth/password/reset', {
        token: first.token,
        newPassword: 'fresh new passphrase',
      });
      expect(reset.statusCode).toBe(204);
    });
  });

  describe('sessions', () => {
    it('lists my devices and ends one at once; logout ends the current one', async () => {
      const u = await signUp(t, 'omar');
      const other = (
        await post(
          '/auth/login',
          { email: u.email, password: strongPassword, client: 'api' },
          { 'user-agent': 'Phone' },
        )
      ).json().data;
      const list = await t.app.inject({ url: '/api/v1/me/sessions', headers: u.headers });
      expect(list.statusCode).toBe(200);
      const items = list.json().data as {
        id: string;
        current: boolean;
        userAgent: string | null;
      }[];
      expect(items).toHaveLength(2);
      expect(items.filter((s) => s.current)).toHaveLength(1);
      const phone = items.find((s) => s.userAgent === 'Phone')!;
      const del = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/me/sessions/${phone.id}`,
        headers: u.headers,
      });
      expect(del.statusCode).toBe(204);
      expect(
        (
          await t.app.inject({
            url: '/api/v1/me',
            headers: { authorization: `Bearer ${other.accessToken}` },
          })
        ).statusCode,
      ).toBe(401);

      // Someone else's session: not found for me, and left alive.
      const stranger = await createUser(t);
      const notMine = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/me/sessions/${stranger.sessionId}`,
        headers: u.headers,
      });
      expect(notMine.statusCode).toBe(404);
      const strangerMe = await t.app.inject({ url: '/api/v1/me', headers: stranger.headers });
      expect(strangerMe.statusCode).toBe(200);
      const bad = await t.app.inject({
        method: 'DELETE',
        url: '/api/v1/me/sessions/not-a-uuid',
        headers: u.headers,
      });
      expect(bad.statusCode).toBe(400);

      const out = await post('/auth/logout', undefined, u.headers);
      expect(out.statusCode, out.body).toBe(204);
      expect((await t.app.inject({ url: '/api/v1/me', headers: u.headers })).statusCode).toBe(401);
    });

    it('requires authentication for my data', async () => {
      for (const url of ['/api/v1/me', '/api/v1/me/sessions']) {
        const res = await t.app.inject({ url });
        expect(res.statusCode).toBe(401);
        expect(res.json().error.code).toBe('UNAUTHENTICATED');
      }
    });
  });
});

describe('admin creation (CLI only)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ worker: false });
  });
  afterAll(() => t.close());

  it('creates a verified admin, or promotes an existing account', async () => {
    const created = await t.runtime.services.auth.createAdmin({
      email: 'boss@example.test',
      username: 'boss',
      password: strongPassword,
    });
    expect(created.created).toBe(true);
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'boss@example.test', password: strongPassword },
    });
    expect(login.json().data.user).toMatchObject({ role: 'admin', emailVerified: true });
    const again = await t.runtime.services.auth.createAdmin({
      email: 'BOSS@example.test',
      username: 'ignored',
      password: strongPassword,
    });
    expect(again).toEqual({ id: created.id, created: false });
  });

  it('never grants a role through the API', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: {
        email: 'x@example.test',
        username: 'sneaky',
        password: strongPassword,
        role: 'admin',
      },
    });
    expect(res.statusCode).toBe(400);
  });
});
