import type { CreateItemBody, Item } from '@hanger/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api';
import { itemKey } from './get-item';

/** POST /items */
export async function createItem(body: CreateItemBody): Promise<Item> {
  const res = await api<{ data: Item }>('/items', { method: 'POST', json: body });
  return res.data;
}

export function useCreateItem() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: createItem,
    onSuccess: (item) => {
      qc.setQueryData(itemKey(item.id), item);
      void qc.invalidateQueries({ queryKey: ['users'] });
      void qc.invalidateQueries({ queryKey: ['search'] });
    },
  });
}
