import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The transactional outbox and the durable record of every job a write caused. A row is written in
 * the same transaction as the write; the relay puts it on the queue; the worker marks it completed
 * (or failed for good). Rows not completed are re-enqueued on start-up and after a timeout, so
 * losing the queue (process killed, Redis flushed) loses no work.
 */
export const outboxJobs = pgTable(
  'outbox_jobs',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    payload: jsonb('payload').notNull(),
    traceparent: text('traceparent'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    enqueuedAt: timestamp('enqueued_at', { withTimezone: true }),
    enqueueCount: integer('enqueue_count').notNull().default(0),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    failedAt: timestamp('failed_at', { withTimezone: true }),
    lastError: text('last_error'),
  },
  (t) => [
    index('outbox_jobs_pending_idx')
      .on(t.createdAt)
      .where(sql`${t.completedAt} is null and ${t.failedAt} is null`),
    index('outbox_jobs_completed_idx').on(t.completedAt),
  ],
);
