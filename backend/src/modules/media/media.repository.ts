import { and, eq, gte, inArray, isNotNull, isNull, lt, ne, sql } from 'drizzle-orm';
import type { Database, Executor } from '../../platform/db/types';
import { uploads, type StoredVariants, type UploadRow } from './media.table';

export type NewUpload = typeof uploads.$inferInsert;

/** Every query on the uploads table. */
export class MediaRepository {
  constructor(private readonly db: Database) {}

  async insert(row: NewUpload): Promise<UploadRow> {
    const [created] = await this.db.insert(uploads).values(row).returning();
    return created!;
  }

  async byId(id: string, executor: Executor = this.db): Promise<UploadRow | undefined> {
    const [row] = await executor.select().from(uploads).where(eq(uploads.id, id)).limit(1);
    return row;
  }

  async byIds(ids: string[], executor: Executor = this.db): Promise<UploadRow[]> {
    if (ids.length === 0) return [];
    return executor.select().from(uploads).where(inArray(uploads.id, ids));
  }

  async countCreatedSince(ownerId: string, since: Date): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(uploads)
      .where(and(eq(uploads.ownerId, ownerId), gte(uploads.createdAt, since)));
    return row?.n ?? 0;
  }

  /**
   * Claims unattached, unexpired uploads of one owner and purpose for use, moving them to
   * `processing`. Returns the ids it claimed: fewer than asked means someone else got there first.
   */
  async attach(
    tx: Executor,
    ownerId: string,
    purpose: UploadRow['purpose'],
    ids: string[],
    notBefore: Date,
  ): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await tx
      .update(uploads)
      .set({ status: 'processing', attachedAt: sql`now()`, updatedAt: sql`now()` })
      .where(
        and(
          inArray(uploads.id, ids),
          eq(uploads.ownerId, ownerId),
          eq(uploads.purpose, purpose),
          isNull(uploads.attachedAt),
          gte(uploads.createdAt, notBefore),
        ),
      )
      .returning({ id: uploads.id });
    return rows.map((r) => r.id);
  }

  async release(tx: Executor, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await tx
      .update(uploads)
      .set({ releasedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(inArray(uploads.id, ids), isNull(uploads.releasedAt)));
  }

  async markReady(
    id: string,
    set: {
      detectedType: string;
      width: number;
      height: number;
      blurhash: string;
      dominantColor: string;
      variants: StoredVariants;
    },
  ): Promise<boolean> {
    const rows = await this.db
      .update(uploads)
      .set({
        ...set,
        status: 'ready',
        failureReason: null,
        processedAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(uploads.id, id), eq(uploads.status, 'processing'), isNull(uploads.purgedAt)))
      .returning({ id: uploads.id });
    return rows.length > 0;
  }

  async markFailed(id: string, reason: string, detectedType: string | null): Promise<boolean> {
    const rows = await this.db
      .update(uploads)
      .set({
        status: 'failed',
        failureReason: reason,
        detectedType,
        processedAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(uploads.id, id), eq(uploads.status, 'processing')))
      .returning({ id: uploads.id });
    return rows.length > 0;
  }

  /** Uploads never attached, created before the cutoff. */
  unattachedBefore(cutoff: Date, limit: number): Promise<UploadRow[]> {
    return this.db
      .select()
      .from(uploads)
      .where(and(isNull(uploads.attachedAt), lt(uploads.createdAt, cutoff)))
      .orderBy(uploads.createdAt)
      .limit(limit);
  }

  async deleteUnattached(ids: string[], cutoff: Date): Promise<number> {
    if (ids.length === 0) return 0;
    const rows = await this.db
      .delete(uploads)
      .where(
        and(inArray(uploads.id, ids), isNull(uploads.attachedAt), lt(uploads.createdAt, cutoff)),
      )
      .returning({ id: uploads.id });
    return rows.length;
  }

  /** Released (no longer used) uploads whose grace period is over and whose objects remain. */
  releasedBefore(cutoff: Date, limit: number): Promise<UploadRow[]> {
    return this.db
      .select()
      .from(uploads)
      .where(
        and(
          isNotNull(uploads.releasedAt),
          lt(uploads.releasedAt, cutoff),
          isNull(uploads.purgedAt),
        ),
      )
      .orderBy(uploads.releasedAt)
      .limit(limit);
  }

  async markPurged(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .update(uploads)
      .set({ purgedAt: sql`now()`, updatedAt: sql`now()` })
      .where(inArray(uploads.id, ids));
  }

  /** Uploads that have been `processing` since before the cutoff (their job was lost). */
  stuckProcessing(cutoff: Date, limit: number): Promise<{ id: string }[]> {
    return this.db
      .select({ id: uploads.id })
      .from(uploads)
      .where(and(eq(uploads.status, 'processing'), lt(uploads.updatedAt, cutoff)))
      .orderBy(uploads.updatedAt)
      .limit(limit);
  }

  async touch(tx: Executor, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await tx
      .update(uploads)
      .set({ updatedAt: sql`now()` })
      .where(inArray(uploads.id, ids));
  }

  /** A user has one avatar: every other attached avatar upload of theirs is released. */
  /** Releases every attached avatar of the owner except `keepId` (all of them without it). */
  async releaseOtherAvatars(tx: Executor, ownerId: string, keepId?: string): Promise<void> {
    await tx
      .update(uploads)
      .set({ releasedAt: sql`now()`, updatedAt: sql`now()` })
      .where(
        and(
          eq(uploads.ownerId, ownerId),
          eq(uploads.purpose, 'avatar'),
          isNotNull(uploads.attachedAt),
          isNull(uploads.releasedAt),
          keepId ? ne(uploads.id, keepId) : undefined,
        ),
      );
  }

  async releaseAllOf(tx: Executor, ownerId: string): Promise<void> {
    await tx
      .update(uploads)
      .set({
        releasedAt: sql`now()`,
        attachedAt: sql`coalesce(${uploads.attachedAt}, now())`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(uploads.ownerId, ownerId), isNull(uploads.releasedAt)));
  }
}
