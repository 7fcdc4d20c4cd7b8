import { sql } from 'drizzle-orm';
import {
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from '../users/users.table';

/**
 * The append-only event log. A social write inserts its event in the same transaction (together
 * with the outbox job that processes it); the notifications worker turns it into inbox entries.
 * `itemId` has no foreign key: events outlive the things they talk about.
 */
export const activityEvents = pgTable(
  'activity_events',
  {
    id: uuid().primaryKey(),
    type: text().notNull(),
    actorId: uuid().references(() => users.id, { onDelete: 'set null' }),
    /** The user the event is about, when there is exactly one (the followee, the item's seller). */
    subjectUserId: uuid().references(() => users.id, { onDelete: 'set null' }),
    itemId: uuid(),
    data: jsonb().notNull().default({}),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('activity_events_item_idx').on(t.itemId)],
);

/**
 * A user's inbox entry. While unread, later events with the same `groupKey` fold into it (one
 * unread row per recipient and key, enforced by a partial unique index).
 */
export const notifications = pgTable(
  'notifications',
  {
    id: uuid().primaryKey(),
    recipientId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: text().notNull(),
    groupKey: text().notNull(),
    itemId: uuid(),
    data: jsonb().notNull().default({}),
    actorCount: integer().notNull().default(0),
    /** The most recent distinct actors, newest first (at most 3). */
    recentActorIds: uuid()
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    readAt: timestamp({ withTimezone: true, precision: 3 }),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
    /** Moves forward when an event folds in; the inbox is ordered by it (cursor: updatedAt, id). */
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    uniqueIndex('notifications_unread_group_key')
      .on(t.recipientId, t.groupKey)
      .where(sql`${t.readAt} is null`),
    index('notifications_inbox_idx').on(t.recipientId, t.updatedAt, t.id),
    index('notifications_unread_idx')
      .on(t.recipientId)
      .where(sql`${t.readAt} is null`),
  ],
);

/** Distinct people folded into a notification, so "and 12 others" counts each person once. */
export const notificationActors = pgTable(
  'notification_actors',
  {
    notificationId: uuid()
      .notNull()
      .references(() => notifications.id, { onDelete: 'cascade' }),
    actorId: uuid().notNull(),
  },
  (t) => [primaryKey({ columns: [t.notificationId, t.actorId] })],
);

/** (event, recipient) pairs already handled: re-running the worker for an event adds nothing. */
export const notificationReceipts = pgTable(
  'notification_receipts',
  {
    eventId: uuid()
      .notNull()
      .references(() => activityEvents.id, { onDelete: 'cascade' }),
    recipientId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.recipientId] })],
);
