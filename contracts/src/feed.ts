import { z } from 'zod';
import { item } from './listings';

/** Why an item is in the feed: from a followed seller, or a popular (nearby) fill-in. */
export const feedReason = z.enum(['followed', 'popular']);
export type FeedReason = z.infer<typeof feedReason>;

export const feedQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(24),
  cursor: z.string().max(512).optional(),
  /** A point for "nearby" fill-ins (visitors, or users without a location). */
  lat: z.coerce.number().min(-90).max(90).optional(),
  lng: z.coerce.number().min(-180).max(180).optional(),
});
export type FeedQuery = z.infer<typeof feedQuery>;

export const feedItem = item.extend({ reason: feedReason }).meta({ id: 'FeedItem' });
export type FeedItem = z.infer<typeof feedItem>;

export const feedResponse = z
  .object({
    data: z.array(feedItem),
    meta: z.object({
      nextCursor: z.string().nullable(),
      /** The timeline is being rebuilt (first visit after 30+ days away); refetch shortly. */
      rebuilding: z.boolean(),
    }),
  })
  .meta({ id: 'FeedPage' });
export type FeedResponse = z.infer<typeof feedResponse>;
