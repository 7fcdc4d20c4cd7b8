import type { CreateSavedSearchBody, SavedSearch } from '@hanger/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api';
import { toApiParams, type SearchState } from '../hooks/use-search-state';

/** POST /saved-searches {name, filters}: the user is notified when new items match. */
export async function saveSearch({
  state,
  name,
}: {
  state: SearchState;
  name: string;
}): Promise<SavedSearch> {
  const { sort: _sort, ...filters } = toApiParams(state);
  const body: CreateSavedSearchBody = { name, filters };
  const res = await api<{ data: SavedSearch }>('/saved-searches', { method: 'POST', json: body });
  return res.data;
}

export function useSaveSearch() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: saveSearch,
    onSuccess: () => qc.invalidateQueries({ queryKey: ['saved-searches'] }),
  });
}
