import { encode as encodeBlurhash } from 'blurhash';
import sharp, { type Metadata } from 'sharp';
import type { UploadContentType } from '@hanger/contracts';

/** The largest picture the worker decodes (width × height, after reading the header only). */
export const MAX_PIXELS = 40_000_000;

/** Variant boxes: width is the rule (≤ 320 / ≤ 1080), height is capped at twice that. */
export const VARIANT_BOXES = {
  thumb: { width: 320, height: 640, quality: 75 },
  medium: { width: 1080, height: 2160, quality: 80 },
} as const;

export interface EncodedVariant {
  body: Buffer;
  width: number;
  height: number;
}

export interface ProcessedImage {
  ok: true;
  detectedType: UploadContentType;
  /** The picture's size once orientation is applied. */
  width: number;
  height: number;
  blurhash: string;
  /** `#rrggbb` */
  dominantColor: string;
  thumb: EncodedVariant;
  medium: EncodedVariant;
}

export interface RejectedImage {
  ok: false;
  /** A sentence a user can act on. */
  reason: string;
  /** What the log should say (decoder messages and the like). */
  detail?: string;
}

/** The image port: bytes in, variants and metadata out. Bad input is a result, never a throw. */
export interface ImageProcessor {
  process(bytes: Buffer): Promise<ProcessedImage | RejectedImage>;
}

export const REASONS = {
  notImage: 'This file is not a supported image (JPEG, PNG, WebP, AVIF or HEIC).',
  polyglot: 'This file contains something other than an image and was refused.',
  tooLarge: `This image is too large: at most ${MAX_PIXELS / 1_000_000} megapixels.`,
  animated: 'Animated or multi-page images are not supported; upload a still photo.',
  undecodable: 'This image could not be read; the file may be damaged or incomplete.',
  heic: 'This HEIC photo could not be read here; export it as JPEG and upload it again.',
} as const;

/** The real type from the first bytes (magic numbers), whatever the client declared. */
export function sniffImageType(bytes: Buffer): UploadContentType | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return 'image/jpeg';
  }
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'image/png';
  if (
    bytes.length >= 12 &&
    bytes.toString('latin1', 0, 4) === 'RIFF' &&
    bytes.toString('latin1', 8, 12) === 'WEBP'
  ) {
    return 'image/webp';
  }
  if (bytes.length >= 16 && bytes.toString('latin1', 4, 8) === 'ftyp') {
    const boxSize = Math.min(bytes.readUInt32BE(0), bytes.length, 256);
    const brands: string[] = [bytes.toString('latin1', 8, 12)];
    for (let o = 16; o + 4 <= boxSize; o += 4) brands.push(bytes.toString('latin1', o, o + 4));
    if (brands.some((b) => b === 'avif' || b === 'avis')) return 'image/avif';
    if (brands.some((b) => HEIF_BRANDS.has(b))) return 'image/heic';
  }
  return null;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);

/** Markup a browser or an interpreter would act on; never part of a photo's bytes. */
const MARKUP = /<(?:script|html|!doctype|\?php|svg|iframe|body|object|embed)[\s/>]/i;
const SCAN_HEAD = 256 * 1024;
const SCAN_TAIL = 64 * 1024;

/**
 * Polyglots: an image that is also something else (HTML, script, an archive appended after the
 * image data). We look for markup where it hides (header segments, comments, the end of the
 * file) and for bytes after the image's own end where the format defines one.
 */
export function looksLikePolyglot(bytes: Buffer, type: UploadContentType): boolean {
  const head = bytes.toString('latin1', 0, Math.min(bytes.length, SCAN_HEAD));
  if (MARKUP.test(head)) return true;
  if (bytes.length > SCAN_HEAD) {
    const tail = bytes.toString('latin1', Math.max(SCAN_HEAD, bytes.length - SCAN_TAIL));
    if (MARKUP.test(tail)) return true;
  }
  if (type === 'image/png') {
    const iend = bytes.lastIndexOf('IEND', undefined, 'latin1');
    if (iend < 0) return false; // not a complete PNG: the decoder will say so
    const end = iend + 8; // type + CRC
    return bytes.subarray(end).some((b) => b !== 0);
  }
  if (type === 'image/webp') {
    const riffEnd = 8 + bytes.readUInt32LE(4);
    return bytes.length > riffEnd + 1; // one pad byte is legal
  }
  return false;
}

