import type { BlockListEntry } from '@hanger/contracts';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api';

export const blocksKey = ['me', 'blocks'] as const;
type Page = { data: BlockListEntry[]; meta: { nextCursor: string | null } };

/** GET /me/blocks (first 100: enough to know whether a profile is blocked). */
export async function getBlocks(): Promise<BlockListEntry[]> {
  const res = await api<Page>('/me/blocks?limit=100');
  return res.data;
}

export const blocksQueryOptions = () => queryOptions({ queryKey: blocksKey, queryFn: getBlocks });

export function useBlocks(enabled: boolean) {
  return useQuery({ ...blocksQueryOptions(), enabled });
}
