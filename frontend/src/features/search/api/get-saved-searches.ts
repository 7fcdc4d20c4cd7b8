import type { SavedSearch } from '@hanger/contracts';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api';

export const savedSearchesKey = ['saved-searches'] as const;

/** GET /saved-searches (newest first). */
export async function getSavedSearches(): Promise<SavedSearch[]> {
  const res = await api<{ data: SavedSearch[] }>('/saved-searches');
  return res.data;
}

export const savedSearchesQueryOptions = () =>
  queryOptions({ queryKey: savedSearchesKey, queryFn: getSavedSearches });

export function useSavedSearches() {
  return useQuery(savedSearchesQueryOptions());
}
