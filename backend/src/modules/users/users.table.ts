import { sql } from 'drizzle-orm';
import {
  check,
  doublePrecision,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const users = pgTable(
  'users',
  {
    id: uuid().primaryKey(),
    /** Null once the account is deleted (PII erased). */
    email: text(),
    emailVerifiedAt: timestamp({ withTimezone: true }),
    username: text().notNull(),
    passwordHash: text(),
    role: text({ enum: ['user', 'moderator', 'admin'] })
      .notNull()
      .default('user'),
    displayName: text(),
    bio: text(),
    /** The upload behind the avatar (media module); null when none. */
    avatarUploadId: uuid(),
    city: text(),
    country: text(),
    lat: doublePrecision(),
    lng: doublePrecision(),
    sizeTop: text(),
    sizeBottom: text(),
    sizeShoes: text(),
    followerCount: integer().notNull().default(0),
    followingCount: integer().notNull().default(0),
    listingCount: integer().notNull().default(0),
    soldCount: integer().notNull().default(0),
    mutedNotificationTypes: text()
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    suspendedAt: timestamp({ withTimezone: true }),
    suspendedUntil: timestamp({ withTimezone: true }),
    suspensionReason: text(),
    deletedAt: timestamp({ withTimezone: true }),
    lastActiveAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`),
    uniqueIndex('users_username_lower_key').on(sql`lower(${t.username})`),
    index('users_last_active_idx').on(t.lastActiveAt),
    check(
      'users_counts_non_negative',
      sql`${t.followerCount} >= 0 and ${t.followingCount} >= 0 and ${t.listingCount} >= 0 and ${t.soldCount} >= 0`,
    ),
  ],
);

/** Data exports: a job builds a JSON archive in storage; the owner downloads it by presigned URL. */
export const dataExports = pgTable(
  'data_exports',
  {
    id: uuid().primaryKey(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: text({ enum: ['pending', 'ready', 'failed'] })
      .notNull()
      .default('pending'),
    objectKey: text(),
    error: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp({ withTimezone: true }),
    expiresAt: timestamp({ withTimezone: true }),
  },
  (t) => [index('data_exports_user_idx').on(t.userId, t.createdAt)],
);
