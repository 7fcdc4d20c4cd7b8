import type { ItemStatus } from '@hanger/contracts';
import { useParams, useSearchParams } from 'react-router';
import { InfiniteGrid } from '../../components/infinite-grid';
import { ButtonLink } from '../../components/ui/button';
import { Tabs } from '../../components/ui/tabs';
import { ItemCard } from '../../features/items/components/item-card';
import { useProfile } from '../../features/profiles/api/get-profile';
import { useUserItems } from '../../features/profiles/api/get-user-items';
import {
  ProfileHeader,
  ProfileHeaderSkeleton,
} from '../../features/profiles/components/profile-header';
import { ApiError, errorMessage } from '../../lib/api';
import { useMe } from '../../lib/auth';
import { usePageTitle } from '../../lib/use-page-title';

const tabs = [
  { key: 'active', label: 'For sale' },
  { key: 'sold', label: 'Sold' },
] as const satisfies readonly { key: ItemStatus; label: string }[];

export function Component() {
  const { username = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') === 'sold' ? 'sold' : 'active';
  const profile = useProfile(username);
  const items = useUserItems(username, tab);
  const me = useMe();
  usePageTitle(
    profile.data
      ? `${profile.data.displayName ?? profile.data.username} (@${profile.data.username})`
      : `@${username}`,
  );
  const own = me.data?.username.toLowerCase() === username.toLowerCase();

  if (profile.isError) {
    const missing = profile.error instanceof ApiError && profile.error.status === 404;
    return (
      <div className="mx-auto max-w-xl px-4 py-16 text-center">
        <h1 className="text-2xl font-semibold">
          {missing ? 'No one by that name' : 'We could not load this profile'}
        </h1>
        <p className="mt-2 text-muted">
          {missing ? `There is no @${username} on Hanger.` : errorMessage(profile.error)}
        </p>
      </div>
    );
  }
  return (
    <div className="mx-auto w-full max-w-[1280px] px-4 py-6">
      {profile.data ? <ProfileHeader profile={profile.data} /> : <ProfileHeaderSkeleton />}
      <div className="mt-8">
        <Tabs
          label="Listings"
          tabs={tabs}
          value={tab}
          onChange={(k) => setParams(k === 'active' ? {} : { tab: k }, { replace: true })}
        >
          <InfiniteGrid
            label={tab === 'sold' ? 'sold items' : 'items for sale'}
            source={{
              items: items.data?.pages.flatMap((p) => p.data),
              isPending: items.isPending,
              isError: items.isError,
              error: items.error,
              hasNextPage: items.hasNextPage,
              isFetchingNextPage: items.isFetchingNextPage,
              fetchNextPage: items.fetchNextPage,
              refetch: items.refetch,
            }}
            getKey={(i) => i.id}
            renderItem={(item) => <ItemCard item={item} />}
            empty={
              <div className="rounded-card border border-hairline bg-surface p-8 text-center">
                {own && tab === 'active' ? (
                  <>
                    <p className="font-medium">Nothing for sale yet.</p>
                    <ButtonLink to="/sell" className="mt-4">
                      List your first item
                    </ButtonLink>
                  </>
                ) : (
                  <p className="text-muted">
                    {tab === 'sold' ? 'No sold items yet.' : 'Nothing for sale right now.'}
                  </p>
                )}
              </div>
            }
          />
        </Tabs>
      </div>
    </div>
  );
}
