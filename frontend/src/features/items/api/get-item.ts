import type { Item } from '@hanger/contracts';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api';

export const itemKey = (id: string) => ['items', 'detail', id] as const;

/** GET /items/{id} */
export async function getItem(id: string): Promise<Item> {
  const res = await api<{ data: Item }>(`/items/${id}`, { on401: 'anonymous' });
  return res.data;
}

export const itemQueryOptions = (id: string) =>
  queryOptions({
    queryKey: itemKey(id),
    queryFn: () => getItem(id),
    // While the worker makes the variants, look again every few seconds.
    refetchInterval: (q) =>
      q.state.data?.images.some((i) => i.status === 'processing') ? 3000 : false,
  });

export function useItem(id: string) {
  return useQuery(itemQueryOptions(id));
}
