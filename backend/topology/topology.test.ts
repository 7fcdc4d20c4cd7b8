import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

/**
 * `npm run services:up` for real — two API processes and a worker on PostgreSQL, Redis and the S3
 * test server, NGINX in front — exercised only through NGINX (and the worker's metrics port).
 */
interface Topology {
  url: string;
  apiPorts: number[];
  workerMetricsPort: number;
  databaseUrl: string;
  metricsToken: string;
  runDir: string;
  redisPrefix: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

let child: ChildProcess;
let topo: Topology;

beforeAll(async () => {
  const id = randomBytes(4).toString('hex');
  const [nginx, api1, api2, worker, s3] = await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  );
  child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'scripts/services-up.ts',
      `--db=hanger_topo_${id}`,
      `--prefix=hanger-topo-${id}`,
      `--nginx-port=${nginx}`,
      `--api-ports=${api1},${api2}`,
      `--worker-metrics-port=${worker}`,
      `--s3-port=${s3}`,
      `--run-dir=${path.join(os.tmpdir(), `hanger-topo-${id}`)}`,
      '--drop-db',
      '--log-level=warn',
    ],
    { cwd: path.resolve(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  topo = await new Promise<Topology>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        if (!line.startsWith('{"ready":true')) continue;
        resolve(JSON.parse(line) as Topology);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => reject(new Error(`services:up exited ${code}:\n${output}`)));
  });
});

afterAll(async () => {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
});

const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers });

/** Requests through NGINX until both API instances have answered; returns one response each. */
async function fromBothInstances(url: string, headers: Record<string, string> = {}) {
  const seen = new Map<string, Response>();
  for (let i = 0; i < 20 && seen.size < 2; i++) {
    const res = await get(url, headers);
    const upstream = res.headers.get('x-upstream-addr') ?? '';
    if (!seen.has(upstream)) seen.set(upstream, res);
  }
  return seen;
}

describe('the services topology behind NGINX', () => {
  it('answers /healthz and /readyz from both API instances, with request ids', async () => {
    const health = await fromBothInstances(`${topo.url}/api/v1/healthz`);
    expect([...health.keys()].sort()).toEqual(topo.apiPorts.map((p) => `127.0.0.1:${p}`).sort());
    for (const res of health.values()) {
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
      expect(res.headers.get('x-request-id')).toBeTruthy();
    }
    for (const res of (await fromBothInstances(`${topo.url}/api/v1/readyz`)).values()) {
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        status: 'ok',
        runtime: 'services',
        checks: { database: 'ok', cache: 'ok', queue: 'ok', storage: 'ok' },
      });
    }
  });

  it('passes an inbound request id through to the API', async () => {
    const res = await get(`${topo.url}/api/v1/healthz`, { 'x-request-id': 'edge-test-42' });
    expect(res.headers.get('x-request-id')).toBe('edge-test-42');
  });

  it('rate-limits by the address NGINX saw, not one the client forwards', async () => {
    const res = await get(`${topo.url}/api/v1/openapi.json`, { 'x-forwarded-for': '203.0.113.77' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-limit')).toBeTruthy();
    // The global limit's count reaches Redis with the API's next sync (a new window: at once).
    const redis = new Redis('redis://127.0.0.1:6379/0');
    try {
      const key = (address: string) => `${topo.redisPrefix}:rl:${address}`;
      let seen: string | null = null;
      for (let i = 0; i < 50 && seen === null; i++) {
        seen = await redis.get(key('127.0.0.1'));
        if (seen === null) await new Promise((r) => setTimeout(r, 100));
      }
      expect(Number(seen)).toBeGreaterThanOrEqual(1);
      expect(await redis.exists(key('203.0.113.77'))).toBe(0);
    } finally {
      redis.disconnect();
    }
  });

  it('serves /metrics of both instances only with the metrics token', async () => {
    expect((await get(`${topo.url}/metrics`)).status).toBe(401);
    const auth = { authorization: `Bearer ${topo.metricsToken}` };
    const both = await fromBothInstances(`${topo.url}/metrics`, auth);
    expect(both.size).toBe(2);
    for (const res of both.values()) {
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toMatch(
        /^hanger_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/healthz",status_code="200"\} \d+$/m,
      );
      expect(text).toMatch(/^hanger_db_pool_connections\{state="max"\} 10$/m);
      expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    }
  });

  it("exposes the worker's queues on its private metrics port, with probes", async () => {
    const base = `http://127.0.0.1:${topo.workerMetricsPort}`;
    expect((await get(`${base}/healthz`)).status).toBe(200);
    expect((await get(`${base}/readyz`)).status).toBe(200);
    const text = await (await get(`${base}/metrics`)).text();
    expect(text).toMatch(/^hanger_queue_jobs\{queue="outbox",state="waiting"\} \d+$/m);
  });

  it('serves the SPA: index.html for client routes (no-cache), immutable hashed assets, security headers', async () => {
    const page = await get(`${topo.url}/items/some-client-route`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const html = await page.text();
    const asset = /(?:src|href)="(\/assets\/[^"]+)"/.exec(html)?.[1];
    expect(asset).toBeTruthy();
    const res = await get(`${topo.url}${asset}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await get(`${topo.url}/assets/missing-${Date.now()}.js`)).status).toBe(404);
  });

  it('refuses a body over the limit at the edge with 413', async () => {
    const res = await fetch(`${topo.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(1_100_000) }),
    });
    expect(res.status).toBe(413);
  });
});

