import type { ItemStatus } from '@hanger/contracts';
import type { JobRegistry } from '../../platform/queue/registry';
import type { JobContext, JobMap } from '../../platform/queue/types';

declare module '../../platform/queue/types' {
  interface JobMap {
    'item.created': { itemId: string; sellerId: string };
    'item.updated': {
      itemId: string;
      sellerId: string;
      /** Names of the fields that changed (`priceCents`, `title`, `images`, …). */
      changed: string[];
      /** Set when the price went down in the same currency (price-drop alerts). */
      priceDrop: { fromCents: number; toCents: number; currency: string } | null;
    };
    'item.statusChanged': {
      itemId: string;
      sellerId: string;
      from: ItemStatus;
      to: ItemStatus;
      by: 'seller' | 'moderator';
    };
    'item.deleted': { itemId: string; sellerId: string };
  }
}

export const listingEventNames = [
  'item.created',
  'item.updated',
  'item.statusChanged',
  'item.deleted',
] as const;
export type ListingEventName = (typeof listingEventNames)[number];

export type ListingEventHandler<N extends ListingEventName> = (
  payload: JobMap[N],
  ctx: JobContext,
) => Promise<void>;

/**
 * Listing events, committed with the write through the outbox and delivered as jobs. Other
 * modules subscribe here (composition.ts) instead of defining the jobs: each job has one handler,
 * which runs every subscriber in order. A failure retries the job, so subscribers must be
 * idempotent (they are jobs). With no subscriber, a job completes at once.
 */
export class ListingEvents {
  private readonly subscribers = new Map<ListingEventName, ListingEventHandler<never>[]>();

  on<N extends ListingEventName>(name: N, handler: ListingEventHandler<N>): this {
    const list = this.subscribers.get(name) ?? [];
    list.push(handler);
    this.subscribers.set(name, list);
    return this;
  }

  register(registry: JobRegistry): void {
    for (const name of listingEventNames) {
      registry.define({
        name,
        attempts: 5,
        backoffMs: 2_000,
        handle: async (payload, ctx) => {
          for (const handler of this.subscribers.get(name) ?? []) {
            await handler(payload as never, ctx);
          }
        },
      });
    }
  }
}
