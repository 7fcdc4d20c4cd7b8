import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from '../users/users.table';

/** A stored variant: the object key (under `public/`) and its real pixel size. */
export interface StoredVariant {
  key: string;
  width: number;
  height: number;
}

export interface StoredVariants {
  thumb: StoredVariant;
  medium: StoredVariant;
}

/**
 * One uploaded image and its processing state. `pending` until it is attached to something (an
 * item, an avatar), `processing` until the worker has validated it and written its variants, then
 * `ready` or `failed` (with a reason a user can read). `released_at` is set when its owner stops
 * using it (photo removed, item deleted, avatar replaced); the cleanup job deletes its objects
 * after a grace period and stamps `purged_at`.
 */
export const uploads = pgTable(
  'uploads',
  {
    id: uuid().primaryKey(),
    ownerId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text({ enum: ['item_image', 'avatar'] }).notNull(),
    status: text({ enum: ['pending', 'processing', 'ready', 'failed'] })
      .notNull()
      .default('pending'),
    /** What the client declared; the real type is `detected_type`, from the bytes. */
    contentType: text().notNull(),
    sizeBytes: integer().notNull(),
    originalKey: text().notNull(),
    detectedType: text(),
    width: integer(),
    height: integer(),
    blurhash: text(),
    dominantColor: text(),
    variants: jsonb().$type<StoredVariants>(),
    failureReason: text(),
    attachedAt: timestamp({ withTimezone: true }),
    processedAt: timestamp({ withTimezone: true }),
    releasedAt: timestamp({ withTimezone: true }),
    purgedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('uploads_owner_created_idx').on(t.ownerId, t.createdAt),
    index('uploads_unattached_idx')
      .on(t.createdAt)
      .where(sql`${t.attachedAt} is null`),
    index('uploads_released_idx')
      .on(t.releasedAt)
      .where(sql`${t.releasedAt} is not null and ${t.purgedAt} is null`),
    index('uploads_processing_idx')
      .on(t.updatedAt)
      .where(sql`${t.status} = 'processing'`),
    check('uploads_size_positive', sql`${t.sizeBytes} > 0`),
  ],
);

export type UploadRow = typeof uploads.$inferSelect;
