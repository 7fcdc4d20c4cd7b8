import type { SearchResponse } from '@hanger/contracts';
import { infiniteQueryOptions, keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { api, qs } from '../../../lib/api';
import { toApiParams, type SearchState } from '../hooks/use-search-state';

/** GET /search?q&category&brand&size&condition&priceMin&priceMax&lat&lng&radiusKm&sort */
export function searchItems(state: SearchState, cursor?: string): Promise<SearchResponse> {
  return api<SearchResponse>(`/search${qs({ ...toApiParams(state), cursor, limit: 24 })}`, {
    on401: 'anonymous',
  });
}

export const searchQueryOptions = (state: SearchState) =>
  infiniteQueryOptions({
    queryKey: ['search', state],
    queryFn: ({ pageParam }) => searchItems(state, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.meta.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  });

export function useSearchItems(state: SearchState) {
  return useInfiniteQuery(searchQueryOptions(state));
}
