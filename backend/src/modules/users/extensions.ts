import type { Executor } from '../../platform/db/types';
import type { Emit } from '../../platform/outbox/outbox';
import type { UserSummary } from '@hanger/contracts';

export type Avatar = UserSummary['avatar'];

/**
 * What other modules contribute to accounts, wired in composition.ts, so that the users module
 * depends on none of them: avatar rendering (media), follow state (social), sections of the data
 * export and steps of account deletion (every module that holds a user's data), and account
 * security (auth).
 */
export interface AccountExtensions {
  /** Avatar objects by upload id, rendered in one query for a whole page of users. */
  avatars(uploadIds: string[]): Promise<Map<string, NonNullable<Avatar>>>;
  /**
   * Makes an upload this user's avatar inside the profile write (owned, purpose avatar; starts
   * its processing through `emit`); throws AppError when it can't be.
   */
  validateAvatar(userId: string, uploadId: string, tx: Executor, emit: Emit): Promise<void>;
  /** Releases the user's current avatar upload (removed or replaced avatars are cleaned up later). */
  releaseAvatar?(userId: string, tx: Executor): Promise<void>;
  /** Which of `userIds` the viewer follows. */
  followedBy(viewerId: string, userIds: string[]): Promise<Set<string>>;
  /** Named sections of the export archive. */
  exportSections: Map<string, (userId: string) => Promise<unknown>>;
  /** Idempotent clean-up steps after an account is deleted (hide listings, anonymise comments…). */
  deletionSteps: Map<string, (userId: string) => Promise<void>>;
}

export function defaultAccountExtensions(): AccountExtensions {
  return {
    avatars: () => Promise.resolve(new Map()),
    validateAvatar: () => Promise.reject(new Error('Avatar uploads are not wired')),
    followedBy: () => Promise.resolve(new Set()),
    exportSections: new Map(),
    deletionSteps: new Map(),
  };
}

/** Credentials and sessions, implemented by the auth module. */
export interface AccountSecurity {
  verifyPassword(userId: string, password: string): Promise<boolean>;
  /** Sets a new password and revokes every other session of the user. */
  changePassword(
    userId: string,
    keepSessionId: string,
    newPassword: string,
    tx: Executor,
  ): Promise<void>;
  /** Mails a confirmation link to the new address; the email changes when it is followed. */
  requestEmailChange(userId: string, newEmail: string): Promise<void>;
  revokeAllSessions(userId: string, reason: string, tx: Executor): Promise<void>;
}
