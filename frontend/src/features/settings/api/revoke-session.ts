import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api';
import { sessionsKey } from './get-sessions';

/** DELETE /me/sessions/{id} */
export async function revokeSession(id: string): Promise<void> {
  await api(`/me/sessions/${id}`, { method: 'DELETE' });
}

export function useRevokeSession() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: revokeSession,
    onSettled: () => qc.invalidateQueries({ queryKey: sessionsKey }),
  });
}
