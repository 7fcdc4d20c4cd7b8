/**
 * `npm run bench:media`: variant generation throughput on 12-megapixel JPEGs.
 *
 * Hanger's image pipeline (SharpImageProcessor: sniff, polyglot scan, header check, auto-orient,
 * sRGB, thumb ≤ 320 + medium ≤ 1080 WebP, blurhash, dominant colour) at concurrency 1 and 2,
 * against Debian's `vipsthumbnail` (apt-get install -y libvips-tools) writing the same two WebP
 * sizes, alternating A/B in the same run; medians of N rounds. Reports the bench process's peak
 * RSS while the pipeline runs (the worker's footprint for this work).
 *
 * Options (env): BENCH_IMAGES (default 8), BENCH_ROUNDS (default 5).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { SharpImageProcessor, VARIANT_BOXES } from '../src/modules/media/image-processor';

const run = promisify(execFile);
const IMAGES = Number(process.env.BENCH_IMAGES ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WIDTH = 4000;
const HEIGHT = 3000;

/** A photo-like 12 MP JPEG: smooth gradients, shapes and sensor-like noise, EXIF attached. */
async function makePhoto(seed: number): Promise<Buffer> {
  const w = WIDTH / 4;
  const h = HEIGHT / 4;
  const px = Buffer.alloc(w * h * 3);
  let s = seed * 7919 + 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      const i = (y * w + x) * 3;
      const d = Math.hypot(x - w / 2, y - h / 2) / w;
      px[i] = (Math.sin(x / 37 + seed) * 60 + 120 + (s % 20)) & 0xff;
      px[i + 1] = (Math.cos(y / 53) * 50 + 110 - d * 60 + (s % 16)) & 0xff;
      px[i + 2] = (140 + d * 80 + ((s >> 8) % 24)) & 0xff;
    }
  }
  // Upscale a quarter-size base, then add full-resolution noise so the JPEG has real detail.
  const base = await sharp(px, { raw: { width: w, height: h, channels: 3 } })
    .resize(WIDTH, HEIGHT, { kernel: 'cubic' })
    .raw()
    .toBuffer();
  for (let i = 0; i < base.length; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    base[i] = Math.max(0, Math.min(255, base[i]! + ((s >> 16) % 13) - 6));
  }
  return sharp(base, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
    .withExif({ IFD0: { Make: 'Bench', Model: 'Cam' } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * Child mode (`tsx bench/media.ts --rss <concurrency> <files…>`): a fresh process that only runs
 * the pipeline, as a worker would, and prints its peak RSS in bytes.
 */
async function rssChild(concurrency: number, paths: string[]) {
  const processor = new SharpImageProcessor({ cache: false });
  const inputs = await Promise.all(paths.map((p) => fs.readFile(p)));
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  for (let r = 0; r < 3; r++) {
    await pool(inputs, concurrency, async (b) => {
      const res = await processor.process(b);
      if (!res.ok) throw new Error(res.reason);
    });
  }
  clearInterval(sampler);
  console.log(String(Math.max(peak, process.memoryUsage().rss)));
}

async function childRss(concurrency: number, files: string[], env: Record<string, string> = {}) {
  const { stdout } = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      path.resolve(import.meta.dirname, 'media.ts'),
      '--rss',
      String(concurrency),
      ...files,
    ],
    { env: { ...process.env, ...env }, maxBuffer: 1 << 20 },
  );
  return Number(stdout.trim().split('\n').pop()) / 1024 / 1024;
}

async function main() {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hanger-bench-media-'));
  const out = path.join(dir, 'out');
  await fs.mkdir(out);
  let vips: string | null = null;
  try {
    vips = (await run('vipsthumbnail', ['--vips-version'])).stdout.trim();
  } catch {
    console.warn('vipsthumbnail not found (apt-get install -y libvips-tools): sharp only');
  }

  console.log(`generating ${IMAGES} photos of ${WIDTH}×${HEIGHT} (12 MP)…`);
  const files: string[] = [];
  const bytes: Buffer[] = [];
  for (let i = 0; i < IMAGES; i++) {
    const b = await makePhoto(i);
    const f = path.join(dir, `photo-${i}.jpg`);
    await fs.writeFile(f, b);
    files.push(f);
    bytes.push(b);
  }
  const avgMb = bytes.reduce((a, b) => a + b.length, 0) / bytes.length / 1e6;
  console.log(`average JPEG size ${avgMb.toFixed(2)} MB`);

  const processor = new SharpImageProcessor({ cache: false });
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 10);

  const hanger = async (concurrency: number) => {
    const t0 = performance.now();
    await pool(bytes, concurrency, async (b) => {
      const r = await processor.process(b);
      if (!r.ok) throw new Error(`unexpected rejection: ${r.reason}`);
      // Write both variants like the worker does (local disk here).
      await fs.writeFile(path.join(out, 'h-thumb.webp'), r.thumb.body);
      await fs.writeFile(path.join(out, 'h-medium.webp'), r.medium.body);
    });
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    return bytes.length / ((performance.now() - t0) / 1000);
  };

  /** One vipsthumbnail process per size per worker slot, each over its share of the files. */
  const vipsRun = async (concurrency: number) => {
    const shares = Array.from({ length: concurrency }, (_, k) =>
      files.filter((_f, i) => i % concurrency === k),
    );
    const t0 = performance.now();
    await Promise.all(
      shares.map(async (share, k) => {
        const m = VARIANT_BOXES.medium;
        const t = VARIANT_BOXES.thumb;
        await run('vipsthumbnail', [
          '-s',
          `${m.width}x${m.height}`,
          '-o',
          path.join(out, `%s-m${k}.webp[Q=${m.quality},strip]`),
          ...share,
        ]);
        await run('vipsthumbnail', [
          '-s',
          `${t.width}x${t.height}`,
          '-o',
          path.join(out, `%s-t${k}.webp[Q=${t.quality},strip]`),
          ...share,
        ]);
      }),
    );
    return files.length / ((performance.now() - t0) / 1000);
  };

  // Warm-up (first decode loads libvips' codecs).
  await hanger(1);
  if (vips) await vipsRun(1);
  peakRss = 0;

  const results: Record<string, number[]> = {
    'hanger c=1': [],
    'hanger c=2': [],
    'vipsthumbnail c=1': [],
    'vipsthumbnail c=2': [],
  };
  for (let r = 0; r < ROUNDS; r++) {
    results['hanger c=1']!.push(await hanger(1));
    if (vips) results['vipsthumbnail c=1']!.push(await vipsRun(1));
    results['hanger c=2']!.push(await hanger(2));
    if (vips) results['vipsthumbnail c=2']!.push(await vipsRun(2));
    process.stdout.write(`round ${r + 1}/${ROUNDS} done\n`);
  }
  clearInterval(sampler);

  console.log(
    `\n${os.cpus().length} cores · node ${process.version} · sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}) · ${vips ?? 'no vipsthumbnail'}`,
  );
  console.log(`${IMAGES} images × ${ROUNDS} rounds, medians (images/s):`);
  const med = Object.fromEntries(
    Object.entries(results)
      .filter(([, v]) => v.length > 0)
      .map(([k, v]) => [k, median(v)]),
  );
  for (const [k, v] of Object.entries(med)) {
    console.log(
      `  ${k.padEnd(20)} ${v.toFixed(2)}   (runs: ${results[k]!.map((x) => x.toFixed(2)).join(', ')})`,
    );
  }
  if (vips) {
    for (const c of [1, 2]) {
      const ratio = med[`hanger c=${c}`]! / med[`vipsthumbnail c=${c}`]!;
      console.log(`  ratio hanger/vipsthumbnail at c=${c}: ${(ratio * 100).toFixed(0)}%`);
    }
  }
  console.log(
    `  peak RSS of this bench process (holds the inputs too): ${(peakRss / 1024 / 1024).toFixed(0)} MB`,
  );
  for (const c of [1, 2]) {
    const plain = await childRss(c, files);
    const arenas = await childRss(c, files, { MALLOC_ARENA_MAX: '2' });
    console.log(
      `  worker-like process, c=${c}: peak RSS ${plain.toFixed(0)} MB (MALLOC_ARENA_MAX=2: ${arenas.toFixed(0)} MB)`,
    );
  }
  await fs.rm(dir, { recursive: true, force: true });
}

if (process.argv[2] === '--rss') {
  await rssChild(Number(process.argv[3]), process.argv.slice(4));
} else {
  await main();
}
