import type { Me, UpdateMeBody } from '@hanger/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api';
import { meKey } from '../../../lib/auth';

/** PATCH /me: profile, sizes, avatar, email/password (with the current password). */
export async function updateMe(body: UpdateMeBody): Promise<Me> {
  const res = await api<{ data: Me }>('/me', { method: 'PATCH', json: body });
  return res.data;
}

export function useUpdateMe() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: updateMe,
    onSuccess: (me) => {
      qc.setQueryData(meKey, me);
      void qc.invalidateQueries({ queryKey: ['users', me.username.toLowerCase()] });
    },
  });
}
