import { createHmac } from 'node:crypto';
import type { Me, RegisterBody, Session } from '@hanger/contracts';
import {
  burnVerifyTime,
  hashPassword,
  isCommonPassword,
  verifyPassword,
} from '../../platform/auth/passwords';
import { hashToken, newOpaqueToken } from '../../platform/auth/secrets';
import { ACCESS_TOKEN_TTL_SEC, type AccessTokens } from '../../platform/auth/tokens';
import type { Cache } from '../../platform/cache/types';
import type { Executor } from '../../platform/db/types';
import { AppError } from '../../platform/errors';
import { newId } from '../../platform/ids';
import type { Mailer } from '../../platform/mail/mailer';
import type { Emit, Outbox } from '../../platform/outbox/outbox';
import type { AccountSecurity, UsersRepository, UsersService } from '../users';
import type { AuthRepository } from './auth.repository';
import { Backoff, quota } from './throttle';

declare module '../../platform/queue/types' {
  interface JobMap {
    'auth.passwordResetRequested': { email: string };
  }
}

export const SESSION_IDLE_DAYS = 14;
export const SESSION_ABSOLUTE_DAYS = 60;
/** A refresh token used again this soon after its rotation is a racing tab, not a thief. */
const REFRESH_RACE_GRACE_MS = 10_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

export interface ClientMeta {
  /** The client's address as a session records it. */
  ip: string | null;
  /**
   * The client as the sign-in, sign-up and recovery throttles count it: its address's rate-limit
   * key (`clientKey`: IPv6 by its /64), so that an IPv6 client cannot take fresh quotas by
   * rotating addresses within the prefix it was given.
   */
  clientKey: string;
  userAgent: string | null;
}

export interface IssuedSession {
  user: Me;
  sessionId: string;
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshMaxAgeSec: number;
  csrfToken: string;
}

export interface AuthServiceDeps {
  outbox: Outbox;
  cache: Cache;
  repo: AuthRepository;
  usersRepo: UsersRepository;
  users: UsersService;
  mailer: Mailer;
  tokens: AccessTokens;
  publicUrl: string;
  /** Derives idempotent job tokens. */
  secret: string;
}

const invalidToken = (reason: string) =>
  new AppError('VALIDATION_FAILED', 'This link is invalid or has expired', {
    field: 'token',
    reason,
  });

function assertStrongPassword(password: string, field: string) {
  if (isCommonPassword(password)) {
    throw new AppError('VALIDATION_FAILED', 'This password is too common; choose another', [
      { path: `body.${field}`, message: 'This password is one of the most common ones' },
    ]);
  }
}

function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as {
    code?: string;
    constraint?: string;
    cause?: { code?: string; constraint?: string };
  };
  const c = e.cause ?? e;
  return c.code === '23505' && (c.constraint === constraint || String(err).includes(constraint));
}

/**
 * Sign-up, sign-in and sessions. Sessions are rows; the access token is a 15-minute JWT naming
 * the session; refresh tokens are opaque, stored hashed, rotated on every use, and a replayed one
 * revokes its session (the rotation family). See docs/auth.md.
 */
export class AuthService implements AccountSecurity {
  private readonly loginByIp: Backoff;
  private readonly loginByAccountIp: Backoff;
  private readonly loginByAccount: Backoff;

  constructor(private readonly d: AuthServiceDeps) {
    const window = HOUR;
    this.loginByIp = new Backoff(d.cache, { free: 20, windowMs: window, maxDelayMs: 15 * 60_000 });
    this.loginByAccountIp = new Backoff(d.cache, {
      free: 5,
      windowMs: window,
      maxDelayMs: 15 * 60_000,
    });
    this.loginByAccount = new Backoff(d.cache, {
      free: 50,
      windowMs: window,
      maxDelayMs: 5 * 60_000,
    });
  }

