import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchResponse } from '@hanger/contracts';
import { createTestApp, type TestApp } from '../../../test/app';
import { listItem } from '../../../test/catalog';
import { createUser } from '../../../test/users';
import { nearBoxes } from './postgres-search-index';

/** Radius search where the bounding box is not a plain box: the antimeridian, a pole, high up. */
describe('search by radius on the whole globe', () => {
  let t: TestApp;
  const search = async (qs: string) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/search?${qs}&sort=price_asc` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<SearchResponse>().data.map((i) => i.title);
  };

  beforeAll(async () => {
    t = await createTestApp();
    const seller = await createUser(t, { username: 'globe_seller' });
    const at = (title: string, priceCents: number, lat: number, lng: number) =>
      listItem(t, seller.id, { title, priceCents, lat, lng });
    // Fiji: 10.6 km apart across the antimeridian; the third is ~1,070 km east.
    await at('Sulu wrap', 1000, -17, 179.95);
    await at('Bula shirt', 2000, -17, -179.95);
    await at('Far pareo', 3000, -17, -170);
    // 144.6 km over the North Pole from (89.2, 0), on the opposite meridian; at 89.2° a box of
    // d / cos(lat) is 129° wide each side, so did not reach it.
    await at('Polar parka', 4000, 89.5, 180);
    // At 60° N, 499.7 km from (60, 10), near the circle's widest longitude (9.02° east), which a
    // box of d / cos(lat) (9.005°) left out.
    await at('Nordic knit', 5000, 60.3078, 19.015);
    await t.settle();
  });
  afterAll(() => t?.close());

  it('finds listings across the antimeridian, from either side', async () => {
    expect(await search('lat=-17&lng=179.95&radiusKm=50')).toEqual(['Sulu wrap', 'Bula shirt']);
    expect(await search('lat=-17&lng=-179.95&radiusKm=50')).toEqual(['Sulu wrap', 'Bula shirt']);
    expect(await search('lat=-17&lng=-179.99&radiusKm=5')).toEqual(['Bula shirt']);
  });

  it('finds a listing on the other side of a pole', async () => {
    expect(await search('lat=89.2&lng=0&radiusKm=200')).toEqual(['Polar parka']);
    expect(await search('lat=89.2&lng=0&radiusKm=140')).toEqual([]);
  });

  it("finds a listing at the circle's widest longitude, and not one just outside the circle", async () => {
    expect(await search('lat=60&lng=10&radiusKm=500')).toEqual(['Nordic knit']);
    expect(await search('lat=60&lng=10&radiusKm=499')).toEqual([]);
  });

  it('splits the box at the antimeridian, and spans every longitude when a pole is inside', () => {
    const { lngRanges } = nearBoxes({ lat: -17, lng: 179.95, radiusKm: 50 });
    expect(lngRanges).toHaveLength(2);
    expect(lngRanges[0]![1]).toBe(180);
    expect(lngRanges[1]![0]).toBe(-180);
    expect(nearBoxes({ lat: 10, lng: -179.9, radiusKm: 50 }).lngRanges[0]![0]).toBeCloseTo(
      179.64,
      1,
    );
    expect(nearBoxes({ lat: 89.6, lng: 0, radiusKm: 100 }).lngRanges).toEqual([[-180, 180]]);
    expect(nearBoxes({ lat: 48.85, lng: 2.35, radiusKm: 10 }).lngRanges).toHaveLength(1);
  });
});
