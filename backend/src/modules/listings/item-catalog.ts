import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Database, Executor } from '../../platform/db/types';
import { items } from './listings.table';

export interface ItemFacts {
  id: string;
  sellerId: string;
  title: string;
  status: 'active' | 'reserved' | 'sold' | 'hidden';
}

export type ItemCounter = 'likeCount' | 'favoriteCount' | 'commentCount';

/**
 * What social and comments need from listings: an item's facts and its three counters, moved
 * inside the caller's transaction (listings is the only module that touches the items table).
 */
export interface ItemCatalog {
  /** A live (not deleted) item, or undefined. */
  facts(itemId: string, executor?: Executor): Promise<ItemFacts | undefined>;
  /** Adds `delta` to the counter and returns its new value. */
  adjust(tx: Executor, itemId: string, counter: ItemCounter, delta: number): Promise<number>;
  count(itemId: string, counter: ItemCounter, executor?: Executor): Promise<number>;
}

export function createItemCatalog(db: Database): ItemCatalog {
  return {
    async facts(itemId, executor = db) {
      const [row] = await executor
        .select({
          id: items.id,
          sellerId: items.sellerId,
          title: items.title,
          status: items.status,
        })
        .from(items)
        .where(and(eq(items.id, itemId), isNull(items.deletedAt)))
        .limit(1);
      return row;
    },
    async adjust(tx, itemId, counter, delta) {
      const [row] = await tx
        .update(items)
        .set({ [counter]: sql`${items[counter]} + ${delta}` })
        .where(eq(items.id, itemId))
        .returning({ n: items[counter] });
      return row?.n ?? 0;
    },
    async count(itemId, counter, executor = db) {
      const [row] = await executor
        .select({ n: items[counter] })
        .from(items)
        .where(eq(items.id, itemId));
      return row?.n ?? 0;
    },
  };
}
