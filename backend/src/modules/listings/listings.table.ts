import { sql } from 'drizzle-orm';
import {
  check,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { uploads } from '../media/media.table';
import { users } from '../users/users.table';

/**
 * Brands as typed by sellers, one row per case-insensitive name: "nike", "NIKE " and "Nike" are
 * one brand (`key` = lower-cased, whitespace collapsed). `name` keeps the first spelling seen.
 */
export const brands = pgTable(
  'brands',
  {
    id: uuid().primaryKey(),
    name: text().notNull(),
    key: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('brands_key_key').on(t.key)],
);

export const items = pgTable(
  'items',
  {
    id: uuid().primaryKey(),
    sellerId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    title: text().notNull(),
    description: text().notNull(),
    category: text({
      enum: [
        'tops',
        'bottoms',
        'dresses',
        'outerwear',
        'knitwear',
        'shoes',
        'bags',
        'accessories',
        'other',
      ],
    }).notNull(),
    brandId: uuid()
      .notNull()
      .references(() => brands.id),
    size: text().notNull(),
    condition: text({ enum: ['new_with_tags', 'like_new', 'good', 'fair'] }).notNull(),
    priceCents: integer().notNull(),
    currency: text().notNull(),
    /** The price before the most recent decrease (null when the price never dropped). */
    previousPriceCents: integer(),
    status: text({ enum: ['active', 'reserved', 'sold', 'hidden'] })
      .notNull()
      .default('active'),
    /** Who hid the item: a seller may unhide their own, only a moderator what a moderator hid. */
    hiddenBy: text({ enum: ['seller', 'moderator'] }),
    city: text(),
    country: text(),
    lat: doublePrecision(),
    lng: doublePrecision(),
    tags: text()
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    likeCount: integer().notNull().default(0),
    favoriteCount: integer().notNull().default(0),
    commentCount: integer().notNull().default(0),
    statusChangedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    deletedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('items_seller_idx')
      .on(t.sellerId, t.id.desc())
      .where(sql`${t.deletedAt} is null`),
    index('items_seller_status_idx')
      .on(t.sellerId, t.status, t.id.desc())
      .where(sql`${t.deletedAt} is null`),
    index('items_brand_idx')
      .on(t.brandId)
      .where(sql`${t.deletedAt} is null`),
    check(
      'items_price_range',
      sql`${t.priceCents} between 1 and 10000000 and (${t.previousPriceCents} is null or ${t.previousPriceCents} > ${t.priceCents})`,
    ),
    check(
      'items_counts_non_negative',
      sql`${t.likeCount} >= 0 and ${t.favoriteCount} >= 0 and ${t.commentCount} >= 0`,
    ),
  ],
);

/** An item's photos, in order. An upload belongs to at most one item. */
export const itemImages = pgTable(
  'item_images',
  {
    itemId: uuid()
      .notNull()
      .references(() => items.id, { onDelete: 'cascade' }),
    uploadId: uuid()
      .notNull()
      .references(() => uploads.id),
    position: smallint().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.itemId, t.position] }),
    uniqueIndex('item_images_upload_key').on(t.uploadId),
  ],
);

/** Every price decrease, for price-drop alerts and "was €40" labels. */
export const itemPriceHistory = pgTable(
  'item_price_history',
  {
    id: uuid().primaryKey(),
    itemId: uuid()
      .notNull()
      .references(() => items.id, { onDelete: 'cascade' }),
    oldPriceCents: integer().notNull(),
    newPriceCents: integer().notNull(),
    currency: text().notNull(),
    changedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('item_price_history_item_idx').on(t.itemId, t.changedAt)],
);

export type ItemRow = typeof items.$inferSelect;
