import type { Comment } from '@hanger/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api';
import { commentsKey } from './get-comments';
import { itemKey } from './get-item';

/** POST /items/{id}/comments {body} */
export async function createComment({
  itemId,
  body,
}: {
  itemId: string;
  body: string;
}): Promise<Comment> {
  const res = await api<{ data: Comment }>(`/items/${itemId}/comments`, {
    method: 'POST',
    json: { body },
  });
  return res.data;
}

export function useCreateComment() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: createComment,
    onSettled: (_c, _e, { itemId }) => {
      void qc.invalidateQueries({ queryKey: commentsKey(itemId) });
      void qc.invalidateQueries({ queryKey: itemKey(itemId) });
    },
  });
}
