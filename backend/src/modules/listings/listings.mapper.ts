import type { Image, Item, UserSummary } from '@hanger/contracts';
import type { ItemRecord } from './listings.repository';
import type { ViewerState } from './listings.ports';

const round2 = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);

export function toItem(
  row: ItemRecord,
  seller: UserSummary,
  images: Image[],
  viewer: ViewerState | undefined,
): Item {
  const hasLocation =
    row.city !== null || row.country !== null || (row.lat !== null && row.lng !== null);
  return {
    id: row.id,
    seller,
    title: row.title,
    description: row.description,
    category: row.category,
    brand: row.brand,
    size: row.size,
    condition: row.condition,
    priceCents: row.priceCents,
    currency: row.currency,
    previousPriceCents: row.previousPriceCents,
    status: row.status,
    location: hasLocation
      ? { city: row.city, country: row.country, lat: round2(row.lat), lng: round2(row.lng) }
      : null,
    tags: row.tags,
    likeCount: row.likeCount,
    favoriteCount: row.favoriteCount,
    commentCount: row.commentCount,
    likedByMe: viewer?.liked ?? false,
    favoritedByMe: viewer?.favorited ?? false,
    images,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
