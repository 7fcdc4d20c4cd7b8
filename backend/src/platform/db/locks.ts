import { sql } from 'drizzle-orm';
import type { Database, Transaction } from './types';

/**
 * Runs `fn` in a transaction holding a transaction-scoped advisory lock on `key`, so that jobs
 * recomputing the same thing (a seller's counts, say) never interleave their read and write.
 */
export function withAdvisoryLock<T>(
  db: Database,
  key: string,
  fn: (tx: Transaction) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${key}))`);
    return fn(tx);
  });
}
