import { sql } from 'drizzle-orm';
import {
  customType,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { items } from '../listings/listings.table';
import { users } from '../users/users.table';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/**
 * The search read model: one row per live, listed item, maintained from listing events by the
 * search module (search.indexer.ts). The Postgres `SearchIndex` queries only this table; an
 * OpenSearch adapter would replace table and adapter together.
 */
export const searchItems = pgTable(
  'search_items',
  {
    itemId: uuid()
      .primaryKey()
      .references(() => items.id, { onDelete: 'cascade' }),
    sellerId: uuid().notNull(),
    title: text().notNull(),
    brand: text().notNull(),
    /** brandKey(brand): lower-cased, whitespace collapsed (the listings module's identity). */
    brandKey: text().notNull(),
    description: text().notNull(),
    tags: text().array().notNull(),
    category: text().notNull(),
    size: text().notNull(),
    /** Lower-cased size, for case-insensitive size filters. */
    sizeKey: text().notNull(),
    condition: text().notNull(),
    priceCents: integer().notNull(),
    currency: text().notNull(),
    status: text().notNull(),
    lat: doublePrecision(),
    lng: doublePrecision(),
    likeCount: integer().notNull().default(0),
    favoriteCount: integer().notNull().default(0),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    indexedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    document: tsvector().generatedAlwaysAs(
      sql`hanger_search_vector(title, brand, description, tags)`,
    ),
  },
  (t) => [
    index('search_items_document_idx').using('gin', t.document),
    index('search_items_newest_idx').on(t.status, t.itemId.desc()),
    index('search_items_price_idx').on(t.status, t.priceCents, t.itemId),
    index('search_items_seller_idx').on(t.sellerId, t.itemId.desc()),
    index('search_items_lat_idx').on(t.lat),
    index('search_items_point_idx').using('gist', sql`point(${t.lng}, ${t.lat})`),
    index('search_items_popular_idx').on(
      sql`(${t.likeCount} + 2 * ${t.favoriteCount}) desc`,
      t.itemId.desc(),
    ),
  ],
);

/**
 * Words of titles and brands (folded), for the typo fallback: a query with no full-text hit has
 * each word replaced by its nearest vocabulary word (trigram similarity) and is run again.
 */
export const searchTerms = pgTable('search_terms', { term: text().primaryKey() }, (t) => [
  index('search_terms_trgm_idx').using('gin', sql`${t.term} gin_trgm_ops`),
]);

/** Brand autocomplete: brands by number of listed items, refreshed by `search.refreshBrands`. */
export const brandPopularity = pgTable(
  'brand_popularity',
  {
    brandKey: text().primaryKey(),
    name: text().notNull(),
    /** hanger_fold(name): accent- and case-folded, for prefix matching. */
    fold: text().notNull(),
    itemCount: integer().notNull(),
    refreshedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('brand_popularity_fold_idx').on(sql`${t.fold} text_pattern_ops`, t.itemCount)],
);

/** A user's saved search: the normalised filters, matched against every new item. */
export const savedSearches = pgTable(
  'saved_searches',
  {
    id: uuid().primaryKey(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    /** The filters as the client gave them (normalised), echoed back by the API. */
    filters: text().notNull(),
    q: text(),
    category: text(),
    brandKeys: text().array().notNull(),
    sizeKeys: text().array().notNull(),
    conditions: text().array().notNull(),
    priceMin: integer(),
    priceMax: integer(),
    lat: doublePrecision(),
    lng: doublePrecision(),
    radiusKm: real(),
    sellerId: uuid(),
    lastNotifiedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('saved_searches_user_idx').on(t.userId, t.id)],
);

/** Items that matched a saved search; `notifiedAt` null = waiting for the next batched notice. */
export const savedSearchHits = pgTable(
  'saved_search_hits',
  {
    savedSearchId: uuid()
      .notNull()
      .references(() => savedSearches.id, { onDelete: 'cascade' }),
    itemId: uuid()
      .notNull()
      .references(() => items.id, { onDelete: 'cascade' }),
    notifiedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.savedSearchId, t.itemId] })],
);
