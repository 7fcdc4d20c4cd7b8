import type { Comment } from '@hanger/contracts';
import { infiniteQueryOptions, useInfiniteQuery } from '@tanstack/react-query';
import { api, qs } from '../../../lib/api';

export const commentsKey = (itemId: string) => ['items', 'comments', itemId] as const;
type Page = { data: Comment[]; meta: { nextCursor: string | null } };

/** GET /items/{id}/comments (oldest first, a linear thread). */
export function getComments(itemId: string, cursor?: string): Promise<Page> {
  return api<Page>(`/items/${itemId}/comments${qs({ cursor, limit: 50 })}`, { on401: 'anonymous' });
}

export const commentsQueryOptions = (itemId: string) =>
  infiniteQueryOptions({
    queryKey: commentsKey(itemId),
    queryFn: ({ pageParam }) => getComments(itemId, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.meta.nextCursor ?? undefined,
  });

export function useComments(itemId: string) {
  return useInfiniteQuery(commentsQueryOptions(itemId));
}
