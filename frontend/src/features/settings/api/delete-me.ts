import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api';
import { meKey } from '../../../lib/auth';

/** DELETE /me {password}: erases PII and removes or anonymises content. */
export async function deleteMe(password: string): Promise<void> {
  await api('/me', { method: 'DELETE', json: { password } });
}

export function useDeleteMe() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: deleteMe,
    onSuccess: () => {
      qc.clear();
      qc.setQueryData(meKey, null);
    },
  });
}