  async register(body: RegisterBody, meta: ClientMeta): Promise<void> {
    await quota(this.d.cache, `register:ip:${meta.clientKey}`, 10, HOUR);
    assertStrongPassword(body.password, 'password');
    if (await this.d.usersRepo.usernameTaken(body.username)) {
      throw new AppError('CONFLICT', 'That username is taken', { field: 'username' });
    }
    // Hash in every path so a registered email answers in the same time as a new one.
    const passwordHash = await hashPassword(body.password);
    const existing = await this.d.usersRepo.byEmail(body.email);
    try {
      await this.d.outbox.transaction(async (tx, emit) => {
        if (existing) {
          await this.d.mailer.queue(tx, emit, {
            to: existing.email!,
            subject: 'Someone tried to sign up with your email',
            text: `Someone (maybe you) tried to create a Hanger account with this address, which already has one.\n\nSign in: ${this.d.publicUrl}/login\nForgot your password? ${this.d.publicUrl}/forgot-password\n`,
          });
          return;
        }
        const userId = newId();
        await this.d.usersRepo.insert(
          { id: userId, email: body.email, username: body.username, passwordHash },
          tx,
        );
        await this.sendVerification(userId, body.email, tx, emit);
      });
    } catch (err) {
      if (isUniqueViolation(err, 'users_username_lower_key')) {
        throw new AppError('CONFLICT', 'That username is taken', { field: 'username' });
      }
      // A concurrent sign-up with the same email: answer as for any registered email.
      if (isUniqueViolation(err, 'users_email_lower_key')) return;
      throw err;
    }
  }

  private async sendVerification(userId: string, email: string, tx: Executor, emit: Emit) {
    const token = newOpaqueToken();
    await this.d.repo.createEmailToken(
      {
        userId,
        purpose: 'verify_email',
        tokenHash: hashToken(token),
        expiresAt: new Date(Date.now() + DAY),
      },
      tx,
    );
    await this.d.mailer.queue(tx, emit, {
      to: email,
      subject: 'Confirm your email for Hanger',
      text: `Welcome to Hanger!\n\nConfirm your email address to finish signing up:\n${this.d.publicUrl}/verify-email?token=${token}\n\nThe link is valid for 24 hours.\n`,
    });
  }

  async resendVerification(userId: string): Promise<void> {
    await quota(this.d.cache, `verify-resend:${userId}`, 3, HOUR);
    const user = await this.d.usersRepo.byId(userId);
    if (!user?.email || user.emailVerifiedAt) return;
    await this.d.outbox.transaction(async (tx, emit) => {
      await this.d.repo.expireEmailTokens(userId, 'verify_email', tx);
      await this.sendVerification(userId, user.email!, tx, emit);
    });
  }

  /** Confirms a sign-up (or an email change) and signs the user in. */
  async verifyEmail(token: string, meta: ClientMeta): Promise<IssuedSession> {
    await quota(this.d.cache, `verify:ip:${meta.clientKey}`, 30, HOUR);
    const confirm = this.d.outbox.transaction(async (tx) => {
      const used = await this.d.repo.consumeEmailToken(
        hashToken(token),
        ['verify_email', 'change_email'],
        tx,
      );
      if (!used.ok) throw invalidToken(used.reason);
      const t = used.token;
      const user = await this.d.usersRepo.byId(t.userId, tx);
      if (!user || user.deletedAt) throw invalidToken('invalid');
      if (t.purpose === 'change_email' && t.newEmail) {
        const taken = await this.d.usersRepo.byEmail(t.newEmail, tx);
        if (taken && taken.id !== user.id) {
          throw new AppError('CONFLICT', 'That email address is already in use', {
            field: 'email',
          });
        }
        await this.d.usersRepo.update(
          user.id,
          { email: t.newEmail, emailVerifiedAt: new Date() },
          tx,
        );
      } else if (!user.emailVerifiedAt) {
        await this.d.usersRepo.update(user.id, { emailVerifiedAt: new Date() }, tx);
      }
      return { userId: user.id };
    });
    const { userId } = await confirm.catch((err: unknown) => {
      // Someone signed up with the new address between the check and the update.
      if (isUniqueViolation(err, 'users_email_lower_key')) {
        throw new AppError('CONFLICT', 'That email address is already in use', { field: 'email' });
      }
      throw err;
    });
    return this.issueSession(userId, meta);
  }

