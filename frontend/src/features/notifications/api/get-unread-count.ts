import type { UnreadCount } from '@hanger/contracts';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api';

export const unreadCountKey = ['notifications', 'unread-count'] as const;

/** GET /notifications/unread-count */
export async function getUnreadCount(): Promise<number> {
  const res = await api<{ data: UnreadCount }>('/notifications/unread-count', {
    on401: 'anonymous',
  });
  return res.data.count;
}

export const unreadCountQueryOptions = () =>
  queryOptions({ queryKey: unreadCountKey, queryFn: getUnreadCount, staleTime: 60_000 });

export function useUnreadCount(enabled: boolean) {
  return useQuery({ ...unreadCountQueryOptions(), enabled });
}
