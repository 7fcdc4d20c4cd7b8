import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api';
import { meKey } from '../../../lib/auth';

/** DELETE /me/sessions (every other session), then POST /auth/logout (this one). */
export async function logOutEverywhere(): Promise<void> {
  await api('/me/sessions', { method: 'DELETE' });
  await api('/auth/logout', { method: 'POST' });
}

export function useLogOutEverywhere() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: logOutEverywhere,
    onSuccess: () => {
      qc.clear();
      qc.setQueryData(meKey, null);
    },
  });
}
