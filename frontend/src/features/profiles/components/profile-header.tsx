import type { PublicProfile } from '@hanger/contracts';
import { Link } from 'react-router';
import { Avatar } from '../../../components/ui/avatar';
import { ButtonLink } from '../../../components/ui/button';
import { Skeleton } from '../../../components/ui/skeleton';
import { useMe } from '../../../lib/auth';
import { BlockButton } from './block-button';
import { FollowButton } from './follow-button';

export function ProfileHeaderSkeleton() {
  return (
    <div className="flex items-center gap-4" aria-hidden="true">
      <Skeleton className="size-20 rounded-full md:size-24" />
      <div className="flex-1">
        <Skeleton className="h-6 w-40 rounded-md" />
        <Skeleton className="mt-2 h-4 w-64 rounded-md" />
      </div>
    </div>
  );
}

/** Avatar, names, bio, place, counts and the follow button (or Edit profile for yourself). */
export function ProfileHeader({ profile }: { profile: PublicProfile }) {
  const me = useMe();
  const own = me.data?.id === profile.id;
  const c = profile.counts;
  const place = [profile.city, profile.country].filter(Boolean).join(', ');
  return (
    <div className="flex flex-col gap-4 md:flex-row md:items-center">
      <div className="flex flex-1 items-center gap-4">
        <Avatar
          src={profile.avatar?.variants.medium?.url ?? profile.avatar?.variants.thumb?.url}
          name={profile.username}
          size={88}
        />
        <div className="min-w-0">
          <h1 className="truncate text-2xl font-semibold tracking-tight">
            {profile.displayName ?? profile.username}
          </h1>
          <p className="text-sm text-muted">
            @{profile.username}
            {place && ` · ${place}`}
          </p>
          {profile.bio && (
            <p className="mt-2 max-w-prose text-[15px] whitespace-pre-line">{profile.bio}</p>
          )}
        </div>
      </div>
      <div className="flex flex-col gap-3 md:items-end">
        <dl className="tabular flex gap-5 text-sm">
          <div>
            <dt className="text-muted">Listings</dt>
            <dd className="font-semibold">{c.listings}</dd>
          </div>
          <div>
            <dt className="text-muted">Sold</dt>
            <dd className="font-semibold">{c.sold}</dd>
          </div>
          <div>
            <dt>
              <Link
                to={`/u/${profile.username}/followers`}
                className="text-muted hover:text-ink hover:underline"
              >
                Followers
              </Link>
            </dt>
            <dd className="font-semibold" data-testid="follower-count">
              {c.followers}
            </dd>
          </div>
          <div>
            <dt>
              <Link
                to={`/u/${profile.username}/following`}
                className="text-muted hover:text-ink hover:underline"
              >
                Following
              </Link>
            </dt>
            <dd className="font-semibold">{c.following}</dd>
          </div>
        </dl>
        {own ? (
          <ButtonLink to="/settings" variant="secondary" size="sm">
            Edit profile
          </ButtonLink>
        ) : (
          <div className="flex items-center gap-2">
            <BlockButton username={profile.username} />
            <FollowButton username={profile.username} following={profile.followedByMe} size="md" />
          </div>
        )}
      </div>
    </div>
  );
}
