import type { JobRegistry } from '../../platform/queue/registry';
import { PROCESS_ATTEMPTS, UNATTACHED_TTL_HOURS, type MediaService } from './media.service';

/** Objects of deleted items / replaced avatars stay this long (moderation, CDN caches). */
export const RELEASED_GRACE_HOURS = 7 * 24;

/** The media jobs and the cleanup schedule. */
export function registerMediaJobs(registry: JobRegistry, media: MediaService): void {
  registry
    .define({
      name: 'media.processImage',
      attempts: PROCESS_ATTEMPTS,
      backoffMs: 2_000,
      handle: ({ uploadId }, ctx) => media.processImage(uploadId, ctx),
    })
    .define({
      name: 'media.cleanup',
      attempts: 2,
      handle: async (payload, ctx) => {
        await media.cleanup(payload, ctx.log);
      },
    })
    .schedule({
      id: 'media-cleanup',
      name: 'media.cleanup',
      everyMs: 30 * 60_000,
      payload: {
        unattachedAfterHours: UNATTACHED_TTL_HOURS,
        releasedGraceHours: RELEASED_GRACE_HOURS,
      },
    });
}
