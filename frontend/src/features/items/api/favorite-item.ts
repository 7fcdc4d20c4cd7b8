import type { FavoriteState, Item } from '@hanger/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api';
import { itemKey } from './get-item';

/** POST (save) or DELETE (unsave) /items/{id}/favorite */
export async function setFavorite({
  id,
  favorited,
}: {
  id: string;
  favorited: boolean;
}): Promise<FavoriteState> {
  const res = await api<{ data: FavoriteState }>(`/items/${id}/favorite`, {
    method: favorited ? 'POST' : 'DELETE',
  });
  return res.data;
}

export function useSetFavorite() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: setFavorite,
    onMutate: async ({ id, favorited }) => {
      await qc.cancelQueries({ queryKey: itemKey(id) });
      const prev = qc.getQueryData<Item>(itemKey(id));
      if (prev) {
        qc.setQueryData<Item>(itemKey(id), {
          ...prev,
          favoritedByMe: favorited,
          favoriteCount: Math.max(0, prev.favoriteCount + (favorited ? 1 : -1)),
        });
      }
      return { prev };
    },
    onError: (_e, { id }, ctx) => {
      if (ctx?.prev) qc.setQueryData(itemKey(id), ctx.prev);
    },
    onSettled: () => qc.invalidateQueries({ queryKey: ['favorites'] }),
  });
}
