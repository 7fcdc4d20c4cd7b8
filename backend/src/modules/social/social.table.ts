import { sql } from 'drizzle-orm';
import { check, index, pgTable, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { items } from '../listings/listings.table';
import { users } from '../users/users.table';

/**
 * Who follows whom. One row per pair (the unique index makes follow idempotent under races);
 * the UUIDv7 id orders both lists by time and is the cursor.
 */
export const follows = pgTable(
  'follows',
  {
    id: uuid().primaryKey(),
    followerId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    followeeId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('follows_pair_key').on(t.followerId, t.followeeId),
    index('follows_followee_idx').on(t.followeeId, t.id),
    index('follows_follower_idx').on(t.followerId, t.id),
    check('follows_not_self', sql`${t.followerId} <> ${t.followeeId}`),
  ],
);

/** A block hides the blocked user from the blocker and stops follows, comments and messages. */
export const blocks = pgTable(
  'blocks',
  {
    id: uuid().primaryKey(),
    blockerId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    blockedId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('blocks_pair_key').on(t.blockerId, t.blockedId),
    index('blocks_blocker_idx').on(t.blockerId, t.id),
    index('blocks_blocked_idx').on(t.blockedId),
    check('blocks_not_self', sql`${t.blockerId} <> ${t.blockedId}`),
  ],
);

/** One like per (item, user); the item's like_count moves with each inserted or deleted row. */
export const itemLikes = pgTable(
  'item_likes',
  {
    id: uuid().primaryKey(),
    itemId: uuid()
      .notNull()
      .references(() => items.id, { onDelete: 'cascade' }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('item_likes_pair_key').on(t.itemId, t.userId),
    index('item_likes_user_idx').on(t.userId, t.itemId),
  ],
);

/** Saved items: `GET /me/favorites` pages by id; status/price alerts fan out by item. */
export const itemFavorites = pgTable(
  'item_favorites',
  {
    id: uuid().primaryKey(),
    itemId: uuid()
      .notNull()
      .references(() => items.id, { onDelete: 'cascade' }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('item_favorites_pair_key').on(t.itemId, t.userId),
    index('item_favorites_user_idx').on(t.userId, t.id),
  ],
);
