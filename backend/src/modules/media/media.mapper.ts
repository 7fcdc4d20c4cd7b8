import type { Image, ImageVariants, Upload, UserSummary } from '@hanger/contracts';
import type { UploadRow } from './media.table';

export type Avatar = NonNullable<UserSummary['avatar']>;

/** Public URLs of a row's variants, on the CDN base; null until the image is ready. */
export function toVariants(row: UploadRow, publicBaseUrl: string): ImageVariants {
  if (row.status !== 'ready' || !row.variants) return { thumb: null, medium: null };
  const { thumb, medium } = row.variants;
  return {
    thumb: { url: `${publicBaseUrl}/${thumb.key}`, width: thumb.width, height: thumb.height },
    medium: { url: `${publicBaseUrl}/${medium.key}`, width: medium.width, height: medium.height },
  };
}

/** An attached upload is never `pending` to a reader: it is waiting for the worker. */
function imageStatus(row: UploadRow): Image['status'] {
  return row.status === 'ready' || row.status === 'failed' ? row.status : 'processing';
}

export function toImage(row: UploadRow, publicBaseUrl: string, showReason: boolean): Image {
  const ready = row.status === 'ready';
  return {
    id: row.id,
    status: imageStatus(row),
    width: ready ? row.width : null,
    height: ready ? row.height : null,
    blurhash: ready ? row.blurhash : null,
    dominantColor: ready ? row.dominantColor : null,
    variants: toVariants(row, publicBaseUrl),
    failureReason: showReason ? row.failureReason : null,
  };
}

export function toAvatar(row: UploadRow, publicBaseUrl: string): Avatar {
  const ready = row.status === 'ready';
  return {
    id: row.id,
    status: imageStatus(row),
    blurhash: ready ? row.blurhash : null,
    dominantColor: ready ? row.dominantColor : null,
    variants: toVariants(row, publicBaseUrl),
  };
}

export function toUpload(row: UploadRow, publicBaseUrl: string): Upload {
  const ready = row.status === 'ready';
  return {
    id: row.id,
    purpose: row.purpose,
    status: row.status,
    contentType: row.contentType,
    sizeBytes: row.sizeBytes,
    width: ready ? row.width : null,
    height: ready ? row.height : null,
    blurhash: ready ? row.blurhash : null,
    dominantColor: ready ? row.dominantColor : null,
    variants: toVariants(row, publicBaseUrl),
    failureReason: row.failureReason,
    createdAt: row.createdAt.toISOString(),
  };
}