  async login(email: string, password: string, meta: ClientMeta): Promise<IssuedSession> {
    const acct = email.trim().toLowerCase();
    const keys = {
      ip: `login:ip:${meta.clientKey}`,
      acctIp: `login:ai:${acct}:${meta.clientKey}`,
      acct: `login:a:${acct}`,
    };
    await this.loginByIp.check(keys.ip);
    await this.loginByAccountIp.check(keys.acctIp);
    await this.loginByAccount.check(keys.acct);

    const user = await this.d.usersRepo.byEmail(acct);
    const ok = user?.passwordHash
      ? await verifyPassword(user.passwordHash, password)
      : (await burnVerifyTime(password), false);
    if (!user || !ok) {
      await Promise.all([
        this.loginByIp.fail(keys.ip),
        this.loginByAccountIp.fail(keys.acctIp),
        this.loginByAccount.fail(keys.acct),
      ]);
      throw new AppError('UNAUTHENTICATED', 'The email or password is not correct');
    }
    await this.loginByAccountIp.reset(keys.acctIp);
    if (user.suspendedAt && (!user.suspendedUntil || user.suspendedUntil > new Date())) {
      throw new AppError('FORBIDDEN', 'This account is suspended', {
        reason: 'SUSPENDED',
        until: user.suspendedUntil?.toISOString() ?? null,
      });
    }
    return this.issueSession(user.id, meta);
  }

  private async issueSession(userId: string, meta: ClientMeta): Promise<IssuedSession> {
    const refreshToken = newOpaqueToken();
    const sessionId = await this.d.repo.createSession(
      {
        userId,
        userAgent: meta.userAgent?.slice(0, 300) ?? null,
        ip: meta.ip,
        expiresAt: new Date(Date.now() + SESSION_ABSOLUTE_DAYS * DAY),
      },
      hashToken(refreshToken),
    );
    return this.sessionResult(userId, sessionId, refreshToken, SESSION_ABSOLUTE_DAYS * 86_400);
  }

  private async sessionResult(
    userId: string,
    sessionId: string,
    refreshToken: string,
    refreshMaxAgeSec: number,
  ): Promise<IssuedSession> {
    const [accessToken, user] = await Promise.all([
      this.d.tokens.sign({ userId, sessionId }),
      this.d.users.me(userId),
    ]);
    void this.d.usersRepo.touchActive(userId).catch(() => undefined);
    return {
      user,
      sessionId,
      accessToken,
      accessTokenExpiresAt: new Date(Date.now() + ACCESS_TOKEN_TTL_SEC * 1000),
      refreshToken,
      refreshMaxAgeSec,
      csrfToken: newOpaqueToken(),
    };
  }

