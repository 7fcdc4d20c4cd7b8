import type { Notification, NotificationsQuery, UserSummary } from '@hanger/contracts';
import type { Logger } from 'pino';
import { notFound } from '../../platform/errors';
import { timeIdCursor } from '../../platform/http/cursor';
import { toNotification } from './notifications.mapper';
import type { Push } from './notifications.processor';
import type { NotificationsRepository } from './notifications.repository';

/** The inbox as its owner sees it. Every method is scoped to the caller's own notifications. */
export class NotificationsService {
  constructor(
    private readonly repo: NotificationsRepository,
    private readonly summaries: (ids: string[]) => Promise<Map<string, UserSummary>>,
    private readonly push: Push,
    private readonly log: Logger,
  ) {}

  async list(
    userId: string,
    query: NotificationsQuery,
  ): Promise<{ items: Notification[]; nextCursor: string | null }> {
    const after = query.cursor ? timeIdCursor.decode(query.cursor) : undefined;
    const rows = await this.repo.page(userId, {
      unread: query.unread,
      limit: query.limit + 1,
      after,
    });
    const page = rows.slice(0, query.limit);
    const users = await this.summaries(page.flatMap((r) => r.recentActorIds));
    const last = page[page.length - 1];
    return {
      items: page.map((r) => toNotification(r, users)),
      nextCursor:
        rows.length > query.limit && last ? timeIdCursor.encode(last.updatedAt, last.id) : null,
    };
  }

  unreadCount(userId: string): Promise<number> {
    return this.repo.unreadCount(userId);
  }

  /** Idempotent; someone else's notification is reported as not found. */
  async markRead(userId: string, id: string): Promise<number> {
    if (!(await this.repo.markRead(userId, id))) throw notFound('Notification');
    return this.announceCount(userId);
  }

  async markAllRead(userId: string): Promise<number> {
    await this.repo.markAllRead(userId);
    return this.announceCount(userId);
  }

  /** Other tabs and devices of the user update their badge at once. */
  private async announceCount(userId: string): Promise<number> {
    const count = await this.repo.unreadCount(userId);
    await this.push(userId, { type: 'notification.unread_count', count }).catch((err: unknown) =>
      this.log.warn({ err }, 'could not push the unread count'),
    );
    return count;
  }
}
