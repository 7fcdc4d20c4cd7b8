/**
 * `npm run bench:realtime`: N concurrent WebSocket clients on one API instance over loopback, a
 * burst of M notifications through the real path (event + outbox row committed → worker →
 * notification committed → pub/sub → hub → socket), and delivery latency from the notification
 * row's commit timestamp (`updatedAt`, set in the committing transaction) to the client's receipt,
 * plus the API process's RSS. Options: --sockets 2000 --notifications 10000 (env DATABASE_URL and
 * REDIS_URL select the services runtime).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: {
    sockets: { type: 'string', default: '2000' },
    notifications: { type: 'string', default: '10000' },
    actors: { type: 'string', default: '50' },
    /** Use the local Postgres and Redis (a throwaway database and key prefix) instead of PGlite. */
    services: { type: 'boolean', default: false },
  },
});
const SOCKETS = Number(values.sockets);
const NOTIFICATIONS = Number(values.notifications);
const ACTORS = Number(values.actors);

const here = path.dirname(fileURLToPath(import.meta.url));
const env: Record<string, string | undefined> = { ...process.env };
let dropDatabase = async () => {};
if (values.services) {
  const admin = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `hanger_bench_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  Object.assign(env, {
    DATABASE_URL: url.toString(),
    REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0',
    REDIS_PREFIX: name,
  });
  dropDatabase = async () => {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  };
}
const server: ChildProcess = fork(path.join(here, 'realtime-server.ts'), [], {
  execArgv: ['--import', 'tsx'],
  stdio: 'inherit',
  env,
});

const replies = new Map<string, ((m: Record<string, unknown>) => void)[]>();
server.on('message', (m: Record<string, unknown>) => {
  const q = replies.get(m.cmd as string);
  q?.shift()?.(m);
});
function ask<T extends Record<string, unknown>>(cmd: string, extra: object = {}): Promise<T> {
  return new Promise((resolve) => {
    const q = replies.get(cmd) ?? [];
    q.push(resolve as (m: Record<string, unknown>) => void);
    replies.set(cmd, q);
    if (cmd !== 'listening') server.send({ cmd, ...extra });
  });
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

const { port, runtime } = await ask<{ port: number; runtime: string }>('listening');
console.log(`API instance on 127.0.0.1:${port} (${runtime} runtime), pid ${server.pid}`);
const baseline = await ask<{ rss: number }>('rss');
const { tokens } = await ask<{ tokens: string[] }>('seed', {
  recipients: SOCKETS,
  actors: ACTORS,
});
console.log(`seeded ${SOCKETS} recipients and ${ACTORS} actors`);

const latencies: number[] = [];
let received = 0;
let closedEarly = 0;
let allReceived: () => void = () => {};
const done = new Promise<void>((r) => (allReceived = r));

const openStarted = Date.now();
const clients = await Promise.all(
  tokens.map(
    (token) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/ws`, {
          headers: { authorization: `Bearer ${token}` },
          perMessageDeflate: false,
        });
        ws.on('message', (raw: Buffer) => {
          const at = Date.now();
          const event = JSON.parse(raw.toString('utf8')) as {
            type: string;
            notification?: { updatedAt: string };
          };
          if (event.type === 'ready') resolve(ws);
          if (event.type === 'notification.created' && event.notification) {
            latencies.push(at - Date.parse(event.notification.updatedAt));
            if (++received >= NOTIFICATIONS) allReceived();
          }
        });
        ws.on('close', () => closedEarly++);
        ws.on('error', reject);
      }),
  ),
);
const connected = await ask<{ rss: number; sockets: number }>('rss');
console.log(
  `${clients.length} sockets open in ${Date.now() - openStarted} ms; server sees ${connected.sockets}; RSS ${mb(connected.rss)}`,
);

let peakRss = connected.rss;
const sampler = setInterval(() => {
  void ask<{ rss: number }>('rss').then((m) => (peakRss = Math.max(peakRss, m.rss)));
}, 200);

const burstStarted = Date.now();
const { enqueueMs } = await ask<{ enqueueMs: number }>('burst', { count: NOTIFICATIONS });
const timeout = new Promise<void>((r) => setTimeout(r, 180_000));
await Promise.race([done, timeout]);
const totalMs = Date.now() - burstStarted;
clearInterval(sampler);
const final = await ask<{ rss: number; stats: Record<string, number> }>('rss');
peakRss = Math.max(peakRss, final.rss);

const sorted = [...latencies].sort((a, b) => a - b);
console.log('');
console.log(
  `notifications delivered: ${received}/${NOTIFICATIONS} (sockets closed early: ${closedEarly})`,
);
console.log(`events committed to the outbox in ${enqueueMs} ms; last delivery after ${totalMs} ms`);
console.log(`throughput: ${Math.round((received / totalMs) * 1000)} notifications/s end to end`);
console.log(
  `commit → socket latency: p50 ${pct(sorted, 50)} ms · p95 ${pct(sorted, 95)} ms · p99 ${pct(sorted, 99)} ms · max ${sorted[sorted.length - 1]} ms`,
);
console.log(
  `API process RSS: baseline ${mb(baseline.rss)} · with sockets ${mb(connected.rss)} · peak ${mb(peakRss)}`,
);
console.log(`hub stats: ${JSON.stringify(final.stats)}`);

for (const ws of clients) ws.terminate();
server.send({ cmd: 'stop' });
await new Promise((r) => server.once('exit', r));
await dropDatabase();
process.exit(received >= NOTIFICATIONS ? 0 : 1);
