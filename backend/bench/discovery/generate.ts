/**
 * Discovery benchmark data: N items, M users, a power-law follow graph (plus one seller with
 * 50,000 followers and one with 9,000) loaded into a services-mode Postgres database of its own
 * and Redis, with multi-row `INSERT … SELECT FROM unnest(…)` batches (COPY-like speed over pg).
 *
 *   tsx bench/discovery/generate.ts --items 1000000 --users 100000
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createRuntime } from '../../src/composition';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/platform/logging/logger';
import {
  cities,
  colours,
  conditionsText,
  garments,
  generatedWords,
  materials,
  realBrands,
  rng,
  sizesByCategory,
  styles,
} from './vocabulary';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const statePath = path.join(here, '.state.json');

export interface BenchState {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  appSecret: string;
  items: number;
  users: number;
  starSellerId: string;
  fanoutSellerId: string;
  benchUsers: { id: string; sessionId: string }[];
  starFollowers: { id: string; sessionId: string }[];
  generatedAt: string;
  loadSeconds: number;
}

const categories = Object.keys(garments);
const conditions = ['new_with_tags', 'like_new', 'good', 'fair'] as const;

function uuidv7At(ms: number): string {
  const b = randomBytes(16);
  b.writeUIntBE(ms, 0, 6);
  b[6] = 0x70 | (b[6]! & 0x0f);
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Samples indexes 0..n-1 with weight 1/(i+offset)^s (a power law). */
function powerLaw(n: number, offset: number, s: number, r: () => number) {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += 1 / Math.pow(i + offset, s);
    cdf[i] = sum;
  }
  return () => {
    const x = r() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

type Col = [name: string, type: string, values: unknown[]];

/** One `insert … select from unnest($1::t[], …)` per batch: a round trip per 5,000 rows. */
async function insertBatches(pool: pg.Pool, table: string, cols: Col[], batch = 5000) {
  const n = cols[0]![2].length;
  const arrayCols = cols.map(([, type]) => type.endsWith('[]'));
  const select = cols.map(([, type], i) => (arrayCols[i] ? `c${i}::${type}` : `c${i}`)).join(', ');
  const params = cols
    .map(([, type], i) => `$${i + 1}::${arrayCols[i] ? 'text' : type}[]`)
    .join(', ');
  const aliases = cols.map((_, i) => `c${i}`).join(', ');
  const text = `insert into ${table} (${cols.map((c) => c[0]).join(', ')})
    select ${select} from unnest(${params}) as t(${aliases})`;
  for (let start = 0; start < n; start += batch) {
    await pool.query(
      text,
      cols.map(([, , values], i) => {
        const slice = values.slice(start, start + batch);
        return arrayCols[i] ? slice.map((v) => pgArrayLiteral(v as string[])) : slice;
      }),
    );
  }
}

function pgArrayLiteral(values: string[]) {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

const capitalise = (w: string) => w[0]!.toUpperCase() + w.slice(1);

export async function generate(options: {
  items: number;
  users: number;
  adminUrl: string;
  redisUrl: string;
  database: string;
  benchUsers: number;
}): Promise<BenchState> {
  const started = Date.now();
  const log = (msg: string) =>
    console.log(`[generate +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
  const admin = new pg.Client({ connectionString: options.adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${options.database} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${options.database}`);
  await admin.end();
  const url = new URL(options.adminUrl);
  url.pathname = `/${options.database}`;
  const databaseUrl = url.toString();
  const redisPrefix = `${options.database}`;
  const appSecret = 'bench-secret-bench-secret-bench-secret-01';

  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    APP_SECRET: appSecret,
    DATABASE_URL: databaseUrl,
    REDIS_URL: options.redisUrl,
    REDIS_PREFIX: redisPrefix,
    PUBLIC_URL: 'http://127.0.0.1:3000',
    MIGRATE_ON_START: 'false',
    HANGER_DATA_DIR: path.join(here, '.data'),
  });
  const runtime = await createRuntime(config, createLogger('warn'));
  await runtime.adapters.database.migrate();
  const redis = runtime.adapters.redis!;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  log('database created and migrated');

  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  pool.on('error', () => undefined);
  const r = rng(42);
  const now = Date.now();
  const day = 86_400_000;

  // ---- users -----------------------------------------------------------------------------------
  const U = options.users;
  const userIds: string[] = [];
  const usernames: string[] = [];
  const emails: string[] = [];
  const lastActive: string[] = [];
  const uLat: (number | null)[] = [];
  const uLng: (number | null)[] = [];
  const active: boolean[] = [];
  for (let i = 0; i < U; i++) {
    userIds.push(uuidv7At(now - 400 * day + Math.floor((i / U) * 30 * day)));
    usernames.push(`u${i}`);
    emails.push(`u${i}@bench.test`);
    const isActive = i < 2 || r() < 0.75;
    active.push(isActive);
    lastActive.push(
      new Date(now - (isActive ? r() * 29 * day : 31 * day + r() * 300 * day)).toISOString(),
    );
    const c = cities[Math.floor(r() * cities.length)]!;
    const located = r() < 0.6;
    uLat.push(located ? c.lat + (r() - 0.5) * 0.3 : null);
    uLng.push(located ? c.lng + (r() - 0.5) * 0.3 : null);
  }
  await insertBatches(pool, 'users', [
    ['id', 'uuid', userIds],
    ['username', 'text', usernames],
    ['email', 'text', emails],
    [
      'email_verified_at',
      'timestamptz',
      userIds.map(() => new Date(now - 400 * day).toISOString()),
    ],
    ['last_active_at', 'timestamptz', lastActive],
    ['lat', 'float8', uLat],
    ['lng', 'float8', uLng],
  ]);
  log(`${U} users`);

  // ---- brands ----------------------------------------------------------------------------------
  const words = generatedWords();
  const brandNames = [...realBrands, ...words.slice(0, 2000 - realBrands.length).map(capitalise)];
  const brandIds = brandNames.map(() => uuidv7At(now - 500 * day));
  await insertBatches(pool, 'brands', [
    ['id', 'uuid', brandIds],
    ['name', 'text', brandNames],
    [
      'key',
      'text',
      brandNames.map((n) => n.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase()),
    ],
  ]);
  log(`${brandNames.length} brands`);

  // ---- items -----------------------------------------------------------------------------------
  // Description words: a long tail of generated words (rare terms) after the common ones.
  const tail = words.slice(2000, 6000);
  const common = [...colours, ...materials, ...styles.map((s) => s.split(' ')[0]!)];
  const pickTail = powerLaw(tail.length, 1, 1.05, r);
  const pickBrand = powerLaw(brandNames.length, 2, 1.1, r);
  const SELLERS = Math.min(30_000, Math.max(2, Math.floor(U * 0.3)));
  const pickSeller = powerLaw(SELLERS, 3, 0.95, r);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;

  const N = options.items;
  const CHUNK = 100_000;
  for (let base = 0; base < N; base += CHUNK) {
    const n = Math.min(CHUNK, N - base);
    const cols = {
      id: [] as string[],
      seller: [] as string[],
      title: [] as string[],
      description: [] as string[],
      category: [] as string[],
      brand: [] as string[],
      size: [] as string[],
      condition: [] as string[],
      price: [] as number[],
      status: [] as string[],
      city: [] as (string | null)[],
      country: [] as (string | null)[],
      lat: [] as (number | null)[],
      lng: [] as (number | null)[],
      tags: [] as string[][],
      likes: [] as number[],
      favorites: [] as number[],
      created: [] as string[],
    };
    for (let k = 0; k < n; k++) {
      const i = base + k;
      const created = now - 365 * day + Math.floor((i / N) * 365 * day);
      cols.id.push(uuidv7At(created));
      cols.created.push(new Date(created).toISOString());
      cols.seller.push(userIds[pickSeller()]!);
      const category = pick(categories);
      const garment = pick(garments[category]!);
      const brand = pickBrand();
      const parts = [
        r() < 0.5 ? pick(styles) : null,
        r() < 0.7 ? pick(colours) : null,
        r() < 0.4 ? pick(materials) : null,
        garment,
      ].filter(Boolean);
      const title = capitalise(parts.join(' ')).slice(0, 80);
      cols.title.push(title);
      const desc: string[] = [pick(conditionsText) + '.'];
      const len = 6 + Math.floor(r() * 14);
      for (let w = 0; w < len; w++) desc.push(r() < 0.35 ? pick(common) : tail[pickTail()]!);
      cols.description.push(desc.join(' '));
      cols.category.push(category);
      cols.brand.push(brandIds[brand]!);
      cols.size.push(pick(sizesByCategory[category]!));
      cols.condition.push(pick(conditions));
      cols.price.push(
        Math.max(100, Math.round(Math.exp(Math.log(500) + r() * Math.log(400))) * 10),
      );
      const s = r();
      cols.status.push(s < 0.9 ? 'active' : s < 0.93 ? 'reserved' : s < 0.98 ? 'sold' : 'hidden');
      if (r() < 0.7) {
        const c = pick(cities);
        cols.city.push(c.city);
        cols.country.push(c.country);
        cols.lat.push(c.lat + (r() - 0.5) * 0.4);
        cols.lng.push(c.lng + (r() - 0.5) * 0.4);
      } else {
        cols.city.push(null);
        cols.country.push(null);
        cols.lat.push(null);
        cols.lng.push(null);
      }
      const tagCount = Math.floor(r() * 4);
      cols.tags.push([
        ...new Set(
          Array.from({ length: tagCount }, () => pick([...styles, ...materials]).slice(0, 30)),
        ),
      ]);
      const likes = Math.floor(Math.pow(r(), 6) * 200);
      cols.likes.push(likes);
      cols.favorites.push(Math.floor(likes * r() * 0.5));
    }
    await insertBatches(pool, 'items', [
      ['id', 'uuid', cols.id],
      ['seller_id', 'uuid', cols.seller],
      ['title', 'text', cols.title],
      ['description', 'text', cols.description],
      ['category', 'text', cols.category],
      ['brand_id', 'uuid', cols.brand],
      ['size', 'text', cols.size],
      ['condition', 'text', cols.condition],
      ['price_cents', 'int4', cols.price],
      ['currency', 'text', cols.id.map(() => 'EUR')],
      ['status', 'text', cols.status],
      ['city', 'text', cols.city],
      ['country', 'text', cols.country],
      ['lat', 'float8', cols.lat],
      ['lng', 'float8', cols.lng],
      ['tags', 'text[]', cols.tags],
      ['like_count', 'int4', cols.likes],
      ['favorite_count', 'int4', cols.favorites],
      ['created_at', 'timestamptz', cols.created],
      ['updated_at', 'timestamptz', cols.created],
      ['status_changed_at', 'timestamptz', cols.created],
    ]);
    log(`${base + n} items`);
  }

  // ---- the search read model (what the item.created subscriber does, in bulk) ------------------
  const indexes = await pool.query<{ indexname: string; indexdef: string }>(
    `select indexname, indexdef from pg_indexes
     where tablename in ('search_items', 'search_terms') and indexname not like '%_pkey'`,
  );
  for (const ix of indexes.rows) await pool.query(`drop index ${ix.indexname}`);
  await pool.query(`set maintenance_work_mem = '512MB'`);
  await pool.query(`
    insert into search_items (item_id, seller_id, title, brand, brand_key, description, tags,
      category, size, size_key, condition, price_cents, currency, status, lat, lng, like_count,
      favorite_count, created_at)
    select i.id, i.seller_id, i.title, b.name, b.key, i.description, i.tags, i.category, i.size,
      lower(i.size), i.condition, i.price_cents, i.currency, i.status, i.lat, i.lng,
      i.like_count, i.favorite_count, i.created_at
    from items i join brands b on b.id = i.brand_id
    where i.deleted_at is null and i.status in ('active', 'reserved')
    order by i.id`);
  // Rows arrive in id (time) order in production (one upsert per new item); keep that layout.
  log('search_items filled');
  await pool.query(`
    insert into search_terms (term)
    select distinct w from brands b, unnest(tsvector_to_array(to_tsvector('public.hanger_search', b.name))) w
    where length(w) between 3 and 40
    union
    select distinct w from (select distinct title from items) t,
      unnest(tsvector_to_array(to_tsvector('public.hanger_search', t.title))) w
    where length(w) between 3 and 40
    on conflict do nothing`);
  for (const ix of indexes.rows) await pool.query(ix.indexdef);
  log('search indexes built');

  // ---- follows: power law, plus a 50,000-follower star and a 9,000-follower seller -------------
  const starIdx = 0;
  const fanoutIdx = 1;
  const pickFollowee = powerLaw(SELLERS - 2, 30, 1.0, r);
  const fFollower: string[] = [];
  const fFollowee: string[] = [];
  const starFollowers = Math.min(50_000, U - 2);
  const fanoutFollowers = Math.min(9_000, Math.max(0, U - 2 - starFollowers));
  for (let u = 0; u < U; u++) {
    const set = new Set<number>();
    if (u >= 2 && u < 2 + starFollowers) set.add(starIdx);
    if (u >= 2 + starFollowers && u < 2 + starFollowers + fanoutFollowers) set.add(fanoutIdx);
    const k = Math.min(300, Math.floor(5 * Math.pow(1 - r(), -0.6)));
    for (let j = 0; j < k; j++) {
      const target = 2 + pickFollowee();
      if (target !== u) set.add(target);
    }
    for (const t of set) {
      fFollower.push(userIds[u]!);
      fFollowee.push(userIds[t]!);
    }
  }
  await insertBatches(
    pool,
    'follows',
    [
      ['id', 'uuid', fFollower.map(() => uuidv7At(now - 10 * day))],
      ['follower_id', 'uuid', fFollower],
      ['followee_id', 'uuid', fFollowee],
    ],
    10_000,
  );
  await pool.query(`
    update users u set follower_count = c.n
    from (select followee_id, count(*)::int n from follows group by 1) c where u.id = c.followee_id`);
  await pool.query(`
    update users u set following_count = c.n
    from (select follower_id, count(*)::int n from follows group by 1) c where u.id = c.follower_id`);
  log(`${fFollower.length} follows`);
  await pool.query('vacuum analyze');
  log('vacuum analyze');

  // ---- feed: sessions and rebuilt timelines for the users the load generator rotates through --
  await runtime.services.search.refreshBrands();
  const candidates = userIds.map((id, i) => ({ id, i })).filter(({ i }) => i >= 2 && active[i]);
  const chosen: { id: string; sessionId: string }[] = [];
  const step = Math.max(1, Math.floor(candidates.length / options.benchUsers));
  for (let j = 0; j < candidates.length && chosen.length < options.benchUsers; j += step) {
    chosen.push({ id: candidates[j]!.id, sessionId: uuidv7At(now) });
  }
  const starFans = candidates
    .filter(({ i }) => i >= 2 && i < 2 + starFollowers)
    .slice(0, 20)
    .map(({ id }) => ({ id, sessionId: uuidv7At(now) }));
  const sessions = [...chosen, ...starFans];
  await insertBatches(pool, 'sessions', [
    ['id', 'uuid', sessions.map((s) => s.sessionId)],
    ['user_id', 'uuid', sessions.map((s) => s.id)],
    ['expires_at', 'timestamptz', sessions.map(() => new Date(now + 30 * day).toISOString())],
  ]);
  for (const u of sessions) await runtime.services.feed.rebuild(u.id);
  log(`${sessions.length} bench sessions and timelines`);

  await pool.end();
  await runtime.close();
  const state: BenchState = {
    databaseUrl,
    redisUrl: options.redisUrl,
    redisPrefix,
    appSecret,
    items: N,
    users: U,
    starSellerId: userIds[starIdx]!,
    fanoutSellerId: userIds[fanoutIdx]!,
    benchUsers: chosen,
    starFollowers: starFans,
    generatedAt: new Date().toISOString(),
    loadSeconds: Math.round((Date.now() - started) / 1000),
  };
  writeFileSync(statePath, JSON.stringify(state, null, 2));
  log(`done; state in ${statePath}`);
  return state;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const { values } = parseArgs({
    options: {
      items: { type: 'string', default: '1000000' },
      users: { type: 'string', default: '100000' },
      database: { type: 'string', default: 'hanger_bench' },
      'bench-users': { type: 'string', default: '1000' },
    },
  });
  await generate({
    items: Number(values.items),
    users: Number(values.users),
    database: values.database,
    benchUsers: Number(values['bench-users']),
    adminUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  });
  process.exit(0);
}
