import type { SearchFacets, SearchSort } from '@hanger/contracts';

/** One normalised search, as every index implementation receives it. */
export interface IndexQuery {
  /** Websearch text (already checked to contain a letter or digit), or null. */
  q: string | null;
  category: string | null;
  /** brandKey() of each brand. */
  brandKeys: string[];
  /** Lower-cased sizes. */
  sizeKeys: string[];
  conditions: string[];
  priceMin: number | null;
  priceMax: number | null;
  near: { lat: number; lng: number; radiusKm: number } | null;
  sellerId: string | null;
  statuses: ('active' | 'reserved')[];
  sort: SearchSort;
  limit: number;
  /** The opaque cursor of the previous page, as the index issued it. */
  cursor: string | null;
  /** Facets are computed for first pages only. */
  facets: boolean;
}

export interface IndexResult {
  ids: string[];
  nextCursor: string | null;
  facets: SearchFacets | null;
  correctedQuery: string | null;
}

/** What a saved search or a feed needs to know about one indexed item. */
export interface IndexedItem {
  itemId: string;
  sellerId: string;
  status: string;
  lat: number | null;
  lng: number | null;
}

/** The item fields an index stores, taken from the listings module's record. */
export interface IndexDocument {
  itemId: string;
  sellerId: string;
  title: string;
  brand: string;
  brandKey: string;
  description: string;
  tags: string[];
  category: string;
  size: string;
  condition: string;
  priceCents: number;
  currency: string;
  status: string;
  lat: number | null;
  lng: number | null;
  likeCount: number;
  favoriteCount: number;
  createdAt: Date;
}

/**
 * The search port: query in, ids + facets + cursor out; documents in and out as listings change.
 * `PostgresSearchIndex` implements it over the `search_items` read model; an OpenSearch adapter
 * would implement the same four methods (docs/search.md).
 */
export interface SearchIndex {
  search(query: IndexQuery): Promise<IndexResult>;
  upsert(doc: IndexDocument): Promise<void>;
  remove(itemId: string): Promise<void>;
  /** Indexed (searchable) items among `ids`: active or reserved, not deleted. */
  lookup(ids: string[]): Promise<Map<string, IndexedItem>>;
  /** Newest listed items of these sellers, below `beforeId` (feed merge and rebuild). */
  newestBySellers(sellerIds: string[], beforeId: string | null, limit: number): Promise<string[]>;
  /** Listed items by popularity (likes + 2 × favourites), for feed fill-ins. */
  popular(limit: number): Promise<IndexedItem[]>;
}
