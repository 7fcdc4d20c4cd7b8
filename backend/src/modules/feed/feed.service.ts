import { z } from 'zod';
import type { FeedItem, FeedQuery, FeedResponse, Item } from '@hanger/contracts';
import type { Cache } from '../../platform/cache/types';
import { AppError } from '../../platform/errors';
import type { IndexedItem, SearchIndex } from '../search';
import type { FollowGraph } from '../social';
import type { TimelineStore } from './timeline-store';

declare module '../../platform/queue/types' {
  interface JobMap {
    /** Rebuilds a returning user's timeline from the sellers they follow. Idempotent. */
    'feed.rebuild': { userId: string };
    'feed.followed': { userId: string; sellerId: string };
  }
}

/** Sellers above this many followers are merged at read time instead of fanned out on write. */
export const LARGE_SELLER_FOLLOWERS = 10_000;
/** Items of a newly followed seller copied into the follower's timeline. */
const BACKFILL_ITEMS = 24;
/** Followers inactive this long get no fan-out; their timeline is rebuilt when they return. */
export const INACTIVE_AFTER_MS = 30 * 24 * 3_600_000;
const FANOUT_PAGE = 1_000;
const POPULAR_SIZE = 800;
const POPULAR_TTL_MS = 60_000;
const NEARBY_KM = 50;
const REBUILDING_TTL_MS = 60_000;
const LARGE_SELLERS_TTL_MS = 60_000;

export interface FeedViewer {
  userId: string;
  role: 'user' | 'moderator' | 'admin';
}

export interface FeedDeps {
  timelines: TimelineStore;
  index: Pick<SearchIndex, 'lookup' | 'newestBySellers' | 'popular'>;
  graph: FollowGraph;
  cache: Cache;
  render(ids: string[], viewer: FeedViewer | null): Promise<Item[]>;
  /** users: last activity and location of a user (null when the account is gone). */
  viewerProfile(
    userId: string,
  ): Promise<{ lastActiveAt: Date; lat: number | null; lng: number | null } | null>;
  touchActive(userId: string): Promise<void>;
  enqueueRebuild(userId: string): Promise<void>;
}

const uuid = z.string().regex(/^[0-9a-f-]{36}$/i);
const cursorSchema = z.object({
  /** Last timeline id served; null once the timeline ran out (then `p` pages the fill-ins). */
  t: uuid.nullable(),
  p: z.number().int().min(0).max(POPULAR_SIZE),
});
type Cursor = z.infer<typeof cursorSchema>;

const encode = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');
function decode(raw: string): Cursor {
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(raw, 'base64url').toString()));
    if (parsed.success) return parsed.data;
  } catch {
    // reported below
  }
  throw new AppError('VALIDATION_FAILED', 'The cursor is not valid', [
    { path: 'querystring.cursor', message: 'Invalid cursor' },
  ]);
}

