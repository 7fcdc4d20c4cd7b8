import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Database, Executor } from '../../platform/db/types';
import { users } from './users.table';

export type UserRow = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;

/** Every query on the users table. Other modules reach users through UsersService. */
export class UsersRepository {
  constructor(private readonly db: Database) {}

  async byId(id: string, executor: Executor = this.db): Promise<UserRow | undefined> {
    const [row] = await executor.select().from(users).where(eq(users.id, id)).limit(1);
    return row;
  }

  async activeByUsername(username: string): Promise<UserRow | undefined> {
    const [row] = await this.db
      .select()
      .from(users)
      .where(and(sql`lower(${users.username}) = lower(${username})`, isNull(users.deletedAt)))
      .limit(1);
    return row;
  }

  async byEmail(email: string, executor: Executor = this.db): Promise<UserRow | undefined> {
    const [row] = await executor
      .select()
      .from(users)
      .where(and(sql`lower(${users.email}) = lower(${email})`, isNull(users.deletedAt)))
      .limit(1);
    return row;
  }

  async usernameTaken(username: string, executor: Executor = this.db): Promise<boolean> {
    const [row] = await executor
      .select({ id: users.id })
      .from(users)
      .where(sql`lower(${users.username}) = lower(${username})`)
      .limit(1);
    return Boolean(row);
  }

  async insert(row: NewUser, executor: Executor = this.db): Promise<void> {
    await executor.insert(users).values(row);
  }

  async update(
    id: string,
    set: Partial<NewUser>,
    executor: Executor = this.db,
  ): Promise<UserRow | undefined> {
    const [row] = await executor
      .update(users)
      .set({ ...set, updatedAt: sql`now()` })
      .where(eq(users.id, id))
      .returning();
    return row;
  }

  async touchActive(id: string): Promise<void> {
    // At most one write per user per 10 minutes.
    await this.db
      .update(users)
      .set({ lastActiveAt: sql`now()` })
      .where(and(eq(users.id, id), sql`${users.lastActiveAt} < now() - interval '10 minutes'`));
  }
}
