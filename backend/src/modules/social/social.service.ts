import type { BlockListEntry, FollowListEntry, FollowState, PageQuery } from '@hanger/contracts';
import { AppError, forbidden, invalid, notFound } from '../../platform/errors';
import { idCursor } from '../../platform/http/cursor';
import type { Emit, Outbox } from '../../platform/outbox/outbox';
import { recordActivity } from '../notifications';
import type { SocialRepository } from './social.repository';
import type { UserDirectory } from '../users';

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Follows and blocks: the rules live here, the SQL in the repository. */
export class SocialService {
  constructor(
    private readonly repo: SocialRepository,
    private readonly outbox: Outbox,
    private readonly users: UserDirectory,
    /** Runs inside the follow's transaction (the feed backfills the new followee's items). */
    private readonly onFollowed: (
      emit: Emit,
      followerId: string,
      followeeId: string,
    ) => Promise<void> = () => Promise.resolve(),
  ) {}

  private async target(username: string) {
    const user = await this.users.activeByUsername(username);
    if (!user) throw notFound('User');
    return user;
  }

  async follow(viewerId: string, username: string): Promise<FollowState> {
    const target = await this.target(username);
    if (target.id === viewerId) throw invalid('You cannot follow yourself');
    return this.outbox.transaction(async (tx, emit) => {
      await this.repo.lockPair(tx, viewerId, target.id);
      if (await this.repo.isBlockedEitherWay(viewerId, target.id, tx)) {
        throw forbidden('You cannot follow this user');
      }
      if (await this.repo.insertFollow(tx, viewerId, target.id)) {
        await this.users.adjustFollowCounts(tx, viewerId, target.id, 1);
        await this.onFollowed(emit, viewerId, target.id);
        await recordActivity(tx, emit, {
          type: 'follow.created',
          actorId: viewerId,
          subjectUserId: target.id,
          itemId: null,
          data: {},
        });
      }
      return { following: true, followerCount: await this.users.followerCount(target.id, tx) };
    });
  }

  async unfollow(viewerId: string, username: string): Promise<void> {
    const target = await this.target(username);
    await this.outbox.transaction(async (tx) => {
      await this.repo.lockPair(tx, viewerId, target.id);
      if (await this.repo.deleteFollow(tx, viewerId, target.id)) {
        await this.users.adjustFollowCounts(tx, viewerId, target.id, -1);
      }
    });
  }

  async followList(
    direction: 'followers' | 'following',
    username: string,
    viewerId: string | null,
    query: PageQuery,
  ): Promise<Page<FollowListEntry>> {
    const target = await this.target(username);
    const before = query.cursor ? idCursor.decode(query.cursor) : undefined;
    const edges = await this.repo.followPage(
      direction,
      target.id,
      viewerId,
      query.limit + 1,
      before,
    );
    const page = edges.slice(0, query.limit);
    const ids = page.map((e) => e.userId);
    const [summaries, followed] = await Promise.all([
      this.users.summaries(ids),
      viewerId ? this.repo.followedBy(viewerId, ids) : Promise.resolve(new Set<string>()),
    ]);
    const items = page.flatMap((e) => {
      const u = summaries.get(e.userId);
      return u
        ? [{ ...u, followedByMe: followed.has(e.userId), followedAt: e.createdAt.toISOString() }]
        : [];
    });
    const last = page[page.length - 1];
    return {
      items,
      nextCursor: edges.length > query.limit && last ? idCursor.encode(last.id) : null,
    };
  }

  /** Blocking removes follows both ways (with their counters) and stops new ones. */
  async block(viewerId: string, username: string): Promise<void> {
    const target = await this.target(username);
    if (target.id === viewerId) throw invalid('You cannot block yourself');
    await this.outbox.transaction(async (tx) => {
      await this.repo.lockPair(tx, viewerId, target.id);
      if (!(await this.repo.insertBlock(tx, viewerId, target.id))) return;
      if (await this.repo.deleteFollow(tx, viewerId, target.id)) {
        await this.users.adjustFollowCounts(tx, viewerId, target.id, -1);
      }
      if (await this.repo.deleteFollow(tx, target.id, viewerId)) {
        await this.users.adjustFollowCounts(tx, target.id, viewerId, -1);
      }
    });
  }

  async unblock(viewerId: string, username: string): Promise<void> {
    const target = await this.target(username);
    await this.repo.deleteBlock(viewerId, target.id);
  }

  async blockList(viewerId: string, query: PageQuery): Promise<Page<BlockListEntry>> {
    const before = query.cursor ? idCursor.decode(query.cursor) : undefined;
    const edges = await this.repo.blockPage(viewerId, query.limit + 1, before);
    const page = edges.slice(0, query.limit);
    const summaries = await this.users.summaries(page.map((e) => e.userId));
    const items = page.flatMap((e) => {
      const user = summaries.get(e.userId);
      return user ? [{ user, blockedAt: e.createdAt.toISOString() }] : [];
    });
    const last = page[page.length - 1];
    return {
      items,
      nextCursor: edges.length > query.limit && last ? idCursor.encode(last.id) : null,
    };
  }

  /** For other modules (comments, messaging): refuses when either user blocked the other. */
  async assertNotBlocked(a: string, b: string, message: string): Promise<void> {
    if (a !== b && (await this.repo.isBlockedEitherWay(a, b))) {
      throw new AppError('FORBIDDEN', message, { reason: 'BLOCKED' });
    }
  }

  isBlockedEitherWay(a: string, b: string): Promise<boolean> {
    return this.repo.isBlockedEitherWay(a, b);
  }

  blockedWith(userId: string, userIds: string[]): Promise<Set<string>> {
    return this.repo.blockedWith(userId, userIds);
  }

  blockedIds(viewerId: string): Promise<Set<string>> {
    return this.repo.blockedIds(viewerId);
  }

  followedBy(viewerId: string, userIds: string[]): Promise<Set<string>> {
    return this.repo.followedBy(viewerId, userIds);
  }

  /**
   * Account deletion: removes every follow edge of the user (moving the other side's counter)
   * and every block, in batches. Idempotent: a rerun finds fewer edges, or none.
   */
  async removeUser(userId: string): Promise<void> {
    for (;;) {
      const remaining = await this.outbox.transaction(async (tx) => {
        const edges = await this.repo.edgesOf(tx, userId, 500);
        for (const e of edges) {
          if (await this.repo.deleteFollow(tx, e.followerId, e.followeeId)) {
            await this.users.adjustFollowCounts(tx, e.followerId, e.followeeId, -1);
          }
        }
        return edges.length;
      });
      if (remaining < 500) break;
    }
    await this.repo.deleteBlocksOf(userId);
  }

  /** The user's follow graph for the data export: usernames, not ids. */
  async exportGraph(userId: string): Promise<{ following: string[]; followers: string[] }> {
    const { following, followers } = await this.repo.graphOf(userId);
    const names = await this.users.summaries([...following, ...followers]);
    const name = (id: string) => names.get(id)?.username;
    return {
      following: following.map(name).filter((n): n is string => Boolean(n)),
      followers: followers.map(name).filter((n): n is string => Boolean(n)),
    };
  }
}
