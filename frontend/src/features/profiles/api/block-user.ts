import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api';
import { blocksKey } from './get-blocks';

/** POST (block) or DELETE (unblock) /users/{username}/block */
export async function setBlock({
  username,
  block,
}: {
  username: string;
  block: boolean;
}): Promise<void> {
  await api(`/users/${encodeURIComponent(username)}/block`, { method: block ? 'POST' : 'DELETE' });
}

export function useSetBlock() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: setBlock,
    onSettled: (_r, _e, { username }) => {
      void qc.invalidateQueries({ queryKey: blocksKey });
      void qc.invalidateQueries({ queryKey: ['users', username.toLowerCase()] });
      void qc.invalidateQueries({ queryKey: ['feed'] });
    },
  });
}