const rad = (d: number) => (d * Math.PI) / 180;
function distanceKm(a: { lat: number; lng: number }, b: { lat: number; lng: number }) {
  const h =
    Math.sin(rad(b.lat - a.lat) / 2) ** 2 +
    Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(rad(b.lng - a.lng) / 2) ** 2;
  return 12742 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * The home feed. Writes: a new item is fanned out to the timelines of its seller's active
 * followers (sellers with more than 10,000 followers are skipped and merged at read time).
 * Reads: timeline ids + large followed sellers' newest ids, checked against the search read
 * model (listed, not deleted) and the current follow graph (unfollow = gone), then popular
 * (nearby first) items when the timeline runs out.
 */
export class FeedService {
  constructor(private readonly d: FeedDeps) {}

  async feed(query: FeedQuery, viewer: FeedViewer | null): Promise<FeedResponse> {
    const cursor = query.cursor ? decode(query.cursor) : { t: null, p: 0 };
    const first = !query.cursor;
    let rebuilding = false;
    let point =
      query.lat !== undefined && query.lng !== undefined
        ? { lat: query.lat, lng: query.lng }
        : null;
    const entries: { id: string; reason: FeedItem['reason'] }[] = [];
    let timelineNext: string | null = null;

    if (viewer) {
      // Timeline phase (the first page, or a cursor inside the timeline), alongside the profile.
      const inTimeline = first || cursor.t !== null;
      const [profile, page] = await Promise.all([
        this.d.viewerProfile(viewer.userId),
        inTimeline ? this.timelinePage(viewer.userId, cursor.t, query.limit) : null,
      ]);
      if (!point && profile?.lat != null && profile.lng != null) {
        point = { lat: profile.lat, lng: profile.lng };
      }
      if (first) rebuilding = await this.checkActivity(viewer.userId, profile?.lastActiveAt);
      if (page) {
        entries.push(...page.ids.map((id) => ({ id, reason: 'followed' as const })));
        timelineNext = page.next;
      }
    }

    let popularNext: number | null = null;
    if (entries.length < query.limit && timelineNext === null) {
      const seen = new Set(entries.map((e) => e.id));
      const fill = await this.popularPage(
        cursor.p,
        query.limit - entries.length,
        point,
        viewer?.userId ?? null,
        seen,
      );
      entries.push(...fill.ids.map((id) => ({ id, reason: 'popular' as const })));
      popularNext = fill.next;
    }

    const items = await this.d.render(
      entries.map((e) => e.id),
      viewer,
    );
    const reasons = new Map(entries.map((e) => [e.id, e.reason]));
    const nextCursor =
      timelineNext !== null
        ? encode({ t: timelineNext, p: 0 })
        : popularNext !== null
          ? encode({ t: null, p: popularNext })
          : null;
    return {
      data: items.map((item) => ({ ...item, reason: reasons.get(item.id) ?? 'popular' })),
      meta: { nextCursor, rebuilding },
    };
  }

  /** A user back after 30+ days had no fan-out meanwhile: rebuild their timeline. */
  private async checkActivity(userId: string, lastActiveAt: Date | undefined): Promise<boolean> {
    const key = `feed:rebuilding:${userId}`;
    if (lastActiveAt && Date.now() - lastActiveAt.getTime() > INACTIVE_AFTER_MS) {
      await this.d.cache.set(key, '1', REBUILDING_TTL_MS);
      await this.d.touchActive(userId);
      await this.d.enqueueRebuild(userId);
      return true;
    }
    if (await this.d.cache.get(key)) return true;
    // users.touchActive writes at most every 10 minutes; skip the round trip when it would not.
    if (!lastActiveAt || Date.now() - lastActiveAt.getTime() > 10 * 60_000) {
      await this.d.touchActive(userId);
    }
    return false;
  }

  private async timelinePage(userId: string, before: string | null, limit: number) {
    const fetch = limit * 2 + 1;
    const [timeline, large] = await Promise.all([
      this.d.timelines.page(userId, before, fetch),
      this.largeSellersFollowedBy(userId),
    ]);
    const merged =
      large.length > 0
        ? [...new Set([...timeline, ...(await this.d.index.newestBySellers(large, before, fetch))])]
            .sort()
            .reverse()
            .slice(0, fetch)
        : timeline;
    const facts = await this.d.index.lookup(merged);
    const followed = await this.d.graph.followedAmong(userId, [
      ...new Set([...facts.values()].map((f) => f.sellerId)),
    ]);
    const visible = merged.filter((id) => {
      const f = facts.get(id);
      return f !== undefined && f.sellerId !== userId && followed.has(f.sellerId);
    });
    const ids = visible.slice(0, limit);
    const more = visible.length > limit || merged.length >= fetch;
    const last = ids.length === limit ? ids[ids.length - 1] : merged[merged.length - 1];
    return { ids, next: more && last ? last : null };
  }

  /** Followed sellers merged at read time; cached a minute per reader (one fewer join a page). */
  private async largeSellersFollowedBy(userId: string): Promise<string[]> {
    const key = `feed:large:${userId}`;
    const hit = await this.d.cache.get(key);
    if (hit) return JSON.parse(hit) as string[];
    const ids = await this.d.graph.followedLargeSellers(userId, LARGE_SELLER_FOLLOWERS);
    await this.d.cache.set(key, JSON.stringify(ids), LARGE_SELLERS_TTL_MS);
    return ids;
  }

  private async popularList(): Promise<IndexedItem[]> {
    const hit = await this.d.cache.get('feed:popular');
    if (hit) return JSON.parse(hit) as IndexedItem[];
    const list = await this.d.index.popular(POPULAR_SIZE);
    await this.d.cache.set('feed:popular', JSON.stringify(list), POPULAR_TTL_MS);
    return list;
  }

  /** Popular items, those within 50 km of the point first; `p` is the offset in that order. */
  private async popularPage(
    offset: number,
    limit: number,
    point: { lat: number; lng: number } | null,
    viewerId: string | null,
    seen: Set<string>,
  ) {
    let list = await this.popularList();
    if (point) {
      const near = (i: IndexedItem) =>
        i.lat !== null &&
        i.lng !== null &&
        distanceKm(point, { lat: i.lat, lng: i.lng }) <= NEARBY_KM;
      list = [...list.filter(near), ...list.filter((i) => !near(i))];
    }
    const slice = list.slice(offset, offset + limit);
    const facts = await this.d.index.lookup(slice.map((i) => i.itemId));
    const ids = slice
      .map((i) => i.itemId)
      .filter((id) => {
        const f = facts.get(id);
        return f?.status === 'active' && f.sellerId !== viewerId && !seen.has(id);
      });
    const end = offset + slice.length;
    return { ids, next: end < list.length && slice.length === limit ? end : null };
  }

  // ---- writes (jobs) --------------------------------------------------------------------------

  /** `item.created` subscriber: the item into each active follower's timeline. Idempotent. */
  async fanOut(itemId: string, sellerId: string): Promise<number> {
    if ((await this.d.graph.followerCount(sellerId)) > LARGE_SELLER_FOLLOWERS) return 0;
    const since = new Date(Date.now() - INACTIVE_AFTER_MS);
    let after: string | null = null;
    let pushed = 0;
    for (;;) {
      const page = await this.d.graph.activeFollowers(sellerId, since, after, FANOUT_PAGE);
      await this.d.timelines.push(page.userIds, itemId);
      pushed += page.userIds.length;
      if (!page.next) return pushed;
      after = page.next;
    }
  }

  /**
   * `feed.followed`: a new follow brings the seller's recent items into the follower's timeline at
   * once, not only their next listing. Large sellers are merged at read time anyway. Idempotent.
   */
  async backfillFollow(userId: string, sellerId: string): Promise<void> {
    if ((await this.d.graph.followerCount(sellerId)) > LARGE_SELLER_FOLLOWERS) return;
    const ids = await this.d.index.newestBySellers([sellerId], null, BACKFILL_ITEMS);
    for (const id of ids) await this.d.timelines.push([userId], id);
  }

  /** `feed.rebuild`: the newest items of everyone the user follows, then the marker cleared. */
  async rebuild(userId: string): Promise<void> {
    const following = await this.d.graph.followingIds(userId);
    const ids = await this.d.index.newestBySellers(following, null, 800);
    await this.d.timelines.replace(userId, ids);
    await this.d.cache.del(`feed:rebuilding:${userId}`);
  }
}
