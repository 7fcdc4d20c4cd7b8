import {
  MAX_UPLOAD_BYTES,
  uploadContentTypes,
  type CreateUploadBody,
  type Image,
  type Upload,
  type UploadContentType,
  type UploadTicket,
} from '@hanger/contracts';
import type { Logger } from 'pino';
import type { Executor } from '../../platform/db/types';
import { AppError } from '../../platform/errors';
import { newId } from '../../platform/ids';
import type { Emit } from '../../platform/outbox/outbox';
import type { JobContext } from '../../platform/queue/types';
import type { ObjectStorage } from '../../platform/storage/types';
import type { ImageProcessor } from './image-processor';
import { toAvatar, toImage, toUpload, type Avatar } from './media.mapper';
import type { MediaRepository } from './media.repository';
import type { UploadRow } from './media.table';

declare module '../../platform/queue/types' {
  interface JobMap {
    /** Validate one upload's bytes and write its variants; idempotent. */
    'media.processImage': { uploadId: string };
    /** Scheduled: unattached uploads, released objects, images stuck in processing. */
    'media.cleanup': { unattachedAfterHours: number; releasedGraceHours: number };
  }
}

/** Presigned upload URLs live this long. */
export const UPLOAD_URL_TTL_SEC = 10 * 60;
/** Uploads never used within this many hours are deleted (they can no longer be attached). */
export const UNATTACHED_TTL_HOURS = 24;
/** Attaching closes an hour before the cleanup may take an upload, so the two never race. */
const ATTACH_WINDOW_HOURS = UNATTACHED_TTL_HOURS - 1;
/** New uploads per user per hour. */
export const UPLOADS_PER_HOUR = 120;
/** A `processing` image untouched this long has lost its job. */
const STUCK_AFTER_MS = 15 * 60_000;
export const PROCESS_ATTEMPTS = 3;
const IMMUTABLE = 'public, max-age=31536000, immutable';
const CLEANUP_BATCH = 200;

export const variantKey = (uploadId: string, variant: 'thumb' | 'medium') =>
  `public/media/${uploadId}/${variant}.webp`;
const originalKey = (ownerId: string, uploadId: string) => `originals/${ownerId}/${uploadId}`;

export interface MediaServiceDeps {
  repo: MediaRepository;
  storage: ObjectStorage;
  processor: ImageProcessor;
  publicMediaBaseUrl: string;
  log: Logger;
  /** Runs a write together with the jobs it causes (the transactional outbox). */
  transaction: <T>(fn: (tx: Executor, emit: Emit) => Promise<T>) => Promise<T>;
}

export class MediaService {
  constructor(private readonly d: MediaServiceDeps) {}

  // ---- uploads -----------------------------------------------------------------------------