const hex = (n: number) => Math.round(n).toString(16).padStart(2, '0');

/** libvips through sharp: decode once at medium size, derive everything from those pixels. */
export class SharpImageProcessor implements ImageProcessor {
  constructor(options: { cache?: boolean } = {}) {
    // Worker memory stays flat: libvips' operation cache helps repeated work on one image, not ours.
    if (options.cache === false) sharp.cache(false);
  }

  async process(bytes: Buffer): Promise<ProcessedImage | RejectedImage> {
    const detectedType = sniffImageType(bytes);
    if (!detectedType) return { ok: false, reason: REASONS.notImage };
    if (looksLikePolyglot(bytes, detectedType)) return { ok: false, reason: REASONS.polyglot };

    let meta: Metadata;
    try {
      meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    } catch (err) {
      return this.undecodable(detectedType, err);
    }
    if (!meta.width || !meta.height) return { ok: false, reason: REASONS.undecodable };
    if (meta.width * meta.height > MAX_PIXELS) return { ok: false, reason: REASONS.tooLarge };
    if ((meta.pages ?? 1) > 1) return { ok: false, reason: REASONS.animated };
    if (!formatMatches(detectedType, meta.format)) return { ok: false, reason: REASONS.notImage };

    try {
      const box = VARIANT_BOXES.medium;
      const { data, info } = await sharp(bytes, {
        limitInputPixels: MAX_PIXELS,
        failOn: 'error',
        autoOrient: true,
      })
        .resize({ width: box.width, height: box.height, fit: 'inside', withoutEnlargement: true })
        .toColourspace('srgb')
        .raw()
        .toBuffer({ resolveWithObject: true });
      const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };

      const medium = await sharp(data, raw)
        .webp({ quality: box.quality })
        .toBuffer({ resolveWithObject: true });
      const t = VARIANT_BOXES.thumb;
      const thumb = await sharp(data, raw)
        .resize({ width: t.width, height: t.height, fit: 'inside', withoutEnlargement: true })
        .webp({ quality: t.quality })
        .toBuffer({ resolveWithObject: true });
      const tiny = await sharp(data, raw)
        .resize(32, 32, { fit: 'fill' })
        .ensureAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      const blurhash = encodeBlurhash(new Uint8ClampedArray(tiny.data), 32, 32, 4, 3);
      const { dominant } = await sharp(tiny.data, {
        raw: { width: 32, height: 32, channels: 4 },
      }).stats();

      const oriented = meta.autoOrient ?? { width: meta.width, height: meta.height };
      return {
        ok: true,
        detectedType,
        width: oriented.width,
        height: oriented.height,
        blurhash,
        dominantColor: `#${hex(dominant.r)}${hex(dominant.g)}${hex(dominant.b)}`,
        medium: { body: medium.data, width: medium.info.width, height: medium.info.height },
        thumb: { body: thumb.data, width: thumb.info.width, height: thumb.info.height },
      };
    } catch (err) {
      return this.undecodable(detectedType, err);
    }
  }

  private undecodable(type: UploadContentType, err: unknown): RejectedImage {
    return {
      ok: false,
      reason: type === 'image/heic' ? REASONS.heic : REASONS.undecodable,
      detail: err instanceof Error ? err.message : String(err),
    };
  }
}

function formatMatches(type: UploadContentType, format: string | undefined): boolean {
  switch (type) {
    case 'image/jpeg':
      return format === 'jpeg';
    case 'image/png':
      return format === 'png';
    case 'image/webp':
      return format === 'webp';
    case 'image/avif':
    case 'image/heic':
      return format === 'heif' || format === 'avif';
  }
}
