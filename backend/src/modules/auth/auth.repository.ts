import { and, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import type { Database, Executor } from '../../platform/db/types';
import { newId } from '../../platform/ids';
import { emailTokens, refreshTokens, sessions } from './auth.table';

export type SessionRow = typeof sessions.$inferSelect;
export type EmailTokenPurpose = (typeof emailTokens.$inferSelect)['purpose'];

/** Sessions, refresh tokens and mail tokens. */
export class AuthRepository {
  constructor(private readonly db: Database) {}

  async createSession(
    s: { userId: string; userAgent: string | null; ip: string | null; expiresAt: Date },
    tokenHash: string,
    executor: Executor = this.db,
  ): Promise<string> {
    const id = newId();
    await executor.insert(sessions).values({ id, ...s });
    await executor.insert(refreshTokens).values({ id: newId(), sessionId: id, tokenHash });
    return id;
  }

  async refreshTokenByHash(tokenHash: string, executor: Executor = this.db) {
    const [row] = await executor
      .select({ token: refreshTokens, session: sessions })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .where(eq(refreshTokens.tokenHash, tokenHash))
      .limit(1);
    return row;
  }

  /** Atomically marks a refresh token used; false when another request used it first. */
  async claimRefreshToken(id: string, executor: Executor): Promise<boolean> {
    const rows = await executor
      .update(refreshTokens)
      .set({ usedAt: sql`now()` })
      .where(and(eq(refreshTokens.id, id), isNull(refreshTokens.usedAt)))
      .returning({ id: refreshTokens.id });
    return rows.length === 1;
  }

  async rotate(sessionId: string, tokenHash: string, executor: Executor): Promise<void> {
    await executor.insert(refreshTokens).values({ id: newId(), sessionId, tokenHash });
    await executor
      .update(sessions)
      .set({ lastUsedAt: sql`now()` })
      .where(eq(sessions.id, sessionId));
  }

  async revokeSession(
    sessionId: string,
    reason: string,
    executor: Executor = this.db,
  ): Promise<void> {
    await executor
      .update(sessions)
      .set({ revokedAt: sql`now()`, revokedReason: reason })
      .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
  }

  async revokeUserSessions(
    userId: string,
    reason: string,
    executor: Executor = this.db,
    exceptSessionId?: string,
  ): Promise<number> {
    const rows = await executor
      .update(sessions)
      .set({ revokedAt: sql`now()`, revokedReason: reason })
      .where(
        and(
          eq(sessions.userId, userId),
          isNull(sessions.revokedAt),
          exceptSessionId ? ne(sessions.id, exceptSessionId) : undefined,
        ),
      )
      .returning({ id: sessions.id });
    return rows.length;
  }

  activeSessions(userId: string) {
    return this.db
      .select()
      .from(sessions)
      .where(
        and(
          eq(sessions.userId, userId),
          isNull(sessions.revokedAt),
          gt(sessions.expiresAt, sql`now()`),
        ),
      )
      .orderBy(desc(sessions.lastUsedAt))
      .limit(100);
  }

  async sessionOf(userId: string, sessionId: string) {
    const [row] = await this.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId)));
    return row;
  }

  async createEmailToken(
    t: {
      userId: string;
      purpose: EmailTokenPurpose;
      tokenHash: string;
      expiresAt: Date;
      newEmail?: string;
    },
    executor: Executor,
  ): Promise<void> {
    await executor.insert(emailTokens).values({ id: newId(), ...t });
  }

  /**
   * Uses a mail token once: returns it when it existed, was unused and unexpired (and marks it
   * used), or says why not.
   */
  async consumeEmailToken(
    tokenHash: string,
    purposes: EmailTokenPurpose[],
    executor: Executor,
  ): Promise<
    | { ok: true; token: typeof emailTokens.$inferSelect }
    | { ok: false; reason: 'invalid' | 'expired' | 'used' }
  > {
    const [token] = await executor
      .select()
      .from(emailTokens)
      .where(eq(emailTokens.tokenHash, tokenHash));
    if (!token || !purposes.includes(token.purpose)) return { ok: false, reason: 'invalid' };
    if (token.usedAt) return { ok: false, reason: 'used' };
    if (token.expiresAt < new Date()) return { ok: false, reason: 'expired' };
    const claimed = await executor
      .update(emailTokens)
      .set({ usedAt: sql`now()` })
      .where(and(eq(emailTokens.id, token.id), isNull(emailTokens.usedAt)))
      .returning({ id: emailTokens.id });
    if (claimed.length === 0) return { ok: false, reason: 'used' };
    return { ok: true, token };
  }

  async expireEmailTokens(
    userId: string,
    purpose: EmailTokenPurpose,
    executor: Executor,
  ): Promise<void> {
    await executor
      .update(emailTokens)
      .set({ usedAt: sql`now()` })
      .where(
        and(
          eq(emailTokens.userId, userId),
          eq(emailTokens.purpose, purpose),
          isNull(emailTokens.usedAt),
        ),
      );
  }

  async emailTokenExists(tokenHash: string): Promise<boolean> {
    const [row] = await this.db
      .select({ id: emailTokens.id })
      .from(emailTokens)
      .where(eq(emailTokens.tokenHash, tokenHash))
      .limit(1);
    return Boolean(row);
  }
}
