import { sql } from 'drizzle-orm';
import { brandKey } from '../src/modules/listings';
import { brands, items } from '../src/modules/listings/listings.table';
import { newId } from '../src/platform/ids';
import type { TestApp } from './app';

export type ItemFields = Partial<Omit<typeof items.$inferInsert, 'brandId'>> & { brand?: string };

/**
 * Lists an item the way the listings module does (row + `item.created` in one outbox
 * transaction), minus the photo pipeline, so every subscriber (search index, saved searches,
 * feed fan-out) runs for real. Call `t.settle()` before reading derived state.
 */
export async function listItem(
  t: TestApp,
  sellerId: string,
  fields: ItemFields = {},
): Promise<string> {
  const { brand = 'Levi’s', ...rest } = fields;
  const id = rest.id ?? newId();
  await t.runtime.adapters.outbox.transaction(async (tx, emit) => {
    const [b] = await tx
      .insert(brands)
      .values({ id: newId(), name: brand, key: brandKey(brand) })
      .onConflictDoUpdate({ target: brands.key, set: { key: sql`excluded.key` } })
      .returning({ id: brands.id });
    await tx.insert(items).values({
      title: 'Denim jacket',
      description: 'Worn twice.',
      category: 'outerwear',
      size: 'M',
      condition: 'like_new',
      priceCents: 4500,
      currency: 'EUR',
      ...rest,
      id,
      sellerId,
      brandId: b!.id,
    });
    await emit('item.created', { itemId: id, sellerId });
  });
  return id;
}

/** Changes an item's status behind the API (moderation, sale) and emits the event. */
export async function setStatus(
  t: TestApp,
  itemId: string,
  sellerId: string,
  to: 'active' | 'reserved' | 'sold' | 'hidden',
): Promise<void> {
  await t.runtime.adapters.outbox.transaction(async (tx, emit) => {
    await tx.execute(sql`update items set status = ${to} where id = ${itemId}`);
    await emit('item.statusChanged', { itemId, sellerId, from: 'active', to, by: 'seller' });
  });
}
