import { and, desc, eq, sql } from 'drizzle-orm';
import {
  MAX_SAVED_SEARCHES,
  type SavedSearch,
  type SearchFilters,
  savedSearchFilters,
} from '@hanger/contracts';
import type { Database, Executor } from '../../platform/db/types';
import { queryRows } from '../../platform/db/types';
import { AppError, notFound } from '../../platform/errors';
import { newId } from '../../platform/ids';
import type { Emit } from '../../platform/outbox/outbox';
import type { SearchService } from './search.service';
import { savedSearches } from './search.table';

/** A saved search notifies its owner at most once per this window (matches are batched). */
export const SAVED_SEARCH_NOTIFY_WINDOW_MS = 15 * 60_000;

declare module '../../platform/queue/types' {
  interface JobMap {
    /** Sends the batched "N new matches" notice of a saved search once its window has passed. */
    'search.notifySavedSearch': { savedSearchId: string };
    /** Recomputes brand popularity for autocomplete. */
    'search.refreshBrands': Record<string, never>;
  }
}

export interface SavedSearchDeps {
  db: Database;
  search: Pick<SearchService, 'toIndexQuery'>;
  transaction: <T>(fn: (tx: Executor, emit: Emit) => Promise<T>) => Promise<T>;
  /** notifications: appends a `saved_search.match` event (and its job) inside the transaction. */
  notify(
    tx: Executor,
    emit: Emit,
    event: {
      userId: string;
      savedSearchId: string;
      itemId: string;
      itemTitle: string;
      searchName: string;
      count: number;
    },
  ): Promise<void>;
  /** Schedules a later `search.notifySavedSearch` (deduplicated by job id). */
  later(savedSearchId: string, delayMs: number, jobId: string): Promise<void>;
}

type Row = typeof savedSearches.$inferSelect;

function toSavedSearch(row: Row): SavedSearch {
  return {
    id: row.id,
    name: row.name,
    filters: savedSearchFilters.parse(JSON.parse(row.filters)),
    createdAt: row.createdAt.toISOString(),
    lastNotifiedAt: row.lastNotifiedAt?.toISOString() ?? null,
  };
}

/** A readable default name: "denim jacket · outerwear · Levi's". */
function defaultName(f: SearchFilters): string {
  const parts = [f.q, f.category, ...(f.brand ?? []), ...(f.size ?? [])].filter(Boolean);
  return (parts.join(' · ') || 'All items').slice(0, 80);
}

/**
 * Saved searches: stored filters, tested against each new item in one statement; matches are
 * recorded (once per item) and their owner hears about them in one batched notification at most
 * every 15 minutes, through the notifications pipeline.
 */
export class SavedSearchesService {
  constructor(private readonly d: SavedSearchDeps) {}

  async list(userId: string): Promise<SavedSearch[]> {
    const rows = await this.d.db
      .select()
      .from(savedSearches)
      .where(eq(savedSearches.userId, userId))
      .orderBy(desc(savedSearches.id));
    return rows.map(toSavedSearch);
  }

