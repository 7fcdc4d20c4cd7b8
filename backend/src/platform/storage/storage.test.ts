import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app';
import { createUser } from '../../../test/users';
import type { PresignedRequest } from './types';

/**
 * The storage port on this run's adapter: local disk (embedded) or the S3 test server (services).
 * Presigned URLs are exercised over real HTTP the way a browser would use them.
 */
describe('object storage', () => {
  let t: TestApp;
  const storage = () => t.runtime.adapters.storage;

  /** Sends a presigned request: through the app for the local store, over the network for S3. */
  async function send(
    req: Pick<PresignedRequest, 'url' | 'method'>,
    headers: Record<string, string> = {},
    body?: Buffer,
  ): Promise<{ status: number; body: Buffer; headers: Record<string, string> }> {
    const url = new URL(req.url);
    if (storage().kind === 'local') {
      const res = await t.app.inject({
        method: req.method,
        url: url.pathname + url.search,
        headers,
        ...(body ? { payload: body } : {}),
      });
      return {
        status: res.statusCode,
        body: res.rawPayload,
        headers: res.headers as Record<string, string>,
      };
    }
    const res = await fetch(url, { method: req.method, headers, ...(body ? { body } : {}) });
    return {
      status: res.status,
      body: Buffer.from(await res.arrayBuffer()),
      headers: Object.fromEntries(res.headers.entries()),
    };
  }

  beforeAll(async () => {
    t = await createTestApp({ worker: false });
  });
  afterAll(() => t.close());

  const bytes = Buffer.from('\x89PNG\r\n\x1a\n fake image bytes for the storage test');

  it('accepts a PUT to a presigned URL and serves the object back through a presigned GET', async () => {
    const key = 'originals/u1/upload-ok';
    const put = await storage().presignPut(key, {
      contentType: 'image/png',
      contentLength: bytes.length,
      expiresInSec: 600,
    });
    expect(put.method).toBe('PUT');
    expect(put.headers['Content-Type']).toBe('image/png');
    const res = await send(put, { 'content-type': 'image/png' }, bytes);
    expect(res.status).toBe(200);

    expect(await storage().head(key)).toEqual({ size: bytes.length, contentType: 'image/png' });
    expect(Buffer.compare(await storage().get(key), bytes)).toBe(0);

    const get = await storage().presignGet(key, { expiresInSec: 60 });
    const read = await send(get);
    expect(read.status).toBe(200);
    expect(Buffer.compare(read.body, bytes)).toBe(0);
  });

  it('rejects a tampered signature with 403 and stores nothing', async () => {
    const key = 'originals/u1/upload-tampered';
    const put = await storage().presignPut(key, {
      contentType: 'image/png',
      contentLength: bytes.length,
      expiresInSec: 600,
    });
    const url = new URL(put.url);
    const param = storage().kind === 'local' ? 'signature' : 'X-Amz-Signature';
    const sig = url.searchParams.get(param)!;
    url.searchParams.set(param, (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1));
    const res = await send(
      { url: url.toString(), method: 'PUT' },
      { 'content-type': 'image/png' },
      bytes,
    );
    expect(res.status).toBe(403);
    expect(await storage().head(key)).toBeNull();
  });

  it('rejects a URL whose key was swapped for another', async () => {
    const put = await storage().presignPut('originals/u1/mine', {
      contentType: 'image/png',
      contentLength: bytes.length,
      expiresInSec: 600,
    });
    const swapped = put.url.replace('/originals/u1/mine', '/originals/u2/theirs');
    const res = await send({ url: swapped, method: 'PUT' }, { 'content-type': 'image/png' }, bytes);
    expect(res.status).toBe(403);
    expect(await storage().head('originals/u2/theirs')).toBeNull();
  });

  it('rejects an expired URL with 403', async () => {
    const key = 'originals/u1/upload-expired';
    const put = await storage().presignPut(key, {
      contentType: 'image/png',
      contentLength: bytes.length,
      expiresInSec: 1,
    });
    await new Promise((r) => setTimeout(r, 2100));
    const res = await send(put, { 'content-type': 'image/png' }, bytes);
    expect(res.status).toBe(403);
    expect(await storage().head(key)).toBeNull();
  });

  it('rejects a body of another content type than the one signed', async () => {
    const key = 'originals/u1/upload-wrong-type';
    const put = await storage().presignPut(key, {
      contentType: 'image/png',
      contentLength: bytes.length,
      expiresInSec: 600,
    });
    const res = await send(put, { 'content-type': 'text/html' }, bytes);
    expect(res.status).toBe(403);
    expect(await storage().head(key)).toBeNull();
  });

  it('refuses keys that could escape the store', async () => {
    for (const key of ['../etc/passwd', '/abs', 'a//b', 'a/../../b']) {
      await expect(
        storage().presignPut(key, { contentType: 'image/png', contentLength: 1, expiresInSec: 60 }),
      ).rejects.toThrow(/Invalid object key/);
    }
  });

  it('serves public keys with immutable caching and never private ones (embedded CDN origin)', async () => {
    if (storage().kind !== 'local') return; // In services mode the CDN/bucket policy does this.
    await storage().put('public/variants/x/thumb.webp', Buffer.from('webp'), {
      contentType: 'image/webp',
    });
    const pub = await t.app.inject({ url: '/media/public/variants/x/thumb.webp' });
    expect(pub.statusCode).toBe(200);
    expect(pub.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(pub.headers['content-type']).toBe('image/webp');
    const priv = await t.app.inject({ url: '/media/originals/u1/upload-ok' });
    expect(priv.statusCode).toBe(404);
    const unsigned = await t.app.inject({ url: '/api/v1/storage/originals/u1/upload-ok' });
    expect(unsigned.statusCode).toBe(403);
    expect((await t.app.inject({ url: '/media/public/%25' })).statusCode).toBe(404);
    expect(
      (await t.app.inject({ url: '/api/v1/storage/a%25?expires=1&signature=x' })).statusCode,
    ).toBe(403);
  });

  it('accepts a signed PUT from a signed-in browser without a CSRF token (the signature authorises it)', async () => {
    if (storage().kind !== 'local') return; // S3 never sees the API's cookies.
    const user = await createUser(t);
    const put = await storage().presignPut('originals/u1/from-browser', {
      contentType: 'image/png',
      contentLength: bytes.length,
      expiresInSec: 600,
    });
    const res = await send(
      put,
      { 'content-type': 'image/png', cookie: `hanger_at=${user.accessToken}` },
      bytes,
    );
    expect(res.status).toBe(200);
    expect(await storage().head('originals/u1/from-browser')).not.toBeNull();
  });

  it('deletes objects', async () => {
    await storage().put('originals/u1/to-delete', Buffer.from('x'), { contentType: 'image/png' });
    await storage().delete(['originals/u1/to-delete']);
    expect(await storage().head('originals/u1/to-delete')).toBeNull();
  });
});
