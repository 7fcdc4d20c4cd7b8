import { sql } from 'drizzle-orm';
import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Every outgoing mail, written in the transaction that caused it. The `mail.send` job delivers it
 * over SMTP when SMTP_URL is set; without SMTP the table is the dev mailbox (GET /api/v1/dev/mailbox).
 */
export const mailOutbox = pgTable(
  'mail_outbox',
  {
    id: uuid().primaryKey(),
    to: text().notNull(),
    subject: text().notNull(),
    text: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp({ withTimezone: true }),
  },
  (t) => [index('mail_outbox_to_idx').on(sql`lower(${t.to})`, t.createdAt)],
);
