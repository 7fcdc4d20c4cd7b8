import type { UserSummary } from '@hanger/contracts';
import type { MediaService } from '../media';

/** Sellers as the users module renders them (summaries with avatars), wired in composition.ts. */
export interface SellerDirectory {
  /** Active (not deleted) users by id, in as few queries as the users module can. */
  summaries(userIds: string[]): Promise<Map<string, UserSummary>>;
  idByUsername(username: string): Promise<string | null>;
}

export interface ViewerState {
  liked: boolean;
  favorited: boolean;
}

/**
 * `likedByMe` / `favoritedByMe` for a page of items, in one call. The social module provides it;
 * until it is plugged in (composition.ts), everything is false.
 */
export type ViewerStateProvider = (
  viewerId: string,
  itemIds: string[],
) => Promise<Map<string, ViewerState>>;

export const noViewerState: ViewerStateProvider = () =>
  Promise.resolve(new Map<string, ViewerState>());

/** What listings needs from media: attach/release photos with a write, render them for reads. */
export type ListingMedia = Pick<MediaService, 'checkAttachable' | 'attach' | 'release' | 'images'>;
