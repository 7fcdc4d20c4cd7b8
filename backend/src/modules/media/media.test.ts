import { eq, sql } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app';
import {
  animatedWebp,
  corruptJpeg,
  htmlFile,
  jpegWithExif,
  png,
  pngBomb,
  polyglotPng,
  putPresigned,
  requestUpload,
  uploadBytes,
  webp,
} from '../../../test/uploads';
import { createUser, type TestUser } from '../../../test/users';
import { REASONS } from './image-processor';
import { uploads } from './media.table';

/**
 * The image pipeline end to end on this run's runtime: presigned upload, attach to an item,
 * the worker's variants (real files read back from storage), failures, and clean-up.
 */
describe('media: uploads and the image pipeline', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  const db = () => t.runtime.adapters.database.db;
  const storage = () => t.runtime.adapters.storage;
  const media = () => t.runtime.services.media;

  beforeAll(async () => {
    t = await createTestApp();
    alice = await createUser(t);
    bob = await createUser(t);
  });
  afterAll(() => t.close());

  async function createItem(user: TestUser, imageUploadIds: string[]) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: user.headers,
      payload: {
        title: 'Denim jacket',
        description: 'Worn twice',
        category: 'outerwear',
        brand: 'Levis',
        size: 'M',
        condition: 'like_new',
        priceCents: 4500,
        currency: 'EUR',
        imageUploadIds,
      },
    });
    return res;
  }

  const row = async (id: string) =>
    (await db().select().from(uploads).where(eq(uploads.id, id)))[0]!;

  describe('POST /uploads', () => {
    it('returns a presigned PUT for a server-chosen key under originals/, valid for 10 minutes', async () => {
      const res = await requestUpload(t, alice, { contentType: 'image/png', sizeBytes: 1234 });
      expect(res.statusCode).toBe(201);
      const { data } = res.json();
      expect(data.method).toBe('PUT');
      expect(data.headers['Content-Type']).toBe('image/png');
      const ttl = Date.parse(data.expiresAt) - Date.now();
      expect(ttl).toBeGreaterThan(9 * 60_000);
      expect(ttl).toBeLessThanOrEqual(10 * 60_000 + 1000);
      const stored = await row(data.id);
      expect(stored.status).toBe('pending');
      expect(stored.originalKey).toBe(`originals/${alice.id}/${data.id}`);
      expect(new URL(data.url).pathname).toContain(`originals/${alice.id}/${data.id}`);
    });

    it('refuses a type that is not an image with 415 and an oversize file with 413', async () => {
      const html = await requestUpload(t, alice, { contentType: 'text/html', sizeBytes: 100 });
      expect(html.statusCode).toBe(415);
      expect(html.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      const gif = await requestUpload(t, alice, { contentType: 'image/gif', sizeBytes: 100 });
      expect(gif.statusCode).toBe(415);
      const big = await requestUpload(t, alice, {
        contentType: 'image/jpeg',
        sizeBytes: 15 * 1024 * 1024 + 1,
      });
      expect(big.statusCode).toBe(413);
      expect(big.json().error.code).toBe('PAYLOAD_TOO_LARGE');
      const bad = await t.app.inject({
        method: 'POST',
        url: '/api/v1/uploads',
        headers: alice.headers,
        payload: { contentType: 'image/png', sizeBytes: 10, purpose: 'banner' },
      });
      expect(bad.statusCode).toBe(400);
      const anon = await t.app.inject({
        method: 'POST',
        url: '/api/v1/uploads',
        payload: { contentType: 'image/png', sizeBytes: 10, purpose: 'avatar' },
      });
      expect(anon.statusCode).toBe(401);
    });

    it('rejects a tampered upload URL and a body other than the one signed', async () => {
      const bytes = await png(16, 16);
      const res = await requestUpload(t, alice, {
        contentType: 'image/png',
        sizeBytes: bytes.length,
      });
      const ticket = res.json().data;
      const url = new URL(ticket.url);
      const param = storage().kind === 'local' ? 'signature' : 'X-Amz-Signature';
      const sig = url.searchParams.get(param)!;
      url.searchParams.set(param, (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1));
      expect(await putPresigned(t, { ...ticket, url: url.toString() }, bytes)).toBe(403);
      const swapped = ticket.url.replace(`/${ticket.id}?`, `/${ticket.id}x?`);
      expect(await putPresigned(t, { ...ticket, url: swapped }, bytes)).toBe(403);
      expect(await putPresigned(t, ticket, bytes, { 'Content-Type': 'text/html' })).toBe(403);
      expect(await storage().head((await row(ticket.id)).originalKey)).toBeNull();
    });

    it('rejects an expired upload URL', async () => {
      const bytes = await png(16, 16);
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() - 11 * 60_000);
      let res;
      try {
        res = await requestUpload(t, alice, { contentType: 'image/png', sizeBytes: bytes.length });
      } finally {
        vi.useRealTimers();
      }
      expect(res.statusCode).toBe(201);
      const ticket = res.json().data;
      expect(Date.parse(ticket.expiresAt)).toBeLessThan(Date.now());
      expect(await putPresigned(t, ticket, bytes)).toBe(403);
      expect(await storage().head((await row(ticket.id)).originalKey)).toBeNull();
    });
  });

  describe('GET /uploads/{id}', () => {
    it('shows the owner the state, refuses others (403) and unknown ids (404)', async () => {
      const id = await uploadBytes(t, alice, await png(16, 16), 'image/png');
      const mine = await t.app.inject({ url: `/api/v1/uploads/${id}`, headers: alice.headers });
      expect(mine.statusCode).toBe(200);
      expect(mine.json().data).toMatchObject({ id, status: 'pending', purpose: 'item_image' });
      const theirs = await t.app.inject({ url: `/api/v1/uploads/${id}`, headers: bob.headers });
      expect(theirs.statusCode).toBe(403);
      const unknown = await t.app.inject({
        url: '/api/v1/uploads/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
        headers: alice.headers,
      });
      expect(unknown.statusCode).toBe(404);
      const malformed = await t.app.inject({ url: '/api/v1/uploads/nope', headers: alice.headers });
      expect(malformed.statusCode).toBe(400);
    });
  });

  describe('processing', () => {
    it('turns JPEG (EXIF, GPS, rotated), PNG and WebP into oriented, stripped WebP variants', async () => {
      const jpeg = await jpegWithExif(1600, 1200, 6); // stored landscape, displayed portrait
      const inputMeta = await sharp(jpeg).metadata();
      expect(inputMeta.exif?.toString('latin1')).toContain('HangerCam');
      const ids = [
        await uploadBytes(t, alice, jpeg, 'image/jpeg'),
        await uploadBytes(t, alice, await png(400, 300), 'image/png'),
        await uploadBytes(t, alice, await webp(2400, 600), 'image/webp'),
      ];
      const created = await createItem(alice, ids);
      expect(created.statusCode, created.body).toBe(201);
      // Attached and queued: each is processing, or already ready. The item is read back after
      // its transaction commits, and on the services runtime the relay and worker can finish a
      // small image first (seen in CI: the 400×300 PNG). Never pending, never failed.
      const statuses = created.json().data.images.map((i: { status: string }) => i.status);
      expect(statuses).toHaveLength(3);
      for (const status of statuses) expect(['processing', 'ready']).toContain(status);
      await t.settle(30_000);

      const item = await t.app.inject({ url: `/api/v1/items/${created.json().data.id}` });
      const images = item.json().data.images;
      expect(images.map((i: { id: string }) => i.id)).toEqual(ids);
      expect(images.every((i: { status: string }) => i.status === 'ready')).toBe(true);

      const [j, p, w] = images;
      expect([j.width, j.height]).toEqual([1200, 1600]);
      expect([p.width, p.height]).toEqual([400, 300]);
      expect([w.width, w.height]).toEqual([2400, 600]);
      expect(j.variants.thumb).toMatchObject({ width: 320, height: 427 });
      expect(j.variants.medium).toMatchObject({ width: 1080, height: 1440 });
      expect(p.variants.medium).toMatchObject({ width: 400, height: 300 }); // never enlarged
      expect(w.variants.thumb).toMatchObject({ width: 320, height: 80 });
      expect(w.variants.medium).toMatchObject({ width: 1080, height: 270 });
      for (const img of images) {
        expect(img.blurhash).toMatch(/^[0-9A-Za-z#$%*+,-.:;=?@[\]^_{|}~]{20,}$/);
        expect(img.dominantColor).toMatch(/^#[0-9a-f]{6}$/);
        for (const name of ['thumb', 'medium'] as const) {
          const v = img.variants[name];
          expect(v.url).toBe(`${t.config.publicMediaBaseUrl}/public/media/${img.id}/${name}.webp`);
          const key = new URL(v.url).pathname.replace(/^.*?\/(public\/)/, '$1');
          const file = await storage().get(key);
          const meta = await sharp(file).metadata();
          expect(meta.format).toBe('webp');
          expect([meta.width, meta.height]).toEqual([v.width, v.height]);
          expect(meta.width).toBeLessThanOrEqual(name === 'thumb' ? 320 : 1080);
          expect(meta.exif).toBeUndefined();
          expect(meta.icc).toBeUndefined();
          expect(meta.xmp).toBeUndefined();
          expect(file.includes('HangerCam')).toBe(false);
          expect(file.includes('secret-owner')).toBe(false);
        }
      }
      expect((await storage().head(`public/media/${p.id}/medium.webp`))?.contentType).toBe(
        'image/webp',
      );

      if (storage().kind === 'local') {
        const served = await t.app.inject({ url: new URL(j.variants.thumb.url).pathname });
        expect(served.statusCode).toBe(200);
        expect(served.headers['cache-control']).toBe('public, max-age=31536000, immutable');
        const original = await t.app.inject({ url: `/media/${(await row(j.id)).originalKey}` });
        expect(original.statusCode).toBe(404);
      }
      const status = await t.app.inject({
        url: `/api/v1/uploads/${ids[0]}`,
        headers: alice.headers,
      });
      expect(status.json().data).toMatchObject({ status: 'ready', width: 1200, height: 1600 });
    });

    it('accepts a PNG declared as JPEG as a PNG, by its bytes', async () => {
      const id = await uploadBytes(t, alice, await png(50, 40, false), 'image/jpeg');
      expect((await createItem(alice, [id])).statusCode).toBe(201);
      await t.settle(20_000);
      const stored = await row(id);
      expect(stored.status).toBe('ready');
      expect(stored.detectedType).toBe('image/png');
    });

    it('fails a corrupt file, a decompression bomb, a polyglot and HTML named .jpg, each with a reason, and keeps going', async () => {
      const bad = {
        corrupt: await uploadBytes(t, alice, corruptJpeg(), 'image/jpeg'),
        bomb: await uploadBytes(t, alice, pngBomb(), 'image/png'),
        polyglot: await uploadBytes(t, alice, await polyglotPng(), 'image/png'),
        html: await uploadBytes(t, alice, htmlFile(), 'image/jpeg'),
      };
      const good = await uploadBytes(t, alice, await jpegWithExif(300, 200), 'image/jpeg');
      const created = await createItem(alice, [...Object.values(bad), good]);
      expect(created.statusCode).toBe(201);
      const started = Date.now();
      await t.settle(30_000);
      expect(Date.now() - started).toBeLessThan(25_000);

      const reasons = Object.fromEntries(
        await Promise.all(
          Object.entries(bad).map(async ([k, id]) => {
            const r = await row(id);
            expect(r.status, k).toBe('failed');
            return [k, r.failureReason];
          }),
        ),
      );
      expect(reasons).toEqual({
        corrupt: REASONS.undecodable,
        bomb: REASONS.tooLarge,
        polyglot: REASONS.polyglot,
        html: REASONS.notImage,
      });
      expect((await row(good)).status).toBe('ready');
      for (const id of Object.values(bad)) {
        expect(await storage().head(`public/media/${id}/thumb.webp`)).toBeNull();
      }

      // The seller sees why; everyone else sees only the good photo.
      const itemId = created.json().data.id;
      const asSeller = await t.app.inject({
        url: `/api/v1/items/${itemId}`,
        headers: alice.headers,
      });
      const failed = asSeller
        .json()
        .data.images.filter((i: { status: string }) => i.status === 'failed');
      expect(failed).toHaveLength(4);
      expect(failed[1].failureReason).toBe(REASONS.tooLarge);
      const asOther = await t.app.inject({ url: `/api/v1/items/${itemId}` });
      expect(asOther.json().data.images.map((i: { id: string }) => i.id)).toEqual([good]);
    });

    it('refuses an animated image', async () => {
      const id = await uploadBytes(t, alice, await animatedWebp(), 'image/webp');
      expect((await createItem(alice, [id])).statusCode).toBe(201);
      await t.settle(20_000);
      expect((await row(id)).failureReason).toBe(REASONS.animated);
    });

    it('is idempotent: running the job again changes nothing', async () => {
      const id = await uploadBytes(t, alice, await jpegWithExif(500, 400), 'image/jpeg');
      expect((await createItem(alice, [id])).statusCode).toBe(201);
      await t.settle(20_000);
      const first = await row(id);
      const thumb = await storage().get(`public/media/${id}/thumb.webp`);
      // Force a second run as if the queue delivered it again mid-flight.
      await db().update(uploads).set({ status: 'processing' }).where(eq(uploads.id, id));
      await media().processImage(id, { attempt: 1, log: t.runtime.log });
      await media().processImage(id, { attempt: 1, log: t.runtime.log });
      const second = await row(id);
      expect(second.status).toBe('ready');
      expect(second.variants).toEqual(first.variants);
      expect(second.blurhash).toBe(first.blurhash);
      expect(Buffer.compare(await storage().get(`public/media/${id}/thumb.webp`), thumb)).toBe(0);
    });
  });

  describe('attaching', () => {
    it("refuses someone else's upload (403), unknown ids (404), reuse (409) and missing bytes (409), leaving nothing behind", async () => {
      const bobs = await uploadBytes(t, bob, await png(16, 16), 'image/png');
      expect((await createItem(alice, [bobs])).statusCode).toBe(403);
      const unknown = await createItem(alice, ['0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b']);
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().error.code).toBe('NOT_FOUND');

      const noBytes = (
        await requestUpload(t, alice, { contentType: 'image/png', sizeBytes: 10 })
      ).json().data.id;
      const missing = await createItem(alice, [noBytes]);
      expect(missing.statusCode).toBe(409);
      expect(missing.json().error.details.reason).toBe('NOT_UPLOADED');

      const once = await uploadBytes(t, alice, await png(16, 16), 'image/png');
      expect((await createItem(alice, [once])).statusCode).toBe(201);
      const again = await createItem(alice, [once]);
      expect(again.statusCode).toBe(409);
      expect(again.json().error.code).toBe('CONFLICT');

      const avatarUpload = await uploadBytes(t, alice, await png(16, 16), 'image/png', 'avatar');
      expect((await createItem(alice, [avatarUpload])).statusCode).toBe(400);
      expect((await row(avatarUpload)).attachedAt).toBeNull();
      expect((await row(noBytes)).status).toBe('pending');
    });
  });

  describe('avatars', () => {
    it('attaches an avatar upload in the caller’s transaction and renders it once processed', async () => {
      const id = await uploadBytes(t, bob, await jpegWithExif(640, 640), 'image/jpeg', 'avatar');
      await t.runtime.adapters.outbox.transaction(async (tx, emit) => {
        await media().attachAvatar(bob.id, id, tx, emit);
      });
      // Claimed: processing, or (services runtime, whose relay and worker run on their own)
      // already ready; never still pending.
      expect(['processing', 'ready']).toContain((await row(id)).status);
      await t.runtime.adapters.outbox.relay({ all: true });
      await t.settle(20_000);
      const avatar = (await media().avatars([id])).get(id)!;
      expect(avatar.status).toBe('ready');
      expect(avatar.variants.thumb).toMatchObject({ width: 320, height: 320 });

      // A new avatar releases the previous one.
      const next = await uploadBytes(t, bob, await png(64, 64), 'image/png', 'avatar');
      await t.runtime.adapters.outbox.transaction((tx, emit) =>
        media().attachAvatar(bob.id, next, tx, emit),
      );
      expect((await row(id)).releasedAt).toBeInstanceOf(Date);
      expect((await row(next)).releasedAt).toBeNull();
      // Someone else's upload cannot be an avatar.
      await expect(
        t.runtime.adapters.outbox.transaction((tx, emit) =>
          media().attachAvatar(alice.id, next, tx, emit),
        ),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    });
  });

  describe('clean-up and recovery', () => {
    it('deletes uploads never attached after 24 h, objects and rows', async () => {
      const id = await uploadBytes(t, alice, await png(16, 16), 'image/png');
      const fresh = await uploadBytes(t, alice, await png(16, 16), 'image/png');
      const key = (await row(id)).originalKey;
      await db()
        .update(uploads)
        .set({ createdAt: new Date(Date.now() - 25 * 3_600_000) })
        .where(eq(uploads.id, id));
      const result = await media().cleanup({ unattachedAfterHours: 24, releasedGraceHours: 168 });
      expect(result.unattached).toBeGreaterThanOrEqual(1);
      expect(await db().select().from(uploads).where(eq(uploads.id, id))).toHaveLength(0);
      expect(await storage().head(key)).toBeNull();
      expect(await row(fresh)).toBeDefined();
      expect(await storage().head((await row(fresh)).originalKey)).not.toBeNull();
    });

    it('deletes the objects of a deleted item after the grace period, not before', async () => {
      const id = await uploadBytes(t, alice, await png(40, 40), 'image/png');
      const created = await createItem(alice, [id]);
      await t.settle(20_000);
      const del = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/items/${created.json().data.id}`,
        headers: alice.headers,
      });
      expect(del.statusCode).toBe(204);
      expect((await row(id)).releasedAt).toBeInstanceOf(Date);
      await media().cleanup({ unattachedAfterHours: 24, releasedGraceHours: 168 });
      expect(await storage().head(`public/media/${id}/thumb.webp`)).not.toBeNull();

      await db()
        .update(uploads)
        .set({ releasedAt: new Date(Date.now() - 169 * 3_600_000) })
        .where(eq(uploads.id, id));
      const result = await media().cleanup({ unattachedAfterHours: 24, releasedGraceHours: 168 });
      expect(result.purged).toBeGreaterThanOrEqual(1);
      const purged = await row(id);
      expect(purged.purgedAt).toBeInstanceOf(Date);
      for (const key of [
        purged.originalKey,
        `public/media/${id}/thumb.webp`,
        `public/media/${id}/medium.webp`,
      ]) {
        expect(await storage().head(key)).toBeNull();
      }
    });

    it('re-queues an image stuck in processing whose job was lost', async () => {
      const id = await uploadBytes(t, alice, await png(30, 30), 'image/png');
      // Attached, but the job never made it anywhere (no outbox row), long ago.
      await db()
        .update(uploads)
        .set({
          status: 'processing',
          attachedAt: sql`now()`,
          updatedAt: new Date(Date.now() - 60 * 60_000),
        })
        .where(eq(uploads.id, id));
      const result = await media().cleanup({ unattachedAfterHours: 24, releasedGraceHours: 168 });
      expect(result.requeued).toBeGreaterThanOrEqual(1);
      await t.settle(20_000);
      expect((await row(id)).status).toBe('ready');
    });
  });
});