  async create(
    userId: string,
    body: { name?: string; filters: SearchFilters },
  ): Promise<SavedSearch> {
    const f = body.filters;
    const query = await this.d.search.toIndexQuery(f);
    if (!query) {
      throw new AppError('VALIDATION_FAILED', 'Unknown seller', [
        { path: 'body.filters.seller', message: 'No such user' },
      ]);
    }
    const stored = Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined));
    return this.d.transaction(async (tx) => {
      // Serialise one user's creations so the cap holds under concurrency.
      await tx.execute(
        sql`select pg_advisory_xact_lock(hashtextextended(${`saved:${userId}`}, 0))`,
      );
      const [count] = await queryRows<{ n: number }>(
        tx,
        sql`select count(*)::int as n from saved_searches where user_id = ${userId}`,
      );
      if (Number(count?.n ?? 0) >= MAX_SAVED_SEARCHES) {
        throw new AppError('CONFLICT', `At most ${MAX_SAVED_SEARCHES} saved searches`);
      }
      const [row] = await tx
        .insert(savedSearches)
        .values({
          id: newId(),
          userId,
          name: body.name ?? defaultName(f),
          filters: JSON.stringify(stored),
          q: query.q,
          category: query.category,
          brandKeys: query.brandKeys,
          sizeKeys: query.sizeKeys,
          conditions: query.conditions,
          priceMin: query.priceMin,
          priceMax: query.priceMax,
          lat: query.near?.lat ?? null,
          lng: query.near?.lng ?? null,
          radiusKm: query.near?.radiusKm ?? null,
          sellerId: query.sellerId,
        })
        .returning();
      return toSavedSearch(row!);
    });
  }

  async delete(userId: string, id: string): Promise<void> {
    const rows = await this.d.db
      .delete(savedSearches)
      .where(and(eq(savedSearches.id, id), eq(savedSearches.userId, userId)))
      .returning({ id: savedSearches.id });
    if (rows.length === 0) throw notFound('Saved search');
  }

  /**
   * `item.created` subscriber (after the index has the item): every saved search the item
   * matches gets a hit, in one statement; a re-run adds nothing. Then each one notifies or waits.
   */
  async matchNewItem(itemId: string): Promise<number> {
    const hits = await queryRows<{ saved_search_id: string }>(
      this.d.db,
      sql`
      insert into saved_search_hits (saved_search_id, item_id)
      select s.id, i.item_id
      from search_items i
      join saved_searches s on s.user_id <> i.seller_id
      where i.item_id = ${itemId} and i.status = 'active'
        and (s.q is null or i.document @@ websearch_to_tsquery('public.hanger_search', s.q))
        and (s.category is null or s.category = i.category)
        and (cardinality(s.brand_keys) = 0 or i.brand_key = any(s.brand_keys))
        and (cardinality(s.size_keys) = 0 or i.size_key = any(s.size_keys))
        and (cardinality(s.conditions) = 0 or i.condition = any(s.conditions))
        and (s.price_min is null or i.price_cents >= s.price_min)
        and (s.price_max is null or i.price_cents <= s.price_max)
        and (s.seller_id is null or s.seller_id = i.seller_id)
        and (s.lat is null or (i.lat is not null and 12742 * asin(least(1, sqrt(
              power(sin(radians(i.lat - s.lat) / 2), 2)
              + cos(radians(s.lat)) * cos(radians(i.lat)) * power(sin(radians(i.lng - s.lng) / 2), 2)
            ))) <= s.radius_km))
      on conflict do nothing
      returning saved_search_id`,
    );
    for (const hit of hits) await this.flush(hit.saved_search_id);
    return hits.length;
  }

  /**
   * Sends the batched notice when the window allows, else schedules itself for when it does.
   * Safe to run any number of times: hits are marked notified in the same transaction.
   */
  async flush(savedSearchId: string): Promise<void> {
    const wait = await this.d.transaction(async (tx, emit) => {
      const [search] = await tx
        .select()
        .from(savedSearches)
        .where(eq(savedSearches.id, savedSearchId))
        .for('update');
      if (!search) return null;
      const last = search.lastNotifiedAt?.getTime() ?? 0;
      const waitMs = last + SAVED_SEARCH_NOTIFY_WINDOW_MS - Date.now();
      if (waitMs > 0) return { waitMs, slot: last };
      const pending = await queryRows<{ item_id: string; title: string | null }>(
        tx,
        sql`
        update saved_search_hits h set notified_at = now()
        from (select item_id from saved_search_hits
              where saved_search_id = ${savedSearchId} and notified_at is null) p
        where h.saved_search_id = ${savedSearchId} and h.item_id = p.item_id
        returning h.item_id, (select title from search_items where item_id = h.item_id) as title`,
      );
      if (pending.length === 0) return null;
      const newest = pending.reduce((a, b) => (b.item_id > a.item_id ? b : a));
      await tx
        .update(savedSearches)
        .set({ lastNotifiedAt: sql`now()` })
        .where(eq(savedSearches.id, savedSearchId));
      await this.d.notify(tx, emit, {
        userId: search.userId,
        savedSearchId,
        itemId: newest.item_id,
        itemTitle: newest.title ?? '',
        searchName: search.name,
        count: pending.length,
      });
      return null;
    });
    if (wait) {
      await this.d.later(
        savedSearchId,
        wait.waitMs + 50,
        `saved-search-${savedSearchId}-${wait.slot}`,
      );
    }
  }
}
