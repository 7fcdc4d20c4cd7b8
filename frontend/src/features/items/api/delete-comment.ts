import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api';
import { commentsKey } from './get-comments';

/** DELETE /comments/{id} (the author, or the item's seller). */
export async function deleteComment({ id }: { id: string; itemId: string }): Promise<void> {
  await api(`/comments/${id}`, { method: 'DELETE' });
}

export function useDeleteComment() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: deleteComment,
    onSettled: (_r, _e, { itemId }) => qc.invalidateQueries({ queryKey: commentsKey(itemId) }),
  });
}
