import { and, asc, eq, gt, gte, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../platform/db/types';
import type { UserDirectory } from '../users';
import { users } from '../users/users.table';
import { follows } from './social.table';

/**
 * Read-only views of the follow graph for the feed's fan-out and read-time merge. Each is one
 * indexed query (follows_followee_idx / follows_follower_idx).
 */
export interface FollowGraph {
  /** Followers of `sellerId` active since `activeSince`, a page at a time in follow-id order. */
  activeFollowers(
    sellerId: string,
    activeSince: Date,
    afterFollowId: string | null,
    limit: number,
  ): Promise<{ userIds: string[]; next: string | null }>;
  followerCount(userId: string): Promise<number>;
  /** Everyone `userId` follows (the feed rebuild reads their newest items). */
  followingIds(userId: string): Promise<string[]>;
  /** Followed sellers with more than `minFollowers` followers (merged at read time). */
  followedLargeSellers(userId: string, minFollowers: number): Promise<string[]>;
  /** Which of `sellerIds` the user follows now. */
  followedAmong(userId: string, sellerIds: string[]): Promise<Set<string>>;
}

export function createFollowGraph(
  db: Database,
  directory: Pick<UserDirectory, 'followerCount'>,
): FollowGraph {
  return {
    async activeFollowers(sellerId, activeSince, afterFollowId, limit) {
      // The page is cut on follows (index order); the activity filter applies within it.
      const page = db
        .select({ id: follows.id, followerId: follows.followerId })
        .from(follows)
        .where(
          and(
            eq(follows.followeeId, sellerId),
            afterFollowId ? gt(follows.id, afterFollowId) : undefined,
          ),
        )
        .orderBy(asc(follows.id))
        .limit(limit)
        .as('page');
      const rows = await db
        .select({
          id: page.id,
          userId: page.followerId,
          active: sql<boolean>`${gte(users.lastActiveAt, activeSince)}`,
        })
        .from(page)
        .innerJoin(users, eq(users.id, page.followerId))
        .where(sql`${users.deletedAt} is null`)
        .orderBy(asc(page.id));
      const last = rows[rows.length - 1];
      return {
        userIds: rows.filter((r) => r.active).map((r) => r.userId),
        next: rows.length > 0 && last ? last.id : null,
      };
    },
    followerCount: (userId) => directory.followerCount(userId),
    async followingIds(userId) {
      const rows = await db
        .select({ id: follows.followeeId })
        .from(follows)
        .where(eq(follows.followerId, userId));
      return rows.map((r) => r.id);
    },
    async followedLargeSellers(userId, minFollowers) {
      const rows = await db
        .select({ id: follows.followeeId })
        .from(follows)
        .innerJoin(users, eq(users.id, follows.followeeId))
        .where(and(eq(follows.followerId, userId), gt(users.followerCount, minFollowers)));
      return rows.map((r) => r.id);
    },
    async followedAmong(userId, sellerIds) {
      if (sellerIds.length === 0) return new Set();
      const rows = await db
        .select({ id: follows.followeeId })
        .from(follows)
        .where(
          and(eq(follows.followerId, userId), inArray(follows.followeeId, [...new Set(sellerIds)])),
        );
      return new Set(rows.map((r) => r.id));
    },
  };
}