describe('a user journey across instances', () => {
  async function signIn(name: string) {
    const email = `${name}@example.test`;
    const password = `Pw-${randomBytes(8).toString('hex')}`;
    const register = await fetch(`${topo.url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, username: name, password }),
    });
    expect(register.status).toBeLessThan(300);
    // Verification mail is not readable in production mode: verify straight in the database.
    const db = new pg.Client({ connectionString: topo.databaseUrl });
    await db.connect();
    await db.query('update users set email_verified_at = now() where email = $1', [email]);
    await db.end();
    const login = await fetch(`${topo.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password, client: 'api' }),
    });
    expect(login.status).toBe(200);
    const { accessToken } = ((await login.json()) as { data: { accessToken: string } }).data;
    return { name, headers: { authorization: `Bearer ${accessToken}` } };
  }

  it('logs in, uploads a photo to S3 and gets a WebSocket notification from the other instance', async () => {
    const suffix = randomBytes(3).toString('hex');
    const alice = await signIn(`alice_${suffix}`);
    const bob = await signIn(`bob_${suffix}`);

    // A photo: presigned PUT through NGINX, bytes straight to S3.
    const uploadRes = await fetch(`${topo.url}/api/v1/uploads`, {
      method: 'POST',
      headers: { ...alice.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ contentType: 'image/png', sizeBytes: 68, purpose: 'item_image' }),
    });
    expect(uploadRes.status).toBe(201);
    const ticket = (
      (await uploadRes.json()) as {
        data: { id: string; url: string; headers: Record<string, string> };
      }
    ).data;
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAAC0lEQVR4nGNgAAIAAAUAAXpeqz8AAAAASUVORK5CYII=',
      'base64',
    );
    expect(png.length).toBe(68);
    const put = await fetch(ticket.url, { method: 'PUT', headers: ticket.headers, body: png });
    expect(put.status).toBe(200);
    const status = await fetch(`${topo.url}/api/v1/uploads/${ticket.id}`, {
      headers: alice.headers,
    });
    expect(status.status).toBe(200);

    // Alice's socket through NGINX: note which instance holds it.
    const ticketRes = await fetch(`${topo.url}/api/v1/ws/ticket`, {
      method: 'POST',
      headers: alice.headers,
    });
    expect(ticketRes.status).toBe(201);
    const wsTicket = ((await ticketRes.json()) as { data: { ticket: string } }).data.ticket;
    const wsUrl = `${topo.url.replace('http', 'ws')}/api/v1/ws?ticket=${encodeURIComponent(wsTicket)}`;
    const socket = new WebSocket(wsUrl);
    const events: { type: string; notification?: { type: string } }[] = [];
    socket.on('message', (raw: Buffer) =>
      events.push(JSON.parse(raw.toString()) as (typeof events)[0]),
    );
    let holder = '';
    socket.once('upgrade', (res) => (holder = String(res.headers['x-upstream-addr'])));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused: ${res.statusCode}`)),
      );
    });
    expect(topo.apiPorts.map((p) => `127.0.0.1:${p}`)).toContain(holder);

    // Bob follows Alice on the *other* instance (directly, to be sure it is the other one).
    const other = topo.apiPorts.find((p) => `127.0.0.1:${p}` !== holder)!;
    const follow = await fetch(`http://127.0.0.1:${other}/api/v1/users/${alice.name}/follow`, {
      method: 'POST',
      headers: bob.headers,
    });
    expect(follow.status).toBe(200);

    const deadline = Date.now() + 20_000;
    while (!events.some((e) => e.type === 'notification.created') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    socket.close();
    const created = events.find((e) => e.type === 'notification.created');
    expect(created?.notification?.type).toMatch(/follow/);
  });
});
