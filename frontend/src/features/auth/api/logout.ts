import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api';
import { meKey } from '../../../lib/auth';

/** POST /auth/logout: revokes this session and clears the cookies. */
export async function logout(): Promise<void> {
  await api('/auth/logout', { method: 'POST' });
}

export function useLogout() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: logout,
    onSettled: () => {
      qc.clear();
      qc.setQueryData(meKey, null);
    },
  });
}
