import { z } from 'zod';
import { isoDateTime, pageQuery, uuid } from './common';
import { notificationType, userSummary } from './users';

/**
 * One inbox entry. Similar events are grouped while unread ("Ana and 12 others liked your
 * jacket"): `actors` are the most recent few (newest first), `actorCount` counts distinct people.
 */
export const notification = z
  .object({
    id: uuid,
    type: notificationType,
    actors: z.array(userSummary),
    actorCount: z.number().int(),
    item: z.object({ id: uuid, title: z.string() }).nullable(),
    /** Type-specific facts: prices for price drops, an excerpt for comments. */
    data: z.object({
      priceCents: z.number().int().optional(),
      previousPriceCents: z.number().int().optional(),
      currency: z.string().optional(),
      excerpt: z.string().optional(),
    }),
    /** A ready-to-show sentence in English; clients may build their own from the fields. */
    text: z.string(),
    read: z.boolean(),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: 'Notification' });
export type Notification = z.infer<typeof notification>;

const boolParam = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const notificationsQuery = pageQuery.extend({ unread: boolParam.optional() });
export type NotificationsQuery = z.infer<typeof notificationsQuery>;

export const unreadCount = z.object({ count: z.number().int() }).meta({ id: 'UnreadCount' });
export type UnreadCount = z.infer<typeof unreadCount>;
