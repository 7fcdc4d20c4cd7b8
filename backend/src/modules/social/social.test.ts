import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app';
import { createUser, type TestUser } from '../../../test/users';
import { users } from '../users/users.table';
import { blocks, follows } from './social.table';

describe('follows and blocks', () => {
  let t: TestApp;
  const db = () => t.runtime.adapters.database.db;
  const api = (method: 'GET' | 'POST' | 'DELETE', url: string, user?: TestUser) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: user?.headers });
  const counts = async (id: string) => {
    const [row] = await db()
      .select({ followers: users.followerCount, following: users.followingCount })
      .from(users)
      .where(eq(users.id, id));
    return row!;
  };

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('follows a user idempotently and keeps both counters exact', async () => {
    const [ana, ben] = [await createUser(t), await createUser(t)];
    const first = await api('POST', `/users/${ben.username}/follow`, ana);
    expect(first.statusCode).toBe(200);
    expect(first.json().data).toEqual({ following: true, followerCount: 1 });
    const again = await api('POST', `/users/${ben.username.toUpperCase()}/follow`, ana);
    expect(again.json().data).toEqual({ following: true, followerCount: 1 });
    expect(await counts(ben.id)).toEqual({ followers: 1, following: 0 });
    expect(await counts(ana.id)).toEqual({ followers: 0, following: 1 });

    expect((await api('DELETE', `/users/${ben.username}/follow`, ana)).statusCode).toBe(204);
    expect((await api('DELETE', `/users/${ben.username}/follow`, ana)).statusCode).toBe(204);
    expect(await counts(ben.id)).toEqual({ followers: 0, following: 0 });
    expect(await counts(ana.id)).toEqual({ followers: 0, following: 0 });
  });

  it('keeps counters equal to the rows under 50 parallel follows and unfollows', async () => {
    const target = await createUser(t);
    const fans = await Promise.all(Array.from({ length: 10 }, () => createUser(t)));
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        api(i % 3 === 0 ? 'DELETE' : 'POST', `/users/${target.username}/follow`, fans[i % 10]),
      ),
    );
    const [rows] = await db()
      .select({ n: sql<number>`count(*)::int` })
      .from(follows)
      .where(eq(follows.followeeId, target.id));
    expect((await counts(target.id)).followers).toBe(rows!.n);
    for (const fan of fans) {
      const [mine] = await db()
        .select({ n: sql<number>`count(*)::int` })
        .from(follows)
        .where(eq(follows.followerId, fan.id));
      expect((await counts(fan.id)).following).toBe(mine!.n);
    }
  });

  it('refuses to follow yourself, unknown users and anonymous callers', async () => {
    const ana = await createUser(t);
    const self = await api('POST', `/users/${ana.username}/follow`, ana);
    expect(self.statusCode).toBe(400);
    expect(self.json().error.code).toBe('VALIDATION_FAILED');
    const missing = await api('POST', '/users/nobody_here_at_all/follow', ana);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('NOT_FOUND');
    const anon = await api('POST', `/users/${ana.username}/follow`);
    expect(anon.statusCode).toBe(401);
    expect(anon.json().error.code).toBe('UNAUTHENTICATED');
    const tooLong = await api('POST', `/users/${'x'.repeat(31)}/follow`, ana);
    expect(tooLong.statusCode).toBe(400);
  });

  it('lists followers and following newest first with cursor pages and followedByMe', async () => {
    const star = await createUser(t);
    const fans: TestUser[] = [];
    for (let i = 0; i < 5; i++) {
      const fan = await createUser(t);
      fans.push(fan);
      await api('POST', `/users/${star.username}/follow`, fan);
    }
    const viewer = fans[0]!;
    await api('POST', `/users/${fans[3]!.username}/follow`, viewer);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : '';
      const res = await api('GET', `/users/${star.username}/followers?limit=2${q}`, viewer);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.data.length).toBeLessThanOrEqual(2);
      for (const u of body.data) {
        seen.push(u.username);
        expect(u.followedByMe).toBe(u.id === fans[3]!.id);
      }
      cursor = body.meta.nextCursor;
    } while (cursor);
    expect(seen).toEqual(fans.map((f) => f.username).reverse());

    const following = await api('GET', `/users/${viewer.username}/following`);
    expect(following.statusCode).toBe(200);
    expect(following.json().data.map((u: { id: string }) => u.id)).toEqual([fans[3]!.id, star.id]);
    expect(following.json().data[0].followedByMe).toBe(false);
  });

  it('answers a malformed cursor or limit with 400, not 500', async () => {
    const star = await createUser(t);
    for (const q of [
      'cursor=not-a-cursor',
      'cursor=WyJ4Il0',
      'limit=0',
      'limit=101',
      'limit=abc',
    ]) {
      const res = await api('GET', `/users/${star.username}/followers?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('blocking removes follows both ways, stops new follows, and is listed and undone', async () => {
    const [ana, ben] = [await createUser(t), await createUser(t)];
    await api('POST', `/users/${ben.username}/follow`, ana);
    await api('POST', `/users/${ana.username}/follow`, ben);
    expect(await counts(ana.id)).toEqual({ followers: 1, following: 1 });

    expect((await api('POST', `/users/${ben.username}/block`, ana)).statusCode).toBe(204);
    expect((await api('POST', `/users/${ben.username}/block`, ana)).statusCode).toBe(204);
    expect(await counts(ana.id)).toEqual({ followers: 0, following: 0 });
    expect(await counts(ben.id)).toEqual({ followers: 0, following: 0 });

    for (const [who, whom] of [
      [ana, ben],
      [ben, ana],
    ] as const) {
      const res = await api('POST', `/users/${whom.username}/follow`, who);
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('FORBIDDEN');
    }

    const list = await api('GET', '/me/blocks', ana);
    expect(list.statusCode).toBe(200);
    expect(list.json().data).toHaveLength(1);
    expect(list.json().data[0].user.username).toBe(ben.username);
    expect((await api('GET', '/me/blocks', ben)).json().data).toHaveLength(0);

    expect((await api('DELETE', `/users/${ben.username}/block`, ana)).statusCode).toBe(204);
    expect((await api('DELETE', `/users/${ben.username}/block`, ana)).statusCode).toBe(204);
    expect(await db().select().from(blocks).where(eq(blocks.blockerId, ana.id))).toHaveLength(0);
    expect((await api('POST', `/users/${ben.username}/follow`, ana)).statusCode).toBe(200);
  });

  it('hides users I blocked from follower lists', async () => {
    const [star, fan, viewer] = [await createUser(t), await createUser(t), await createUser(t)];
    await api('POST', `/users/${star.username}/follow`, fan);
    await api('POST', `/users/${fan.username}/block`, viewer);
    const res = await api('GET', `/users/${star.username}/followers`, viewer);
    expect(res.json().data).toHaveLength(0);
    const other = await api('GET', `/users/${star.username}/followers`);
    expect(other.json().data).toHaveLength(1);
  });

  it('refuses to block yourself and needs a user', async () => {
    const ana = await createUser(t);
    expect((await api('POST', `/users/${ana.username}/block`, ana)).statusCode).toBe(400);
    expect((await api('POST', `/users/${ana.username}/block`)).statusCode).toBe(401);
    expect((await api('GET', '/me/blocks')).statusCode).toBe(401);
  });
});
