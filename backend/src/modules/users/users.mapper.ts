import type { Me, PublicProfile, UserSummary } from '@hanger/contracts';
import type { Avatar } from './extensions';
import type { UserRow } from './users.repository';

export function toSummary(row: UserRow, avatar: Avatar): UserSummary {
  return { id: row.id, username: row.username, displayName: row.displayName, avatar };
}

export function toPublicProfile(
  row: UserRow,
  avatar: Avatar,
  followedByMe: boolean,
): PublicProfile {
  return {
    ...toSummary(row, avatar),
    bio: row.bio,
    city: row.city,
    country: row.country,
    sizes: { top: row.sizeTop, bottom: row.sizeBottom, shoes: row.sizeShoes },
    counts: {
      followers: row.followerCount,
      following: row.followingCount,
      listings: row.listingCount,
      sold: row.soldCount,
    },
    followedByMe,
    createdAt: row.createdAt.toISOString(),
  };
}

export function toMe(row: UserRow, avatar: Avatar): Me {
  return {
    ...toPublicProfile(row, avatar, false),
    email: row.email ?? '',
    emailVerified: row.emailVerifiedAt !== null,
    role: row.role,
    location: row.lat !== null && row.lng !== null ? { lat: row.lat, lng: row.lng } : null,
    mutedNotificationTypes: row.mutedNotificationTypes as Me['mutedNotificationTypes'],
  };
}
