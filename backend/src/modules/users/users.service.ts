import { and, desc, eq } from 'drizzle-orm';
import type { ExportJob, Me, PublicProfile, UpdateMeBody } from '@hanger/contracts';
import { AppError, notFound } from '../../platform/errors';
import type { Database, Executor } from '../../platform/db/types';
import { newId } from '../../platform/ids';
import type { Outbox } from '../../platform/outbox/outbox';
import type { ObjectStorage } from '../../platform/storage/types';
import type { AccountExtensions, AccountSecurity, Avatar } from './extensions';
import { toMe, toPublicProfile } from './users.mapper';
import type { NewUser, UserRow, UsersRepository } from './users.repository';
import { dataExports } from './users.table';

declare module '../../platform/queue/types' {
  interface JobMap {
    'users.buildExport': { exportId: string };
    'users.purgeDeleted': { userId: string };
  }
}

const EXPORT_TTL_DAYS = 7;

export interface UsersServiceDeps {
  db: Database;
  repo: UsersRepository;
  outbox: Outbox;
  storage: ObjectStorage;
  extensions: AccountExtensions;
  security: () => AccountSecurity;
}

export class UsersService {
  constructor(private readonly d: UsersServiceDeps) {}

  private async avatarOf(row: UserRow): Promise<Avatar> {
    if (!row.avatarUploadId) return null;
    return (await this.d.extensions.avatars([row.avatarUploadId])).get(row.avatarUploadId) ?? null;
  }

  async me(userId: string): Promise<Me> {
    const row = await this.d.repo.byId(userId);
    if (!row || row.deletedAt) throw new AppError('UNAUTHENTICATED', 'Authentication required');
    return toMe(row, await this.avatarOf(row));
  }

  async profile(username: string, viewerId: string | undefined): Promise<PublicProfile> {
    const row = await this.d.repo.activeByUsername(username);
    if (!row) throw notFound('User');
    const followed =
      viewerId && viewerId !== row.id
        ? (await this.d.extensions.followedBy(viewerId, [row.id])).has(row.id)
        : false;
    return toPublicProfile(row, await this.avatarOf(row), followed);
  }

  async updateMe(userId: string, sessionId: string, body: UpdateMeBody): Promise<Me> {
    const security = this.d.security();
    const wantsCredentials = body.email !== undefined || body.password !== undefined;
    if (wantsCredentials) {
      if (!body.currentPassword || !(await security.verifyPassword(userId, body.currentPassword))) {
        throw new AppError('FORBIDDEN', 'Your current password is required to change this', {
          field: 'currentPassword',
        });
      }
    }
    await this.d.outbox.transaction(async (tx, emit) => {
      const set: Partial<NewUser> = {};
      if (body.displayName !== undefined) set.displayName = body.displayName || null;
      if (body.bio !== undefined) set.bio = body.bio || null;
      if (body.city !== undefined) set.city = body.city || null;
      if (body.country !== undefined) set.country = body.country;
      if (body.location !== undefined) {
        set.lat = body.location?.lat ?? null;
        set.lng = body.location?.lng ?? null;
      }
      if (body.sizes) {
        if (body.sizes.top !== undefined) set.sizeTop = body.sizes.top || null;
        if (body.sizes.bottom !== undefined) set.sizeBottom = body.sizes.bottom || null;
        if (body.sizes.shoes !== undefined) set.sizeShoes = body.sizes.shoes || null;
      }
      if (body.mutedNotificationTypes !== undefined) {
        set.mutedNotificationTypes = [...new Set(body.mutedNotificationTypes)];
      }
      if (body.avatarUploadId !== undefined) {
        if (body.avatarUploadId) {
          await this.d.extensions
            .validateAvatar(userId, body.avatarUploadId, tx, emit)
            .catch((err: unknown) => {
              if (err instanceof AppError) throw err;
              throw new AppError('VALIDATION_FAILED', 'That upload cannot be used as an avatar', {
                field: 'avatarUploadId',
              });
            });
        }
        if (body.avatarUploadId === null && this.d.extensions.releaseAvatar) {
          await this.d.extensions.releaseAvatar(userId, tx);
        }
        set.avatarUploadId = body.avatarUploadId;
      }
      if (Object.keys(set).length > 0) await this.d.repo.update(userId, set, tx);
      if (body.password !== undefined) {
        await security.changePassword(userId, sessionId, body.password, tx);
      }
    });
    if (body.email !== undefined) await security.requestEmailChange(userId, body.email);
    return this.me(userId);
  }

