import type { Item } from '@hanger/contracts';
import { infiniteQueryOptions, useInfiniteQuery } from '@tanstack/react-query';
import { api, qs } from '../../../lib/api';

/** `favoriteListEntry.item` is the item as the listings module serves it. */
interface FavoriteEntry {
  itemId: string;
  favoritedAt: string;
  item: Item;
}
type Page = { data: FavoriteEntry[]; meta: { nextCursor: string | null } };

/** GET /me/favorites */
export function getFavorites(cursor?: string): Promise<Page> {
  return api<Page>(`/me/favorites${qs({ cursor, limit: 24 })}`);
}

export const favoritesQueryOptions = () =>
  infiniteQueryOptions({
    queryKey: ['favorites'],
    queryFn: ({ pageParam }) => getFavorites(pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.meta.nextCursor ?? undefined,
    select: (d) => d.pages.flatMap((p) => p.data.map((e) => e.item)),
  });

export function useFavorites() {
  return useInfiniteQuery(favoritesQueryOptions());
}
