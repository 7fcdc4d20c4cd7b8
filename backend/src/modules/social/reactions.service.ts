import type { FavoriteState, Item, LikeState, PageQuery } from '@hanger/contracts';
import { AppError, notFound } from '../../platform/errors';
import { idCursor } from '../../platform/http/cursor';
import type { Outbox } from '../../platform/outbox/outbox';
import { recordActivity } from '../notifications';
import type { ItemCatalog, ItemFacts } from '../listings';
import type { ReactionsRepository } from './reactions.repository';
import type { SocialRepository } from './social.repository';

/** Renders items for a page as the listings module serves them (with the viewer's state). */
export type RenderItems = (itemIds: string[], viewerId: string) => Promise<Map<string, Item>>;

/** Likes and favourites: idempotent toggles whose counters move only when a row does. */
export class ReactionsService {
  constructor(
    private readonly repo: ReactionsRepository,
    private readonly social: Pick<SocialRepository, 'isBlockedEitherWay' | 'blockedIds'>,
    private readonly catalog: ItemCatalog,
    private readonly outbox: Outbox,
    private readonly renderItems: RenderItems,
  ) {}

  /** The item, if the user may react to it: visible to them and no block with its seller. */
  private async reactable(userId: string, itemId: string): Promise<ItemFacts> {
    const item = await this.catalog.facts(itemId);
    if (!item || (item.status === 'hidden' && item.sellerId !== userId)) throw notFound('Item');
    if (item.sellerId !== userId && (await this.social.isBlockedEitherWay(userId, item.sellerId))) {
      throw new AppError('FORBIDDEN', 'You cannot interact with this item', { reason: 'BLOCKED' });
    }
    return item;
  }

  async like(userId: string, itemId: string): Promise<LikeState> {
    const item = await this.reactable(userId, itemId);
    return this.outbox.transaction(async (tx, emit) => {
      let likeCount: number;
      if (await this.repo.insert(tx, 'like', itemId, userId)) {
        likeCount = await this.catalog.adjust(tx, itemId, 'likeCount', 1);
        await recordActivity(tx, emit, {
          type: 'item.liked',
          actorId: userId,
          subjectUserId: item.sellerId,
          itemId,
          data: { title: item.title },
        });
      } else {
        likeCount = await this.catalog.count(itemId, 'likeCount', tx);
      }
      return { liked: true, likeCount };
    });
  }

  async unlike(userId: string, itemId: string): Promise<void> {
    if (!(await this.catalog.facts(itemId))) throw notFound('Item');
    await this.outbox.transaction(async (tx) => {
      if (await this.repo.delete(tx, 'like', itemId, userId)) {
        await this.catalog.adjust(tx, itemId, 'likeCount', -1);
      }
    });
  }

  async favorite(userId: string, itemId: string): Promise<FavoriteState> {
    await this.reactable(userId, itemId);
    return this.outbox.transaction(async (tx) => {
      const favoriteCount = (await this.repo.insert(tx, 'favorite', itemId, userId))
        ? await this.catalog.adjust(tx, itemId, 'favoriteCount', 1)
        : await this.catalog.count(itemId, 'favoriteCount', tx);
      return { favorited: true, favoriteCount };
    });
  }

  async unfavorite(userId: string, itemId: string): Promise<void> {
    if (!(await this.catalog.facts(itemId))) throw notFound('Item');
    await this.outbox.transaction(async (tx) => {
      if (await this.repo.delete(tx, 'favorite', itemId, userId)) {
        await this.catalog.adjust(tx, itemId, 'favoriteCount', -1);
      }
    });
  }

  /** Saved items, newest saved first; items gone or hidden since are left out of the page. */
  async favorites(userId: string, query: PageQuery) {
    const before = query.cursor ? idCursor.decode(query.cursor) : undefined;
    const rows = await this.repo.favoritesPage(userId, query.limit + 1, before);
    const page = rows.slice(0, query.limit);
    const rendered = await this.renderItems(
      page.map((r) => r.itemId),
      userId,
    );
    const items = page.flatMap((r) => {
      const item = rendered.get(r.itemId);
      return item ? [{ itemId: r.itemId, favoritedAt: r.createdAt.toISOString(), item }] : [];
    });
    const last = page[page.length - 1];
    return {
      items,
      nextCursor: rows.length > query.limit && last ? idCursor.encode(last.id) : null,
    };
  }

  /** `likedByMe` / `favoritedByMe` for a page of items (the listings module's ViewerStateProvider). */
  async viewerState(userId: string, itemIds: string[]) {
    const { liked, favorited } = await this.repo.viewerState(userId, itemIds);
    return new Map(
      itemIds.map((id) => [id, { liked: liked.has(id), favorited: favorited.has(id) }] as const),
    );
  }

  favoritersOf(itemId: string, afterUserId: string | null, limit: number) {
    return this.repo.favoritersOf(itemId, afterUserId, limit);
  }

  /** Account deletion: drops the user's likes and favourites, keeping item counters exact. */
  async removeUser(userId: string): Promise<void> {
    for (const kind of ['like', 'favorite'] as const) {
      const counter = kind === 'like' ? 'likeCount' : 'favoriteCount';
      for (;;) {
        const n = await this.outbox.transaction(async (tx) => {
          const rows = await this.repo.ofUser(kind, userId, 500, tx);
          for (const r of rows) {
            if (await this.repo.delete(tx, kind, r.itemId, userId)) {
              await this.catalog.adjust(tx, r.itemId, counter, -1);
            }
          }
          return rows.length;
        });
        if (n < 500) break;
      }
    }
  }

  /** The user's likes and favourites for the data export. */
  async exportReactions(userId: string) {
    const [likes, favorites] = await Promise.all(
      (['like', 'favorite'] as const).map((kind) => this.repo.ofUser(kind, userId, 100_000)),
    );
    const shape = (rows: { itemId: string; createdAt: Date }[]) =>
      rows.map((r) => ({ itemId: r.itemId, at: r.createdAt.toISOString() }));
    return { likes: shape(likes!), favorites: shape(favorites!) };
  }
}
