import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { SessionResolver } from '../../platform/auth/plugin';
import type { Database } from '../../platform/db/types';
import { users } from '../users/users.table';
import { sessions } from './auth.table';

/**
 * Re-reads, on every authenticated request, what must take effect at once: the session is not
 * revoked or expired, the account is not deleted or suspended, and the current role. One indexed
 * query (primary keys of sessions and users).
 */
export function createSessionResolver(db: Database): SessionResolver {
  return async ({ userId, sessionId }) => {
    const [row] = await db
      .select({ role: users.role })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(
        and(
          eq(sessions.id, sessionId),
          eq(sessions.userId, userId),
          isNull(sessions.revokedAt),
          gt(sessions.expiresAt, sql`now()`),
          isNull(users.deletedAt),
          or(isNull(users.suspendedAt), sql`${users.suspendedUntil} < now()`),
        ),
      )
      .limit(1);
    return row ?? null;
  };
}
