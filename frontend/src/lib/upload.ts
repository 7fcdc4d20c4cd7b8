import type { Upload, UploadPurpose, UploadTicket } from '@hanger/contracts';
import { api, ApiError, CSRF_COOKIE, CSRF_HEADER, readCookie } from './api';

/** The types and size the API signs (mirrors contracts/media.ts; the server re-checks the bytes). */
export const ACCEPTED_IMAGE_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/avif',
  'image/heic',
];
export const MAX_IMAGE_BYTES = 15 * 1024 * 1024;

/** A reason a file cannot be uploaded at all, before asking the server; null when it can. */
export function checkImageFile(file: File): string | null {
  if (!ACCEPTED_IMAGE_TYPES.includes(file.type)) return 'Use a JPEG, PNG, WebP, AVIF or HEIC photo';
  if (file.size > MAX_IMAGE_BYTES) return 'This photo is larger than 15 MB';
  if (file.size === 0) return 'This file is empty';
  return null;
}

/** POST /uploads: asks for a presigned PUT for one file. */
export async function requestUpload(file: File, purpose: UploadPurpose): Promise<UploadTicket> {
  const res = await api<{ data: UploadTicket }>('/uploads', {
    method: 'POST',
    json: { contentType: file.type, sizeBytes: file.size, purpose },
  });
  return res.data;
}

/** GET /uploads/{id}: processing status of one upload. */
export async function getUpload(id: string): Promise<Upload> {
  const res = await api<{ data: Upload }>(`/uploads/${id}`);
  return res.data;
}

/**
 * PUTs the bytes straight to storage (S3/MinIO or the embedded store) with XHR, because fetch has
 * no upload progress. Sends exactly the signed headers. Resolves when storage says 2xx.
 */
export function putToStorage(
  ticket: UploadTicket,
  file: Blob,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(ticket.method, ticket.url);
    for (const [k, v] of Object.entries(ticket.headers)) {
      // Browsers set these themselves and refuse to have them set.
      if (/^(content-length|host)$/i.test(k)) continue;
      xhr.setRequestHeader(k, v);
    }
    // The embedded store lives on this origin under /api/v1, where the session cookie rides along
    // and the API's CSRF check applies; echo the token there. Never sent to a foreign bucket.
    const target = new URL(ticket.url, window.location.href);
    const csrf = readCookie(CSRF_COOKIE);
    if (target.origin === window.location.origin && csrf) xhr.setRequestHeader(CSRF_HEADER, csrf);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
      } else {
        reject(
          new ApiError(xhr.status, 'UPLOAD_FAILED', `Storage refused the upload (${xhr.status})`),
        );
      }
    };
    xhr.onerror = () => reject(new TypeError('Network error while uploading'));
    xhr.onabort = () => reject(new DOMException('Upload cancelled', 'AbortError'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

/** One photo end to end: presign, then PUT with progress. Returns the upload id. */
export async function uploadImage(
  file: File,
  purpose: UploadPurpose,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<string> {
  const ticket = await requestUpload(file, purpose);
  await putToStorage(ticket, file, onProgress, signal);
  return ticket.id;
}
