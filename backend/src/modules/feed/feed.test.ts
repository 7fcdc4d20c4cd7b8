import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeedResponse } from '@hanger/contracts';
import { createTestApp, type TestApp } from '../../../test/app';
import { listItem, setStatus } from '../../../test/catalog';
import { createUser, type TestUser } from '../../../test/users';

describe('home feed', () => {
  let t: TestApp;
  let seller: TestUser;
  let popularSeller: TestUser;
  const exec = (q: ReturnType<typeof sql>) => t.runtime.adapters.database.db.execute(q);

  const feed = async (user: TestUser | null, qs = '') => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/feed${qs ? `?${qs}` : ''}`,
      headers: user?.headers,
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<FeedResponse>();
  };
  const follow = async (user: TestUser, target: TestUser, method: 'POST' | 'DELETE' = 'POST') => {
    const res = await t.app.inject({
      method,
      url: `/api/v1/users/${target.username}/follow`,
      headers: user.headers,
    });
    expect(res.statusCode, res.body).toBeLessThan(300);
  };
  const followed = (r: FeedResponse) =>
    r.data.filter((i) => i.reason === 'followed').map((i) => i.title);

  beforeAll(async () => {
    t = await createTestApp();
    seller = await createUser(t);
    popularSeller = await createUser(t);
    // Popular items for fill-ins: one liked a lot in Paris, one in Berlin.
    await listItem(t, popularSeller.id, {
      title: 'Popular Berlin bag',
      likeCount: 50,
      lat: 52.52,
      lng: 13.4,
    });
    await listItem(t, popularSeller.id, {
      title: 'Popular Paris scarf',
      likeCount: 40,
      lat: 48.86,
      lng: 2.35,
    });
    await t.settle();
  });
  afterAll(() => t?.close());

  it('fans a new item out to followers, newest first, marked "followed"', async () => {
    const reader = await createUser(t);
    await follow(reader, seller);
    await listItem(t, seller.id, { title: 'First coat' });
    await listItem(t, seller.id, { title: 'Second coat' });
    await t.settle();
    const page = await feed(reader);
    expect(followed(page)).toEqual(['Second coat', 'First coat']);
    expect(page.meta.rebuilding).toBe(false);
    // Fewer than a page: popular items fill in after the followed ones, marked as such.
    expect(page.data.slice(2).map((i) => [i.title, i.reason])).toEqual([
      ['Popular Berlin bag', 'popular'],
      ['Popular Paris scarf', 'popular'],
    ]);
  });

  it("brings a newly followed seller's recent items into the feed at once", async () => {
    const maker = await createUser(t);
    await listItem(t, maker.id, { title: 'Listed before the follow' });
    await t.settle();
    const reader = await createUser(t);
    expect(followed(await feed(reader))).toEqual([]);
    await follow(reader, maker);
    await t.settle();
    expect(followed(await feed(reader))).toEqual(['Listed before the follow']);
  });

  it('puts nearby popular items first when the reader gives a point', async () => {
    const page = await feed(null, 'lat=48.85&lng=2.35');
    expect(page.data.map((i) => i.title).slice(0, 2)).toEqual([
      'Popular Paris scarf',
      'Popular Berlin bag',
    ]);
    expect(page.data.every((i) => i.reason === 'popular')).toBe(true);
  });

  it('gives visitors the popular feed', async () => {
    const page = await feed(null);
    expect(page.data.map((i) => i.title).slice(0, 2)).toEqual([
      'Popular Berlin bag',
      'Popular Paris scarf',
    ]);
    expect(page.meta.rebuilding).toBe(false);
  });

  it('pages with cursors from the timeline into the fill-ins without repeats', async () => {
    const reader = await createUser(t);
    const shop = await createUser(t);
    await follow(reader, shop);
    for (let i = 1; i <= 5; i++) await listItem(t, shop.id, { title: `Shop item ${i}` });
    await t.settle();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: FeedResponse = await feed(reader, `limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.data.map((i) => `${i.reason}:${i.title}`));
      cursor = page.meta.nextCursor;
    } while (cursor);
    expect(seen.slice(0, 5)).toEqual([5, 4, 3, 2, 1].map((n) => `followed:Shop item ${n}`));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(5).every((s) => s.startsWith('popular:'))).toBe(true);
    const bad = await t.app.inject({
      method: 'GET',
      url: '/api/v1/feed?cursor=not-a-cursor',
      headers: reader.headers,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
  });

  it("drops an unfollowed seller's items at once", async () => {
    const reader = await createUser(t);
    const shop = await createUser(t);
    await follow(reader, shop);
    await listItem(t, shop.id, { title: 'Unfollow me jacket' });
    await t.settle();
    expect(followed(await feed(reader))).toEqual(['Unfollow me jacket']);
    await follow(reader, shop, 'DELETE');
    const after = await feed(reader);
    expect(after.data.map((i) => i.title)).not.toContain('Unfollow me jacket');
  });

  it('never shows a deleted, hidden or sold item', async () => {
    const reader = await createUser(t);
    const shop = await createUser(t);
    await follow(reader, shop);
    const deleted = await listItem(t, shop.id, { title: 'Deleted tee' });
    const hidden = await listItem(t, shop.id, { title: 'Hidden tee' });
    const sold = await listItem(t, shop.id, { title: 'Sold tee' });
    await listItem(t, shop.id, { title: 'Kept tee' });
    await t.settle();
    expect(followed(await feed(reader))).toHaveLength(4);
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/items/${deleted}`,
      headers: shop.headers,
    });
    expect(res.statusCode).toBe(204);
    await setStatus(t, hidden, shop.id, 'hidden');
    await setStatus(t, sold, shop.id, 'sold');
    await t.settle();
    expect(followed(await feed(reader))).toEqual(['Kept tee']);
  });

  it('skips followers inactive for 30 days and rebuilds their timeline when they return', async () => {
    const reader = await createUser(t);
    const shop = await createUser(t);
    await follow(reader, shop);
    await exec(
      sql`update users set last_active_at = now() - interval '45 days' where id = ${reader.id}`,
    );
    await listItem(t, shop.id, { title: 'While you were away' });
    await t.settle();
    const first = await feed(reader);
    expect(first.meta.rebuilding).toBe(true);
    let page = first;
    const deadline = Date.now() + 10_000;
    while (page.meta.rebuilding && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      page = await feed(reader);
    }
    expect(page.meta.rebuilding).toBe(false);
    expect(followed(page)).toEqual(['While you were away']);
    // Active again: the next item is fanned out as usual.
    await listItem(t, shop.id, { title: 'Back again' });
    await t.settle();
    expect(followed(await feed(reader))).toEqual(['Back again', 'While you were away']);
  });

  it('merges sellers with over 10,000 followers at read time instead of fanning out', async () => {
    const reader = await createUser(t);
    const star = await createUser(t);
    await follow(reader, star);
    await exec(sql`update users set follower_count = 20000 where id = ${star.id}`);
    const id = await listItem(t, star.id, { title: 'Star drop' });
    await t.settle();
    // Not in the stored timeline…
    expect(await t.runtime.services.feed['d'].timelines.page(reader.id, null, 10)).not.toContain(
      id,
    );
    // …but on the next read.
    expect(followed(await feed(reader))).toEqual(['Star drop']);
  });
});
