import { index, pgTable, primaryKey, uuid } from 'drizzle-orm/pg-core';
import { users } from '../users/users.table';

/**
 * Home timelines in the embedded runtime (services mode keeps them in Redis sorted sets): item
 * ids fanned out to each follower, capped per user. UUIDv7 item ids order the timeline by time.
 */
export const feedTimelines = pgTable(
  'feed_timelines',
  {
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    itemId: uuid().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.itemId] }),
    index('feed_timelines_item_idx').on(t.itemId),
  ],
);
