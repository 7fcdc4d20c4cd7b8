import type { Emit } from '../../platform/outbox/outbox';
import type { Executor } from '../../platform/db/types';
import { newId } from '../../platform/ids';
import { activityEvents } from './notifications.table';

/** What happened, as recorded in the append-only log. */
export type ActivityType =
  | 'follow.created'
  | 'item.liked'
  | 'item.commented'
  | 'item.reserved'
  | 'item.sold'
  | 'item.price_dropped'
  | 'saved_search.match';

export interface ActivityData {
  title?: string;
  excerpt?: string;
  commentId?: string;
  priceCents?: number;
  previousPriceCents?: number;
  currency?: string;
  /** saved_search.match: the search's name and how many new items this notice covers. */
  searchName?: string;
  savedSearchId?: string;
  count?: number;
}

export interface ActivityEvent {
  id: string;
  type: ActivityType;
  actorId: string | null;
  subjectUserId: string | null;
  itemId: string | null;
  data: ActivityData;
}

/**
 * Appends an event inside the caller's outbox transaction, with the job that turns it into
 * notifications: the write, the event and the job commit or roll back together.
 */
export async function recordActivity(
  tx: Executor,
  emit: Emit,
  event: Omit<ActivityEvent, 'id'>,
): Promise<string> {
  const id = newId();
  await tx.insert(activityEvents).values({ id, ...event });
  await emit('notifications.processEvent', { eventId: id });
  return id;
}
