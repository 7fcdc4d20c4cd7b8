import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type {
  BrandSuggestion,
  Item,
  SearchFilters,
  SearchQuery,
  SearchResponse,
} from '@hanger/contracts';
import type { Cache } from '../../platform/cache/types';
import type { Database } from '../../platform/db/types';
import { queryRows } from '../../platform/db/types';
import type { ItemRecord } from '../listings';
import type { IndexDocument, IndexQuery, IndexResult, SearchIndex } from './search.index';

export interface SearchViewer {
  userId: string;
  role: 'user' | 'moderator' | 'admin';
}

/** What search needs from other modules, wired in composition.ts. */
export interface SearchDeps {
  index: SearchIndex;
  cache: Cache;
  db: Database;
  /** listings: renders a page of item ids for the viewer, in order. */
  render(ids: string[], viewer: SearchViewer | null): Promise<Item[]>;
  /** listings: the stored item (any status), or undefined once deleted. */
  snapshot(itemId: string): Promise<IndexDocument | undefined>;
  /** users/social: a username's id (active accounts only). */
  userIdByUsername(username: string): Promise<string | null>;
  /** listings: brandKey() (brand identity). */
  brandKey(name: string): string;
}

/** The index's copy of a listings record. */
export function indexDocumentFrom(
  record: ItemRecord,
  brandKey: (name: string) => string,
): IndexDocument {
  return {
    itemId: record.id,
    sellerId: record.sellerId,
    title: record.title,
    brand: record.brand,
    brandKey: brandKey(record.brand),
    description: record.description,
    tags: record.tags,
    category: record.category,
    size: record.size,
    condition: record.condition,
    priceCents: record.priceCents,
    currency: record.currency,
    status: record.status,
    lat: record.lat,
    lng: record.lng,
    likeCount: record.likeCount,
    favoriteCount: record.favoriteCount,
    createdAt: record.createdAt,
  };
}

/** Hot queries are cached this long; any index write also invalidates them (version bump). */
export const SEARCH_CACHE_TTL_MS = 30_000;
const VERSION_KEY = 'search:version';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HAS_WORD = /[\p{L}\p{N}]/u;

/**
 * Search: turns API filters into an index query, caches the index's answer (ids + facets, not
 * the rendered items: likedByMe differs per viewer) under a version every index write bumps, and
 * renders the page through the listings module. Also keeps the index in step with listing events.
 */
export class SearchService {
  private brandsReady: Promise<void> | null = null;

  constructor(private readonly d: SearchDeps) {}

  async search(query: SearchQuery, viewer: SearchViewer | null): Promise<SearchResponse> {
    const indexQuery = await this.toIndexQuery(query);
    if (!indexQuery) {
      return { data: [], meta: { nextCursor: null, facets: null, correctedQuery: null } };
    }
    const result = await this.cached(indexQuery);
    const data = await this.d.render(result.ids, viewer);
    return {
      data,
      meta: {
        nextCursor: result.nextCursor,
        facets: result.facets,
        correctedQuery: result.correctedQuery,
      },
    };
  }

  /** Normalised filters; null when they can match nothing (an unknown seller). */
  async toIndexQuery(
    query: SearchFilters & Partial<Pick<SearchQuery, 'sort' | 'limit' | 'cursor'>>,
  ): Promise<IndexQuery | null> {
    let sellerId: string | null = null;
    if (query.seller) {
      sellerId = UUID.test(query.seller)
        ? query.seller.toLowerCase()
        : await this.d.userIdByUsername(query.seller);
      if (!sellerId) return null;
    }
    const q = query.q && HAS_WORD.test(query.q) ? query.q.replace(/\s+/g, ' ') : null;
    const uniq = (xs: string[]) => [...new Set(xs)].sort();
    return {
      q,
      category: query.category ?? null,
      brandKeys: uniq((query.brand ?? []).map((b) => this.d.brandKey(b))),
      sizeKeys: uniq((query.size ?? []).map((s) => s.toLowerCase())),
      conditions: uniq(query.condition ?? []),
      priceMin: query.priceMin ?? null,
      priceMax: query.priceMax ?? null,
      near:
        query.lat !== undefined && query.lng !== undefined && query.radiusKm !== undefined
          ? { lat: query.lat, lng: query.lng, radiusKm: query.radiusKm }
          : null,
      sellerId,
      statuses: query.includeReserved ? ['active', 'reserved'] : ['active'],
      sort: query.sort ?? (q ? 'relevance' : 'newest'),
      limit: query.limit ?? 24,
      cursor: query.cursor ?? null,
      facets: !query.cursor,
    };
  }

  private async cached(query: IndexQuery): Promise<IndexResult> {
    const version = (await this.d.cache.get(VERSION_KEY)) ?? '0';
    const key = `search:r:${version}:${createHash('sha1').update(JSON.stringify(query)).digest('base64url')}`;
    const hit = await this.d.cache.get(key);
    if (hit) return JSON.parse(hit) as IndexResult;
    const result = await this.d.index.search(query);
    await this.d.cache.set(key, JSON.stringify(result), SEARCH_CACHE_TTL_MS);
    return result;
  }

  // ---- index maintenance (listing-event subscribers; idempotent) ------------------------------

  /** Re-reads the item and puts the index in step: listed items in, the rest out. */
  async sync(itemId: string): Promise<void> {
    const doc = await this.d.snapshot(itemId);
    if (doc && (doc.status === 'active' || doc.status === 'reserved')) {
      await this.d.index.upsert(doc);
    } else {
      await this.d.index.remove(itemId);
    }
    await this.invalidate();
  }

  async invalidate(): Promise<void> {
    await this.d.cache.incr(VERSION_KEY);
  }

  // ---- brand autocomplete --------------------------------------------------------------------

  async brands(prefix: string, limit: number): Promise<BrandSuggestion[]> {
    const key = `search:brands:${limit}:${prefix.toLowerCase()}`;
    const hit = await this.d.cache.get(key);
    if (hit) return JSON.parse(hit) as BrandSuggestion[];
    await this.ensureBrands();
    const like = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
    const rows = await queryRows<{ name: string; item_count: number }>(
      this.d.db,
      sql`select name, item_count from brand_popularity
          where fold like hanger_fold(${like}) || '%'
          order by item_count desc, name limit ${limit}`,
    );
    const out = rows.map((r) => ({ name: r.name, itemCount: Number(r.item_count) }));
    await this.d.cache.set(key, JSON.stringify(out), 60_000);
    return out;
  }

  /** A first request before the first scheduled refresh fills the table once. */
  private ensureBrands(): Promise<void> {
    this.brandsReady ??= (async () => {
      const [row] = await queryRows<{ any: boolean }>(
        this.d.db,
        sql`select exists (select 1 from brand_popularity) as any`,
      );
      if (!row?.any) await this.refreshBrands();
    })().catch((err: unknown) => {
      this.brandsReady = null;
      throw err;
    });
    return this.brandsReady;
  }

  /** `search.refreshBrands`: brands by number of listed items (one aggregate, then a swap). */
  async refreshBrands(): Promise<number> {
    return this.d.db.transaction(async (tx) => {
      await tx.execute(sql`delete from brand_popularity`);
      const rows = await queryRows<{ brand_key: string }>(
        tx,
        sql`insert into brand_popularity (brand_key, name, fold, item_count, refreshed_at)
            select brand_key, min(brand), hanger_fold(min(brand)), count(*)::int, now()
            from search_items where status in ('active', 'reserved')
            group by brand_key
            returning brand_key`,
      );
      return rows.length;
    });
  }
}
