import type { Comment, PageQuery, UserSummary } from '@hanger/contracts';
import type { Role } from '../../platform/auth/plugin';
import { AppError, forbidden, notFound } from '../../platform/errors';
import { idCursor } from '../../platform/http/cursor';
import { newId } from '../../platform/ids';
import type { Outbox } from '../../platform/outbox/outbox';
import { recordActivity } from '../notifications';
import type { ItemCatalog, ItemFacts } from '../listings';
import type { CommentRow, CommentsRepository } from './comments.repository';

export interface CommentsDeps {
  repo: CommentsRepository;
  outbox: Outbox;
  items: ItemCatalog;
  summaries: (ids: string[]) => Promise<Map<string, UserSummary>>;
  isBlockedEitherWay: (a: string, b: string) => Promise<boolean>;
  /** Users the viewer blocked or was blocked by: their comments are hidden from the viewer. */
  blockedIds: (viewerId: string) => Promise<Set<string>>;
}

export interface Actor {
  userId: string;
  role: Role;
}

const EXCERPT = 80;

function toComment(row: CommentRow, author: UserSummary): Comment {
  return {
    id: row.id,
    itemId: row.itemId,
    author,
    body: row.body,
    edited: row.editedAt !== null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The author of a deleted account's comments: one fixed placeholder, nothing that identifies. */
const ANONYMOUS_ID = '00000000-0000-7000-8000-000000000000';
function anonymous(): UserSummary {
  return { id: ANONYMOUS_ID, username: 'deleted', displayName: 'Deleted account', avatar: null };
}

/** Comments: a linear thread per item; authors edit and delete, sellers delete on their items. */
export class CommentsService {
  constructor(private readonly d: CommentsDeps) {}

  private async visibleItem(itemId: string, viewerId: string | null): Promise<ItemFacts> {
    const item = await this.d.items.facts(itemId);
    if (!item || (item.status === 'hidden' && item.sellerId !== viewerId)) throw notFound('Item');
    return item;
  }

  async list(itemId: string, viewerId: string | null, query: PageQuery) {
    await this.visibleItem(itemId, viewerId);
    const after = query.cursor ? idCursor.decode(query.cursor) : undefined;
    const hidden = viewerId ? [...(await this.d.blockedIds(viewerId))] : [];
    const rows = await this.d.repo.page(itemId, query.limit + 1, after, hidden);
    const page = rows.slice(0, query.limit);
    const authors = await this.d.summaries(page.map((r) => r.authorId));
    // A deleted account's comments stay, anonymised: its profile is gone, so no summary exists.
    const items = page.map((r) => toComment(r, authors.get(r.authorId) ?? anonymous()));
    const last = page[page.length - 1];
    return {
      items,
      nextCursor: rows.length > query.limit && last ? idCursor.encode(last.id) : null,
    };
  }

  async create(authorId: string, itemId: string, body: string): Promise<Comment> {
    const item = await this.visibleItem(itemId, authorId);
    if (item.sellerId !== authorId && (await this.d.isBlockedEitherWay(authorId, item.sellerId))) {
      throw new AppError('FORBIDDEN', 'You cannot comment on this item', { reason: 'BLOCKED' });
    }
    const row = await this.d.outbox.transaction(async (tx, emit) => {
      const inserted = await this.d.repo.insert(tx, { id: newId(), itemId, authorId, body });
      await this.d.items.adjust(tx, itemId, 'commentCount', 1);
      await recordActivity(tx, emit, {
        type: 'item.commented',
        actorId: authorId,
        subjectUserId: item.sellerId,
        itemId,
        data: {
          title: item.title,
          commentId: inserted.id,
          excerpt: body.length > EXCERPT ? `${body.slice(0, EXCERPT - 1)}…` : body,
        },
      });
      return inserted;
    });
    return this.render(row);
  }

  async update(actor: Actor, id: string, body: string): Promise<Comment> {
    const row = await this.d.repo.live(id);
    if (!row) throw notFound('Comment');
    if (row.authorId !== actor.userId) throw forbidden('Only the author can edit this comment');
    // The same rules as writing one: the item is still visible and no block stands between them.
    const item = await this.visibleItem(row.itemId, actor.userId);
    if (
      item.sellerId !== actor.userId &&
      (await this.d.isBlockedEitherWay(actor.userId, item.sellerId))
    ) {
      throw new AppError('FORBIDDEN', 'You cannot comment on this item', { reason: 'BLOCKED' });
    }
    const updated = await this.d.repo.updateBody(id, body);
    if (!updated) throw notFound('Comment');
    return this.render(updated);
  }

  async delete(actor: Actor, id: string): Promise<void> {
    const row = await this.d.repo.live(id);
    if (!row) throw notFound('Comment');
    const item = await this.d.items.facts(row.itemId);
    const by =
      row.authorId === actor.userId
        ? 'author'
        : item?.sellerId === actor.userId
          ? 'seller'
          : actor.role === 'moderator' || actor.role === 'admin'
            ? 'moderator'
            : null;
    if (!by) throw forbidden('Only the author or the seller can delete this comment');
    await this.d.outbox.transaction(async (tx) => {
      if (await this.d.repo.softDelete(tx, id, by)) {
        await this.d.items.adjust(tx, row.itemId, 'commentCount', -1);
      }
    });
  }

  private async render(row: CommentRow): Promise<Comment> {
    const author = (await this.d.summaries([row.authorId])).get(row.authorId);
    if (!author) throw notFound('Comment');
    return toComment(row, author);
  }

  /** The user's live comments, for the data export. */
  async exportOf(userId: string) {
    const rows = await this.d.repo.byAuthor(userId);
    return rows.map((r) => ({
      id: r.id,
      itemId: r.itemId,
      body: r.body,
      createdAt: r.createdAt.toISOString(),
    }));
  }
}
