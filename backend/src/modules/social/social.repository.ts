import { and, desc, eq, inArray, lt, notInArray, or, sql } from 'drizzle-orm';
import type { Database, Executor } from '../../platform/db/types';
import { newId } from '../../platform/ids';
import { blocks, follows } from './social.table';

export interface Edge {
  id: string;
  userId: string;
  createdAt: Date;
}

/** Every query on follows and blocks. */
export class SocialRepository {
  constructor(private readonly db: Database) {}

  /**
   * Serialises follow/block changes of one pair of users (either order) for the transaction, so
   * a follow racing a block cannot slip through.
   */
  async lockPair(tx: Executor, a: string, b: string): Promise<void> {
    const [lo, hi] = a < b ? [a, b] : [b, a];
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`pair:${lo}:${hi}`}, 0))`);
  }

  async insertFollow(tx: Executor, followerId: string, followeeId: string): Promise<boolean> {
    const rows = await tx
      .insert(follows)
      .values({ id: newId(), followerId, followeeId })
      .onConflictDoNothing()
      .returning({ id: follows.id });
    return rows.length > 0;
  }

  async deleteFollow(tx: Executor, followerId: string, followeeId: string): Promise<boolean> {
    const rows = await tx
      .delete(follows)
      .where(and(eq(follows.followerId, followerId), eq(follows.followeeId, followeeId)))
      .returning({ id: follows.id });
    return rows.length > 0;
  }

  async isBlockedEitherWay(a: string, b: string, executor: Executor = this.db): Promise<boolean> {
    const [row] = await executor
      .select({ id: blocks.id })
      .from(blocks)
      .where(
        or(
          and(eq(blocks.blockerId, a), eq(blocks.blockedId, b)),
          and(eq(blocks.blockerId, b), eq(blocks.blockedId, a)),
        ),
      )
      .limit(1);
    return Boolean(row);
  }

  /** Which of `userIds` have a block with `userId`, either direction. */
  async blockedWith(userId: string, userIds: string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const rows = await this.db
      .select({ blockerId: blocks.blockerId, blockedId: blocks.blockedId })
      .from(blocks)
      .where(
        or(
          and(eq(blocks.blockerId, userId), inArray(blocks.blockedId, userIds)),
          and(eq(blocks.blockedId, userId), inArray(blocks.blockerId, userIds)),
        ),
      );
    return new Set(rows.map((r) => (r.blockerId === userId ? r.blockedId : r.blockerId)));
  }

  async insertBlock(tx: Executor, blockerId: string, blockedId: string): Promise<boolean> {
    const rows = await tx
      .insert(blocks)
      .values({ id: newId(), blockerId, blockedId })
      .onConflictDoNothing()
      .returning({ id: blocks.id });
    return rows.length > 0;
  }

  async deleteBlock(blockerId: string, blockedId: string): Promise<void> {
    await this.db
      .delete(blocks)
      .where(and(eq(blocks.blockerId, blockerId), eq(blocks.blockedId, blockedId)));
  }

  /** Followers of `userId` (or whom they follow), newest first, minus people the viewer blocked. */
  async followPage(
    direction: 'followers' | 'following',
    userId: string,
    viewerId: string | null,
    limit: number,
    beforeId: string | undefined,
  ): Promise<Edge[]> {
    const [own, other] =
      direction === 'followers'
        ? [follows.followeeId, follows.followerId]
        : [follows.followerId, follows.followeeId];
    const hidden = viewerId
      ? notInArray(
          other,
          this.db
            .select({ id: blocks.blockedId })
            .from(blocks)
            .where(eq(blocks.blockerId, viewerId)),
        )
      : undefined;
    return this.db
      .select({ id: follows.id, userId: other, createdAt: follows.createdAt })
      .from(follows)
      .where(and(eq(own, userId), beforeId ? lt(follows.id, beforeId) : undefined, hidden))
      .orderBy(desc(follows.id))
      .limit(limit);
  }

  async blockPage(blockerId: string, limit: number, beforeId: string | undefined): Promise<Edge[]> {
    return this.db
      .select({ id: blocks.id, userId: blocks.blockedId, createdAt: blocks.createdAt })
      .from(blocks)
      .where(and(eq(blocks.blockerId, blockerId), beforeId ? lt(blocks.id, beforeId) : undefined))
      .orderBy(desc(blocks.id))
      .limit(limit);
  }

  /** Which of `userIds` the viewer follows. */
  async followedBy(viewerId: string, userIds: string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const rows = await this.db
      .select({ id: follows.followeeId })
      .from(follows)
      .where(and(eq(follows.followerId, viewerId), inArray(follows.followeeId, userIds)));
    return new Set(rows.map((r) => r.id));
  }

  /** Users the viewer blocked plus users who blocked the viewer. */
  async blockedIds(viewerId: string): Promise<Set<string>> {
    const rows = await this.db
      .select({ blockerId: blocks.blockerId, blockedId: blocks.blockedId })
      .from(blocks)
      .where(or(eq(blocks.blockerId, viewerId), eq(blocks.blockedId, viewerId)));
    return new Set(rows.map((r) => (r.blockerId === viewerId ? r.blockedId : r.blockerId)));
  }

  /** Up to `limit` follow edges touching the user, either direction (account deletion). */
  edgesOf(tx: Executor, userId: string, limit: number) {
    return tx
      .select({ followerId: follows.followerId, followeeId: follows.followeeId })
      .from(follows)
      .where(or(eq(follows.followerId, userId), eq(follows.followeeId, userId)))
      .limit(limit);
  }

  async deleteBlocksOf(userId: string): Promise<void> {
    await this.db
      .delete(blocks)
      .where(or(eq(blocks.blockerId, userId), eq(blocks.blockedId, userId)));
  }

  /** Ids the user follows and is followed by, for the data export. */
  async graphOf(userId: string): Promise<{ following: string[]; followers: string[] }> {
    const [following, followers] = await Promise.all([
      this.db
        .select({ id: follows.followeeId })
        .from(follows)
        .where(eq(follows.followerId, userId)),
      this.db
        .select({ id: follows.followerId })
        .from(follows)
        .where(eq(follows.followeeId, userId)),
    ]);
    return { following: following.map((r) => r.id), followers: followers.map((r) => r.id) };
  }
}
