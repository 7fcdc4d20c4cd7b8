import { z } from 'zod';
import { isoDateTime, uuid } from './common';
import { imageVariant } from './users';

/** Types a client may declare for an upload; the worker checks the real bytes (magic numbers). */
export const uploadContentTypes = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/avif',
  'image/heic',
] as const;
export type UploadContentType = (typeof uploadContentTypes)[number];

/** 15 MB: the largest upload the API signs. */
export const MAX_UPLOAD_BYTES = 15 * 1024 * 1024;

export const uploadPurposes = ['item_image', 'avatar'] as const;
export const uploadPurpose = z.enum(uploadPurposes);
export type UploadPurpose = z.infer<typeof uploadPurpose>;

/**
 * `contentType` and `sizeBytes` are checked by the service, not the schema, so an unsupported type
 * is a 415 and an oversize file a 413 (with stable codes), not a generic 400.
 */
export const createUploadBody = z
  .object({
    contentType: z.string().trim().min(1).max(200),
    sizeBytes: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    purpose: uploadPurpose,
  })
  .strict();
export type CreateUploadBody = z.infer<typeof createUploadBody>;

/** A presigned PUT: send the bytes to `url` with exactly `headers`, before `expiresAt`. */
export const uploadTicket = z
  .object({
    id: uuid,
    url: z.string(),
    method: z.literal('PUT'),
    headers: z.record(z.string(), z.string()),
    expiresAt: isoDateTime,
  })
  .meta({ id: 'UploadTicket' });
export type UploadTicket = z.infer<typeof uploadTicket>;

/** `pending`: waiting for the bytes / to be used; `processing`: the worker has it. */
export const uploadStatuses = ['pending', 'processing', 'ready', 'failed'] as const;
export const uploadStatus = z.enum(uploadStatuses);
export type UploadStatus = z.infer<typeof uploadStatus>;

export const imageStatus = z.enum(['processing', 'ready', 'failed']);
export type ImageStatus = z.infer<typeof imageStatus>;

export const imageVariants = z.object({
  thumb: imageVariant.nullable(),
  medium: imageVariant.nullable(),
});
export type ImageVariants = z.infer<typeof imageVariants>;

/** A processed image as served inside items (and avatars): variant URLs point at the CDN. */
export const image = z
  .object({
    id: uuid,
    status: imageStatus,
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    blurhash: z.string().nullable(),
    dominantColor: z.string().nullable(),
    variants: imageVariants,
    /** Why processing failed, in words a user can act on; only shown to the owner. */
    failureReason: z.string().nullable(),
  })
  .meta({ id: 'Image' });
export type Image = z.infer<typeof image>;

/** `GET /uploads/{id}`: the owner's view of one upload and its processing state. */
export const upload = z
  .object({
    id: uuid,
    purpose: uploadPurpose,
    status: uploadStatus,
    contentType: z.string(),
    sizeBytes: z.number().int(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    blurhash: z.string().nullable(),
    dominantColor: z.string().nullable(),
    variants: imageVariants,
    failureReason: z.string().nullable(),
    createdAt: isoDateTime,
  })
  .meta({ id: 'Upload' });
export type Upload = z.infer<typeof upload>;
