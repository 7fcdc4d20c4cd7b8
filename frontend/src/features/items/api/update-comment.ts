import type { Comment } from '@hanger/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api';
import { commentsKey } from './get-comments';

/** PATCH /comments/{id} {body} (author only). */
export async function updateComment({
  id,
  body,
}: {
  id: string;
  itemId: string;
  body: string;
}): Promise<Comment> {
  const res = await api<{ data: Comment }>(`/comments/${id}`, { method: 'PATCH', json: { body } });
  return res.data;
}

export function useUpdateComment() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: updateComment,
    onSettled: (_r, _e, { itemId }) => qc.invalidateQueries({ queryKey: commentsKey(itemId) }),
  });
}
