import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api';
import { savedSearchesKey } from './get-saved-searches';

/** DELETE /saved-searches/{id} */
export async function deleteSavedSearch(id: string): Promise<void> {
  await api(`/saved-searches/${id}`, { method: 'DELETE' });
}

export function useDeleteSavedSearch() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: deleteSavedSearch,
    onSettled: () => qc.invalidateQueries({ queryKey: savedSearchesKey }),
  });
}
