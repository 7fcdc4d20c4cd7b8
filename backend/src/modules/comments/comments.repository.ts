import { and, asc, eq, gt, isNull, notInArray, sql } from 'drizzle-orm';
import type { Database, Executor } from '../../platform/db/types';
import { comments } from './comments.table';

export type CommentRow = typeof comments.$inferSelect;

/** Every query on comments. */
export class CommentsRepository {
  constructor(private readonly db: Database) {}

  async insert(tx: Executor, row: typeof comments.$inferInsert): Promise<CommentRow> {
    const [inserted] = await tx.insert(comments).values(row).returning();
    return inserted!;
  }

  async live(id: string, executor: Executor = this.db): Promise<CommentRow | undefined> {
    const [row] = await executor
      .select()
      .from(comments)
      .where(and(eq(comments.id, id), isNull(comments.deletedAt)))
      .limit(1);
    return row;
  }

  /** Oldest first (a linear thread), minus authors in `hiddenAuthors`. */
  async page(
    itemId: string,
    limit: number,
    afterId: string | undefined,
    hiddenAuthors: string[],
  ): Promise<CommentRow[]> {
    return this.db
      .select()
      .from(comments)
      .where(
        and(
          eq(comments.itemId, itemId),
          isNull(comments.deletedAt),
          afterId ? gt(comments.id, afterId) : undefined,
          hiddenAuthors.length > 0 ? notInArray(comments.authorId, hiddenAuthors) : undefined,
        ),
      )
      .orderBy(asc(comments.id))
      .limit(limit);
  }

  async updateBody(id: string, body: string): Promise<CommentRow | undefined> {
    const [row] = await this.db
      .update(comments)
      .set({ body, editedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(comments.id, id), isNull(comments.deletedAt)))
      .returning();
    return row;
  }

  /** Soft delete; false when it was already deleted (so the counter moves once). */
  async softDelete(
    tx: Executor,
    id: string,
    by: NonNullable<CommentRow['deletedBy']>,
  ): Promise<boolean> {
    const rows = await tx
      .update(comments)
      .set({ deletedAt: sql`now()`, deletedBy: by })
      .where(and(eq(comments.id, id), isNull(comments.deletedAt)))
      .returning({ id: comments.id });
    return rows.length > 0;
  }

  byAuthor(authorId: string) {
    return this.db
      .select()
      .from(comments)
      .where(and(eq(comments.authorId, authorId), isNull(comments.deletedAt)))
      .orderBy(asc(comments.id))
      .limit(100_000);
  }
}
