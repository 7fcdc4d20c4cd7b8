import type { Notification } from '@hanger/contracts';
import { infiniteQueryOptions, useInfiniteQuery } from '@tanstack/react-query';
import { api, qs } from '../../../lib/api';

export const notificationsKey = ['notifications', 'list'] as const;
type Page = { data: Notification[]; meta: { nextCursor: string | null } };

/** GET /notifications?unread&cursor */
export function getNotifications(params: {
  unread?: boolean;
  cursor?: string | undefined;
}): Promise<Page> {
  return api<Page>(
    `/notifications${qs({ unread: params.unread ? 'true' : undefined, cursor: params.cursor, limit: 24 })}`,
  );
}

export const notificationsQueryOptions = (unread = false) =>
  infiniteQueryOptions({
    queryKey: [...notificationsKey, { unread }],
    queryFn: ({ pageParam }) => getNotifications({ unread, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.meta.nextCursor ?? undefined,
  });

export function useNotifications(unread = false) {
  return useInfiniteQuery(notificationsQueryOptions(unread));
}
