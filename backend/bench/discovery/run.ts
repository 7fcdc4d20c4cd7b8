/**
 * `npm run bench`: the discovery benchmark. Generates the data set when asked (or when none
 * exists), starts the API + worker (services runtime) and a bare-Fastify baseline on loopback,
 * then alternates, for --rounds rounds: the static page, GET /feed, each search query class, the
 * 24-item page by ids and pgbench on the same SQL. Then fan-out latency. Prints a markdown table
 * of medians over rounds, each figure next to its baseline, and writes results to results.json.
 *
 *   npm run bench -- --generate --items 1000000 --users 100000   (generate, then measure)
 *   npm run bench -- --rounds 5 --duration 10                    (measure the existing data set)
 */
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import pg from 'pg';
import { format } from 'prettier';
import { createRuntime } from '../../src/composition';
import { loadConfig } from '../../src/config';
import { AccessTokens } from '../../src/platform/auth/tokens';
import { newId } from '../../src/platform/ids';
import { createLogger } from '../../src/platform/logging/logger';
import { generate, here, statePath, type BenchState } from './generate';
import { generatedWords } from './vocabulary';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    generate: { type: 'boolean', default: false },
    items: { type: 'string', default: '1000000' },
    users: { type: 'string', default: '100000' },
    database: { type: 'string', default: 'hanger_bench' },
    state: { type: 'string', default: statePath },
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '10' },
    'feed-connections': { type: 'string', default: '16' },
    posts: { type: 'string', default: '20' },
  },
});
const ROUNDS = Number(values.rounds);
const DURATION = Number(values.duration);
const FEED_C = Number(values['feed-connections']);

let state: BenchState;
if (values.generate || !existsSync(values.state)) {
  state = await generate({
    items: Number(values.items),
    users: Number(values.users),
    database: values.database,
    benchUsers: 1000,
    adminUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  });
} else {
  state = JSON.parse(readFileSync(values.state, 'utf8')) as BenchState;
}
const env = {
  ...process.env,
  APP_SECRET: state.appSecret,
  DATABASE_URL: state.databaseUrl,
  DATABASE_POOL_MAX: '10',
  REDIS_URL: state.redisUrl,
  REDIS_PREFIX: state.redisPrefix,
};
const tmp = mkdtempSync(path.join(os.tmpdir(), 'hanger-bench-'));

