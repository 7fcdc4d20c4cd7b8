import type { Item, UpdateItemBody } from '@hanger/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api';
import { itemKey } from './get-item';

/** PATCH /items/{id}: any subset of fields, or a status change (reserved, sold, active). */
export async function updateItem({
  id,
  body,
}: {
  id: string;
  body: UpdateItemBody;
}): Promise<Item> {
  const res = await api<{ data: Item }>(`/items/${id}`, { method: 'PATCH', json: body });
  return res.data;
}

export function useUpdateItem() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: updateItem,
    onSuccess: (item) => {
      qc.setQueryData(itemKey(item.id), item);
      void qc.invalidateQueries({ queryKey: ['users'] });
      void qc.invalidateQueries({ queryKey: ['search'] });
    },
  });
}
