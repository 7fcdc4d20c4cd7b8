import type { Session } from '@hanger/contracts';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api';

export const sessionsKey = ['me', 'sessions'] as const;

/** GET /me/sessions */
export async function getSessions(): Promise<Session[]> {
  const res = await api<{ data: Session[] }>('/me/sessions');
  return res.data;
}

export const sessionsQueryOptions = () =>
  queryOptions({ queryKey: sessionsKey, queryFn: getSessions });

export function useSessions() {
  return useQuery(sessionsQueryOptions());
}