  async createUpload(ownerId: string, body: CreateUploadBody): Promise<UploadTicket> {
    const contentType = body.contentType.toLowerCase().split(';')[0]!.trim();
    if (!(uploadContentTypes as readonly string[]).includes(contentType)) {
      throw new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        `Images must be one of: ${uploadContentTypes.join(', ')}`,
        {
          field: 'contentType',
          allowed: uploadContentTypes,
        },
      );
    }
    if (body.sizeBytes > MAX_UPLOAD_BYTES) {
      throw new AppError('PAYLOAD_TOO_LARGE', 'Images may be at most 15 MB', {
        field: 'sizeBytes',
        maxBytes: MAX_UPLOAD_BYTES,
      });
    }
    const recent = await this.d.repo.countCreatedSince(ownerId, new Date(Date.now() - 3_600_000));
    if (recent >= UPLOADS_PER_HOUR) {
      throw new AppError('RATE_LIMITED', 'Too many uploads this hour; try again later', {
        limit: UPLOADS_PER_HOUR,
      });
    }
    const id = newId();
    const key = originalKey(ownerId, id);
    // Sign first: if signing fails, no row is left behind.
    const presigned = await this.d.storage.presignPut(key, {
      contentType,
      contentLength: body.sizeBytes,
      expiresInSec: UPLOAD_URL_TTL_SEC,
    });
    await this.d.repo.insert({
      id,
      ownerId,
      purpose: body.purpose,
      contentType,
      sizeBytes: body.sizeBytes,
      originalKey: key,
    });
    return {
      id,
      url: presigned.url,
      method: 'PUT',
      headers: presigned.headers,
      expiresAt: presigned.expiresAt.toISOString(),
    };
  }

  async getUpload(viewerId: string, id: string): Promise<Upload> {
    const row = await this.d.repo.byId(id);
    if (!row || row.purgedAt) throw new AppError('NOT_FOUND', 'Upload not found');
    if (row.ownerId !== viewerId) throw new AppError('FORBIDDEN', 'This upload is not yours');
    return toUpload(row, this.d.publicMediaBaseUrl);
  }

  // ---- attaching (called by listings and users) ---------------------------------------------

  /**
   * Checks, before a write, that uploads can be attached: they exist (404), belong to the owner
   * (403), have the right purpose (400), are unused and recent (409), and their bytes arrived (409).
   */
  async checkAttachable(
    ownerId: string,
    purpose: UploadRow['purpose'],
    ids: string[],
    executor?: Executor,
  ): Promise<void> {
    if (ids.length === 0) return;
    const rows = await this.d.repo.byIds(ids, executor);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const missing = ids.filter((id) => !byId.get(id) || byId.get(id)!.purgedAt);
    if (missing.length > 0) {
      throw new AppError('NOT_FOUND', 'Upload not found', { uploadIds: missing });
    }
    const foreign = rows.filter((r) => r.ownerId !== ownerId).map((r) => r.id);
    if (foreign.length > 0) {
      throw new AppError('FORBIDDEN', 'These uploads are not yours', { uploadIds: foreign });
    }
    const wrongPurpose = rows.filter((r) => r.purpose !== purpose).map((r) => r.id);
    if (wrongPurpose.length > 0) {
      throw new AppError('VALIDATION_FAILED', `These uploads were not made for ${purpose}`, {
        uploadIds: wrongPurpose,
      });
    }
    const used = rows.filter((r) => r.attachedAt).map((r) => r.id);
    if (used.length > 0) {
      throw new AppError('CONFLICT', 'These uploads are already in use', { uploadIds: used });
    }
    const cutoff = Date.now() - ATTACH_WINDOW_HOURS * 3_600_000;
    const expired = rows.filter((r) => r.createdAt.getTime() < cutoff).map((r) => r.id);
    if (expired.length > 0) {
      throw new AppError('CONFLICT', 'These uploads have expired; upload the photos again', {
        uploadIds: expired,
      });
    }
    const heads = await Promise.all(rows.map((r) => this.d.storage.head(r.originalKey)));
    const notUploaded = rows.filter((_r, i) => !heads[i]).map((r) => r.id);
    if (notUploaded.length > 0) {
      throw new AppError('CONFLICT', 'The bytes of these uploads have not arrived yet', {
        uploadIds: notUploaded,
        reason: 'NOT_UPLOADED',
      });
    }
  }

  /** Claims uploads inside the caller's transaction and queues their processing with it. */
  async attach(
    tx: Executor,
    emit: Emit,
    ownerId: string,
    purpose: UploadRow['purpose'],
    ids: string[],
  ): Promise<void> {
    const claimed = await this.claim(tx, ownerId, purpose, ids);
    for (const uploadId of claimed) await emit('media.processImage', { uploadId });
  }

  private async claim(
    tx: Executor,
    ownerId: string,
    purpose: UploadRow['purpose'],
    ids: string[],
  ): Promise<string[]> {
    const notBefore = new Date(Date.now() - ATTACH_WINDOW_HOURS * 3_600_000);
    const claimed = await this.d.repo.attach(tx, ownerId, purpose, ids, notBefore);
    if (claimed.length !== new Set(ids).size) {
      const lost = ids.filter((id) => !claimed.includes(id));
      throw new AppError('CONFLICT', 'These uploads are already in use', { uploadIds: lost });
    }
    return claimed;
  }

  /** The owner stopped using these uploads; their objects go after the grace period. */
  release(tx: Executor, ids: string[]): Promise<void> {
    return this.d.repo.release(tx, ids);
  }

  /**
   * For the users module (AccountExtensions.validateAvatar): attaches an avatar upload inside the
   * profile update's transaction, releases the previous avatar, and records the processing job in
   * the same transaction (the outbox relay enqueues it within seconds of the commit).
   */
  async attachAvatar(userId: string, uploadId: string, tx: Executor, emit: Emit): Promise<void> {
    // On the caller's transaction: PGlite has one connection, busy with it until it commits.
    await this.checkAttachable(userId, 'avatar', [uploadId], tx);
    await this.claim(tx, userId, 'avatar', [uploadId]);
    await this.d.repo.releaseOtherAvatars(tx, userId, uploadId);
    await emit('media.processImage', { uploadId });
  }

  /** The user removed their avatar: release it, so the clean-up job deletes its files. */
  async releaseAvatar(userId: string, tx: Executor): Promise<void> {
    await this.d.repo.releaseOtherAvatars(tx, userId);
  }

  // ---- reading -------------------------------------------------------------------------------

  /** Images by upload id in one query; the failure reason only for the owner's eyes. */
  async images(ids: string[], viewerId?: string): Promise<Map<string, Image>> {
    const rows = await this.d.repo.byIds([...new Set(ids)]);
    return new Map(
      rows
        .filter((r) => !r.purgedAt)
        .map((r) => [r.id, toImage(r, this.d.publicMediaBaseUrl, r.ownerId === viewerId)]),
    );
  }

  /** Avatar objects by upload id, in one query (users module: AccountExtensions.avatars). */
  async avatars(ids: string[]): Promise<Map<string, Avatar>> {
    const rows = await this.d.repo.byIds([...new Set(ids)]);
    return new Map(
      rows.filter((r) => !r.purgedAt).map((r) => [r.id, toAvatar(r, this.d.publicMediaBaseUrl)]),
    );
  }

  // ---- jobs ----------------------------------------------------------------------------------

  /**
   * `media.processImage`. Safe to run any number of times, concurrently too: variants go to
   * deterministic keys, and the row only moves from `processing` to `ready`/`failed` once.
   */
  async processImage(uploadId: string, ctx: Pick<JobContext, 'attempt' | 'log'>): Promise<void> {
    const row = await this.d.repo.byId(uploadId);
    if (!row || row.status !== 'processing' || row.purgedAt) return;
    try {
      const head = await this.d.storage.head(row.originalKey);
      if (!head)
        return void (await this.fail(
          row,
          'The uploaded file is missing; upload it again.',
          null,
          ctx,
        ));
      if (head.size !== row.sizeBytes || head.size > MAX_UPLOAD_BYTES) {
        return void (await this.fail(
          row,
          'The file is not the size that was declared; upload it again.',
          null,
          ctx,
        ));
      }
      const bytes = await this.d.storage.get(row.originalKey);
      const result = await this.d.processor.process(bytes);
      if (!result.ok) {
        return void (await this.fail(row, result.reason, null, ctx, result.detail));
      }
      const thumbKey = variantKey(row.id, 'thumb');
      const mediumKey = variantKey(row.id, 'medium');
      await this.d.storage.put(thumbKey, result.thumb.body, {
        contentType: 'image/webp',
        cacheControl: IMMUTABLE,
      });
      await this.d.storage.put(mediumKey, result.medium.body, {
        contentType: 'image/webp',
        cacheControl: IMMUTABLE,
      });
      const updated = await this.d.repo.markReady(row.id, {
        detectedType: result.detectedType,
        width: result.width,
        height: result.height,
        blurhash: result.blurhash,
        dominantColor: result.dominantColor,
        variants: {
          thumb: { key: thumbKey, width: result.thumb.width, height: result.thumb.height },
          medium: { key: mediumKey, width: result.medium.width, height: result.medium.height },
        },
      });
      if (!updated) {
        // Purged while we worked: take back what we wrote.
        const now = await this.d.repo.byId(row.id);
        if (!now || now.purgedAt) await this.d.storage.delete([thumbKey, mediumKey]);
      }
      ctx.log.info({ uploadId, type: result.detectedType }, 'image ready');
    } catch (err) {
      // Infrastructure trouble (storage, database): retry; after the last try, tell the user.
      if (ctx.attempt >= PROCESS_ATTEMPTS) {
        await this.d.repo
          .markFailed(row.id, 'We could not process this image; upload it again.', null)
          .catch(() => false);
      }
      throw err;
    }
  }

  private async fail(
    row: UploadRow,
    reason: string,
    detectedType: UploadContentType | null,
    ctx: Pick<JobContext, 'log'>,
    detail?: string,
  ) {
    ctx.log.warn({ uploadId: row.id, reason, detail }, 'image refused');
    await this.d.repo.markFailed(row.id, reason, detectedType);
  }

  /**
   * `media.cleanup`: deletes uploads never attached within the TTL (objects and rows), the
   * objects of released uploads after the grace period, and re-queues images whose job was lost.
   */
  async cleanup(
    p: { unattachedAfterHours: number; releasedGraceHours: number },
    log: Logger = this.d.log,
  ): Promise<{ unattached: number; purged: number; requeued: number }> {
    let unattached = 0;
    const unattachedCutoff = new Date(Date.now() - p.unattachedAfterHours * 3_600_000);
    for (;;) {
      const rows = await this.d.repo.unattachedBefore(unattachedCutoff, CLEANUP_BATCH);
      if (rows.length === 0) break;
      await this.d.storage.delete(rows.flatMap((r) => [r.originalKey, ...variantKeys(r.id)]));
      unattached += await this.d.repo.deleteUnattached(
        rows.map((r) => r.id),
        unattachedCutoff,
      );
      if (rows.length < CLEANUP_BATCH) break;
    }

    let purged = 0;
    const releasedCutoff = new Date(Date.now() - p.releasedGraceHours * 3_600_000);
    for (;;) {
      const rows = await this.d.repo.releasedBefore(releasedCutoff, CLEANUP_BATCH);
      if (rows.length === 0) break;
      await this.d.storage.delete(rows.flatMap((r) => [r.originalKey, ...variantKeys(r.id)]));
      await this.d.repo.markPurged(rows.map((r) => r.id));
      purged += rows.length;
      if (rows.length < CLEANUP_BATCH) break;
    }

    const requeued = await this.requeueStuck();
    if (unattached + purged + requeued > 0) {
      log.info({ unattached, purged, requeued }, 'media cleanup');
    }
    return { unattached, purged, requeued };
  }

  /**
   * Images left in `processing` with no live job (the outbox row finished or vanished): queue
   * them again through the outbox. Running a duplicate is harmless (the job is idempotent).
   */
  async requeueStuck(olderThanMs = STUCK_AFTER_MS): Promise<number> {
    const stuck = await this.d.repo.stuckProcessing(new Date(Date.now() - olderThanMs), 500);
    if (stuck.length === 0) return 0;
    await this.d.transaction(async (tx, emit) => {
      await this.d.repo.touch(
        tx,
        stuck.map((s) => s.id),
      );
      for (const s of stuck) await emit('media.processImage', { uploadId: s.id });
    });
    return stuck.length;
  }

  /** Account deletion: every upload of the user is released (objects go after the grace). */
  async releaseAllOf(userId: string, tx: Executor): Promise<void> {
    await this.d.repo.releaseAllOf(tx, userId);
  }
}

const variantKeys = (id: string) => [variantKey(id, 'thumb'), variantKey(id, 'medium')];