function start(script: string, extraEnv: Record<string, string> = {}) {
  return new Promise<{ child: ChildProcess; port: number }>((resolve, reject) => {
    const child = fork(path.join(here, script), {
      env: { ...env, ...extraEnv },
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (m: { port: number }) => resolve({ child, port: m.port }));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

// ---- query mixes (≥ 40 terms, each class rotating through its list) --------------------------
const tail = generatedWords().slice(2000, 6000);
const enc = encodeURIComponent;
const classes: Record<string, string[]> = {
  rare: tail.slice(3000, 3012).map((w, i) => `q=${w}${i % 3 === 1 ? '&sort=newest' : ''}`),
  broad: [
    'q=jacket',
    'q=black',
    'q=vintage',
    'q=cotton',
    'q=dress',
    'q=boots&sort=newest',
    'q=wool',
    'q=leather',
    'q=blue&sort=price_asc',
    'q=oversized',
    'q=nike',
    `q=${enc('black -leather')}`,
  ],
  filters: [
    'category=shoes&size=42&condition=good',
    'category=tops&brand=Zara&brand=Mango',
    'brand=Nike&sort=price_asc',
    'category=dresses&priceMin=1000',
    'category=outerwear&condition=new_with_tags&sort=price_desc',
    'brand=Adidas&size=M&size=L',
    'category=bags',
    'condition=fair&sort=newest',
    'category=knitwear&brand=COS&brand=Arket&brand=Uniqlo',
    'size=XS&category=tops&sort=price_asc',
  ],
  radius: [
    'lat=48.85&lng=2.35&radiusKm=10',
    'lat=51.5&lng=-0.12&radiusKm=25&q=jacket',
    'lat=52.52&lng=13.4&radiusKm=5&category=shoes',
    'lat=40.41&lng=-3.7&radiusKm=50&sort=price_asc',
    'lat=45.46&lng=9.19&radiusKm=15&q=vintage',
    'lat=59.33&lng=18.07&radiusKm=30',
    'lat=41.39&lng=2.17&radiusKm=8&brand=Zara',
    'lat=50.08&lng=14.44&radiusKm=20&sort=newest',
    'lat=38.72&lng=-9.14&radiusKm=12&q=dress',
    'lat=55.68&lng=12.57&radiusKm=40&condition=like_new',
  ],
  typo: [
    'q=addidas',
    'q=jaket',
    'q=sneekers',
    'q=leathr',
    'q=cardigen',
    'q=vintaje',
    'q=trouzers',
    'q=hoodei',
    `q=${enc('denm jaket')}`,
    'q=blazr',
    'q=swetter',
    'q=parkka',
  ],
};

/** A wrk script that rotates through `paths` and prints its figures as one JSON line. */
function wrkScript(name: string, paths: string[], options: { bust?: boolean; tokens?: string[] }) {
  const file = path.join(tmp, `${name}.lua`);
  const list = paths.map((p) => JSON.stringify(p)).join(',\n  ');
  const tokens = (options.tokens ?? []).map((t) => JSON.stringify(t)).join(',\n  ');
  writeFileSync(
    file,
    `
local paths = {
  ${list}
}
local tokens = {
  ${tokens}
}
local bust = ${options.bust ? 'true' : 'false'}
local counter = 0
function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end
function request()
  counter = counter + 1
  local p = paths[math.random(#paths)]
  if bust then
    -- An always-true extra bound makes almost every request a cache miss: the index does the work.
    if string.find(p, "priceMax") then
      p = p .. "&priceMin=" .. math.random(0, 99)
    else
      p = p .. "&priceMax=" .. math.random(9000000, 9999999)
    end
  end
  local headers = {}
  if #tokens > 0 then
    headers["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]
  end
  return wrk.format("GET", p, headers)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests":%d,"duration":%d,"errors":%d,"status":%d,"p50":%d,"p95":%d,"p99":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
`,
  );
  return file;
}

interface Figure {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
}

async function wrk(url: string, script: string, connections: number): Promise<Figure> {
  const { stdout } = await run(
    'wrk',
    [
      '-t',
      connections > 2 ? '2' : '1',
      '-c',
      String(connections),
      '-d',
      `${DURATION}s`,
      '-s',
      script,
      url,
    ],
    { maxBuffer: 1 << 24 },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
  const r = JSON.parse(line.slice(7)) as Record<string, number>;
  return {
    rps: r.requests! / (r.duration! / 1e6),
    p50: r.p50! / 1000,
    p95: r.p95! / 1000,
    p99: r.p99! / 1000,
    errors: r.errors! + r.status!,
  };
}

async function pgbench(scriptFile: string, clients: number): Promise<Figure> {
  const url = new URL(state.databaseUrl);
  const logDir = mkdtempSync(path.join(tmp, 'pgbench-'));
  await run(
    'pgbench',
    [
      '-n',
      '-M',
      'extended',
      '-c',
      String(clients),
      '-j',
      String(clients),
      '-T',
      String(DURATION),
      '-f',
      scriptFile,
      '-l',
      '--log-prefix',
      path.join(logDir, 'log'),
      '-h',
      url.hostname,
      '-p',
      url.port || '5432',
      '-U',
      url.username || 'postgres',
      url.pathname.slice(1),
    ],
    { cwd: logDir, maxBuffer: 1 << 24 },
  );
  const { stdout } = await run('sh', ['-c', `cat ${path.join(logDir, 'log')}*`], {
    maxBuffer: 1 << 28,
  });
  const lat = stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => Number(l.split(' ')[2]) / 1000)
    .sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] ?? 0;
  return { rps: lat.length / DURATION, p50: pct(50), p95: pct(95), p99: pct(99), errors: 0 };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

// ---- start everything ---------------------------------------------------------------------------
console.log(
  `data set: ${state.items} items, ${state.users} users (generated ${state.generatedAt})`,
);
const api = await start('server.ts');
const base = `http://127.0.0.1:${api.port}`;
const tokens = new AccessTokens(state.appSecret);
const benchTokens = await Promise.all(
  state.benchUsers.map((u) => tokens.sign({ userId: u.id, sessionId: u.sessionId }, 4 * 3600)),
);
const feedPage = (await (
  await fetch(`${base}/api/v1/feed?limit=24`, {
    headers: { authorization: `Bearer ${benchTokens[0]}` },
  })
).json()) as { data: { id: string }[] };
const visitorPage = (await (await fetch(`${base}/api/v1/feed?limit=24`)).json()) as {
  data: { id: string; seller: { id: string } }[];
};
const staticServer = await start('static-server.ts', {
  BENCH_STATIC_PAGE: JSON.stringify(feedPage),
});
const staticUrl = `http://127.0.0.1:${staticServer.port}`;
console.log(`feed page: ${feedPage.data.length} items, ${JSON.stringify(feedPage).length} bytes`);

// The SQL behind a 24-item page by ids (visitor feed: ids from the cached popular list), as the
// API issues it: index lookup, items with brand and photo ids, seller summaries.
const ids = visitorPage.data.map((i) => `'${i.id}'`).join(',');
const sellers = [...new Set(visitorPage.data.map((i) => `'${i.seller.id}'`))].join(',');
const pgScript = path.join(tmp, 'page-by-ids.sql');
writeFileSync(
  pgScript,
  [
    `select item_id, seller_id, status, lat, lng from search_items where item_id = any(array[${ids}]::uuid[]);`,
    `select items.*, brands.name, (select coalesce(json_agg(ii.upload_id order by ii.position), '[]'::json) from item_images ii where ii.item_id = items.id) from items inner join brands on brands.id = items.brand_id where items.id in (${ids}) and items.deleted_at is null;`,
    `select id, username, display_name, avatar_upload_id from users where id in (${sellers}) and deleted_at is null;`,
  ].join('\n') + '\n',
);

const scripts = {
  static: wrkScript('static', ['/static'], {}),
  feed: wrkScript('feed', ['/api/v1/feed?limit=24'], { tokens: benchTokens }),
  pageByIds: wrkScript('page-by-ids', ['/api/v1/feed?limit=24'], {}),
  ...Object.fromEntries(
    Object.entries(classes).map(([name, qs]) => [
      `search_${name}`,
      wrkScript(
        `search_${name}`,
        qs.map((q) => `/api/v1/search?${q}`),
        { bust: true },
      ),
    ]),
  ),
} as Record<string, string>;

const results: Record<string, Figure[]> = {};
const record = (name: string, f: Figure) => (results[name] ??= []).push(f);
await wrk(base, scripts.feed!, 2); // warm-up
for (let round = 1; round <= ROUNDS; round++) {
  record('static', await wrk(staticUrl, scripts.static!, FEED_C));
  record('feed', await wrk(base, scripts.feed!, FEED_C));
  for (const name of Object.keys(classes)) {
    record(`search_${name}`, await wrk(base, scripts[`search_${name}`]!, 2));
  }
  record('pageByIds_api', await wrk(base, scripts.pageByIds!, 2));
  record('pageByIds_pgbench', await pgbench(pgScript, 2));
  console.log(`round ${round}/${ROUNDS} done`);
}

// ---- fan-out latency ----------------------------------------------------------------------------
const config = loadConfig({
  ...env,
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  MIGRATE_ON_START: 'false',
  HANGER_DATA_DIR: tmp,
});
const producer = await createRuntime(config, createLogger('warn'));
const db = producer.adapters.database.db;
const pool = new pg.Pool({ connectionString: state.databaseUrl, max: 2 });
const activeFollowers = (
  await pool.query<{ id: string }>(
    `select f.follower_id as id from follows f join users u on u.id = f.follower_id
     where f.followee_id = $1 and u.last_active_at > now() - interval '30 days' and u.deleted_at is null`,
    [state.fanoutSellerId],
  )
).rows.map((r) => r.id);
const [{ brand_id: brandId } = { brand_id: '' }] = (
  await pool.query<{ brand_id: string }>('select id as brand_id from brands limit 1')
).rows;
const redis = new Redis(state.redisUrl);

async function post(sellerId: string, title: string): Promise<{ id: string; at: number }> {
  const id = newId();
  await producer.adapters.outbox.transaction(async (tx, emit) => {
    await tx.execute(sql`
      insert into items (id, seller_id, title, description, category, brand_id, size, condition,
        price_cents, currency)
      values (${id}, ${sellerId}, ${title}, 'Bench post', 'tops', ${brandId}, 'M', 'good', 2500, 'EUR')`);
    await emit('item.created', { itemId: id, sellerId });
  });
  return { id, at: Date.now() };
}

const fanout: number[] = [];
for (let i = 0; i < Number(values.posts); i++) {
  const { id, at } = await post(state.fanoutSellerId, `Fan-out bench post ${i}`);
  for (;;) {
    const pipeline = redis.pipeline();
    for (const u of activeFollowers) pipeline.zscore(`${state.redisPrefix}:tl:${u}`, id);
    const res = (await pipeline.exec()) ?? [];
    if (res.every(([, v]) => v !== null)) break;
    if (Date.now() - at > 60_000) throw new Error('fan-out did not finish within 60 s');
    await new Promise((r) => setTimeout(r, 10));
  }
  fanout.push(Date.now() - at);
}
fanout.sort((a, b) => a - b);

// The 50,000-follower seller: merged at read time, visible on the next feed read.
const star = await post(state.starSellerId, 'Star bench post');
await producer.adapters.outbox.whenSettled(30_000);
const fan = state.starFollowers[0]!;
const fanToken = await tokens.sign({ userId: fan.id, sessionId: fan.sessionId }, 600);
const starRead = Date.now();
const fanFeed = (await (
  await fetch(`${base}/api/v1/feed?limit=24`, { headers: { authorization: `Bearer ${fanToken}` } })
).json()) as { data: { id: string }[] };
const starVisible = fanFeed.data.some((i) => i.id === star.id);
const starMs = Date.now() - starRead;
const [{ n: starFollowers } = { n: 0 }] = (
  await pool.query<{ n: number }>('select follower_count as n from users where id = $1', [
    state.starSellerId,
  ])
).rows;

// Clean the posts up so reruns measure the same data.
await db.execute(sql`delete from items where description = 'Bench post'`);
await pool.end();
redis.disconnect();
await producer.close();
api.child.send({ cmd: 'stop' });
staticServer.child.send({ cmd: 'stop' });

// ---- report -------------------------------------------------------------------------------------
const med = (name: string) => {
  const rs = results[name]!;
  return {
    rps: median(rs.map((r) => r.rps)),
    p50: median(rs.map((r) => r.p50)),
    p95: median(rs.map((r) => r.p95)),
    p99: median(rs.map((r) => r.p99)),
    errors: rs.reduce((a, r) => a + r.errors, 0),
  };
};
const f1 = (n: number) => n.toFixed(1);
const f0 = (n: number) => Math.round(n).toLocaleString('en');
const rows: string[] = [];
const ok = (b: boolean) => (b ? '**met**' : '**missed**');
const st = med('static');
const fd = med('feed');
rows.push(
  '| measurement | conc. | req/s | p50 ms | p95 ms | p99 ms | baseline (same run) | target | result |',
);
rows.push('|---|---|---|---|---|---|---|---|---|');
rows.push(
  `| static 24-item JSON page, bare Fastify | ${FEED_C} | ${f0(st.rps)} | ${f1(st.p50)} | ${f1(st.p95)} | ${f1(st.p99)} | — | baseline | |`,
);
rows.push(
  `| GET /feed (1,000 rotating users) | ${FEED_C} | ${f0(fd.rps)} | ${f1(fd.p50)} | ${f1(fd.p95)} | ${f1(fd.p99)} | ${(fd.rps / st.rps).toFixed(2)}× req/s, ${(fd.p99 / st.p99).toFixed(2)}× p99 | ≥ 0.6× req/s, ≤ 1.5× p99 | ${ok(fd.rps >= 0.6 * st.rps)} / ${ok(fd.p99 <= 1.5 * st.p99)} |`,
);
for (const name of Object.keys(classes)) {
  const s = med(`search_${name}`);
  rows.push(
    `| GET /search — ${name} (incl. facets, cache-busting) | 2 | ${f0(s.rps)} | ${f1(s.p50)} | ${f1(s.p95)} | ${f1(s.p99)} | — | p95 ≤ 50, p99 ≤ 150 | ${ok(s.p95 <= 50 && s.p99 <= 150)} |`,
  );
}
const pa = med('pageByIds_api');
const pb = med('pageByIds_pgbench');
rows.push(
  `| pgbench -M extended, the page-by-ids SQL | 2 | ${f0(pb.rps)} | ${f1(pb.p50)} | ${f1(pb.p95)} | ${f1(pb.p99)} | — | baseline | |`,
);
rows.push(
  `| API 24-item page by ids (visitor GET /feed) | 2 | ${f0(pa.rps)} | ${f1(pa.p50)} | ${f1(pa.p95)} | ${f1(pa.p99)} | ${(pa.p99 / pb.p99).toFixed(2)}× pgbench p99 | ≤ 2.5× p99 | ${ok(pa.p99 <= 2.5 * pb.p99)} |`,
);
const p99 = fanout[Math.min(fanout.length - 1, Math.ceil(fanout.length * 0.99) - 1)]!;
rows.push(
  `| fan-out on write, ${activeFollowers.length.toLocaleString('en')} active of 9,000 followers, ${fanout.length} posts | — | — | ${fanout[fanout.length >> 1]} | — | ${p99} | — | p99 ≤ 5,000 ms | ${ok(p99 <= 5000)} |`,
);
rows.push(
  `| merge on read, ${Number(starFollowers).toLocaleString('en')}-follower seller: next feed read shows the post | — | — | ${starMs} | — | — | — | visible | ${ok(starVisible)} |`,
);
const errors = Object.entries(results).flatMap(([name, rs]) => {
  const n = rs.reduce((a, r) => a + r.errors, 0);
  return n > 0 ? [`${name}: ${n} errors/non-2xx`] : [];
});
const table = rows.join('\n');
console.log(`\n${table}\n`);
if (errors.length > 0) console.log(`errors: ${errors.join(', ')}`);
// Formatted as the repository's prettier check expects (the file is committed with the docs).
writeFileSync(
  path.join(here, 'results.json'),
  await format(
    JSON.stringify(
      {
        state: { ...state, benchUsers: undefined, starFollowers: undefined },
        rounds: ROUNDS,
        duration: DURATION,
        results,
        fanout,
        starVisible,
        table,
      },
      null,
      2,
    ),
    { parser: 'json' },
  ),
);
process.exit(0);
