import type { z } from 'zod';
import type {
  createItemBody,
  Image,
  Item,
  ItemStatus,
  updateItemBody,
  UserItemsQuery,
} from '@hanger/contracts';
import type { Role } from '../../platform/auth/plugin';
import type { Executor } from '../../platform/db/types';
import { AppError, forbidden, notFound } from '../../platform/errors';
import { idCursor } from '../../platform/http/cursor';
import { newId } from '../../platform/ids';
import type { Emit } from '../../platform/outbox/outbox';
import './listings.events';
import { toItem } from './listings.mapper';
import type { ListingMedia, SellerDirectory, ViewerStateProvider } from './listings.ports';
import type { ItemRecord, ListingsRepository, NewItem } from './listings.repository';

export type CreateItem = z.output<typeof createItemBody>;
export type UpdateItem = z.output<typeof updateItemBody>;

export interface Viewer {
  userId: string;
  role: Role;
}

export interface ListingsServiceDeps {
  repo: ListingsRepository;
  media: ListingMedia;
  sellers: SellerDirectory;
  viewerState: ViewerStateProvider;
  transaction: <T>(fn: (tx: Executor, emit: Emit) => Promise<T>) => Promise<T>;
}

/** What a seller may do with the status; `sold` is final. */
const SELLER_TRANSITIONS: Record<ItemStatus, readonly ItemStatus[]> = {
  active: ['reserved', 'sold', 'hidden'],
  reserved: ['active', 'sold', 'hidden'],
  hidden: ['active'],
  sold: [],
};

/** Column names as the API calls them, in `item.updated` events. */
const FIELD_NAMES: Record<string, string> = {
  brandId: 'brand',
  city: 'location',
  country: 'location',
  lat: 'location',
  lng: 'location',
};

const PUBLIC_STATUSES: ItemStatus[] = ['active', 'reserved', 'sold'];
const ALL_STATUSES: ItemStatus[] = ['active', 'reserved', 'sold', 'hidden'];

const isModerator = (viewer: Viewer | null | undefined) =>
  viewer?.role === 'moderator' || viewer?.role === 'admin';

export class ListingsService {
  constructor(private readonly d: ListingsServiceDeps) {}

  // ---- reads ---------------------------------------------------------------------------------

  /** One item page: a fixed number of queries whatever the number of photos. */
  async get(id: string, viewer: Viewer | null): Promise<Item> {
    const row = await this.d.repo.byId(id);
    if (!row || !this.canSee(row, viewer)) throw notFound('Item');
    const [item] = await this.render([row], viewer);
    if (!item) throw notFound('Item');
    return item;
  }

