import type { FeedResponse } from '@hanger/contracts';
import { infiniteQueryOptions, useInfiniteQuery } from '@tanstack/react-query';
import { api, qs } from '../../../lib/api';

/**
 * GET /feed: the personal timeline when signed in (followed sellers, filled with popular and
 * nearby items), popular/nearby items for a visitor.
 */
export function getFeed(cursor?: string): Promise<FeedResponse> {
  return api<FeedResponse>(`/feed${qs({ cursor, limit: 24 })}`, { on401: 'anonymous' });
}

export const feedQueryOptions = (userId: string | null) =>
  infiniteQueryOptions({
    queryKey: ['feed', userId],
    queryFn: ({ pageParam }) => getFeed(pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.meta.nextCursor ?? undefined,
    // A timeline being rebuilt (back after a long time away) fills in within seconds.
    refetchInterval: (q) => (q.state.data?.pages[0]?.meta.rebuilding ? 2000 : false),
  });

export function useFeed(userId: string | null, enabled = true) {
  return useInfiniteQuery({ ...feedQueryOptions(userId), enabled });
}
