import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api';
import { itemKey } from './get-item';

/** DELETE /items/{id} (soft delete). */
export async function deleteItem(id: string): Promise<void> {
  await api(`/items/${id}`, { method: 'DELETE' });
}

export function useDeleteItem() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: deleteItem,
    onSuccess: (_r, id) => {
      qc.removeQueries({ queryKey: itemKey(id) });
      void qc.invalidateQueries({ queryKey: ['users'] });
      void qc.invalidateQueries({ queryKey: ['search'] });
      void qc.invalidateQueries({ queryKey: ['feed'] });
    },
  });
}
