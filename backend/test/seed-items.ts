import { brands, items } from '../src/modules/listings/listings.table';
import { newId } from '../src/platform/ids';
import type { TestApp } from './app';

/**
 * Inserts a live item straight into the database (no photos, no upload pipeline) for tests of
 * features that only need an item to exist: likes, favourites, comments, notifications.
 */
export async function seedItem(
  t: TestApp,
  sellerId: string,
  overrides: Partial<typeof items.$inferInsert> = {},
): Promise<{ id: string; title: string }> {
  const db = t.runtime.adapters.database.db;
  const brandId = newId();
  await db
    .insert(brands)
    .values({ id: brandId, name: `Brand ${brandId}`, key: `brand ${brandId}` });
  const id = newId();
  const title = overrides.title ?? 'Denim jacket';
  await db.insert(items).values({
    id,
    sellerId,
    title,
    description: 'Worn twice.',
    category: 'outerwear',
    brandId,
    size: 'M',
    condition: 'like_new',
    priceCents: 4500,
    currency: 'EUR',
    ...overrides,
  });
  return { id, title };
}
