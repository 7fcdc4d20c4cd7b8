import type { JobRegistry } from '../../platform/queue/registry';
import { isUuid, newId } from '../../platform/ids';
import type { NotificationProcessor } from './notifications.processor';

/** Item status values the listings module reports. */
export type ItemStatus = 'active' | 'reserved' | 'sold' | 'hidden';

/**
 * Subscribers for the listings module's events (`item.statusChanged`, `item.updated`), wired in
 * composition.ts: favouriters hear about reserved/sold items and price drops. The listings job
 * id (its outbox row id) becomes the activity event id, so a re-run adds nothing.
 */
export function listingSubscribers(
  processor: NotificationProcessor,
  itemTitle: (itemId: string) => Promise<string | undefined>,
) {
  const eventId = (jobId: string) => (isUuid(jobId) ? jobId : newId());
  return {
    async statusChanged(
      p: { itemId: string; sellerId: string; from: ItemStatus; to: ItemStatus },
      ctx: { jobId: string },
    ): Promise<void> {
      if (p.from === p.to || (p.to !== 'reserved' && p.to !== 'sold')) return;
      const title = await itemTitle(p.itemId);
      if (title === undefined) return;
      await processor.recordAndProcess({
        id: eventId(ctx.jobId),
        type: p.to === 'reserved' ? 'item.reserved' : 'item.sold',
        actorId: p.sellerId,
        subjectUserId: p.sellerId,
        itemId: p.itemId,
        data: { title },
      });
    },
    async updated(
      p: {
        itemId: string;
        sellerId: string;
        priceDrop: { fromCents: number; toCents: number; currency: string } | null;
      },
      ctx: { jobId: string },
    ): Promise<void> {
      if (!p.priceDrop || p.priceDrop.toCents >= p.priceDrop.fromCents) return;
      const title = await itemTitle(p.itemId);
      if (title === undefined) return;
      await processor.recordAndProcess({
        id: eventId(ctx.jobId),
        type: 'item.price_dropped',
        actorId: p.sellerId,
        subjectUserId: p.sellerId,
        itemId: p.itemId,
        data: {
          title,
          priceCents: p.priceDrop.toCents,
          previousPriceCents: p.priceDrop.fromCents,
          currency: p.priceDrop.currency,
        },
      });
    },
  };
}

declare module '../../platform/queue/types' {
  interface JobMap {
    /** Turns one activity event (activity_events row) into notifications. Idempotent. */
    'notifications.processEvent': { eventId: string };
  }
}

export function registerNotificationJobs(registry: JobRegistry, processor: NotificationProcessor) {
  registry.define({
    name: 'notifications.processEvent',
    attempts: 5,
    backoffMs: 500,
    handle: ({ eventId }) => processor.process(eventId),
  });
}