  /**
   * Rotates a refresh token. Exactly one of two concurrent refreshes wins (an atomic claim); a
   * token used again after the grace period is a replay and revokes the whole session.
   */
  async refresh(refreshToken: string): Promise<IssuedSession> {
    const denied = (reason: string) =>
      new AppError('UNAUTHENTICATED', 'Your session has ended; sign in again', { reason });
    const hashed = hashToken(refreshToken);
    const found = await this.d.repo.refreshTokenByHash(hashed);
    if (!found) throw denied('UNKNOWN_TOKEN');
    const { token, session } = found;

    const next = newOpaqueToken();
    const outcome = await this.d.outbox.transaction(async (tx) => {
      if (!(await this.d.repo.claimRefreshToken(token.id, tx))) {
        const usedAt = (await this.d.repo.refreshTokenByHash(hashed, tx))?.token.usedAt;
        if (usedAt && Date.now() - usedAt.getTime() < REFRESH_RACE_GRACE_MS) return 'race' as const;
        return 'reuse' as const;
      }
      if (token.usedAt) return 'reuse' as const;
      if (session.revokedAt) return 'revoked' as const;
      if (session.expiresAt < new Date()) return 'expired' as const;
      if (Date.now() - session.lastUsedAt.getTime() > SESSION_IDLE_DAYS * DAY)
        return 'idle' as const;
      const user = await this.d.usersRepo.byId(session.userId, tx);
      if (!user || user.deletedAt) return 'revoked' as const;
      if (user.suspendedAt && (!user.suspendedUntil || user.suspendedUntil > new Date())) {
        return 'suspended' as const;
      }
      await this.d.repo.rotate(session.id, hashToken(next), tx);
      return 'ok' as const;
    });
    switch (outcome) {
      case 'ok':
        return this.sessionResult(
          session.userId,
          session.id,
          next,
          Math.max(60, Math.floor((session.expiresAt.getTime() - Date.now()) / 1000)),
        );
      case 'reuse':
        await this.d.repo.revokeSession(session.id, 'refresh_token_reuse');
        throw denied('TOKEN_REUSED');
      case 'race':
        throw denied('REFRESH_RACE');
      case 'revoked':
      case 'expired':
      case 'idle':
      case 'suspended':
        throw denied(outcome.toUpperCase());
    }
  }

  async logout(sessionId: string): Promise<void> {
    await this.d.repo.revokeSession(sessionId, 'logout');
  }

  async logoutByRefreshToken(refreshToken: string): Promise<void> {
    const found = await this.d.repo.refreshTokenByHash(hashToken(refreshToken));
    if (found) await this.d.repo.revokeSession(found.session.id, 'logout');
  }

  /** Always the same answer; the lookup and the mail happen in a job, so timing says nothing. */
  async forgotPassword(email: string, meta: ClientMeta): Promise<void> {
    await quota(this.d.cache, `forgot:ip:${meta.clientKey}`, 10, HOUR);
    await quota(this.d.cache, `forgot:a:${email.trim().toLowerCase()}`, 3, HOUR);
    await this.d.outbox.transaction(async (_tx, emit) => {
      await emit('auth.passwordResetRequested', { email: email.trim() });
    });
  }

  /** Job: mails a reset link if the account exists. Re-running sends at most one more mail. */
  async sendPasswordReset(email: string, jobId: string): Promise<void> {
    const user = await this.d.usersRepo.byEmail(email);
    if (!user?.email) return;
    // The token is derived from the job id: a rerun of this job (the outbox delivers at least once)
    // finds its token already stored and sends nothing, so the link already mailed keeps working.
    const token = createHmac('sha256', this.d.secret).update(`reset:${jobId}`).digest('base64url');
    if (await this.d.repo.emailTokenExists(hashToken(token))) return;
    await this.d.outbox.transaction(async (tx, emit) => {
      await this.d.repo.expireEmailTokens(user.id, 'reset_password', tx);
      await this.d.repo.createEmailToken(
        {
          userId: user.id,
          purpose: 'reset_password',
          tokenHash: hashToken(token),
          expiresAt: new Date(Date.now() + HOUR),
        },
        tx,
      );
      await this.d.mailer.queue(tx, emit, {
        to: user.email!,
        subject: 'Reset your Hanger password',
        text: `Choose a new password here:\n${this.d.publicUrl}/reset-password?token=${token}\n\nThe link is valid for one hour. If you did not ask for it, ignore this mail.\n`,
      });
    });
  }

  async resetPassword(token: string, newPassword: string, meta: ClientMeta): Promise<void> {
    await quota(this.d.cache, `reset:ip:${meta.clientKey}`, 20, HOUR);
    assertStrongPassword(newPassword, 'newPassword');
    const passwordHash = await hashPassword(newPassword);
    await this.d.outbox.transaction(async (tx) => {
      const used = await this.d.repo.consumeEmailToken(hashToken(token), ['reset_password'], tx);
      if (!used.ok) throw invalidToken(used.reason);
      await this.d.usersRepo.update(used.token.userId, { passwordHash }, tx);
      await this.d.repo.revokeUserSessions(used.token.userId, 'password_reset', tx);
    });
  }

