import { and, asc, desc, eq, gt, inArray, lt } from 'drizzle-orm';
import type { Database, Executor } from '../../platform/db/types';
import { newId } from '../../platform/ids';
import { itemFavorites, itemLikes } from './social.table';

export type Reaction = 'like' | 'favorite';

const table = (kind: Reaction) => (kind === 'like' ? itemLikes : itemFavorites);

/** Every query on likes and favourites. */
export class ReactionsRepository {
  constructor(private readonly db: Database) {}

  async insert(tx: Executor, kind: Reaction, itemId: string, userId: string): Promise<boolean> {
    const t = table(kind);
    const rows = await tx
      .insert(t)
      .values({ id: newId(), itemId, userId })
      .onConflictDoNothing()
      .returning({ id: t.id });
    return rows.length > 0;
  }

  async delete(tx: Executor, kind: Reaction, itemId: string, userId: string): Promise<boolean> {
    const t = table(kind);
    const rows = await tx
      .delete(t)
      .where(and(eq(t.itemId, itemId), eq(t.userId, userId)))
      .returning({ id: t.id });
    return rows.length > 0;
  }

  /** The viewer's likes and favourites among `itemIds`: two indexed queries for a whole page. */
  async viewerState(
    userId: string,
    itemIds: string[],
  ): Promise<{ liked: Set<string>; favorited: Set<string> }> {
    if (itemIds.length === 0) return { liked: new Set(), favorited: new Set() };
    const [liked, favorited] = await Promise.all(
      [itemLikes, itemFavorites].map((t) =>
        this.db
          .select({ itemId: t.itemId })
          .from(t)
          .where(and(eq(t.userId, userId), inArray(t.itemId, itemIds))),
      ),
    );
    return {
      liked: new Set(liked!.map((r) => r.itemId)),
      favorited: new Set(favorited!.map((r) => r.itemId)),
    };
  }

  async favoritesPage(userId: string, limit: number, beforeId: string | undefined) {
    return this.db
      .select({
        id: itemFavorites.id,
        itemId: itemFavorites.itemId,
        createdAt: itemFavorites.createdAt,
      })
      .from(itemFavorites)
      .where(
        and(
          eq(itemFavorites.userId, userId),
          beforeId ? lt(itemFavorites.id, beforeId) : undefined,
        ),
      )
      .orderBy(desc(itemFavorites.id))
      .limit(limit);
  }

  async favoritersOf(itemId: string, afterUserId: string | null, limit: number): Promise<string[]> {
    const rows = await this.db
      .select({ userId: itemFavorites.userId })
      .from(itemFavorites)
      .where(
        and(
          eq(itemFavorites.itemId, itemId),
          afterUserId ? gt(itemFavorites.userId, afterUserId) : undefined,
        ),
      )
      .orderBy(asc(itemFavorites.userId))
      .limit(limit);
    return rows.map((r) => r.userId);
  }

  /** Up to `limit` of the user's likes or favourites (account deletion and export). */
  ofUser(kind: Reaction, userId: string, limit: number, executor: Executor = this.db) {
    const t = table(kind);
    return executor
      .select({ itemId: t.itemId, createdAt: t.createdAt })
      .from(t)
      .where(eq(t.userId, userId))
      .orderBy(asc(t.id))
      .limit(limit);
  }
}
