import { Link } from 'react-router';
import { Avatar } from '../../../components/ui/avatar';
import { Button } from '../../../components/ui/button';
import { Skeleton } from '../../../components/ui/skeleton';
import { errorMessage } from '../../../lib/api';
import { usePageTitle } from '../../../lib/use-page-title';
import { useFollows, type FollowDirection } from '../api/get-follows';
import { FollowButton } from './follow-button';

export function UserList({
  username,
  direction,
}: {
  username: string;
  direction: FollowDirection;
}) {
  const title = direction === 'followers' ? `Followers of @${username}` : `@${username} follows`;
  usePageTitle(title);
  const list = useFollows(username, direction);
  const users = list.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <div className="mx-auto w-full max-w-2xl px-4 py-6">
      <p className="mb-1 text-sm">
        <Link to={`/u/${username}`} className="text-accent underline">
          ← @{username}
        </Link>
      </p>
      <h1 className="mb-4 text-2xl font-semibold tracking-tight">{title}</h1>
      {list.isPending ? (
        <div className="flex flex-col gap-2" aria-hidden="true">
          {Array.from({ length: 6 }, (_, i) => (
            <Skeleton key={i} className="h-14" />
          ))}
        </div>
      ) : list.isError ? (
        <div role="alert">
          {errorMessage(list.error)} <Button onClick={() => void list.refetch()}>Retry</Button>
        </div>
      ) : users.length === 0 ? (
        <p className="text-muted">
          {direction === 'followers' ? 'No followers yet.' : 'Not following anyone yet.'}
        </p>
      ) : (
        <ul className="divide-y divide-hairline overflow-hidden rounded-card border border-hairline bg-surface">
          {users.map((u) => (
            <li key={u.id} className="flex items-center gap-3 px-4 py-3">
              <Link to={`/u/${u.username}`} className="flex min-w-0 flex-1 items-center gap-3">
                <Avatar src={u.avatar?.variants.thumb?.url} name={u.username} size={40} />
                <span className="min-w-0">
                  <span className="block truncate font-medium">{u.displayName ?? u.username}</span>
                  <span className="block truncate text-sm text-muted">@{u.username}</span>
                </span>
              </Link>
              <FollowButton username={u.username} following={u.followedByMe} />
            </li>
          ))}
        </ul>
      )}
      {list.hasNextPage && (
        <Button
          variant="secondary"
          className="mt-4"
          onClick={() => void list.fetchNextPage()}
          loading={list.isFetchingNextPage}
        >
          Show more
        </Button>
      )}
    </div>
  );
}
