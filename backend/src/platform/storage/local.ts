import { createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ObjectInfo, ObjectStorage, PresignedRequest, PutOptions } from './types';
import { assertValidKey } from './types';

export interface SignedParams {
  method: 'PUT' | 'GET';
  key: string;
  expires: number;
  contentType?: string;
  contentLength?: number;
}

interface Meta {
  contentType: string | undefined;
  cacheControl: string | undefined;
  size: number;
}

/**
 * Local-disk object store for the embedded runtime. It speaks the same protocol as S3 presigned
 * URLs: the URL carries an expiry and an HMAC over method, key, expiry and the signed headers; the
 * API's storage routes (local-storage.routes.ts) check them before touching the disk.
 */
export class LocalDiskStorage implements ObjectStorage {
  readonly kind = 'local' as const;

  constructor(
    readonly dir: string,
    private readonly secret: string,
    /** Public origin, e.g. http://localhost:3000; URLs are `${baseUrl}/api/v1/storage/<key>?...`. */
    private readonly baseUrl: string,
  ) {}

  filePath(key: string): string {
    assertValidKey(key);
    const full = path.resolve(this.dir, key);
    if (!full.startsWith(path.resolve(this.dir) + path.sep))
      throw new Error('Key escapes the store');
    return full;
  }

  sign(p: SignedParams): string {
    const canonical = [p.method, p.key, p.expires, p.contentType ?? '', p.contentLength ?? ''].join(
      '\n',
    );
    return createHmac('sha256', this.secret).update(canonical).digest('base64url');
  }

  verify(p: SignedParams, signature: string, now = Date.now()): 'ok' | 'expired' | 'bad-signature' {
    const expected = Buffer.from(this.sign(p));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      return 'bad-signature';
    }
    return p.expires * 1000 < now ? 'expired' : 'ok';
  }

  private url(p: SignedParams): string {
    const q = new URLSearchParams({ expires: String(p.expires), signature: this.sign(p) });
    if (p.contentType) q.set('contentType', p.contentType);
    if (p.contentLength !== undefined) q.set('contentLength', String(p.contentLength));
    const encodedKey = p.key.split('/').map(encodeURIComponent).join('/');
    return `${this.baseUrl}/api/v1/storage/${encodedKey}?${q.toString()}`;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so key errors reject
  async presignPut(
    key: string,
    o: { contentType: string; contentLength: number; expiresInSec: number },
  ): Promise<PresignedRequest> {
    assertValidKey(key);
    const expires = Math.floor(Date.now() / 1000) + o.expiresInSec;
    const params: SignedParams = {
      method: 'PUT',
      key,
      expires,
      contentType: o.contentType,
      contentLength: o.contentLength,
    };
    return {
      url: this.url(params),
      method: 'PUT',
      headers: { 'Content-Type': o.contentType },
      expiresAt: new Date(expires * 1000),
    };
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so key errors reject
  async presignGet(key: string, o: { expiresInSec: number }): Promise<PresignedRequest> {
    assertValidKey(key);
    const expires = Math.floor(Date.now() / 1000) + o.expiresInSec;
    return {
      url: this.url({ method: 'GET', key, expires }),
      method: 'GET',
      headers: {},
      expiresAt: new Date(expires * 1000),
    };
  }

  async readMeta(key: string): Promise<Meta | null> {
    try {
      return JSON.parse(await fs.readFile(`${this.filePath(key)}.meta.json`, 'utf8')) as Meta;
    } catch {
      return null;
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const meta = await this.readMeta(key);
    if (!meta) return null;
    return { size: meta.size, contentType: meta.contentType };
  }

  get(key: string): Promise<Buffer> {
    return fs.readFile(this.filePath(key));
  }

  async put(key: string, body: Buffer, o: PutOptions): Promise<void> {
    await this.commit(key, body, { contentType: o.contentType, cacheControl: o.cacheControl });
  }

  /** Writes atomically (temp file + rename), data first, then its metadata. */
  async commit(
    key: string,
    body: Buffer | AsyncIterable<Uint8Array>,
    meta: Omit<Meta, 'size'>,
  ): Promise<number> {
    const file = this.filePath(key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    try {
      await fs.writeFile(tmp, body);
      const { size } = await fs.stat(tmp);
      await fs.rename(tmp, file);
      const metaTmp = `${tmp}.meta`;
      await fs.writeFile(metaTmp, JSON.stringify({ ...meta, size } satisfies Meta));
      await fs.rename(metaTmp, `${file}.meta.json`);
      return size;
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) {
      const file = this.filePath(key);
      await fs.rm(file, { force: true });
      await fs.rm(`${file}.meta.json`, { force: true });
    }
  }

  async ping(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    await fs.access(this.dir, fs.constants.W_OK);
  }
}
