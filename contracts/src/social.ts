import { z } from 'zod';
import { isoDateTime, pageQuery, uuid } from './common';
import { item } from './listings';
import { userSummary } from './users';

/** A user in a followers/following list, with whether the caller follows them. */
export const followListEntry = userSummary
  .extend({ followedByMe: z.boolean(), followedAt: isoDateTime })
  .meta({ id: 'FollowListEntry' });
export type FollowListEntry = z.infer<typeof followListEntry>;

export const followState = z
  .object({ following: z.boolean(), followerCount: z.number().int() })
  .meta({ id: 'FollowState' });
export type FollowState = z.infer<typeof followState>;

export const blockListEntry = z
  .object({ user: userSummary, blockedAt: isoDateTime })
  .meta({ id: 'BlockListEntry' });
export type BlockListEntry = z.infer<typeof blockListEntry>;

export const blockState = z.object({ blocked: z.boolean() }).meta({ id: 'BlockState' });

export const likeState = z
  .object({ liked: z.boolean(), likeCount: z.number().int() })
  .meta({ id: 'LikeState' });
export type LikeState = z.infer<typeof likeState>;

export const favoriteState = z
  .object({ favorited: z.boolean(), favoriteCount: z.number().int() })
  .meta({ id: 'FavoriteState' });
export type FavoriteState = z.infer<typeof favoriteState>;

/** A saved item on `GET /me/favorites`: the item as the listings module serves it. */
export const favoriteListEntry = z
  .object({ itemId: uuid, favoritedAt: isoDateTime, item })
  .meta({ id: 'FavoriteListEntry' });

export const socialPageQuery = pageQuery;