  async sessions(userId: string, currentSessionId: string): Promise<Session[]> {
    const rows = await this.d.repo.activeSessions(userId);
    return rows.map((s) => ({
      id: s.id,
      userAgent: s.userAgent,
      ip: s.ip,
      createdAt: s.createdAt.toISOString(),
      lastUsedAt: s.lastUsedAt.toISOString(),
      current: s.id === currentSessionId,
    }));
  }

  async revokeSession(userId: string, sessionId: string): Promise<void> {
    const s = await this.d.repo.sessionOf(userId, sessionId);
    if (!s) throw new AppError('NOT_FOUND', 'Session not found');
    await this.d.repo.revokeSession(sessionId, 'revoked_by_user');
  }

  async revokeOtherSessions(userId: string, currentSessionId: string): Promise<number> {
    return this.d.repo.revokeUserSessions(userId, 'revoked_by_user', undefined, currentSessionId);
  }

  /**
   * Creates a verified admin, or promotes the account with that email. Only the CLI calls this
   * (`npm run admin:create`); no route can grant a role above `user`.
   */
  async createAdmin(input: {
    email: string;
    username: string;
    password: string;
  }): Promise<{ id: string; created: boolean }> {
    const existing = await this.d.usersRepo.byEmail(input.email);
    if (existing) {
      await this.d.usersRepo.update(existing.id, { role: 'admin' });
      return { id: existing.id, created: false };
    }
    assertStrongPassword(input.password, 'password');
    if (await this.d.usersRepo.usernameTaken(input.username)) {
      throw new AppError('CONFLICT', 'That username is taken', { field: 'username' });
    }
    const id = newId();
    await this.d.usersRepo.insert({
      id,
      email: input.email,
      username: input.username,
      passwordHash: await hashPassword(input.password),
      role: 'admin',
      emailVerifiedAt: new Date(),
    });
    return { id, created: true };
  }

  // AccountSecurity, used by the users module.

  async verifyPassword(userId: string, password: string): Promise<boolean> {
    const user = await this.d.usersRepo.byId(userId);
    if (!user?.passwordHash) return false;
    return verifyPassword(user.passwordHash, password);
  }

  async changePassword(userId: string, keepSessionId: string, newPassword: string, tx: Executor) {
    assertStrongPassword(newPassword, 'password');
    await this.d.usersRepo.update(userId, { passwordHash: await hashPassword(newPassword) }, tx);
    await this.d.repo.revokeUserSessions(userId, 'password_changed', tx, keepSessionId);
  }

  async requestEmailChange(userId: string, newEmail: string): Promise<void> {
    await quota(this.d.cache, `email-change:${userId}`, 5, HOUR);
    const taken = await this.d.usersRepo.byEmail(newEmail);
    if (taken && taken.id !== userId) {
      throw new AppError('CONFLICT', 'That email address is already in use', { field: 'email' });
    }
    await this.d.outbox.transaction(async (tx, emit) => {
      await this.d.repo.expireEmailTokens(userId, 'change_email', tx);
      const token = newOpaqueToken();
      await this.d.repo.createEmailToken(
        {
          userId,
          purpose: 'change_email',
          tokenHash: hashToken(token),
          expiresAt: new Date(Date.now() + DAY),
          newEmail,
        },
        tx,
      );
      await this.d.mailer.queue(tx, emit, {
        to: newEmail,
        subject: 'Confirm your new email for Hanger',
        text: `Confirm this address for your Hanger account:\n${this.d.publicUrl}/verify-email?token=${token}\n`,
      });
    });
  }

  async revokeAllSessions(userId: string, reason: string, tx: Executor): Promise<void> {
    await this.d.repo.revokeUserSessions(userId, reason, tx);
  }
}
