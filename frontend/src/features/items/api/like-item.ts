import type { Item, LikeState } from '@hanger/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api';
import { itemKey } from './get-item';

/** POST (like) or DELETE (unlike) /items/{id}/like */
export async function setLike({ id, liked }: { id: string; liked: boolean }): Promise<LikeState> {
  const res = await api<{ data: LikeState }>(`/items/${id}/like`, {
    method: liked ? 'POST' : 'DELETE',
  });
  return res.data;
}

/**
 * Optimistic like: the item page's cached copy flips at once and rolls back quietly on error.
 * Cards keep their own optimistic state (they live in many lists) via `useLikeState`.
 */
export function useSetLike() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: setLike,
    onMutate: async ({ id, liked }) => {
      await qc.cancelQueries({ queryKey: itemKey(id) });
      const prev = qc.getQueryData<Item>(itemKey(id));
      if (prev) {
        qc.setQueryData<Item>(itemKey(id), {
          ...prev,
          likedByMe: liked,
          likeCount: Math.max(0, prev.likeCount + (liked ? 1 : -1)),
        });
      }
      return { prev };
    },
    onError: (_e, { id }, ctx) => {
      if (ctx?.prev) qc.setQueryData(itemKey(id), ctx.prev);
    },
    onSuccess: (state, { id }) => {
      qc.setQueryData<Item>(itemKey(id), (it) =>
        it ? { ...it, likedByMe: state.liked, likeCount: state.likeCount } : it,
      );
    },
  });
}
