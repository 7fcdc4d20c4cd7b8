import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database, Executor } from '../../platform/db/types';
import { newId } from '../../platform/ids';
import type { ActivityData, ActivityEvent } from './notifications.activity';
import {
  activityEvents,
  notificationActors,
  notificationReceipts,
  notifications,
} from './notifications.table';

export type NotificationRow = typeof notifications.$inferSelect;

export interface GroupedInsert {
  eventId: string;
  recipientId: string;
  type: string;
  groupKey: string;
  itemId: string | null;
  actorId: string | null;
  data: ActivityData;
}

/** Every query on the notification tables. */
export class NotificationsRepository {
  constructor(private readonly db: Database) {}

  async event(id: string): Promise<ActivityEvent | undefined> {
    const [row] = await this.db
      .select()
      .from(activityEvents)
      .where(eq(activityEvents.id, id))
      .limit(1);
    return (
      row && { ...row, type: row.type as ActivityEvent['type'], data: row.data as ActivityData }
    );
  }

  /** Inserts the event unless it is already there (a re-run job reuses its id). */
  async insertEvent(event: ActivityEvent): Promise<void> {
    await this.db.insert(activityEvents).values(event).onConflictDoNothing();
  }

  /**
   * Delivers one event to one recipient, folding it into the recipient's unread notification of
   * the same group if there is one. Returns null when this (event, recipient) was handled before.
   */
  deliver(input: GroupedInsert): Promise<NotificationRow | null> {
    return this.db.transaction(async (tx) => {
      const receipt = await tx
        .insert(notificationReceipts)
        .values({ eventId: input.eventId, recipientId: input.recipientId })
        .onConflictDoNothing()
        .returning({ eventId: notificationReceipts.eventId });
      if (receipt.length === 0) return null;

      const now = new Date();
      const [row] = await tx
        .insert(notifications)
        .values({
          id: newId(),
          recipientId: input.recipientId,
          type: input.type,
          groupKey: input.groupKey,
          itemId: input.itemId,
          data: input.data,
          createdAt: now,
          updatedAt: now,
        })
        .onConflictDoUpdate({
          target: [notifications.recipientId, notifications.groupKey],
          targetWhere: sql`${notifications.readAt} is null`,
          set: { updatedAt: now, data: input.data },
        })
        .returning();
      let result = row!;
      if (input.actorId) {
        const added = await tx
          .insert(notificationActors)
          .values({ notificationId: result.id, actorId: input.actorId })
          .onConflictDoNothing()
          .returning({ actorId: notificationActors.actorId });
        const actor = sql`${input.actorId}::uuid`;
        [result] = (await tx
          .update(notifications)
          .set({
            actorCount: sql`${notifications.actorCount} + ${added.length}`,
            recentActorIds: sql`(array[${actor}] || array_remove(${notifications.recentActorIds}, ${actor}))[1:3]`,
          })
          .where(eq(notifications.id, result.id))
          .returning()) as [NotificationRow];
      }
      return result;
    });
  }

  async page(
    recipientId: string,
    options: { unread?: boolean; limit: number; after?: { at: Date; id: string } },
  ): Promise<NotificationRow[]> {
    const { after } = options;
    return this.db
      .select()
      .from(notifications)
      .where(
        and(
          eq(notifications.recipientId, recipientId),
          options.unread ? isNull(notifications.readAt) : undefined,
          after
            ? or(
                lt(notifications.updatedAt, after.at),
                and(eq(notifications.updatedAt, after.at), lt(notifications.id, after.id)),
              )
            : undefined,
        ),
      )
      .orderBy(desc(notifications.updatedAt), desc(notifications.id))
      .limit(options.limit);
  }

  async unreadCount(recipientId: string, executor: Executor = this.db): Promise<number> {
    const [row] = await executor
      .select({ n: sql<number>`count(*)::int` })
      .from(notifications)
      .where(and(eq(notifications.recipientId, recipientId), isNull(notifications.readAt)));
    return row?.n ?? 0;
  }

  /** Marks one of the recipient's notifications read; false when it is not theirs or missing. */
  async markRead(recipientId: string, id: string): Promise<boolean> {
    const [row] = await this.db
      .update(notifications)
      .set({ readAt: sql`coalesce(${notifications.readAt}, now())` })
      .where(and(eq(notifications.id, id), eq(notifications.recipientId, recipientId)))
      .returning({ id: notifications.id });
    return Boolean(row);
  }

  async markAllRead(recipientId: string): Promise<number> {
    const rows = await this.db
      .update(notifications)
      .set({ readAt: sql`now()` })
      .where(and(eq(notifications.recipientId, recipientId), isNull(notifications.readAt)))
      .returning({ id: notifications.id });
    return rows.length;
  }
}