  /**
   * Deletes the account at once: sessions revoked, PII erased, username released under a
   * tombstone; the `users.purgeDeleted` job then runs every module's deletion step (listings
   * hidden, comments anonymised, follows removed).
   */
  async deleteMe(userId: string, password: string): Promise<void> {
    const security = this.d.security();
    if (!(await security.verifyPassword(userId, password))) {
      throw new AppError('FORBIDDEN', 'The password is not correct', { field: 'password' });
    }
    await this.d.outbox.transaction(async (tx, emit) => {
      await security.revokeAllSessions(userId, 'account_deleted', tx);
      await this.d.repo.update(
        userId,
        {
          email: null,
          passwordHash: null,
          username: `deleted_${userId.replace(/-/g, '').slice(-12)}`,
          displayName: null,
          bio: null,
          avatarUploadId: null,
          city: null,
          country: null,
          lat: null,
          lng: null,
          sizeTop: null,
          sizeBottom: null,
          sizeShoes: null,
          deletedAt: new Date(),
        },
        tx,
      );
      await emit('users.purgeDeleted', { userId });
    });
  }

  async purgeDeleted(userId: string): Promise<void> {
    // Export archives hold the erased PII: the files first, then their rows (a rerun finds none).
    const exportsOfUser = await this.d.db
      .select({ id: dataExports.id, key: dataExports.objectKey })
      .from(dataExports)
      .where(eq(dataExports.userId, userId));
    const keys = exportsOfUser.flatMap((e) => (e.key ? [e.key] : []));
    if (keys.length > 0) await this.d.storage.delete(keys);
    await this.d.db.delete(dataExports).where(eq(dataExports.userId, userId));
    if (this.d.extensions.releaseAvatar) await this.d.extensions.releaseAvatar(userId, this.d.db);
    for (const [, step] of this.d.extensions.deletionSteps) await step(userId);
  }

  async requestExport(userId: string): Promise<ExportJob> {
    const id = newId();
    await this.d.outbox.transaction(async (tx, emit) => {
      await tx.insert(dataExports).values({ id, userId });
      await emit('users.buildExport', { exportId: id });
    });
    return this.exportStatus(userId, id);
  }

  async exportStatus(userId: string, exportId: string): Promise<ExportJob> {
    const [row] = await this.d.db
      .select()
      .from(dataExports)
      .where(and(eq(dataExports.id, exportId), eq(dataExports.userId, userId)));
    if (!row) throw notFound('Export');
    return this.toExportJob(row);
  }

  async latestExports(userId: string): Promise<ExportJob[]> {
    const rows = await this.d.db
      .select()
      .from(dataExports)
      .where(eq(dataExports.userId, userId))
      .orderBy(desc(dataExports.createdAt))
      .limit(5);
    return Promise.all(rows.map((row) => this.toExportJob(row)));
  }

  /** A ready, unexpired export gets a 15-minute presigned download link (signing needs no I/O on S3). */
  private async toExportJob(row: typeof dataExports.$inferSelect): Promise<ExportJob> {
    const live =
      row.status === 'ready' && row.objectKey && row.expiresAt && row.expiresAt > new Date();
    const downloadUrl = live
      ? (await this.d.storage.presignGet(row.objectKey!, { expiresInSec: 15 * 60 })).url
      : null;
    return {
      id: row.id,
      status: row.status,
      createdAt: row.createdAt.toISOString(),
      completedAt: row.completedAt?.toISOString() ?? null,
      downloadUrl,
      expiresAt: row.expiresAt?.toISOString() ?? null,
    };
  }

  /** Job: writes the JSON archive (profile + every module's section). Safe to run twice. */
  async buildExport(exportId: string): Promise<void> {
    const [row] = await this.d.db.select().from(dataExports).where(eq(dataExports.id, exportId));
    if (!row || row.status === 'ready') return;
    const user = await this.d.repo.byId(row.userId);
    if (!user) return;
    const archive: Record<string, unknown> = {
      format: 'hanger-export/1',
      generatedAt: new Date().toISOString(),
      profile: { ...toMe(user, null), lastActiveAt: user.lastActiveAt.toISOString() },
    };
    for (const [name, section] of this.d.extensions.exportSections) {
      archive[name] = await section(row.userId);
    }
    const key = `exports/${row.userId}/${row.id}.json`;
    await this.d.storage.put(key, Buffer.from(JSON.stringify(archive, null, 2)), {
      contentType: 'application/json',
    });
    await this.d.db
      .update(dataExports)
      .set({
        status: 'ready',
        objectKey: key,
        completedAt: new Date(),
        expiresAt: new Date(Date.now() + EXPORT_TTL_DAYS * 86_400_000),
      })
      .where(eq(dataExports.id, exportId));
  }

  /** Stores a seller's listing and sold counts, recomputed by listings (idempotent). */
  async setListingCounts(
    userId: string,
    counts: { listings: number; sold: number },
    executor?: Executor,
  ): Promise<void> {
    await this.d.repo.update(
      userId,
      { listingCount: counts.listings, soldCount: counts.sold },
      executor,
    );
  }
}
