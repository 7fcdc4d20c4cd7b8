import { randomBytes } from 'node:crypto';
import { sessions } from '../src/modules/auth/auth.table';
import { users } from '../src/modules/users/users.table';
import { newId } from '../src/platform/ids';
import type { TestApp } from './app';

export interface TestUser {
  id: string;
  username: string;
  email: string;
  sessionId: string;
  accessToken: string;
  /** `authorization: Bearer …` for app.inject. */
  headers: { authorization: string };
}

/**
 * Creates a verified user with a live session straight in the database (no argon2, no mail), for
 * tests of features other than sign-up. Accounts tests use the real endpoints.
 */
export async function createUser(
  t: TestApp,
  overrides: Partial<typeof users.$inferInsert> = {},
): Promise<TestUser> {
  const id = newId();
  const username = overrides.username ?? `user_${randomBytes(4).toString('hex')}`;
  const email = overrides.email ?? `${username}@example.test`;
  const db = t.runtime.adapters.database.db;
  await db.insert(users).values({
    id,
    username,
    email,
    emailVerifiedAt: new Date(),
    ...overrides,
  });
  const sessionId = newId();
  await db.insert(sessions).values({
    id: sessionId,
    userId: id,
    expiresAt: new Date(Date.now() + 86_400_000),
  });
  const accessToken = await t.runtime.tokens.sign({ userId: id, sessionId });
  return {
    id,
    username,
    email,
    sessionId,
    accessToken,
    headers: { authorization: `Bearer ${accessToken}` },
  };
}
