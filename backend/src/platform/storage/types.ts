export interface PresignedRequest {
  url: string;
  method: 'PUT' | 'GET';
  /** Headers the client must send with the request, exactly. */
  headers: Record<string, string>;
  expiresAt: Date;
}

export interface ObjectInfo {
  size: number;
  contentType: string | undefined;
}

export interface PutOptions {
  contentType: string;
  cacheControl?: string;
}

/**
 * Object storage port. Embedded: local disk with HMAC-signed URLs served by the API.
 * Services: any S3-compatible store via presigned URLs. Keys are chosen by the server.
 * Keys under `public/` may be served to anyone (through the CDN); everything else is private.
 */
export interface ObjectStorage {
  readonly kind: 'local' | 's3';
  presignPut(
    key: string,
    options: { contentType: string; contentLength: number; expiresInSec: number },
  ): Promise<PresignedRequest>;
  presignGet(key: string, options: { expiresInSec: number }): Promise<PresignedRequest>;
  head(key: string): Promise<ObjectInfo | null>;
  get(key: string): Promise<Buffer>;
  put(key: string, body: Buffer, options: PutOptions): Promise<void>;
  delete(keys: string[]): Promise<void>;
  ping(): Promise<void>;
}

const KEY = /^(?!.*\.\.)(?!\/)[A-Za-z0-9][A-Za-z0-9/_.=-]{0,511}$/;

export function assertValidKey(key: string): void {
  if (!KEY.test(key) || key.includes('//')) throw new Error(`Invalid object key: ${key}`);
}

export const PUBLIC_PREFIX = 'public/';
