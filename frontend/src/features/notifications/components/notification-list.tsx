import type { Notification } from '@hanger/contracts';
import { Link } from 'react-router';
import { Avatar } from '../../../components/ui/avatar';
import { Button } from '../../../components/ui/button';
import { Skeleton } from '../../../components/ui/skeleton';
import { errorMessage } from '../../../lib/api';
import { cn } from '../../../lib/cn';
import { timeAgo } from '../../../lib/format';
import { usePageTitle } from '../../../lib/use-page-title';
import { useNotifications } from '../api/get-notifications';
import { useMarkAllRead } from '../api/mark-all-read';
import { useMarkRead } from '../api/mark-read';

function targetOf(n: Notification): string {
  if (n.item) return `/items/${n.item.id}`;
  const actor = n.actors[0];
  return actor ? `/u/${actor.username}` : '/notifications';
}

export function NotificationList() {
  usePageTitle('Notifications');
  const list = useNotifications();
  const markRead = useMarkRead();
  const markAll = useMarkAllRead();
  const items = list.data?.pages.flatMap((p) => p.data) ?? [];
  const anyUnread = items.some((n) => !n.read);

  return (
    <div className="mx-auto w-full max-w-2xl px-4 py-6">
      <div className="mb-4 flex items-center justify-between gap-4">
        <h1 className="text-2xl font-semibold tracking-tight">Notifications</h1>
        <Button
          variant="secondary"
          size="sm"
          onClick={() => markAll.mutate()}
          disabled={!anyUnread}
          loading={markAll.isPending}
        >
          Mark all read
        </Button>
      </div>
      {list.isPending ? (
        <ul aria-label="Loading notifications" className="flex flex-col gap-2">
          {Array.from({ length: 6 }, (_, i) => (
            <li key={i}>
              <Skeleton className="h-16" />
            </li>
          ))}
        </ul>
      ) : list.isError ? (
        <div
          role="alert"
          className="rounded-card border border-hairline bg-surface p-6 text-center"
        >
          <p className="mb-3">{errorMessage(list.error)}</p>
          <Button onClick={() => void list.refetch()}>Retry</Button>
        </div>
      ) : items.length === 0 ? (
        <p className="rounded-card border border-hairline bg-surface p-8 text-center text-muted">
          Nothing yet. When someone follows you, likes or comments on your items, it shows up here.
        </p>
      ) : (
        <ul className="flex flex-col divide-y divide-hairline overflow-hidden rounded-card border border-hairline bg-surface">
          {items.map((n) => {
            const actor = n.actors[0];
            return (
              <li key={n.id}>
                <Link
                  to={targetOf(n)}
                  onClick={() => !n.read && markRead.mutate(n.id)}
                  className={cn(
                    'flex items-start gap-3 px-4 py-3 hover:bg-canvas',
                    !n.read && 'bg-accent/5',
                  )}
                >
                  <Avatar
                    src={actor?.avatar?.variants.thumb?.url}
                    name={actor?.username ?? 'Hanger'}
                    size={40}
                  />
                  <span className="min-w-0 flex-1">
                    <span className="block text-sm text-ink">{n.text}</span>
                    {n.data.excerpt && (
                      <span className="mt-0.5 block truncate text-sm text-muted">
                        “{n.data.excerpt}”
                      </span>
                    )}
                    <span className="mt-0.5 block text-xs text-muted">{timeAgo(n.createdAt)}</span>
                  </span>
                  {!n.read && (
                    <span className="mt-2 size-2.5 shrink-0 rounded-full bg-accent">
                      <span className="sr-only">Unread</span>
                    </span>
                  )}
                </Link>
              </li>
            );
          })}
        </ul>
      )}
      {list.hasNextPage && (
        <div className="mt-4 flex justify-center">
          <Button
            variant="secondary"
            onClick={() => void list.fetchNextPage()}
            loading={list.isFetchingNextPage}
          >
            Show older
          </Button>
        </div>
      )}
    </div>
  );
}
