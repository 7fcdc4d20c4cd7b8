import type { BrandSuggestion } from '@hanger/contracts';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, qs } from '../../../lib/api';

/** GET /brands?prefix= (autocomplete, most items first). */
export async function getBrands(prefix: string): Promise<BrandSuggestion[]> {
  const res = await api<{ data: BrandSuggestion[] }>(`/brands${qs({ prefix, limit: 8 })}`, {
    on401: 'anonymous',
  });
  return res.data;
}

export const brandsQueryOptions = (prefix: string) =>
  queryOptions({
    queryKey: ['brands', prefix.toLowerCase()],
    queryFn: () => getBrands(prefix),
    staleTime: 5 * 60_000,
  });

export function useBrands(prefix: string) {
  const p = prefix.trim();
  return useQuery({ ...brandsQueryOptions(p), enabled: p.length >= 1 });
}
