import { and, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { ItemStatus } from '@hanger/contracts';
import type { Database, Executor } from '../../platform/db/types';
import { newId } from '../../platform/ids';
import { brands, itemImages, itemPriceHistory, items, type ItemRow } from './listings.table';

export type NewItem = typeof items.$inferInsert;

/** An item with what every read needs, fetched in one query: brand name and photo ids in order. */
export interface ItemRecord extends ItemRow {
  brand: string;
  imageIds: string[];
}

/** Case-insensitive brand identity: trimmed, inner whitespace collapsed, lower-cased. */
export function brandKey(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

export function brandDisplay(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ');
}

const imageIdsSql = sql<string[]>`(
  select coalesce(json_agg(ii.upload_id order by ii.position), '[]'::json)
  from ${itemImages} ii where ii.item_id = ${items.id}
)`;

const recordColumns = {
  item: items,
  brand: brands.name,
  imageIds: imageIdsSql,
};

function toRecord(r: { item: ItemRow; brand: string; imageIds: string[] }): ItemRecord {
  return { ...r.item, brand: r.brand, imageIds: r.imageIds };
}

/** Every query on items, brands, item photos and price history. */
export class ListingsRepository {
  constructor(private readonly db: Database) {}

  /** The brand's id, created on first use; concurrent first uses agree on one row. */
  async upsertBrand(tx: Executor, name: string): Promise<string> {
    const key = brandKey(name);
    const [row] = await tx
      .insert(brands)
      .values({ id: newId(), name: brandDisplay(name), key })
      .onConflictDoUpdate({ target: brands.key, set: { key: sql`excluded.key` } })
      .returning({ id: brands.id });
    return row!.id;
  }

  async insert(tx: Executor, row: NewItem): Promise<void> {
    await tx.insert(items).values(row);
  }

  async setImages(tx: Executor, itemId: string, uploadIds: string[]): Promise<void> {
    await tx.delete(itemImages).where(eq(itemImages.itemId, itemId));
    if (uploadIds.length === 0) return;
    await tx
      .insert(itemImages)
      .values(uploadIds.map((uploadId, position) => ({ itemId, uploadId, position })));
  }

  /** A live (not deleted) item with brand and photo ids; `forUpdate` locks it in a transaction. */
  async byId(
    id: string,
    executor: Executor = this.db,
    forUpdate = false,
  ): Promise<ItemRecord | undefined> {
    const query = executor
      .select(recordColumns)
      .from(items)
      .innerJoin(brands, eq(brands.id, items.brandId))
      .where(and(eq(items.id, id), isNull(items.deletedAt)))
      .limit(1);
    const [row] = forUpdate ? await query.for('update', { of: items }) : await query;
    return row ? toRecord(row) : undefined;
  }

  /** A seller's live items, newest first, `limit + 1` rows to tell whether there is a next page. */
  async bySeller(
    sellerId: string,
    statuses: ItemStatus[],
    beforeId: string | undefined,
    limit: number,
  ): Promise<ItemRecord[]> {
    const rows = await this.db
      .select(recordColumns)
      .from(items)
      .innerJoin(brands, eq(brands.id, items.brandId))
      .where(
        and(
          eq(items.sellerId, sellerId),
          isNull(items.deletedAt),
          inArray(items.status, statuses),
          beforeId ? lt(items.id, beforeId) : undefined,
        ),
      )
      .orderBy(desc(items.id))
      .limit(limit + 1);
    return rows.map(toRecord);
  }

  /** Live items by id (any order), with brand and photo ids, in one query. */
  async byIds(ids: string[]): Promise<ItemRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .select(recordColumns)
      .from(items)
      .innerJoin(brands, eq(brands.id, items.brandId))
      .where(and(inArray(items.id, [...new Set(ids)]), isNull(items.deletedAt)));
    return rows.map(toRecord);
  }

  async update(tx: Executor, id: string, set: Partial<NewItem>): Promise<void> {
    await tx
      .update(items)
      .set({ ...set, updatedAt: sql`now()` })
      .where(eq(items.id, id));
  }

  async softDelete(tx: Executor, id: string): Promise<boolean> {
    const rows = await tx
      .update(items)
      .set({ deletedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(items.id, id), isNull(items.deletedAt)))
      .returning({ id: items.id });
    return rows.length > 0;
  }

  async recordPriceDrop(
    tx: Executor,
    itemId: string,
    oldPriceCents: number,
    newPriceCents: number,
    currency: string,
  ): Promise<void> {
    await tx
      .insert(itemPriceHistory)
      .values({ id: newId(), itemId, oldPriceCents, newPriceCents, currency });
  }

  priceHistory(itemId: string) {
    return this.db
      .select()
      .from(itemPriceHistory)
      .where(eq(itemPriceHistory.itemId, itemId))
      .orderBy(itemPriceHistory.changedAt);
  }

  /** Live items of a seller (account deletion), locked. */
  async liveIdsOf(tx: Executor, sellerId: string): Promise<{ id: string; imageIds: string[] }[]> {
    return tx
      .select({ id: items.id, imageIds: imageIdsSql })
      .from(items)
      .where(and(eq(items.sellerId, sellerId), isNull(items.deletedAt)))
      .for('update', { of: items });
  }

  /** A seller's live listings (for sale: active or reserved) and sold items, for profile counts. */
  async sellerCounts(
    sellerId: string,
    executor: Executor = this.db,
  ): Promise<{ listings: number; sold: number }> {
    const [row] = await executor
      .select({
        listings: sql<number>`count(*) filter (where ${items.status} in ('active', 'reserved'))::int`,
        sold: sql<number>`count(*) filter (where ${items.status} = 'sold')::int`,
      })
      .from(items)
      .where(and(eq(items.sellerId, sellerId), isNull(items.deletedAt)));
    return { listings: row?.listings ?? 0, sold: row?.sold ?? 0 };
  }
}