  async listBySeller(
    username: string,
    query: UserItemsQuery,
    viewer: Viewer | null,
  ): Promise<{ data: Item[]; nextCursor: string | null }> {
    const sellerId = await this.d.sellers.idByUsername(username);
    if (!sellerId) throw notFound('User');
    const before = query.cursor ? idCursor.decode(query.cursor) : undefined;
    const mayHidden = viewer?.userId === sellerId || isModerator(viewer);
    const visible = mayHidden ? ALL_STATUSES : PUBLIC_STATUSES;
    const statuses = query.status ? visible.filter((s) => s === query.status) : visible;
    if (statuses.length === 0) return { data: [], nextCursor: null };
    const rows = await this.d.repo.bySeller(sellerId, statuses, before, query.limit);
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      data: await this.render(page, viewer),
      nextCursor: rows.length > query.limit && last ? idCursor.encode(last.id) : null,
    };
  }

  /**
   * Renders a page of items by id, in the order given, for read models that find ids elsewhere
   * (search, feed): a fixed number of queries per page. Deleted items, and hidden ones the viewer
   * may not see, are left out.
   */
  async renderIds(ids: string[], viewer: Viewer | null): Promise<Item[]> {
    if (ids.length === 0) return [];
    const rows = await this.d.repo.byIds(ids);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const ordered = ids.flatMap((id) => {
      const row = byId.get(id);
      return row && this.canSee(row, viewer) ? [row] : [];
    });
    return this.render(ordered, viewer);
  }

  /** A live item's stored record (any status), for read models that index items (search). */
  snapshot(id: string): Promise<ItemRecord | undefined> {
    return this.d.repo.byId(id);
  }

  private canSee(row: ItemRecord, viewer: Viewer | null): boolean {
    return row.status !== 'hidden' || viewer?.userId === row.sellerId || isModerator(viewer);
  }

  /** Items for a page: sellers, photos and viewer state each in one call, never one per item. */
  private async render(rows: ItemRecord[], viewer: Viewer | null): Promise<Item[]> {
    if (rows.length === 0) return [];
    const [sellers, images, state] = await Promise.all([
      this.d.sellers.summaries([...new Set(rows.map((r) => r.sellerId))]),
      this.d.media.images(
        rows.flatMap((r) => r.imageIds),
        viewer?.userId,
      ),
      viewer
        ? this.d.viewerState(
            viewer.userId,
            rows.map((r) => r.id),
          )
        : Promise.resolve(undefined),
    ]);
    const out: Item[] = [];
    for (const row of rows) {
      const seller = sellers.get(row.sellerId);
      if (!seller) continue; // the seller's account is gone
      const owner = viewer?.userId === row.sellerId;
      const photos = row.imageIds
        .map((id) => images.get(id))
        .filter((img): img is Image => Boolean(img) && (owner || img!.status !== 'failed'));
      out.push(toItem(row, seller, photos, state?.get(row.id)));
    }
    return out;
  }

  // ---- writes --------------------------------------------------------------------------------

  async create(sellerId: string, body: CreateItem): Promise<Item> {
    const uploadIds = body.imageUploadIds;
    await this.d.media.checkAttachable(sellerId, 'item_image', uploadIds);
    const id = newId();
    await this.d.transaction(async (tx, emit) => {
      const brandId = await this.d.repo.upsertBrand(tx, body.brand);
      await this.d.repo.insert(tx, {
        id,
        sellerId,
        title: body.title,
        description: body.description,
        category: body.category,
        brandId,
        size: body.size,
        condition: body.condition,
        priceCents: body.priceCents,
        currency: body.currency,
        tags: body.tags ?? [],
        ...locationColumns(body.location),
      });
      await this.d.media.attach(tx, emit, sellerId, 'item_image', uploadIds);
      await this.d.repo.setImages(tx, id, uploadIds);
      await emit('item.created', { itemId: id, sellerId });
    });
    return this.get(id, { userId: sellerId, role: 'user' });
  }

  async update(viewer: Viewer, id: string, body: UpdateItem): Promise<Item> {
    const current = await this.d.repo.byId(id);
    if (!current) throw notFound('Item');
    const isSeller = current.sellerId === viewer.userId;
    if (!isSeller) {
      if (!isModerator(viewer) || !this.canSee(current, viewer)) {
        throw forbidden('Only the seller can edit this item');
      }
      const fields = Object.keys(body).filter((k) => k !== 'status');
      if (fields.length > 0) throw forbidden('Moderators may only change the status');
    }

    const nextImages = body.imageUploadIds;
    const added = nextImages?.filter((u) => !current.imageIds.includes(u)) ?? [];
    if (added.length > 0) {
      await this.d.media.checkAttachable(current.sellerId, 'item_image', added);
    }

    await this.d.transaction(async (tx, emit) => {
      const row = await this.d.repo.byId(id, tx, true);
      if (!row) throw notFound('Item');
      const set: Partial<NewItem> = {};
      const changed: string[] = [];
      const edits = Object.keys(body).filter((k) => k !== 'status');
      if (edits.length > 0 && row.status === 'sold') {
        throw new AppError('CONFLICT', 'A sold item can no longer be edited');
      }

      if (body.title !== undefined && body.title !== row.title) set.title = body.title;
      if (body.description !== undefined && body.description !== row.description) {
        set.description = body.description;
      }
      if (body.category !== undefined && body.category !== row.category)
        set.category = body.category;
      if (body.size !== undefined && body.size !== row.size) set.size = body.size;
      if (body.condition !== undefined && body.condition !== row.condition) {
        set.condition = body.condition;
      }
      if (body.tags !== undefined && body.tags.join('\n') !== row.tags.join('\n'))
        set.tags = body.tags;
      if (body.brand !== undefined && body.brand !== row.brand) {
        set.brandId = await this.d.repo.upsertBrand(tx, body.brand);
      }
      if (body.location !== undefined) {
        const loc = locationColumns(body.location);
        if (
          loc.city !== row.city ||
          loc.country !== row.country ||
          loc.lat !== row.lat ||
          loc.lng !== row.lng
        ) {
          Object.assign(set, loc);
        }
      }
      changed.push(...new Set(Object.keys(set).map((k) => FIELD_NAMES[k] ?? k)));

      // Price: a decrease in the same currency is remembered; an increase clears the "was" price.
      let priceDrop: { fromCents: number; toCents: number; currency: string } | null = null;
      const price = body.priceCents ?? row.priceCents;
      const currency = body.currency ?? row.currency;
      if (price !== row.priceCents || currency !== row.currency) {
        set.priceCents = price;
        set.currency = currency;
        changed.push('priceCents');
        if (currency !== row.currency) changed.push('currency');
        if (currency === row.currency && price < row.priceCents) {
          set.previousPriceCents = row.priceCents;
          priceDrop = { fromCents: row.priceCents, toCents: price, currency };
          await this.d.repo.recordPriceDrop(tx, row.id, row.priceCents, price, currency);
        } else {
          set.previousPriceCents = null;
        }
      }

      if (nextImages && nextImages.join() !== row.imageIds.join()) {
        const toAttach = nextImages.filter((u) => !row.imageIds.includes(u));
        const removed = row.imageIds.filter((u) => !nextImages.includes(u));
        await this.d.media.attach(tx, emit, row.sellerId, 'item_image', toAttach);
        await this.d.media.release(tx, removed);
        await this.d.repo.setImages(tx, row.id, nextImages);
        changed.push('images');
      }

      let statusChange: { from: ItemStatus; to: ItemStatus; by: 'seller' | 'moderator' } | null =
        null;
      if (body.status !== undefined && body.status !== row.status) {
        const by = isSeller ? 'seller' : 'moderator';
        this.checkTransition(row, body.status, by);
        set.status = body.status;
        set.hiddenBy = body.status === 'hidden' ? by : null;
        set.statusChangedAt = new Date();
        statusChange = { from: row.status, to: body.status, by };
      }

      if (Object.keys(set).length === 0 && changed.length === 0) return;
      await this.d.repo.update(tx, row.id, set);
      if (changed.length > 0) {
        await emit('item.updated', { itemId: row.id, sellerId: row.sellerId, changed, priceDrop });
      }
      if (statusChange) {
        await emit('item.statusChanged', {
          itemId: row.id,
          sellerId: row.sellerId,
          ...statusChange,
        });
      }
    });
    return this.get(id, viewer);
  }

  private checkTransition(row: ItemRecord, to: ItemStatus, by: 'seller' | 'moderator') {
    if (by === 'moderator') {
      if (to === 'hidden' || (row.status === 'hidden' && to === 'active')) return;
      throw forbidden('Moderators may only hide or unhide items');
    }
    if (row.status === 'hidden' && row.hiddenBy === 'moderator') {
      throw forbidden('A moderator hid this item; it cannot be changed back by the seller');
    }
    if (!SELLER_TRANSITIONS[row.status].includes(to)) {
      throw new AppError('CONFLICT', `An item cannot go from ${row.status} to ${to}`, {
        from: row.status,
        to,
        allowed: SELLER_TRANSITIONS[row.status],
      });
    }
  }

  /** Soft delete: gone from every read at once; its photos are released for later clean-up. */
  async delete(viewer: Viewer, id: string): Promise<void> {
    const current = await this.d.repo.byId(id);
    if (!current) throw notFound('Item');
    if (current.sellerId !== viewer.userId) throw forbidden('Only the seller can delete this item');
    await this.d.transaction(async (tx, emit) => {
      const row = await this.d.repo.byId(id, tx, true);
      if (!row || !(await this.d.repo.softDelete(tx, id))) throw notFound('Item');
      await this.d.media.release(tx, row.imageIds);
      await emit('item.deleted', { itemId: id, sellerId: row.sellerId });
    });
  }

  /** Account deletion step: every live item of the user is deleted (idempotent). */
  async deleteAllOf(sellerId: string): Promise<number> {
    return this.d.transaction(async (tx, emit) => {
      const rows = await this.d.repo.liveIdsOf(tx, sellerId);
      for (const row of rows) {
        await this.d.repo.softDelete(tx, row.id);
        await this.d.media.release(tx, row.imageIds);
        await emit('item.deleted', { itemId: row.id, sellerId });
      }
      return rows.length;
    });
  }

  sellerCounts(sellerId: string, executor?: Executor) {
    return this.d.repo.sellerCounts(sellerId, executor);
  }
}

function locationColumns(
  location: CreateItem['location'],
): Pick<NewItem, 'city' | 'country' | 'lat' | 'lng'> {
  return {
    city: location?.city ?? null,
    country: location?.country ?? null,
    lat: location?.lat ?? null,
    lng: location?.lng ?? null,
  };
}
