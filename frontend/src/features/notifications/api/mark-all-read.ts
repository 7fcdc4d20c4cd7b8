import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api';
import { unreadCountKey } from './get-unread-count';

/** POST /notifications/read-all */
export async function markAllRead(): Promise<void> {
  await api('/notifications/read-all', { method: 'POST' });
}

export function useMarkAllRead() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: markAllRead,
    onMutate: () => qc.setQueryData(unreadCountKey, 0),
    onSettled: () => qc.invalidateQueries({ queryKey: ['notifications'] }),
  });
}
