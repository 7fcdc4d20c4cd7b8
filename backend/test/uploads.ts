import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { expect } from 'vitest';
import type { TestApp } from './app';
import type { TestUser } from './users';

/** Sends a presigned PUT: through the app for the local store, over the network for S3. */
export async function putPresigned(
  t: TestApp,
  ticket: { url: string; headers: Record<string, string> },
  body: Buffer,
  headers: Record<string, string> = ticket.headers,
): Promise<number> {
  const url = new URL(ticket.url);
  if (t.runtime.adapters.storage.kind === 'local') {
    const res = await t.app.inject({
      method: 'PUT',
      url: url.pathname + url.search,
      headers,
      payload: body,
    });
    return res.statusCode;
  }
  const res = await fetch(url, { method: 'PUT', headers, body });
  await res.arrayBuffer();
  return res.status;
}

export async function requestUpload(
  t: TestApp,
  user: TestUser,
  body: { contentType: string; sizeBytes: number; purpose?: 'item_image' | 'avatar' },
) {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/uploads',
    headers: user.headers,
    payload: { purpose: 'item_image', ...body },
  });
}

/** Asks for an upload and PUTs the bytes; returns the upload id. */
export async function uploadBytes(
  t: TestApp,
  user: TestUser,
  bytes: Buffer,
  contentType = 'image/jpeg',
  purpose: 'item_image' | 'avatar' = 'item_image',
): Promise<string> {
  const res = await requestUpload(t, user, { contentType, sizeBytes: bytes.length, purpose });
  expect(res.statusCode, res.body).toBe(201);
  const ticket = res.json().data as { id: string; url: string; headers: Record<string, string> };
  expect(await putPresigned(t, ticket, bytes)).toBe(200);
  return ticket.id;
}

/** A photo-like JPEG (gradient + noise) with EXIF, GPS and an orientation tag. */
export function jpegWithExif(width: number, height: number, orientation = 1): Promise<Buffer> {
  return sharp(gradient(width, height), { raw: { width, height, channels: 3 } })
    .withExif({
      IFD0: { Make: 'HangerCam', Model: 'Test 1', Copyright: 'secret-owner' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '48/1 51/1 24/1',
        GPSLongitudeRef: 'E',
        GPSLongitude: '2/1 21/1 3/1',
      },
    })
    .withMetadata({ orientation })
    .jpeg({ quality: 85 })
    .toBuffer();
}

export function png(width: number, height: number, alpha = true): Promise<Buffer> {
  return sharp(gradient(width, height), { raw: { width, height, channels: 3 } })
    .ensureAlpha(alpha ? 0.6 : 1)
    .png()
    .toBuffer();
}

export function webp(width: number, height: number): Promise<Buffer> {
  return sharp(gradient(width, height), { raw: { width, height, channels: 3 } })
    .webp({ quality: 80 })
    .toBuffer();
}

/** RGB pixels: a diagonal gradient with a little noise, like a photo (not flat colour). */
export function gradient(width: number, height: number): Buffer {
  const buf = Buffer.alloc(width * height * 3);
  let seed = 7;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const n = seed % 24;
      const i = (y * width + x) * 3;
      buf[i] = Math.min(255, Math.floor((x / width) * 200) + n);
      buf[i + 1] = Math.min(255, Math.floor((y / height) * 160) + 40 + n);
      buf[i + 2] = 120 + n;
    }
  }
  return buf;
}

/** A tiny, valid PNG whose header declares `width × height` (a decompression bomb). */
export function pngBomb(width = 20_000, height = 20_000): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  // Rows of zeros compress to almost nothing: a few rows are enough for the header to matter.
  const idat = deflateSync(Buffer.alloc((width + 1) * 16));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A real JPEG header followed by garbage: starts like an image, cannot be decoded. */
export function corruptJpeg(): Buffer {
  const junk = Buffer.alloc(4096);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 131 + 17) & 0xff;
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), junk]);
}

/** A valid PNG with an HTML page appended after IEND (image and web page at once). */
export async function polyglotPng(): Promise<Buffer> {
  return Buffer.concat([
    await png(32, 32, false),
    Buffer.from('<html><body><script>alert(document.cookie)</script></body></html>'),
  ]);
}

export const htmlFile = () =>
  Buffer.from('<!DOCTYPE html><html><body><script>alert(1)</script></body></html>\n');

/** An animated WebP (two frames), built from a still one's VP8 chunk: VP8X + ANIM + 2 × ANMF. */
export async function animatedWebp(size = 20): Promise<Buffer> {
  const still = await sharp({
    create: { width: size, height: size, channels: 3, background: '#ff0000' },
  })
    .webp()
    .toBuffer();
  const vp8 = still.subarray(12); // the 'VP8 ' chunk, header included
  const u24 = (n: number) => Buffer.from([n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff]);
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(data.length);
    return Buffer.concat([Buffer.from(type, 'latin1'), len, data, Buffer.alloc(data.length % 2)]);
  };
  const vp8x = chunk(
    'VP8X',
    Buffer.concat([Buffer.from([0x02, 0, 0, 0]), u24(size - 1), u24(size - 1)]),
  );
  const anim = chunk('ANIM', Buffer.from([0, 0, 0, 0, 0, 0]));
  const frame = chunk(
    'ANMF',
    Buffer.concat([u24(0), u24(0), u24(size - 1), u24(size - 1), u24(100), Buffer.from([0]), vp8]),
  );
  const body = Buffer.concat([Buffer.from('WEBP', 'latin1'), vp8x, anim, frame, frame]);
  const size32 = Buffer.alloc(4);
  size32.writeUInt32LE(body.length);
  return Buffer.concat([Buffer.from('RIFF', 'latin1'), size32, body]);
}
