import type { ExportJob } from '@hanger/contracts';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api';

export const exportsKey = ['me', 'exports'] as const;

/** GET /me/exports: recent exports, newest first, with their download links once ready. */
export async function getExports(): Promise<ExportJob[]> {
  const res = await api<{ data: ExportJob[] }>('/me/exports');
  return res.data;
}

export const exportsQueryOptions = () =>
  queryOptions({
    queryKey: exportsKey,
    queryFn: getExports,
    // Poll while an archive is being built.
    refetchInterval: (q) => (q.state.data?.some((e) => e.status === 'pending') ? 3000 : false),
  });

export function useExports() {
  return useQuery(exportsQueryOptions());
}
