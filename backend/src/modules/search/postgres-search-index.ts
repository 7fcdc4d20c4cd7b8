import { sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { SearchFacets } from '@hanger/contracts';
import type { Database } from '../../platform/db/types';
import { queryRows } from '../../platform/db/types';
import { AppError } from '../../platform/errors';
import type {
  IndexDocument,
  IndexedItem,
  IndexQuery,
  IndexResult,
  SearchIndex,
} from './search.index';

/** Relevance ranks the newest this-many matches: bounded work however broad the words. */
export const RANK_CANDIDATES = 1_000;
/** Facets are counted over the newest this-many matches of the query without facet filters. */
export const FACET_SAMPLE = 2_000;
const DAY_MS = 86_400_000;
/**
 * Matches are gathered newest-first in a time window (UUIDv7 ids carry their creation time):
 * the GIN bitmap is ANDed with an id range, so a broad word reads the rows of the last days,
 * not all its matches. A window with too few rows is widened once, to the span its match density
 * says is needed (× 1.5), or to everything.
 */
const FIRST_WINDOW_MS = 3 * DAY_MS;
const MAX_WINDOW_MS = 400 * DAY_MS;

async function windowed<T>(
  upper: string | null,
  need: number,
  run: (floor: string | null) => Promise<{ n: number; value: T }>,
): Promise<T> {
  let span: number | null = FIRST_WINDOW_MS;
  for (let attempt = 0; ; attempt++) {
    const result = await run(span === null ? null : idFloor(upper, span));
    if (result.n >= need || span === null) return result.value;
    const next: number | null = result.n === 0 ? null : span * (need / result.n) * 1.5;
    span = next === null || next > MAX_WINDOW_MS || attempt >= 1 ? null : next;
  }
}

/** The smallest UUIDv7 created `spanMs` before `upper` (an id) or before now. */
export function idFloor(upper: string | null, spanMs: number): string {
  const top = upper ? parseInt(upper.replace(/-/g, '').slice(0, 12), 16) : Date.now();
  const h = Math.max(0, Math.floor(top - spanMs))
    .toString(16)
    .padStart(12, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-0000-0000-000000000000`;
}
export const BRAND_FACET_SIZE = 20;

const uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const id = z.string().regex(uuidRe);
const cursorSchema = z.discriminatedUnion('s', [
  z.object({ s: z.literal('newest'), id, cq: z.string().max(400).optional() }),
  z.object({
    s: z.enum(['price_asc', 'price_desc']),
    p: z.number().int(),
    id,
    cq: z.string().max(400).optional(),
  }),
  z.object({
    s: z.literal('relevance'),
    r: z.number(),
    id,
    u: id,
    cq: z.string().max(400).optional(),
  }),
]);
type Cursor = z.infer<typeof cursorSchema>;

function encode(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decode(raw: string, sort: IndexQuery['sort']): Cursor {
  try {
    const parsed = cursorSchema.safeParse(
      JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')),
    );
    if (parsed.success && parsed.data.s === sort) return parsed.data;
  } catch {
    // reported below
  }
  throw new AppError('VALIDATION_FAILED', 'The cursor is not valid for this search', [
    { path: 'querystring.cursor', message: 'Invalid cursor (or the sort changed)' },
  ]);
}

/** The query's words without `-exclusions`, for ranking (a negated term ranks everything 1e-20). */
export function positivePart(q: string): string {
  return q
    .replace(/(^|\s)-"[^"]*"?/g, ' ')
    .replace(/(^|\s)-\S+/g, ' ')
    .trim();
}

const tsq = (q: string) => sql`websearch_to_tsquery('public.hanger_search', ${q})`;

interface Row {
  item_id: string;
  price_cents?: number;
  rank?: number;
  upto?: string;
}

/** Full-text search over the `search_items` read model (search.table.ts). */
export class PostgresSearchIndex implements SearchIndex {
  constructor(private readonly db: Database) {}

  private rows<T>(query: SQL) {
    return queryRows<T>(this.db, query);
  }

  async search(query: IndexQuery): Promise<IndexResult> {
    const cursor = query.cursor ? decode(query.cursor, effectiveSort(query)) : null;
    const q = cursor?.cq ?? query.q;
    const withFacets = query.facets && !cursor;
    // The page and its facets are independent statements: run them side by side.
    const [result, facets] = await Promise.all([
      this.page(query, q, cursor),
      withFacets ? this.facets(query, q) : null,
    ]);
    if (result.ids.length === 0 && !cursor && query.q) {
      const corrected = await this.correct(query.q);
      if (corrected) {
        const [page, fixedFacets] = await Promise.all([
          this.page(query, corrected, null, corrected),
          withFacets ? this.facets(query, corrected) : null,
        ]);
        return { ...page, facets: fixedFacets, correctedQuery: corrected };
      }
    }
    return { ...result, facets, correctedQuery: cursor?.cq ?? null };
  }

  /** Each word of the query replaced by its nearest vocabulary word; null when nothing changes. */
  private async correct(q: string): Promise<string | null> {
    const rows = await this.rows<{ word: string; best: string | null }>(sql`
      select w.word, (
        select t.term from search_terms t
        where t.term % w.word
        order by similarity(t.term, w.word) desc, t.term
        limit 1
      ) as best
      from unnest(tsvector_to_array(to_tsvector('public.hanger_search', ${positivePart(q).slice(0, 200)}))) as w(word)`);
    if (rows.length === 0) return null;
    const words = rows.map((r) => r.best ?? r.word);
    const changed = rows.some((r) => r.best !== null && r.best !== r.word);
    return changed ? words.join(' ') : null;
  }

  private filters(query: IndexQuery, q: string | null, withFacetFilters: boolean): SQL[] {
    const where: SQL[] = [];
    where.push(
      query.statuses.length === 1
        ? sql`status = ${query.statuses[0]}`
        : sql`status in ('active', 'reserved')`,
    );
    if (q) where.push(sql`document @@ ${tsq(q)}`);
    if (query.priceMin !== null) where.push(sql`price_cents >= ${query.priceMin}`);
    if (query.priceMax !== null) where.push(sql`price_cents <= ${query.priceMax}`);
    if (query.sellerId) where.push(sql`seller_id = ${query.sellerId}`);
    if (query.near) where.push(...nearFilter(query.near));
    if (withFacetFilters) where.push(...Object.values(facetFilters(query)).filter(isSql));
    return where;
  }

  private async page(
    query: IndexQuery,
    q: string | null,
    cursor: Cursor | null,
    corrected?: string,
  ): Promise<Omit<IndexResult, 'facets' | 'correctedQuery'>> {
    const where = this.filters(query, q, true);
    const limit = query.limit + 1;
    const cq = corrected ?? cursor?.cq;
    const sort = effectiveSort({ ...query, q });
    const and = sql.join(where, sql` and `);
    let rows: Row[];
    if (sort === 'relevance' && q) {
      const upto = cursor?.s === 'relevance' ? cursor.u : null;
      const after =
        cursor?.s === 'relevance'
          ? sql`where (rank, item_id) < (${cursor.r}::float8, ${cursor.id}::uuid)`
          : sql``;
      const rankQ = positivePart(q) || q;
      type Found = { n: number; upto: string | null; page: [string, number][] };
      const found = await windowed<Found>(upto, RANK_CANDIDATES, async (floor) => {
        const [res] = await this.rows<Found>(sql`
          with m as materialized (
            select item_id, document from search_items
            where ${and} ${upto ? sql`and item_id <= ${upto}` : sql``}
              ${floor ? sql`and item_id > ${floor}` : sql``}
          ), cand as (
            select item_id, document from m order by item_id desc limit ${RANK_CANDIDATES}
          ), ranked as (
            select item_id, ts_rank(document, ${tsq(rankQ)})::float8 as rank from cand
          )
          select (select count(*)::int from m) as n,
            (select max(item_id::text) from cand) as upto,
            coalesce((
              select json_agg(json_build_array(item_id, rank) order by rank desc, item_id desc)
              from (select item_id, rank from ranked ${after}
                    order by rank desc, item_id desc limit ${limit}) p
            ), '[]'::json) as page`);
        return { n: Number(res!.n), value: res! };
      });
      rows = found.page.map(([item_id, rank]) => ({ item_id, rank }));
      const first = cursor?.s === 'relevance' ? cursor.u : null;
      const top = first ?? found.upto;
      return this.finish(rows, query.limit, (last) => ({
        s: 'relevance',
        r: last.rank!,
        id: last.item_id,
        u: top ?? last.item_id,
        ...(cq ? { cq } : {}),
      }));
    }
    if (sort === 'price_asc' || sort === 'price_desc') {
      const asc = sort === 'price_asc';
      const after =
        cursor && 'p' in cursor
          ? asc
            ? sql`and (price_cents, item_id) > (${cursor.p}, ${cursor.id}::uuid)`
            : sql`and (price_cents, item_id) < (${cursor.p}, ${cursor.id}::uuid)`
          : sql``;
      rows = await this.rows<Row>(sql`
        select item_id, price_cents from search_items where ${and} ${after}
        order by ${asc ? sql`price_cents asc, item_id asc` : sql`price_cents desc, item_id desc`}
        limit ${limit}`);
      return this.finish(rows, query.limit, (last) => ({
        s: sort,
        p: last.price_cents!,
        id: last.item_id,
        ...(cq ? { cq } : {}),
      }));
    }
    const before = cursor && cursor.s === 'newest' ? cursor.id : null;
    const after = before ? sql`and item_id < ${before}` : sql``;
    if (q) {
      rows = await windowed<Row[]>(before, limit, async (floor) => {
        const found = await this.rows<Row & { n: number }>(sql`
          with m as materialized (
            select item_id from search_items where ${and} ${after}
              ${floor ? sql`and item_id > ${floor}` : sql``}
          )
          select item_id, (select count(*)::int from m) as n
          from m order by item_id desc limit ${limit}`);
        return { n: Number(found[0]?.n ?? 0), value: found };
      });
    } else {
      rows = await this.rows<Row>(sql`
        select item_id from search_items where ${and} ${after}
        order by item_id desc limit ${limit}`);
    }
    return this.finish(rows, query.limit, (last) => ({
      s: 'newest',
      id: last.item_id,
      ...(cq ? { cq } : {}),
    }));
  }

  private finish(rows: Row[], limit: number, next: (last: Row) => Cursor) {
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      ids: page.map((r) => r.item_id),
      nextCursor: rows.length > limit && last ? encode(next(last)) : null,
    };
  }

  /**
   * Disjunctive facets in one statement: a sample of the newest FACET_SAMPLE rows matching the
   * query without its facet filters; each facet counts the sample rows passing the other facets'
   * filters. Exact when the sample holds every match (then `approximate` is false).
   */
  private async facets(query: IndexQuery, q: string | null): Promise<SearchFacets> {
    const base = sql.join(this.filters(query, q, false), sql` and `);
    const f = facetFilters(query);
    const t = sql`true`;
    const cat = f.category ?? t;
    const brand = f.brand ?? t;
    const size = f.size ?? t;
    const cond = f.condition ?? t;
    type FacetRow = { facet: string; value: string | null; n: number; m: number };
    const rows = await windowed<FacetRow[]>(null, FACET_SAMPLE, async (floor) => {
      const found = await this.facetRows(
        base,
        floor ? sql`and item_id > ${floor}` : sql``,
        cat,
        brand,
        size,
        cond,
      );
      return { n: Number(found.find((r) => r.facet === 'window')?.n ?? 0), value: found };
    });
    return this.toFacets(rows);
  }

  private facetRows(base: SQL, floor: SQL, cat: SQL, brand: SQL, size: SQL, cond: SQL) {
    return this.rows<{ facet: string; value: string | null; n: number; m: number }>(
      sql`
      with m as materialized (
        select item_id, category, brand_key, brand, size_key, size, condition, price_cents,
          ${cat} as f_cat, ${brand} as f_brand, ${size} as f_size, ${cond} as f_cond
        from search_items where ${base} ${floor}
      ), s as (
        select * from m order by item_id desc limit ${FACET_SAMPLE}
      )
      select 'category' as facet, category as value, count(*)::int as n, 0 as m
        from s where f_brand and f_size and f_cond group by category
      union all
      select * from (
        select 'brand' as facet, min(brand) as value, count(*)::int as n, 0 as m
        from s where f_cat and f_size and f_cond group by brand_key
        order by n desc, value limit ${BRAND_FACET_SIZE}
      ) b
      union all
      select 'size', min(size), count(*)::int, 0 from s where f_cat and f_brand and f_cond group by size_key
      union all
      select 'condition', condition, count(*)::int, 0 from s where f_cat and f_brand and f_size group by condition
      union all
      select 'price', null, coalesce(min(price_cents), -1), coalesce(max(price_cents), -1)
        from s where f_cat and f_brand and f_size and f_cond
      union all
      select 'total', null, count(*)::int, 0 from s where f_cat and f_brand and f_size and f_cond
      union all
      select 'sample', null, count(*)::int, 0 from s
      union all
      select 'window', null, count(*)::int, 0 from m`,
    );
  }

  private toFacets(rows: { facet: string; value: string | null; n: number; m: number }[]) {
    const out: SearchFacets = {
      category: [],
      brand: [],
      size: [],
      condition: [],
      price: null,
      total: 0,
      approximate: false,
      sampleSize: FACET_SAMPLE,
    };
    const byCount = (a: { count: number; value: string }, b: { count: number; value: string }) =>
      b.count - a.count || a.value.localeCompare(b.value);
    for (const r of rows) {
      const n = Number(r.n);
      switch (r.facet) {
        case 'category':
        case 'brand':
        case 'size':
        case 'condition':
          out[r.facet].push({ value: r.value ?? '', count: n });
          break;
        case 'price':
          out.price = n >= 0 ? { min: n, max: Number(r.m) } : null;
          break;
        case 'total':
          out.total = n;
          break;
        case 'sample':
          out.approximate = n >= FACET_SAMPLE;
          break;
      }
    }
    out.category.sort(byCount);
    out.brand.sort(byCount);
    out.size.sort(byCount);
    out.condition.sort(byCount);
    return out;
  }

  async upsert(doc: IndexDocument): Promise<void> {
    await this.db.execute(sql`
      insert into search_items (item_id, seller_id, title, brand, brand_key, description, tags,
        category, size, size_key, condition, price_cents, currency, status, lat, lng,
        like_count, favorite_count, created_at, indexed_at)
      values (${doc.itemId}, ${doc.sellerId}, ${doc.title}, ${doc.brand}, ${doc.brandKey},
        ${doc.description}, ${sql`${pgArray(doc.tags)}::text[]`}, ${doc.category}, ${doc.size},
        ${doc.size.toLowerCase()}, ${doc.condition}, ${doc.priceCents}, ${doc.currency},
        ${doc.status}, ${doc.lat}, ${doc.lng}, ${doc.likeCount}, ${doc.favoriteCount},
        ${doc.createdAt.toISOString()}, now())
      on conflict (item_id) do update set
        seller_id = excluded.seller_id, title = excluded.title, brand = excluded.brand,
        brand_key = excluded.brand_key, description = excluded.description, tags = excluded.tags,
        category = excluded.category, size = excluded.size, size_key = excluded.size_key,
        condition = excluded.condition, price_cents = excluded.price_cents,
        currency = excluded.currency, status = excluded.status, lat = excluded.lat,
        lng = excluded.lng, like_count = excluded.like_count,
        favorite_count = excluded.favorite_count, indexed_at = now()`);
    await this.db.execute(sql`
      insert into search_terms (term)
      select distinct w from unnest(tsvector_to_array(
        to_tsvector('public.hanger_search', ${doc.title} || ' ' || ${doc.brand}))) as w
      where length(w) between 3 and 40
      on conflict do nothing`);
  }

  async remove(itemId: string): Promise<void> {
    await this.db.execute(sql`delete from search_items where item_id = ${itemId}`);
  }

  async lookup(ids: string[]): Promise<Map<string, IndexedItem>> {
    if (ids.length === 0) return new Map();
    const rows = await this.rows<{
      item_id: string;
      seller_id: string;
      status: string;
      lat: number | null;
      lng: number | null;
    }>(sql`
      select item_id, seller_id, status, lat, lng from search_items
      where item_id = any(${pgArray(ids)}::uuid[])`);
    return new Map(
      rows.map((r) => [
        r.item_id,
        { itemId: r.item_id, sellerId: r.seller_id, status: r.status, lat: r.lat, lng: r.lng },
      ]),
    );
  }

  async newestBySellers(
    sellerIds: string[],
    beforeId: string | null,
    limit: number,
  ): Promise<string[]> {
    if (sellerIds.length === 0) return [];
    if (sellerIds.length <= 20) {
      // Read-time merge of a few large sellers: one ordered index range each, with the seller id
      // as a plain parameter so the planner sees its real (large) row count and reads newest-first.
      const parts = sellerIds.map(
        (id) => sql`(select item_id from search_items
          where seller_id = ${id} and status in ('active', 'reserved')
          ${beforeId ? sql`and item_id < ${beforeId}` : sql``}
          order by item_id desc limit ${limit})`,
      );
      const merged = await this.rows<{ item_id: string }>(
        sql`select item_id from (${sql.join(parts, sql` union all `)}) x
            order by item_id desc limit ${limit}`,
      );
      return merged.map((r) => r.item_id);
    }
    // Rebuilds (many sellers): one index range per seller, merged.
    const rows = await this.rows<{ item_id: string }>(sql`
      select x.item_id from unnest(${pgArray(sellerIds)}::uuid[]) as s(id)
      cross join lateral (
        select item_id from search_items
        where seller_id = s.id and status in ('active', 'reserved')
          ${beforeId ? sql`and item_id < ${beforeId}` : sql``}
        order by item_id desc limit ${limit}
      ) x
      order by x.item_id desc limit ${limit}`);
    return rows.map((r) => r.item_id);
  }

  async popular(limit: number): Promise<IndexedItem[]> {
    const rows = await this.rows<{
      item_id: string;
      seller_id: string;
      status: string;
      lat: number | null;
      lng: number | null;
    }>(sql`
      select item_id, seller_id, status, lat, lng from search_items
      where status = 'active'
      order by (like_count + 2 * favorite_count) desc, item_id desc
      limit ${limit}`);
    return rows.map((r) => ({
      itemId: r.item_id,
      sellerId: r.seller_id,
      status: r.status,
      lat: r.lat,
      lng: r.lng,
    }));
  }
}

/** The sort actually used: relevance needs words; without them it is newest. */
export function effectiveSort(query: Pick<IndexQuery, 'sort' | 'q'>): IndexQuery['sort'] {
  return query.sort === 'relevance' && !query.q ? 'newest' : query.sort;
}

function facetFilters(
  query: IndexQuery,
): Record<'category' | 'brand' | 'size' | 'condition', SQL | null> {
  return {
    category: query.category ? sql`category = ${query.category}` : null,
    brand:
      query.brandKeys.length > 0 ? sql`brand_key = any(${pgArray(query.brandKeys)}::text[])` : null,
    size:
      query.sizeKeys.length > 0 ? sql`size_key = any(${pgArray(query.sizeKeys)}::text[])` : null,
    condition:
      query.conditions.length > 0
        ? sql`condition = any(${pgArray(query.conditions)}::text[])`
        : null,
  };
}

const isSql = (s: SQL | null): s is SQL => s !== null;

/** The Earth's mean radius in km, as `haversineKm` uses it (12742 = 2 × 6371). */
const EARTH_RADIUS_KM = 6371;

/**
 * The longitude ranges (west, east; degrees, within ±180) of a box around the circle of `radiusKm`
 * around a point, and its latitude range. Exact for a sphere: the circle's widest longitude is
 * asin(sin(d) / cos(lat)) away (d its angular radius), a little more than d / cos(lat), which the
 * box used to take. A circle that reaches a pole spans every longitude; one that crosses the
 * antimeridian gets two ranges, one on each side of it.
 */
export function nearBoxes(near: { lat: number; lng: number; radiusKm: number }): {
  south: number;
  north: number;
  lngRanges: [number, number][];
} {
  const d = near.radiusKm / EARTH_RADIUS_KM;
  const degrees = (radians: number) => (radians * 180) / Math.PI;
  // A hair wider than exact, so that rounding never leaves a point on the circle out of the box
  // (the haversine condition decides).
  const margin = 1e-6;
  const dLat = degrees(d) + margin;
  const south = near.lat - dLat;
  const north = near.lat + dLat;
  const ratio = Math.sin(d) / Math.cos((near.lat * Math.PI) / 180);
  if (north >= 90 || south <= -90 || !(ratio < 1)) {
    return { south, north, lngRanges: [[-180, 180]] };
  }
  const dLng = degrees(Math.asin(ratio)) + margin;
  const west = near.lng - dLng;
  const east = near.lng + dLng;
  if (west >= -180 && east <= 180) return { south, north, lngRanges: [[west, east]] };
  // Across the antimeridian (on one side only: dLng < 90°), a range on each side of it.
  const westOfIt: [number, number] = [west < -180 ? west + 360 : west, 180];
  const eastOfIt: [number, number] = [-180, east > 180 ? east - 360 : east];
  return { south, north, lngRanges: [westOfIt, eastOfIt] };
}

/** Bounding box(es) (index-friendly) then the exact great-circle distance (haversine, km). */
export function nearFilter(near: { lat: number; lng: number; radiusKm: number }): SQL[] {
  const { south, north, lngRanges } = nearBoxes(near);
  // Each box uses the GiST index on point(lng, lat) (search_items_point_idx).
  const boxes = lngRanges.map(
    ([west, east]) =>
      sql`point(lng, lat) <@ box(point(${west}, ${south}), point(${east}, ${north}))`,
  );
  return [
    boxes.length === 1 ? boxes[0]! : sql`(${sql.join(boxes, sql` or `)})`,
    sql`${haversineKm(near.lat, near.lng)} <= ${near.radiusKm}`,
  ];
}

export function haversineKm(lat: number, lng: number): SQL {
  return sql`(12742 * asin(least(1, sqrt(
    power(sin(radians(lat - ${lat}::float8) / 2), 2)
    + cos(radians(${lat}::float8)) * cos(radians(lat))
      * power(sin(radians(lng - ${lng}::float8) / 2), 2)))))`;
}

/** A Postgres array literal (`{"a","b"}`) for `= any($1::text[])` with one parameter. */
export function pgArray(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}
