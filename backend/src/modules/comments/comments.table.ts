import { sql } from 'drizzle-orm';
import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { items } from '../listings/listings.table';
import { users } from '../users/users.table';

/** A linear thread per item. Deleted comments keep their row (soft delete) and leave every read. */
export const comments = pgTable(
  'comments',
  {
    id: uuid().primaryKey(),
    itemId: uuid()
      .notNull()
      .references(() => items.id, { onDelete: 'cascade' }),
    authorId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    body: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    editedAt: timestamp({ withTimezone: true }),
    deletedAt: timestamp({ withTimezone: true }),
    deletedBy: text({ enum: ['author', 'seller', 'moderator'] }),
  },
  (t) => [
    index('comments_item_idx')
      .on(t.itemId, t.id)
      .where(sql`${t.deletedAt} is null`),
    index('comments_author_idx').on(t.authorId),
  ],
);
