import type { FollowListEntry } from '@hanger/contracts';
import { infiniteQueryOptions, useInfiniteQuery } from '@tanstack/react-query';
import { api, qs } from '../../../lib/api';

export type FollowDirection = 'followers' | 'following';
type Page = { data: FollowListEntry[]; meta: { nextCursor: string | null } };

/** GET /users/{username}/followers and /following */
export function getFollows(
  username: string,
  direction: FollowDirection,
  cursor?: string,
): Promise<Page> {
  return api<Page>(
    `/users/${encodeURIComponent(username)}/${direction}${qs({ cursor, limit: 50 })}`,
    { on401: 'anonymous' },
  );
}

export const followsQueryOptions = (username: string, direction: FollowDirection) =>
  infiniteQueryOptions({
    queryKey: ['users', username.toLowerCase(), direction],
    queryFn: ({ pageParam }) => getFollows(username, direction, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.meta.nextCursor ?? undefined,
  });

export function useFollows(username: string, direction: FollowDirection) {
  return useInfiniteQuery(followsQueryOptions(username, direction));
}
