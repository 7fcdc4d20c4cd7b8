import type { UserSummary } from '@hanger/contracts';
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Database, Executor } from '../../platform/db/types';
import { users } from './users.table';

/**
 * What the social, comments and notifications modules need to know about users, answered by the
 * users module (the only one that queries the users table), each in one query.
 */
export interface UserDirectory {
  /** The active (not deleted) user with this username, case-insensitively. */
  activeByUsername(username: string): Promise<{ id: string; username: string } | undefined>;
  /** Summaries of the given users (deleted accounts are left out), in one query. */
  summaries(ids: string[]): Promise<Map<string, UserSummary>>;
  /** Muted notification types of active users (absent = deleted or unknown). */
  mutedTypes(ids: string[]): Promise<Map<string, Set<string>>>;
  /** Moves both follow counters by `delta` inside the caller's transaction. */
  adjustFollowCounts(
    tx: Executor,
    followerId: string,
    followeeId: string,
    delta: 1 | -1,
  ): Promise<void>;
  followerCount(userId: string, executor?: Executor): Promise<number>;
}

export function createUserDirectory(
  db: Database,
  avatars: (uploadIds: string[]) => Promise<Map<string, NonNullable<UserSummary['avatar']>>> = () =>
    Promise.resolve(new Map<string, NonNullable<UserSummary['avatar']>>()),
): UserDirectory {
  return {
    async activeByUsername(username) {
      const [row] = await db
        .select({ id: users.id, username: users.username })
        .from(users)
        .where(and(sql`lower(${users.username}) = lower(${username})`, isNull(users.deletedAt)))
        .limit(1);
      return row;
    },
    async summaries(ids) {
      const out = new Map<string, UserSummary>();
      if (ids.length === 0) return out;
      const rows = await db
        .select({
          id: users.id,
          username: users.username,
          displayName: users.displayName,
          avatarUploadId: users.avatarUploadId,
        })
        .from(users)
        .where(and(inArray(users.id, [...new Set(ids)]), isNull(users.deletedAt)));
      const uploadIds = rows.flatMap((r) => (r.avatarUploadId ? [r.avatarUploadId] : []));
      const avatarMap =
        uploadIds.length > 0
          ? await avatars(uploadIds)
          : new Map<string, NonNullable<UserSummary['avatar']>>();
      for (const r of rows) {
        out.set(r.id, {
          id: r.id,
          username: r.username,
          displayName: r.displayName,
          avatar: (r.avatarUploadId && avatarMap.get(r.avatarUploadId)) || null,
        });
      }
      return out;
    },
    async mutedTypes(ids) {
      const out = new Map<string, Set<string>>();
      if (ids.length === 0) return out;
      const rows = await db
        .select({ id: users.id, muted: users.mutedNotificationTypes })
        .from(users)
        .where(and(inArray(users.id, [...new Set(ids)]), isNull(users.deletedAt)));
      for (const r of rows) out.set(r.id, new Set(r.muted));
      return out;
    },
    async adjustFollowCounts(tx, followerId, followeeId, delta) {
      await tx
        .update(users)
        .set({ followingCount: sql`${users.followingCount} + ${delta}` })
        .where(eq(users.id, followerId));
      await tx
        .update(users)
        .set({ followerCount: sql`${users.followerCount} + ${delta}` })
        .where(eq(users.id, followeeId));
    },
    async followerCount(userId, executor = db) {
      const [row] = await executor
        .select({ n: users.followerCount })
        .from(users)
        .where(eq(users.id, userId));
      return row?.n ?? 0;
    },
  };
}
