import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api';

/** POST /notifications/{id}/read */
export async function markRead(id: string): Promise<void> {
  await api(`/notifications/${id}/read`, { method: 'POST' });
}

export function useMarkRead() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: markRead,
    onSettled: () => qc.invalidateQueries({ queryKey: ['notifications'] }),
  });
}
