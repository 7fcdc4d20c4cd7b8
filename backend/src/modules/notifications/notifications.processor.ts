import type { Notification, UserSummary, WsServerEvent } from '@hanger/contracts';
import type { Logger } from 'pino';
import type { ActivityEvent } from './notifications.activity';
import { toNotification } from './notifications.mapper';
import type { NotificationsRepository } from './notifications.repository';

/** What the worker needs to know about people, supplied by the users and social modules. */
export interface NotificationAudience {
  summaries(ids: string[]): Promise<Map<string, UserSummary>>;
  /** Muted types of active users; a recipient missing from the map is deleted: skip them. */
  mutedTypes(ids: string[]): Promise<Map<string, Set<string>>>;
  /** Which of `userIds` have a block with `actorId`, in either direction. */
  blockedWith(actorId: string, userIds: string[]): Promise<Set<string>>;
  /** Users who saved the item, a page at a time in id order. */
  favoritersOf(itemId: string, afterUserId: string | null, limit: number): Promise<string[]>;
}

export type Push = (userId: string, event: WsServerEvent) => Promise<void>;

interface Route {
  type: Notification['type'];
  groupKey: string;
  /** `single`: the event's subject user; `favoriters`: everyone who saved the item. */
  audience: 'single' | 'favoriters';
}

function routeOf(event: ActivityEvent): Route | null {
  const item = event.itemId ?? '';
  switch (event.type) {
    case 'follow.created':
      return { type: 'follow.created', groupKey: 'follow.created', audience: 'single' };
    case 'item.liked':
      return { type: 'item.liked', groupKey: `item.liked:${item}`, audience: 'single' };
    case 'item.commented':
      return { type: 'item.commented', groupKey: `item.commented:${item}`, audience: 'single' };
    case 'item.reserved':
      return {
        type: 'favorite.reserved',
        groupKey: `favorite.reserved:${item}`,
        audience: 'favoriters',
      };
    case 'item.sold':
      return { type: 'favorite.sold', groupKey: `favorite.sold:${item}`, audience: 'favoriters' };
    case 'item.price_dropped':
      return {
        type: 'favorite.price_drop',
        groupKey: `favorite.price_drop:${item}`,
        audience: 'favoriters',
      };
    case 'saved_search.match':
      return {
        type: 'saved_search.match',
        groupKey: `saved_search.match:${event.data.savedSearchId ?? item}`,
        audience: 'single',
      };
    default:
      return null;
  }
}

const FANOUT_BATCH = 500;

/**
 * The worker side: one event in, notifications out. Never to the actor, never across a block,
 * never a muted type, never to a deleted account; each (event, recipient) at most once, so the
 * job can run any number of times. After each commit the recipient's sockets get the
 * notification and the new unread count.
 */
export class NotificationProcessor {
  constructor(
    private readonly repo: NotificationsRepository,
    private readonly audience: NotificationAudience,
    private readonly push: Push,
    private readonly log: Logger,
  ) {}

  async recordAndProcess(event: ActivityEvent): Promise<void> {
    await this.repo.insertEvent(event);
    await this.process(event.id);
  }

  async process(eventId: string): Promise<void> {
    const event = await this.repo.event(eventId);
    if (!event) return;
    const route = routeOf(event);
    if (!route) {
      this.log.warn({ eventId, type: event.type }, 'activity event with no notification route');
      return;
    }
    if (route.audience === 'single') {
      if (event.subjectUserId) await this.deliverTo(event, route, [event.subjectUserId]);
      return;
    }
    if (!event.itemId) return;
    let after: string | null = null;
    for (;;) {
      const batch = await this.audience.favoritersOf(event.itemId, after, FANOUT_BATCH);
      if (batch.length === 0) return;
      await this.deliverTo(event, route, batch);
      if (batch.length < FANOUT_BATCH) return;
      after = batch[batch.length - 1]!;
    }
  }

  private async deliverTo(event: ActivityEvent, route: Route, candidates: string[]) {
    const others = candidates.filter((id) => id !== event.actorId);
    if (others.length === 0) return;
    const [muted, blocked] = await Promise.all([
      this.audience.mutedTypes(others),
      event.actorId ? this.audience.blockedWith(event.actorId, others) : new Set<string>(),
    ]);
    for (const recipientId of others) {
      const mutes = muted.get(recipientId);
      if (!mutes || mutes.has(route.type) || blocked.has(recipientId)) continue;
      const row = await this.repo.deliver({
        eventId: event.id,
        recipientId,
        type: route.type,
        groupKey: route.groupKey,
        itemId: event.itemId,
        actorId: event.actorId,
        data: event.data,
      });
      if (row) await this.announce(recipientId, row);
    }
  }

  private async announce(recipientId: string, row: Parameters<typeof toNotification>[0]) {
    try {
      const [users, count] = await Promise.all([
        this.audience.summaries(row.recentActorIds),
        this.repo.unreadCount(recipientId),
      ]);
      await this.push(recipientId, {
        type: 'notification.created',
        notification: toNotification(row, users),
      });
      await this.push(recipientId, { type: 'notification.unread_count', count });
    } catch (err) {
      // Committed already; live delivery is best effort (clients refetch on reconnect).
      this.log.warn({ err, recipientId }, 'could not push a notification');
    }
  }
}
