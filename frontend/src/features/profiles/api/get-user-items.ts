import type { Item, ItemStatus } from '@hanger/contracts';
import { infiniteQueryOptions, useInfiniteQuery } from '@tanstack/react-query';
import { api, qs } from '../../../lib/api';

type Page = { data: Item[]; meta: { nextCursor: string | null } };

/** GET /users/{username}/items?status= */
export function getUserItems(username: string, status: ItemStatus, cursor?: string): Promise<Page> {
  return api<Page>(
    `/users/${encodeURIComponent(username)}/items${qs({ status, cursor, limit: 24 })}`,
    { on401: 'anonymous' },
  );
}

export const userItemsQueryOptions = (username: string, status: ItemStatus) =>
  infiniteQueryOptions({
    queryKey: ['users', username.toLowerCase(), 'items', status],
    queryFn: ({ pageParam }) => getUserItems(username, status, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.meta.nextCursor ?? undefined,
  });

export function useUserItems(username: string, status: ItemStatus) {
  return useInfiniteQuery(userItemsQueryOptions(username, status));
}
