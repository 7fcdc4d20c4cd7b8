import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Database } from '../../platform/db/types';
import { queryRows } from '../../platform/db/types';

/** Entries kept per home timeline; older ones fall off as new ones arrive. */
export const TIMELINE_CAP = 800;

/**
 * Per-user home timelines of item ids. UUIDv7 ids sort by time, so ids are both the order and
 * the cursor. Services mode: Redis sorted sets (all scores 0, lexicographic order). Embedded: a
 * table. Both cap each timeline at TIMELINE_CAP.
 */
export interface TimelineStore {
  /** Adds one item to many timelines (fan-out on write); idempotent. */
  push(userIds: string[], itemId: string): Promise<void>;
  /** Newest first, ids strictly below `beforeId`. */
  page(userId: string, beforeId: string | null, limit: number): Promise<string[]>;
  /** Replaces a timeline wholesale (rebuild after a long absence). */
  replace(userId: string, itemIds: string[]): Promise<void>;
  /** Drops entries (an item that will never show again). */
  remove(userId: string, itemIds: string[]): Promise<void>;
}

export class RedisTimelineStore implements TimelineStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(userId: string) {
    return `${this.prefix}:tl:${userId}`;
  }

  async push(userIds: string[], itemId: string): Promise<void> {
    if (userIds.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const userId of userIds) {
      const key = this.key(userId);
      pipeline.zadd(key, 0, itemId);
      pipeline.zremrangebyrank(key, 0, -(TIMELINE_CAP + 1));
    }
    await pipeline.exec();
  }

  async page(userId: string, beforeId: string | null, limit: number): Promise<string[]> {
    const max = beforeId ? `(${beforeId}` : '+';
    return (await this.redis.call(
      'ZRANGE',
      this.key(userId),
      max,
      '-',
      'BYLEX',
      'REV',
      'LIMIT',
      0,
      limit,
    )) as string[];
  }

  async replace(userId: string, itemIds: string[]): Promise<void> {
    const key = this.key(userId);
    const pipeline = this.redis.multi().del(key);
    const ids = itemIds.slice(0, TIMELINE_CAP);
    if (ids.length > 0) pipeline.zadd(key, ...ids.flatMap((id) => [0, id]));
    await pipeline.exec();
  }

  async remove(userId: string, itemIds: string[]): Promise<void> {
    if (itemIds.length > 0) await this.redis.zrem(this.key(userId), ...itemIds);
  }
}

const uuidArray = (ids: string[]) => `{${ids.join(',')}}`;

export class TableTimelineStore implements TimelineStore {
  constructor(private readonly db: Database) {}

  async push(userIds: string[], itemId: string): Promise<void> {
    if (userIds.length === 0) return;
    await this.db.execute(sql`
      insert into feed_timelines (user_id, item_id)
      select u, ${itemId}::uuid from unnest(${uuidArray(userIds)}::uuid[]) as u
      on conflict do nothing`);
    await this.db.execute(sql`
      delete from feed_timelines f
      where f.user_id = any(${uuidArray(userIds)}::uuid[])
        and f.item_id <= (
          select t.item_id from feed_timelines t where t.user_id = f.user_id
          order by t.item_id desc offset ${TIMELINE_CAP} limit 1)`);
  }

  async page(userId: string, beforeId: string | null, limit: number): Promise<string[]> {
    const rows = await queryRows<{ item_id: string }>(
      this.db,
      sql`select item_id from feed_timelines
          where user_id = ${userId} ${beforeId ? sql`and item_id < ${beforeId}` : sql``}
          order by item_id desc limit ${limit}`,
    );
    return rows.map((r) => r.item_id);
  }

  async replace(userId: string, itemIds: string[]): Promise<void> {
    const ids = itemIds.slice(0, TIMELINE_CAP);
    await this.db.transaction(async (tx) => {
      await tx.execute(sql`delete from feed_timelines where user_id = ${userId}`);
      if (ids.length > 0) {
        await tx.execute(sql`
          insert into feed_timelines (user_id, item_id)
          select ${userId}::uuid, i from unnest(${uuidArray(ids)}::uuid[]) as i
          on conflict do nothing`);
      }
    });
  }

  async remove(userId: string, itemIds: string[]): Promise<void> {
    if (itemIds.length === 0) return;
    await this.db.execute(sql`
      delete from feed_timelines
      where user_id = ${userId} and item_id = any(${uuidArray(itemIds)}::uuid[])`);
  }
}
