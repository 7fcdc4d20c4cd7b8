import { Link } from 'react-router';
import { InfiniteGrid } from '../../components/infinite-grid';
import { ButtonLink } from '../../components/ui/button';
import { useFeed } from '../../features/feed/api/get-feed';
import { ItemCard } from '../../features/items/components/item-card';
import { useMe } from '../../lib/auth';
import { usePageTitle } from '../../lib/use-page-title';

/** Home: the personal feed for a signed-in user; popular and nearby items for a visitor. */
export function Component() {
  usePageTitle('Home');
  const me = useMe();
  const user = me.data ?? null;
  const feed = useFeed(user?.id ?? null, !me.isPending);
  return (
    <div className="mx-auto w-full max-w-[1280px] px-4 py-6">
      <div className="mb-5 flex items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight md:text-[32px]">
            {user
              ? `Hi ${user.displayName ?? user.username}`
              : 'Second-hand clothing, first-hand style.'}
          </h1>
          <p className="mt-1 text-sm text-muted">
            {user
              ? 'New from the sellers you follow, and picks near you.'
              : 'Popular right now and close to you.'}
          </p>
        </div>
        {!user && !me.isPending && (
          <div className="hidden sm:block">
            <ButtonLink to="/register">Join Hanger</ButtonLink>
          </div>
        )}
      </div>
      <InfiniteGrid
        label="items"
        source={{
          items: feed.data?.pages.flatMap((p) => p.data),
          isPending: me.isPending || feed.isPending,
          isError: feed.isError,
          error: feed.error,
          hasNextPage: feed.hasNextPage,
          isFetchingNextPage: feed.isFetchingNextPage,
          fetchNextPage: feed.fetchNextPage,
          refetch: feed.refetch,
        }}
        getKey={(i) => i.id}
        renderItem={(item, i) => <ItemCard item={item} priority={i < 4} />}
        empty={
          <div className="rounded-card border border-hairline bg-surface p-8 text-center">
            <p className="font-medium">Your feed is quiet.</p>
            <p className="mt-1 text-sm text-muted">
              Follow a few sellers to fill your feed:{' '}
              <Link to="/search" className="text-accent underline">
                browse what is new
              </Link>
              , or{' '}
              <Link to="/sell" className="text-accent underline">
                list something yourself
              </Link>
              .
            </p>
          </div>
        }
      />
    </div>
  );
}
