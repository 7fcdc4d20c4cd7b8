import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchResponse } from '@hanger/contracts';
import { createTestApp, type TestApp } from '../../../test/app';
import { listItem, setStatus } from '../../../test/catalog';
import { createUser, type TestUser } from '../../../test/users';

describe('search', () => {
  let t: TestApp;
  let seller: TestUser;
  let other: TestUser;
  const ids: Record<string, string> = {};

  const search = async (qs: string, headers?: Record<string, string>) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/search?${qs}`, headers });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<SearchResponse>();
  };
  const titles = (r: SearchResponse) => r.data.map((i) => i.title);

  beforeAll(async () => {
    t = await createTestApp();
    seller = await createUser(t, { username: 'ana_sells' });
    other = await createUser(t, { username: 'ben_sells' });
    // Paris, Lyon and Berlin for radius filters.
    const paris = { lat: 48.8566, lng: 2.3522 };
    const lyon = { lat: 45.764, lng: 4.8357 };
    ids.levis = await listItem(t, seller.id, {
      title: 'Denim jacket',
      brand: 'Levi’s',
      description: 'Classic trucker, light wash',
      tags: ['vintage', 'denim'],
      category: 'outerwear',
      size: 'M',
      condition: 'good',
      priceCents: 4500,
      ...paris,
    });
    ids.adidas = await listItem(t, seller.id, {
      title: 'Running shoes Ultraboost',
      brand: 'Adidas',
      description: 'Barely worn, elegant lines',
      category: 'shoes',
      size: '42',
      condition: 'like_new',
      priceCents: 6000,
      ...lyon,
    });
    ids.cafe = await listItem(t, other.id, {
      title: 'Café crème wool coat',
      brand: 'Élégant',
      description: 'Warm and long, not denim',
      category: 'outerwear',
      size: 'L',
      condition: 'new_with_tags',
      priceCents: 12000,
      lat: 52.52,
      lng: 13.405,
    });
    ids.adidasTee = await listItem(t, other.id, {
      title: 'Trefoil tee',
      brand: 'adidas',
      description: 'Cotton t-shirt',
      category: 'tops',
      size: 'm',
      condition: 'fair',
      priceCents: 1500,
    });
    ids.denimSkirt = await listItem(t, other.id, {
      title: 'Denim skirt',
      brand: 'Zara',
      description: 'Mini skirt',
      category: 'bottoms',
      size: 'S',
      condition: 'good',
      priceCents: 2000,
    });
    ids.reserved = await listItem(t, seller.id, {
      title: 'Reserved denim vest',
      brand: 'Zara',
      category: 'outerwear',
      priceCents: 3000,
    });
    ids.hidden = await listItem(t, seller.id, { title: 'Hidden denim cap', brand: 'Zara' });
    ids.sold = await listItem(t, seller.id, { title: 'Sold denim bag', brand: 'Zara' });
    await t.settle();
    await setStatus(t, ids.reserved, seller.id, 'reserved');
    await setStatus(t, ids.hidden, seller.id, 'hidden');
    await setStatus(t, ids.sold, seller.id, 'sold');
    await t.settle();
  });
  afterAll(() => t?.close());

  describe('words', () => {
    it('matches title, brand, description and tags, folding accents and case', async () => {
      expect(titles(await search('q=cafe%20ELEGANT'))).toEqual(['Café crème wool coat']);
      expect(titles(await search('q=trucker'))).toEqual(['Denim jacket']);
      expect(titles(await search('q=vintage'))).toEqual(['Denim jacket']);
      expect(titles(await search('q=levi%E2%80%99s'))).toEqual(['Denim jacket']);
    });

    it('ranks title and brand hits (weight A) above description hits (weight B)', async () => {
      const r = await search('q=denim');
      expect(r.data[0]?.title).toMatch(/^Denim/);
      expect(titles(r).at(-1)).toBe('Café crème wool coat');
      expect(r.meta.correctedQuery).toBeNull();
    });

    it('understands websearch syntax: phrases, -exclusions and or', async () => {
      expect(titles(await search('q=%22denim%20skirt%22'))).toEqual(['Denim skirt']);
      expect(titles(await search('q=denim%20-skirt%20-coat'))).toEqual(['Denim jacket']);
      expect(titles(await search('q=trefoil%20or%20ultraboost&sort=price_asc'))).toEqual([
        'Trefoil tee',
        'Running shoes Ultraboost',
      ]);
    });

    it('falls back to the nearest words when nothing matches as typed ("addidas" finds Adidas)', async () => {
      const r = await search('q=addidas&sort=newest');
      expect(r.meta.correctedQuery).toBe('adidas');
      expect(titles(r)).toEqual(['Trefoil tee', 'Running shoes Ultraboost']);
      const r2 = await search('q=denm%20jaket');
      expect(r2.meta.correctedQuery).toBe('denim jacket');
      expect(titles(r2)).toEqual(['Denim jacket']);
    });

    it('never shows hidden or sold items, and reserved ones only when asked', async () => {
      const all = await search('q=denim&limit=100');
      expect(titles(all)).not.toEqual(
        expect.arrayContaining(['Hidden denim cap', 'Sold denim bag', 'Reserved denim vest']),
      );
      const withReserved = await search('q=denim&includeReserved=true');
      expect(titles(withReserved)).toContain('Reserved denim vest');
      expect(titles(withReserved)).not.toContain('Hidden denim cap');
    });
  });

  describe('filters', () => {
    it('filters by category, brand (multi, case-insensitive), size and condition (multi)', async () => {
      expect(titles(await search('category=shoes'))).toEqual(['Running shoes Ultraboost']);
      expect(titles(await search('brand=ADIDAS&sort=price_asc'))).toEqual([
        'Trefoil tee',
        'Running shoes Ultraboost',
      ]);
      expect(titles(await search('brand=zara&brand=%C3%A9l%C3%A9gant&sort=price_asc'))).toEqual([
        'Denim skirt',
        'Café crème wool coat',
      ]);
      expect(titles(await search('size=M&sort=price_asc'))).toEqual([
        'Trefoil tee',
        'Denim jacket',
      ]);
      expect(titles(await search('condition=good,fair&sort=price_asc'))).toEqual([
        'Trefoil tee',
        'Denim skirt',
        'Denim jacket',
      ]);
    });

    it('filters by price range, inclusive', async () => {
      expect(titles(await search('priceMin=2000&priceMax=6000&sort=price_asc'))).toEqual([
        'Denim skirt',
        'Denim jacket',
        'Running shoes Ultraboost',
      ]);
    });

    it('filters by radius around a point (Paris: 10 km, 500 km)', async () => {
      expect(titles(await search('lat=48.85&lng=2.35&radiusKm=10'))).toEqual(['Denim jacket']);
      expect(titles(await search('lat=48.85&lng=2.35&radiusKm=500&sort=price_asc'))).toEqual([
        'Denim jacket',
        'Running shoes Ultraboost',
      ]);
    });

    it('filters by seller id or username; an unknown seller matches nothing', async () => {
      expect(titles(await search(`seller=${other.id}&q=denim`))).toEqual([
        'Denim skirt',
        'Café crème wool coat',
      ]);
      expect(titles(await search('seller=ANA_SELLS&sort=price_asc'))).toEqual([
        'Denim jacket',
        'Running shoes Ultraboost',
      ]);
      expect((await search('seller=nobody_here')).data).toEqual([]);
    });
  });

  describe('sorts and cursors', () => {
    const walk = async (qs: string) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const r: SearchResponse = await search(`${qs}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        if (cursor) expect(r.meta.facets).toBeNull();
        seen.push(...r.data.map((i) => i.title));
        cursor = r.meta.nextCursor;
      } while (cursor);
      return seen;
    };

    it('pages every sort with keyset cursors, no duplicates and nothing skipped', async () => {
      const prices = [
        'Trefoil tee',
        'Denim skirt',
        'Denim jacket',
        'Running shoes Ultraboost',
        'Café crème wool coat',
      ];
      expect(await walk('sort=price_asc')).toEqual(prices);
      expect(await walk('sort=price_desc')).toEqual([...prices].reverse());
      expect(await walk('sort=newest')).toEqual([
        'Denim skirt',
        'Trefoil tee',
        'Café crème wool coat',
        'Running shoes Ultraboost',
        'Denim jacket',
      ]);
      const byRank = await walk('q=denim%20or%20adidas');
      expect(new Set(byRank).size).toBe(byRank.length);
      expect(byRank).toHaveLength(5);
      expect((await search('q=denim%20or%20adidas&limit=100')).data.map((i) => i.title)).toEqual(
        byRank,
      );
    });

    it('keeps later pages stable while new items arrive', async () => {
      const first = await search('sort=newest&limit=2');
      const relevance = await search('q=denim&limit=1');
      const fresh = await listItem(t, other.id, { title: 'Fresh denim overalls', brand: 'Zara' });
      await t.settle();
      const second = await search(`sort=newest&limit=2&cursor=${first.meta.nextCursor}`);
      expect(second.data.map((i) => i.id)).not.toContain(fresh);
      expect(titles(second)).toEqual(['Café crème wool coat', 'Running shoes Ultraboost']);
      const rest: string[] = [];
      let cursor = relevance.meta.nextCursor;
      while (cursor) {
        const r: SearchResponse = await search(`q=denim&limit=1&cursor=${cursor}`);
        rest.push(...r.data.map((i) => i.id));
        cursor = r.meta.nextCursor;
      }
      expect(rest).not.toContain(fresh);
      expect(rest).not.toContain(relevance.data[0]!.id);
      expect(rest).toHaveLength(2);
      await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/items/${fresh}`,
        headers: other.headers,
      });
      await t.settle();
    });

    it('rejects a cursor that is not one, or that belongs to another sort', async () => {
      const page = await search('sort=newest&limit=1');
      for (const qs of ['cursor=abc', `sort=price_asc&cursor=${page.meta.nextCursor}`]) {
        const res = await t.app.inject({ method: 'GET', url: `/api/v1/search?${qs}` });
        expect(res.statusCode).toBe(400);
        expect(res.json().error.code).toBe('VALIDATION_FAILED');
      }
    });
  });

  describe('facets', () => {
    it('counts each facet with the other filters applied but not its own', async () => {
      const r = await search('q=denim%20or%20adidas&brand=adidas&category=tops');
      expect(titles(r)).toEqual(['Trefoil tee']);
      const f = r.meta.facets!;
      expect(f.total).toBe(1);
      expect(f.approximate).toBe(false);
      // Brand facet: category=tops applies, brand=adidas does not.
      expect(f.brand).toEqual([{ value: 'Adidas', count: 1 }]);
      // Category facet: brand=adidas applies, category=tops does not.
      expect(f.category).toEqual([
        { value: 'shoes', count: 1 },
        { value: 'tops', count: 1 },
      ]);
      expect(f.condition).toEqual([{ value: 'fair', count: 1 }]);
      expect(f.size).toEqual([{ value: 'm', count: 1 }]);
      expect(f.price).toEqual({ min: 1500, max: 1500 });
    });

    it('lists every brand, size and condition of an unfiltered query with the price range', async () => {
      const f = (await search('q=denim')).meta.facets!;
      expect(f.total).toBe(3);
      expect(f.brand.map((b) => [b.value, b.count])).toEqual([
        ['Élégant', 1],
        ['Levi’s', 1],
        ['Zara', 1],
      ]);
      expect(f.price).toEqual({ min: 2000, max: 12000 });
      expect(f.category).toEqual([
        { value: 'outerwear', count: 2 },
        { value: 'bottoms', count: 1 },
      ]);
    });
  });

  describe('freshness and the hot-query cache', () => {
    it('shows an edit in the next search (the cache is invalidated by index writes)', async () => {
      expect(titles(await search('q=trucker'))).toEqual(['Denim jacket']);
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/items/${ids.levis}`,
        headers: seller.headers,
        payload: { title: 'Sherpa trucker jacket', priceCents: 4000 },
      });
      expect(res.statusCode, res.body).toBe(200);
      await t.settle();
      const after = await search('q=trucker');
      expect(titles(after)).toEqual(['Sherpa trucker jacket']);
      expect(after.data[0]!.priceCents).toBe(4000);
      expect(titles(await search('q=sherpa'))).toEqual(['Sherpa trucker jacket']);
    });

    it('makes a new item searchable within a second', async () => {
      const started = Date.now();
      const id = await listItem(t, other.id, { title: 'Quokka print scarf', brand: 'Zara' });
      let found = false;
      while (!found && Date.now() - started < 1_000) {
        found = (await search('q=quokka')).data.some((i) => i.id === id);
        if (!found) await new Promise((r) => setTimeout(r, 20));
      }
      expect(found).toBe(true);
      await t.settle();
    });

    it('drops a deleted item from results', async () => {
      const id = await listItem(t, other.id, { title: 'Wombat socks', brand: 'Zara' });
      await t.settle();
      expect(titles(await search('q=wombat'))).toEqual(['Wombat socks']);
      await t.app.inject({ method: 'DELETE', url: `/api/v1/items/${id}`, headers: other.headers });
      await t.settle();
      expect((await search('q=wombat')).data).toEqual([]);
    });
  });

  describe('bad input', () => {
    const cases: [string, string][] = [
      ['unknown category', 'category=hats'],
      ['priceMin above priceMax', 'priceMin=5000&priceMax=100'],
      ['radius without a point', 'radiusKm=10'],
      ['a latitude without a longitude', 'lat=48.8'],
      ['limit 1000', 'limit=1000'],
      ['a 10 KB query string', `q=${'a'.repeat(10_240)}`],
      ['only punctuation', `q=${encodeURIComponent("'&|!:*()")}`],
      ['an unknown condition', 'condition=mint'],
      ['a negative price', 'priceMin=-1'],
      ['21 brands', Array.from({ length: 21 }, (_, i) => `brand=b${i}`).join('&')],
      ['a radius of 10,000 km', 'lat=1&lng=1&radiusKm=10000'],
      ['an unknown sort', 'sort=cheapest'],
    ];
    it.each(cases)('answers 400 VALIDATION_FAILED to %s', async (_name, qs) => {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/search?${qs}` });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
      expect(res.json().error.details).toBeDefined();
    });

    it('treats query syntax junk around words as text, never as an error', async () => {
      for (const q of [
        '"denim',
        "denim'&|!:*()",
        'denim)) OR ((',
        "'; drop table items; --",
        '-',
        '""denim""',
      ]) {
        const res = await t.app.inject({
          method: 'GET',
          url: `/api/v1/search?q=${encodeURIComponent(q)}`,
        });
        expect(res.statusCode, `${q}: ${res.body}`).toBe(q === '-' ? 400 : 200);
      }
      expect(titles(await search(`q=${encodeURIComponent('"denim skirt')}`))).toEqual([
        'Denim skirt',
      ]);
    });
  });

  describe('brand autocomplete', () => {
    it('completes a prefix, accent- and case-insensitively, most listed brands first', async () => {
      await t.runtime.services.search.refreshBrands();
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/brands?prefix=e' });
      expect(res.statusCode).toBe(200);
      expect(res.json().data).toEqual([{ name: 'Élégant', itemCount: 1 }]);
      const top = await t.app.inject({ method: 'GET', url: '/api/v1/brands?prefix=' });
      const names = top.json<{ data: { name: string; itemCount: number }[] }>().data;
      expect(names[0]).toEqual({ name: 'Zara', itemCount: 3 });
      expect(names.map((b) => b.name)).toContain('Adidas');
      const pct = await t.app.inject({ method: 'GET', url: '/api/v1/brands?prefix=%25' });
      expect(pct.statusCode).toBe(200);
      expect(pct.json().data).toEqual([]);
    });
  });

  describe('saved searches', () => {
    const notifications = async (user: TestUser) => {
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/v1/notifications',
        headers: user.headers,
      });
      expect(res.statusCode, res.body).toBe(200);
      return (
        res.json().data as { type: string; text: string; item: { id: string } | null }[]
      ).filter((n) => n.type === 'saved_search.match');
    };

    it('saves, lists and deletes searches; only the owner can delete', async () => {
      const buyer = await createUser(t);
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/saved-searches',
        headers: buyer.headers,
        payload: { filters: { q: 'linen shirt', brand: ['Zara'], priceMax: 3000 } },
      });
      expect(created.statusCode, created.body).toBe(201);
      const saved = created.json().data;
      expect(saved).toMatchObject({
        name: 'linen shirt · Zara',
        filters: { q: 'linen shirt', brand: ['Zara'], priceMax: 3000 },
        lastNotifiedAt: null,
      });
      const list = await t.app.inject({
        method: 'GET',
        url: '/api/v1/saved-searches',
        headers: buyer.headers,
      });
      expect(list.json().data).toHaveLength(1);
      const stranger = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/saved-searches/${saved.id}`,
        headers: seller.headers,
      });
      expect(stranger.statusCode).toBe(404);
      const del = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/saved-searches/${saved.id}`,
        headers: buyer.headers,
      });
      expect(del.statusCode).toBe(204);
      const anon = await t.app.inject({ method: 'GET', url: '/api/v1/saved-searches' });
      expect(anon.statusCode).toBe(401);
    });

    it('rejects bad filters with 400', async () => {
      const buyer = await createUser(t);
      for (const filters of [
        { category: 'hats' },
        { priceMin: 10, priceMax: 5 },
        { radiusKm: 5 },
        { q: 'x'.repeat(300) },
        { seller: 'nobody_at_all' },
      ]) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/saved-searches',
          headers: buyer.headers,
          payload: { filters },
        });
        expect(res.statusCode, JSON.stringify(filters)).toBe(400);
      }
    });

    it('notifies the owner of new matches, batched: at most one notice per 15 minutes', async () => {
      const buyer = await createUser(t);
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/saved-searches',
        headers: buyer.headers,
        payload: {
          name: 'Cheap linen',
          filters: {
            q: 'linen',
            category: 'tops',
            priceMax: 3000,
            lat: 48.85,
            lng: 2.35,
            radiusKm: 50,
          },
        },
      });
      expect(created.statusCode, created.body).toBe(201);
      const savedId = created.json().data.id as string;
      const paris = { lat: 48.86, lng: 2.34 };
      // Non-matches: wrong category, too expensive, too far, the owner's own item.
      await listItem(t, seller.id, {
        title: 'Linen trousers',
        category: 'bottoms',
        priceCents: 1000,
        ...paris,
      });
      await listItem(t, seller.id, {
        title: 'Linen shirt',
        category: 'tops',
        priceCents: 9000,
        ...paris,
      });
      await listItem(t, seller.id, {
        title: 'Linen shirt',
        category: 'tops',
        priceCents: 1000,
        lat: 45.76,
        lng: 4.83,
      });
      await listItem(t, buyer.id, {
        title: 'Linen shirt',
        category: 'tops',
        priceCents: 1000,
        ...paris,
      });
      await t.settle();
      expect(await notifications(buyer)).toEqual([]);

      const first = await listItem(t, seller.id, {
        title: 'Linen shirt',
        category: 'tops',
        priceCents: 2500,
        ...paris,
      });
      await t.settle();
      let got = await notifications(buyer);
      expect(got).toHaveLength(1);
      expect(got[0]!.text).toBe('1 new item matches your saved search “Cheap linen”');
      expect(got[0]!.item?.id).toBe(first);

      // Within the window: recorded, not yet announced.
      await listItem(t, other.id, {
        title: 'Blue linen top',
        category: 'tops',
        priceCents: 1200,
        ...paris,
      });
      await listItem(t, other.id, {
        title: 'White linen top',
        category: 'tops',
        priceCents: 1300,
        ...paris,
      });
      await t.settle();
      got = await notifications(buyer);
      expect(got).toHaveLength(1);
      expect(got[0]!.text).toBe('1 new item matches your saved search “Cheap linen”');

      // The window passes: the pending matches go out as one notice (the scheduled job's work).
      await t.runtime.adapters.database.db.execute(
        sql`update saved_searches set last_notified_at = now() - interval '16 minutes' where id = ${savedId}`,
      );
      await t.runtime.services.savedSearches.flush(savedId);
      await t.settle();
      got = await notifications(buyer);
      expect(got).toHaveLength(1);
      expect(got[0]!.text).toBe('2 new items match your saved search “Cheap linen”');
      // A re-run finds nothing pending and sends nothing.
      await t.runtime.adapters.database.db.execute(
        sql`update saved_searches set last_notified_at = now() - interval '16 minutes' where id = ${savedId}`,
      );
      await t.runtime.services.savedSearches.flush(savedId);
      await t.settle();
      expect(await notifications(buyer)).toHaveLength(1);
    });
  });
});
