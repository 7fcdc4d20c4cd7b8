/**
 * `npm run services:up`: the production topology on this machine, without Docker. Two API
 * processes and one worker on the machine's PostgreSQL (its own database) and Redis (its own key
 * prefix), the S3 test server, and NGINX from Debian in front with infra/nginx's configuration.
 *
 *   npm run services:up                      # http://127.0.0.1:8080, Ctrl-C stops everything
 *   npm run services:up -- --nginx-port 8090 --db hanger_demo --drop-db
 *
 * Prints one JSON line `{"ready":true,...}` (ports, metrics token) when every process answers,
 * and writes the same to <run-dir>/topology.json. backend/topology/ tests it through NGINX.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import S3rver from '@20minutes/s3rver';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createDatabase } from '../src/platform/db/client';
import { createLogger } from '../src/platform/logging/logger';
import { S3Storage } from '../src/platform/storage/s3';

const root = path.resolve(import.meta.dirname, '../..');
const backendDir = path.join(root, 'backend');

const { values: opts } = parseArgs({
  options: {
    db: { type: 'string', default: 'hanger_local' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379/0' },
    prefix: { type: 'string', default: 'hanger-local' },
    'nginx-port': { type: 'string', default: '8080' },
    'api-ports': { type: 'string', default: '3001,3002' },
    'worker-metrics-port': { type: 'string', default: '9464' },
    's3-port': { type: 'string', default: '4569' },
    'run-dir': { type: 'string', default: path.join(root, '.tmp/services') },
    'drop-db': { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'info' },
  },
});

const nginxPort = Number(opts['nginx-port']);
const apiPorts = opts['api-ports'].split(',').map(Number);
const workerPort = Number(opts['worker-metrics-port']);
const s3Port = Number(opts['s3-port']);
const runDir = path.resolve(opts['run-dir']);
const bucket = opts.prefix.toLowerCase().replace(/[^a-z0-9-]/g, '-');
const log = createLogger('info');

fs.mkdirSync(path.join(runDir, 'tmp'), { recursive: true });
const children: { name: string; child: ChildProcess }[] = [];
const cleanups: (() => Promise<void>)[] = [];
let stopping = false;

async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(
    children.map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const t = setTimeout(() => {
            child.kill('SIGKILL');
            resolve();
          }, 15_000);
          child.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
        }),
    ),
  );
  for (const c of cleanups.reverse())
    await c().catch((err: unknown) => log.warn({ err }, 'cleanup'));
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

function fail(message: string): never {
  log.error(message);
  void stop(1);
  throw new Error(message);
}

// 1. Postgres: our own database, migrated.
const adminUrl = opts['pg-url'];
const dbUrl = new URL(adminUrl);
dbUrl.pathname = `/${opts.db}`;
if (!/^[a-z_][a-z0-9_]{0,62}$/.test(opts.db)) fail(`--db must be a plain identifier: ${opts.db}`);
{
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const exists = await admin.query('select 1 from pg_database where datname = $1', [opts.db]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${opts.db}`);
  await admin.end();
  if (opts['drop-db']) {
    cleanups.push(async () => {
      const redis = new Redis(opts['redis-url']);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${opts.prefix}:*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      redis.disconnect();
    });
    cleanups.push(async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${opts.db} WITH (FORCE)`);
      await c.end();
    });
  }
  const db = await createDatabase({ kind: 'postgres', url: dbUrl.toString(), poolMax: 2 }, log);
  await db.migrate();
  await db.close();
}

// 2. The S3 test server and our bucket.
const s3Dir = path.join(runDir, 's3');
const s3 = new S3rver({ port: s3Port, address: '127.0.0.1', silent: true, directory: s3Dir });
await s3.run();
cleanups.unshift(() => s3.close());
const s3Endpoint = `http://127.0.0.1:${s3Port}`;
const storageConfig = {
  kind: 's3' as const,
  endpoint: s3Endpoint,
  bucket,
  region: 'us-east-1',
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
  forcePathStyle: true,
};
await new S3Storage(storageConfig).client
  .send(new CreateBucketCommand({ Bucket: bucket }))
  .catch((err: unknown) => {
    if (!String(err).includes('BucketAlreadyExists')) throw err;
  });

// 3. The processes: two APIs and a worker, as in production (NODE_ENV=production).
const secretsFile = path.join(runDir, 'secrets.json');
const secrets = fs.existsSync(secretsFile)
  ? (JSON.parse(fs.readFileSync(secretsFile, 'utf8')) as {
      appSecret: string;
      metricsToken: string;
    })
  : { appSecret: randomBytes(32).toString('hex'), metricsToken: randomBytes(24).toString('hex') };
fs.writeFileSync(secretsFile, JSON.stringify(secrets), { mode: 0o600 });
const publicUrl = `http://127.0.0.1:${nginxPort}`;
const env = {
  ...process.env,
  NODE_ENV: 'production',
  HOST: '127.0.0.1',
  LOG_LEVEL: opts['log-level'],
  PUBLIC_URL: publicUrl,
  TRUST_PROXY: 'true',
  APP_SECRET: secrets.appSecret,
  METRICS_TOKEN: secrets.metricsToken,
  DATABASE_URL: dbUrl.toString(),
  DATABASE_POOL_MAX: '10',
  MIGRATE_ON_START: 'false',
  REDIS_URL: opts['redis-url'],
  REDIS_PREFIX: opts.prefix,
  S3_ENDPOINT: s3Endpoint,
  S3_BUCKET: bucket,
  S3_REGION: 'us-east-1',
  S3_ACCESS_KEY_ID: 'S3RVER',
  S3_SECRET_ACCESS_KEY: 'S3RVER',
  S3_FORCE_PATH_STYLE: 'true',
  SERVE_SPA: 'false',
};
const preload = './src/platform/observability/preload.ts';

function start(name: string, entry: string, extraEnv: Record<string, string>) {
  const out = fs.openSync(path.join(runDir, `${name}.log`), 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', preload, entry], {
    cwd: backendDir,
    env: { ...env, ...extraEnv },
    stdio: ['ignore', out, out],
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      log.error({ process: name, code, signal }, `${name} exited; see ${runDir}/${name}.log`);
      void stop(1);
    }
  });
  children.push({ name, child });
}

apiPorts.forEach((port, i) => start(`api-${i + 1}`, 'src/api.ts', { PORT: String(port) }));
start('worker', 'src/worker.ts', { METRICS_PORT: String(workerPort) });

// 4. NGINX from Debian with infra/nginx's shared configuration.
const nginx = spawnSync('sh', ['-c', 'command -v nginx || ls /usr/sbin/nginx'], {
  encoding: 'utf8',
});
const nginxBin = nginx.stdout.trim().split('\n')[0];
if (!nginxBin) fail('nginx is not installed: apt-get install -y nginx');
let spaDir = path.join(root, 'frontend/dist');
if (!fs.existsSync(path.join(spaDir, 'index.html'))) {
  // No built SPA (run `npm run build` for the real one): a stand-in shell keeps the routes testable.
  spaDir = path.join(runDir, 'spa');
  fs.mkdirSync(path.join(spaDir, 'assets'), { recursive: true });
  fs.writeFileSync(
    path.join(spaDir, 'index.html'),
    '<!doctype html><html><head><title>Hanger</title><script type="module" src="/assets/app-stub.js"></script></head><body><div id="root"></div></body></html>\n',
  );
  fs.writeFileSync(path.join(spaDir, 'assets/app-stub.js'), 'console.log("hanger");\n');
}
const confDir = path.join(runDir, 'nginx');
fs.mkdirSync(confDir, { recursive: true });
fs.rmSync(path.join(confDir, 'hanger'), { force: true, recursive: true });
fs.symlinkSync(path.join(root, 'infra/nginx/hanger'), path.join(confDir, 'hanger'));
const tmp = path.join(runDir, 'tmp');
fs.writeFileSync(
  path.join(confDir, 'nginx.conf'),
  `# Generated by backend/scripts/services-up.ts; the shared parts are infra/nginx/hanger/*.conf.
${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;
pid ${runDir}/nginx.pid;
error_log ${runDir}/nginx-error.log warn;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  include hanger/http.conf;
  client_body_temp_path ${tmp}/client_body;
  proxy_temp_path ${tmp}/proxy;
  fastcgi_temp_path ${tmp}/fastcgi;
  uwsgi_temp_path ${tmp}/uwsgi;
  scgi_temp_path ${tmp}/scgi;
  access_log ${runDir}/nginx-access.log hanger_json;
  upstream hanger_api {
${apiPorts.map((p) => `    server 127.0.0.1:${p} max_fails=3 fail_timeout=10s;`).join('\n')}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${nginxPort};
    server_name _;
    root ${spaDir};
    # Local topology only: which replica answered (the integration test checks both do).
    add_header X-Upstream-Addr $upstream_addr always;
    include hanger/server.conf;
    # Local topology only: /metrics through the edge, still behind the API's METRICS_TOKEN.
    location = /metrics {
      include hanger/proxy.conf;
      proxy_set_header Connection "";
      add_header X-Upstream-Addr $upstream_addr always;
    }
  }
}
`,
);
const nginxArgs = [
  '-p',
  confDir,
  '-c',
  path.join(confDir, 'nginx.conf'),
  '-e',
  `${runDir}/nginx-error.log`,
];
const check = spawnSync(nginxBin, [...nginxArgs, '-t'], { encoding: 'utf8' });
if (check.status !== 0) fail(`nginx -t failed:\n${check.stderr}`);
{
  const out = fs.openSync(path.join(runDir, 'nginx.log'), 'w');
  const child = spawn(nginxBin, [...nginxArgs, '-g', 'daemon off;'], {
    stdio: ['ignore', out, out],
  });
  child.on('exit', (code) => {
    if (!stopping) {
      log.error({ code }, `nginx exited; see ${runDir}/nginx-error.log`);
      void stop(1);
    }
  });
  // SIGQUIT is NGINX's graceful stop; SIGTERM (sent by stop()) is its fast one: both fine here.
  children.push({ name: 'nginx', child });
}

// 5. Wait for every process to answer.
async function waitFor(url: string, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (stopping) throw new Error('stopped');
    if (Date.now() > deadline) fail(`${url} did not answer in ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
await Promise.all([
  ...apiPorts.map((p) => waitFor(`http://127.0.0.1:${p}/readyz`)),
  waitFor(`http://127.0.0.1:${workerPort}/readyz`),
]);
// Through NGINX only once every API answers: a probe that NGINX sends to an API still starting
// fails, and three such failures take that API out of the upstream for 10 s (max_fails,
// fail_timeout), so a topology declared ready could still send all its traffic to the other one.
await waitFor(`${publicUrl}/api/v1/readyz`);

const topology = {
  ready: true,
  url: publicUrl,
  apiPorts,
  workerMetricsPort: workerPort,
  s3Endpoint,
  bucket,
  databaseUrl: dbUrl.toString(),
  redisPrefix: opts.prefix,
  metricsToken: secrets.metricsToken,
  runDir,
};
fs.writeFileSync(path.join(runDir, 'topology.json'), JSON.stringify(topology, null, 2));
console.log(JSON.stringify(topology));
log.info(`Hanger services topology is up at ${publicUrl} (logs in ${runDir}); Ctrl-C stops it`);
