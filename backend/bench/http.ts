/**
 * `npm run bench:http`: HTTP overhead of the production middleware stack, on loopback.
 *
 *   (a) GET /healthz and GET /api/v1/_bench/ping through the full stack (request id, JSON logs at
 *       info to /dev/null, helmet, rate limit with a high limit, auth parsing, error handling,
 *       ETags) against a bare node:http server returning the same body. Target: >= 80 %.
 *   (b) the same stack with metrics and tracing on (prom-client, OpenTelemetry with our request
 *       spans, pg and Redis ones on the services runtime, and the production sampler,
 *       parent-based 10 %; spans exported over OTLP/HTTP to a local sink) against both off.
 *       Target: < 10 % throughput lost.
 *       (b2) is the same with every request sampled, for information; (b3) the same pair on the
 *       lightest real request, one database round trip.
 *   (c) floors, for information: (c1) a minimal Fastify app sending the same headers (request id
 *       and helmet's API set) with no hooks or logger, against bare node:http: the most (a) could
 *       reach; (c2, c3) the stack with an AsyncLocalStorage entered once and tracing off, on the
 *       ping and the database routes: what the SDK's own context manager would add on Node 20 by
 *       itself, before any span (why tracing carries its context on promise hooks, ADR 0007).
 *   (b4, b5) for information: the traced stack of (b) and (b3) with its context carried on V8's
 *       continuation data (the native addon, the default; ADR 0012) against the same on promise
 *       hooks (the fallback, ADR 0007).
 *
 * Each pair is measured alternately (A, B, A, B, …) ROUNDS times in one run, and medians are
 * reported: the machines are shared and noisy. The application with metrics and tracing off and on
 * runs as FORKS processes each (default 3), one per round in turn, as JMH forks JVMs: a process can
 * stay slow or fast for its whole life, and one process per side let that decide a whole comparison
 * (rounds a multiple of forks use each fork equally); --batch N keeps N forks alive at a time and
 * runs the rounds batch by batch, for more pairs of processes than fit at once (session 27:
 * processes' own speeds differ by more than a pair's rounds average away). Every server and route
 * measured is first loaded until it has served at least --warmup-requests requests, for the JIT to
 * compile what the requests take: V8 optimizes a function after it has run enough, not after some
 * time, so a count warms a slow machine's servers as far as a fast one's. Load: wrk from Debian
 * (`apt-get install -y wrk`), else autocannon through npx. Options: --rounds 5 --duration 5
 * --connections 50 --forks 3 --batch (all forks) --warmup-requests 100000, --only b,b3 (the
 * comparisons to run, by name; default all), and --runtime services to boot the servers on Postgres
 * + Redis as production does (BENCH_PG_URL, BENCH_REDIS_URL; default the local ones) instead of the
 * embedded runtime; there, --pool N sets each server's database pool (default 10, or smaller when
 * the servers alive at a time would hold more than 80 of Postgres's 100 connections, so that more
 * forks fit); --sample-ratio R runs the traced servers at another ratio than production's 0.1 (the
 * cost of another ratio: docs/benchmarks.md, session 23; 0 samples nothing); --traced-env K=V,K=V
 * adds variables to the traced servers' environment, to take one part of B away at a time (e.g.
 * OTEL_SDK_DISABLED=true leaves metrics alone; docs/benchmarks.md, session 24); --pin puts every
 * server on the machine's last CPU and the load on the others, and --together (implies --pin)
 * loads A and B at once in each round, each by its own wrk, and reads the paired A/B CPU from
 * schedstat over all threads (docs/benchmarks.md, session 28); --base-ratio R makes A of b, b3 and
 * b2 the traced stack at ratio R instead of metrics and tracing off (0: each pair differs only in
 * what B samples; session 29).
 *
 * Paired B/A and paired A/B CPU come with a 95 % interval: a bootstrap that resamples the pairs
 * of processes the rounds ran on and then their rounds (bench/stats.ts), so that a process's luck
 * and a noisy round both show in its width. A target is met reliably when the whole interval
 * clears it; with few forks the interval is rough, so run --forks 6 or more for that reading.
 *
 * /healthz is exempt from rate limiting, logs at debug and is not traced (probes are most of the
 * traffic and none of the insight), so /api/v1/_bench/ping — same body, no exemptions, one info log
 * line per request, a span per request — is the stricter measure of the stack.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import {
  ALWAYS,
  BACKEND_DIR,
  PRODUCTION_SAMPLER,
  freePort,
  serverArgs,
  untilListening,
  stackEnvironments,
  startOtlpSink,
  type SamplerSetting,
} from './stack-env';
import { clusteredMedianInterval, median, type Interval } from './stats';

const run = promisify(execFile);

const BODY = JSON.stringify({ status: 'ok' });
const BENCH_ROUTE = '/api/v1/_bench/ping';
const BENCH_DB_ROUTE = '/api/v1/_bench/db';
/** The comparisons, in the order they run (`--only` picks some). */
const COMPARISONS = ['a1', 'a2', 'b', 'b3', 'c1', 'c2', 'c3', 'b4', 'b5', 'b2'];

const { values: opts } = parseArgs({
  options: {
    serve: { type: 'string' },
    port: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
    /** embedded (PGlite, in-process queue and cache) or services (Postgres + Redis, as in production). */
    runtime: { type: 'string', default: 'embedded' },
    /** Comma-separated comparison names (COMPARISONS) to run only those; default all. */
    only: { type: 'string' },
    /**
     * Server processes per side for the application with metrics and tracing off and on (the A
     * and B of b and b3, and the stack of the others); round i runs against fork i mod forks.
     */
    forks: { type: 'string', default: '3' },
    /**
     * Forks alive at a time (default all): the rounds run batch by batch, each batch's servers
     * started and warmed before its rounds and stopped after them, so that more pairs of
     * processes fit than Postgres's connections and the machine's memory would hold at once.
     */
    batch: { type: 'string' },
    /**
     * Requests each server and route serves at least before the rounds (JIT, connection pools).
     * (Until session 13 the warm-up was `--warmup`, in seconds.)
     */
    'warmup-requests': { type: 'string', default: '100000' },
    /**
     * Each server's database pool on the services runtime. Default: the application's 10, or as
     * many as keep all the servers together within POSTGRES_CONNECTIONS (more forks, smaller pools).
     */
    pool: { type: 'string' },
    /**
     * The traced servers' sampling ratio (OTEL_TRACES_SAMPLER_ARG of the production sampler),
     * for what another ratio would cost; default production's 0.1.
     */
    'sample-ratio': { type: 'string', default: PRODUCTION_SAMPLER.arg },
    /**
     * At most how many new traces a second the traced servers sample (TRACE_SAMPLE_MAX_PER_SECOND,
     * ADR 0015); default production's 10; 0 for no limit (the ratio alone).
     */
    'max-sampled-per-second': { type: 'string', default: PRODUCTION_SAMPLER.maxPerSecond },
    /** Variables added to the traced servers' environment (K=V,K=V), named in the labels. */
    'traced-env': { type: 'string', default: '' },
    /**
     * A, for b, b3 and b2 only, as the traced stack itself at this sampling ratio (production's
     * sampler and --max-sampled-per-second, no --traced-env) instead of metrics and tracing off:
     * with 0, each pair differs only in what B samples (docs/benchmarks.md, session 29).
     */
    'base-ratio': { type: 'string' },
    /**
     * Servers on the machine's last CPU, the load generator and this process on the others
     * (taskset): the load cannot take a server's CPU or wait behind it, and a server's other
     * threads (V8's helpers, the span export worker) share its main thread's CPU, as on a host
     * whose cores are all busy.
     */
    pin: { type: 'boolean', default: false },
    /**
     * Each round loads A and B at the same time, each with its own load generator, both servers on
     * one CPU (implies --pin): the CPU per request of each, over all its threads, is then read
     * under the same conditions, second for second. The reading is the paired A/B CPU; B/A
     * throughput depends on how the scheduler shares the CPU between the two.
     */
    together: { type: 'boolean', default: false },
  },
});

/**
 * --pin: the CPUs for the servers and for the load (and this process), as taskset's lists;
 * undefined without --pin.
 */
const PINNED = (() => {
  if (!opts.pin && !opts.together) return undefined;
  const cpus = os.availableParallelism();
  if (cpus < 2) throw new Error('--pin: needs two CPUs or more');
  if (spawnSync('taskset', ['-V']).status !== 0) throw new Error('--pin: taskset not found');
  return { server: String(cpus - 1), load: cpus === 2 ? '0' : `0-${cpus - 2}` };
})();

/** The traced servers' sampler: production's, at --sample-ratio. */
const TRACED_SAMPLER: SamplerSetting = (() => {
  const ratio = Number(opts['sample-ratio']);
  if (!(ratio >= 0 && ratio <= 1)) throw new Error('--sample-ratio: a number in [0, 1]');
  const max = Number(opts['max-sampled-per-second']);
  if (!(max >= 0 && max <= 1_000_000)) {
    throw new Error('--max-sampled-per-second: a number from 0 (no limit) to 1000000');
  }
  return { name: PRODUCTION_SAMPLER.name, arg: String(ratio), maxPerSecond: String(max) };
})();
/** --base-ratio: A traced at that ratio (with B's limit), or undefined for A with both off. */
const BASE_SAMPLER: SamplerSetting | undefined = (() => {
  if (opts['base-ratio'] === undefined) return undefined;
  const ratio = Number(opts['base-ratio']);
  if (!(opts['base-ratio'].trim() !== '' && ratio >= 0 && ratio <= 1)) {
    throw new Error('--base-ratio: a number in [0, 1]');
  }
  return { ...TRACED_SAMPLER, arg: String(ratio) };
})();
/** How the labels name A where it is the stack without B's observability. */
const BASE = BASE_SAMPLER
  ? `metrics + tracing on, sampler at ${+(Number(BASE_SAMPLER.arg) * 100).toFixed(4)} % (A)`
  : 'off (A)';
/** --traced-env: what the traced servers' environment gets on top of their configuration's. */
const TRACED_ENV: Record<string, string> = Object.fromEntries(
  opts['traced-env']
    .split(',')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`--traced-env: ${pair} is not K=V`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
);
/** How the labels name it: `production sampler 10 %`, or the ratio asked for; and --traced-env. */
const TRACED = `${TRACED_SAMPLER.arg === PRODUCTION_SAMPLER.arg && TRACED_SAMPLER.maxPerSecond === PRODUCTION_SAMPLER.maxPerSecond ? 'production sampler' : 'sampler at'} ${+(Number(TRACED_SAMPLER.arg) * 100).toFixed(2)} %${Number(TRACED_SAMPLER.maxPerSecond) > 0 ? ` (at most ${TRACED_SAMPLER.maxPerSecond}/s)` : ' (no limit)'}${opts['traced-env'] ? `, with ${opts['traced-env']}` : ''}`;

/**
 * Connections the servers of one run may hold together on the services runtime: Postgres allows
 * 100 by default, and the bench's own admin client and the machine's other users need a few.
 */
const POSTGRES_CONNECTIONS = 80;
/** The application's default pool (DATABASE_POOL_MAX), and the most its config accepts. */
const DEFAULT_POOL = 10;
const MAX_POOL = 200;

/** Each server's database pool on the services runtime, for `appServers` servers (--pool). */
function databasePool(appServers: number): number {
  if (opts.pool) {
    const pool = Number(opts.pool);
    if (!Number.isInteger(pool) || pool < 1 || pool > MAX_POOL) {
      throw new Error(`--pool: a whole number of connections, from 1 to ${MAX_POOL}`);
    }
    if (pool * appServers > POSTGRES_CONNECTIONS) {
      process.stderr.write(
        `--pool ${pool}: ${appServers} servers may hold ${pool * appServers} connections, more than the ${POSTGRES_CONNECTIONS} this bench plans for; Postgres's max_connections must allow them\n`,
      );
    }
    return pool;
  }
  const pool = Math.min(DEFAULT_POOL, Math.floor(POSTGRES_CONNECTIONS / Math.max(1, appServers)));
  if (pool < 1) {
    throw new Error(
      `${appServers} servers leave no database connection each: fewer --forks, or a smaller --batch`,
    );
  }
  return pool;
}

/** Child-process role: one server under test. */
async function serve(mode: string, port: number) {
  if (mode === 'bare') {
    // The same V8 workaround as every Hanger process (src/platform/observability/preload.ts), so
    // neither side of the comparison depends on its luck.
    const { pinTickObjectShape } = await import('../src/platform/process/tick-shape');
    pinTickObjectShape();
    http
      .createServer((_req, res) => {
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(BODY),
        });
        res.end(BODY);
      })
      .listen(port, '127.0.0.1', () => process.send?.('listening'));
    return;
  }
  if (mode === 'fastify-headers') {
    // Floor for (a): Fastify alone, sending what every stack response carries (a request id and
    // helmet's API set), with no hooks, no logger and no schema. Whatever the stack does, it cannot
    // be cheaper than this.
    const [{ default: Fastify }, { randomUUID }, { API_SECURITY_HEADERS, securityHeaders }] =
      await Promise.all([
        import('fastify'),
        import('node:crypto'),
        import('../src/platform/http/security-headers'),
      ]);
    const headers = securityHeaders(API_SECURITY_HEADERS);
    const app = Fastify({ logger: false });
    app.get('/', (_request, reply) => {
      reply.header('x-request-id', randomUUID());
      for (const [name, value] of headers) reply.header(name, value);
      return { status: 'ok' };
    });
    await app.listen({ port, host: '127.0.0.1' });
    process.send?.('listening');
    return;
  }
  if (process.env.BENCH_ASYNC_LOCAL_STORAGE === 'true') {
    // (c2, c3): what the SDK's AsyncLocalStorage context manager costs by itself on Node 20.
    // Entering an AsyncLocalStorage once turns on the async hooks every later promise and tick
    // pays for (ADR 0007).
    const { AsyncLocalStorage } = await import('node:async_hooks');
    new AsyncLocalStorage<boolean>().enterWith(true);
  }
  // The real application, as `src/api.ts` builds it (either runtime, from the environment).
  const [{ buildApp }, { createRuntime }, { loadConfig }, { createLogger }] = await Promise.all([
    import('../src/app'),
    import('../src/composition'),
    import('../src/config'),
    import('../src/platform/logging/logger'),
  ]);
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const runtime = await createRuntime(config, log);
  await runtime.adapters.database.migrate();
  const app = await buildApp(runtime);
  app.get(BENCH_ROUTE, { schema: { hide: true } }, () => ({ status: 'ok' }));
  // The lightest real API request: one database round trip (a pg span when sampled).
  app.get(BENCH_DB_ROUTE, { schema: { hide: true } }, async () => {
    await runtime.adapters.database.ping();
    return { status: 'ok' };
  });
  await app.listen({ port, host: '127.0.0.1' });
  process.send?.('listening');
}

interface Sample {
  rps: number;
  p99Ms: number;
  requests: number;
  /** The server process's user + system CPU per request over the run, µs. */
  cpuUs?: number;
  /** Of which its main thread's, where every request runs (the rest: V8's helpers, workers). */
  mainCpuUs?: number;
  /** The other threads' (V8's helpers, the span export worker, …), per request, µs. */
  otherCpuUs?: number;
  /** The main thread's time runnable but waiting for a CPU, per request, µs. */
  mainWaitUs?: number;
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime. */
const CLOCK_TICKS =
  Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** A process's user + system CPU time so far, all its threads', in seconds (Linux). */
function processCpu(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces), from field 3 on: utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/**
 * A thread's time so far on a CPU and waiting for one (runnable, not running), in seconds, from
 * the scheduler's own nanosecond counts (`/proc/<pid>/task/<tid>/schedstat`), finer than stat's
 * clock ticks; undefined where the kernel keeps no such counts or the thread has exited.
 */
function threadTimes(pid: number, tid: number | string): { run: number; wait: number } | undefined {
  try {
    const [run, wait] = fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
    return { run: Number(run) / 1e9, wait: Number(wait) / 1e9 };
  } catch {
    return undefined;
  }
}

/** Each live thread's time on a CPU so far, in seconds, by thread id (schedstat). */
function threadsCpu(pid: number): Map<string, number> {
  const byThread = new Map<string, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const times = threadTimes(pid, tid);
    if (times) byThread.set(tid, times.run);
  }
  return byThread;
}

/**
 * The CPU time the threads other than the main one spent between two `threadsCpu` readings:
 * each thread's own difference (a thread that exited in between loses only its time since the
 * first reading; one started in between counts from 0).
 */
function otherThreadsCpu(pid: number, before: Map<string, number>, after: Map<string, number>) {
  let seconds = 0;
  for (const [tid, run] of after) if (tid !== String(pid)) seconds += run - (before.get(tid) ?? 0);
  return seconds;
}

const hasWrk = spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).status === 0;

function toMs(value: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

/** Async, so this process's OTLP sink keeps answering while the load runs. */
async function load(url: string, seconds: number, connections: number): Promise<Sample> {
  if (hasWrk) {
    const { stdout: out } = await run('wrk', [
      '-t1',
      `-c${connections}`,
      `-d${seconds}s`,
      '--latency',
      url,
    ]);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
    const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
    const p99 = toMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? '');
    if (/Non-2xx/.test(out)) throw new Error(`non-2xx responses from ${url}:\n${out}`);
    return { rps, p99Ms: p99, requests };
  }
  const { stdout: out } = await run('npx', [
    '--yes',
    'autocannon@8',
    '-j',
    '-c',
    String(connections),
    '-d',
    String(seconds),
    url,
  ]);
  const r = JSON.parse(out) as {
    requests: { average: number; total: number };
    latency: { p99: number };
    non2xx: number;
  };
  if (r.non2xx > 0) throw new Error(`non-2xx responses from ${url}`);
  return { rps: r.requests.average, p99Ms: r.latency.p99, requests: r.requests.total };
}

async function main() {
  const rounds = Number(opts.rounds);
  const seconds = Number(opts.duration);
  const connections = Number(opts.connections);
  const forks = Number(opts.forks);
  if (!Number.isInteger(forks) || forks < 1) throw new Error('--forks: a whole number from 1');
  const warmup = Number(opts['warmup-requests']);
  if (!Number.isInteger(warmup) || warmup < 0) {
    throw new Error('--warmup-requests: a whole number of requests, from 0 (none)');
  }
  const only = opts.only?.split(',');
  const unknown = only?.filter((name) => !COMPARISONS.includes(name));
  if (unknown?.length) throw new Error(`--only: no comparison named ${unknown.join(', ')}`);
  if (BASE_SAMPLER && (!only || only.some((name) => !['b', 'b3', 'b2'].includes(name)))) {
    // Elsewhere the same servers are the full stack against bare node:http, or A of a floor.
    throw new Error('--base-ratio: only with --only b, b3 and b2, whose A it changes');
  }
  /** Whether any of these comparisons runs. */
  const wanted = (...names: string[]) => !only || names.some((name) => only.includes(name));

  // The application servers each kind of comparison needs, started only when a selected one
  // loads them: metrics and tracing on (observed) and off (stack), as forks; every request
  // sampled; an AsyncLocalStorage entered; the context on promise hooks, as forks.
  const batch = opts.batch === undefined ? forks : Number(opts.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > forks) {
    throw new Error('--batch: a whole number of forks alive at a time, from 1 to --forks');
  }
  // Alive at a time: a batch of forks of each kind, and the single servers.
  const servers = {
    observed: wanted('b', 'b3', 'b4', 'b5') ? batch : 0,
    stack: wanted('a1', 'a2', 'b', 'b3', 'c2', 'c3', 'b2') ? batch : 0,
    always: wanted('b2') ? 1 : 0,
    als: wanted('c2', 'c3') ? 1 : 0,
    hooked: wanted('b4', 'b5') ? batch : 0,
  };
  const services = opts.runtime === 'services';
  const pool = services ? databasePool(Object.values(servers).reduce((sum, n) => sum + n, 0)) : 0;
  if (!services && opts.pool) throw new Error('--pool: only on the services runtime');

  if (PINNED) {
    // This process, its threads and what it starts from now on (wrk): the load's CPUs.
    const pinned = spawnSync('taskset', ['-a', '-p', '-c', PINNED.load, String(process.pid)], {
      encoding: 'utf8',
    });
    if (pinned.status !== 0) throw new Error(`--pin: taskset failed: ${pinned.stderr}`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hanger-bench-'));
  const children: ChildProcess[] = [];
  /** Server process by origin, to read its CPU time around each run and to stop it. */
  const processes = new Map<string, ChildProcess>();
  /** Requests each URL has served, warm-up included (to check the sampled fraction). */
  const served = new Map<string, number>();
  const countServed = (url: string, requests: number) =>
    served.set(url, (served.get(url) ?? 0) + requests);
  /** A server's CPU so far, read before a run (`meter`) and compared after it (`metered`). */
  function meter(url: string) {
    const pid = processes.get(new URL(url).origin)!.pid!;
    return {
      url,
      pid,
      cpu: processCpu(pid),
      main: threadTimes(pid, pid),
      threads: threadsCpu(pid),
    };
  }
  function metered(before: ReturnType<typeof meter>, sample: Sample): Sample {
    const { url, pid } = before;
    const main = threadTimes(pid, pid);
    const threads = threadsCpu(pid);
    const perRequest = (s: number) => (s * 1e6) / sample.requests;
    sample.cpuUs = perRequest(processCpu(pid) - before.cpu);
    if (before.main && main) {
      sample.mainCpuUs = perRequest(main.run - before.main.run);
      sample.mainWaitUs = perRequest(main.wait - before.main.wait);
      sample.otherCpuUs = perRequest(otherThreadsCpu(pid, before.threads, threads));
      // --together: the scheduler's nanoseconds, all threads, instead of stat's clock ticks (a
      // server on half a CPU has half the ticks a run, and a tick is 1 % of 1 s).
      if (opts.together) sample.cpuUs = sample.mainCpuUs + sample.otherCpuUs;
    }
    countServed(url, sample.requests);
    return sample;
  }
  /** One run, with the CPU the server spent on it: on a shared machine whose cores are throttled
   * from outside, CPU per request moves far less than requests per second. */
  async function measure(url: string): Promise<Sample> {
    const before = meter(url);
    const sample = metered(before, await load(url, seconds, connections));
    sink.countPending(); // between runs, and the bodies need not be kept
    return sample;
  }
  /**
   * --together: one run of A and B at once, each under its own load, on the one CPU they share
   * (--pin): whatever slows that CPU slows both alike, in the same second.
   */
  async function measureTogether(aUrl: string, bUrl: string): Promise<[Sample, Sample]> {
    const before = [meter(aUrl), meter(bUrl)] as const;
    const loads = await Promise.all([
      load(aUrl, seconds, connections),
      load(bUrl, seconds, connections),
    ]);
    const samples: [Sample, Sample] = [metered(before[0], loads[0]), metered(before[1], loads[1])];
    sink.countPending();
    return samples;
  }

  const sink = await startOtlpSink();
  const environments = stackEnvironments({
    runtime: opts.runtime,
    tmp,
    sinkPort: sink.port,
    poolMax: services ? pool : undefined,
  });
  const stackEnv = (name: string, sampler?: SamplerSetting) => environments.env(name, sampler);

  /** Ports the servers of this run have had: servers are known by URL, and a batch's servers,
   * once stopped, free theirs (--batch). */
  const usedPorts = new Set<number>();
  async function start(mode: string, env: NodeJS.ProcessEnv): Promise<string> {
    let port = await freePort();
    while (usedPorts.has(port)) port = await freePort();
    usedPorts.add(port);
    // Logs (stdout) go straight to /dev/null: through a pipe, this process would spend a core's
    // share reading them. The server says it is up on an IPC message.
    const devNull = fs.openSync('/dev/null', 'w');
    const args = serverArgs(mode, port);
    // taskset sets the CPU and then executes node in its place: the child's pid is the server's.
    const [command, argv] = PINNED
      ? ['taskset', ['-c', PINNED.server, process.execPath, ...args]]
      : [process.execPath, args];
    const child = spawn(command, argv, {
      cwd: BACKEND_DIR,
      env,
      stdio: ['ignore', devNull, 'inherit', 'ipc'],
    });
    fs.closeSync(devNull);
    children.push(child);
    await untilListening(child, mode);
    const origin = `http://127.0.0.1:${port}`;
    processes.set(origin, child);
    return origin;
  }

  try {
    const bare = await start('bare', process.env);
    // Forks, as JMH runs a benchmark in several JVMs: one server process can stay slow or fast
    // for its whole life (docs/benchmarks.md, sessions 9, 10 and 27), and with one process per
    // side that state decided a whole comparison. Each side alternates between its forks, round
    // by round, so one process's state weighs 1/forks of the rounds. Fork f's servers, by kind;
    // started batch by batch (--batch), below.
    const stacks: string[] = [];
    const observeds: string[] = [];
    const hookeds: string[] = [];
    // A traced server's environment, its context on continuation data unless `extra` says
    // otherwise: named, not left to `auto`, so that an addon that failed to build fails the bench
    // instead of measuring the fallback.
    const traced = async (name: string, sampler: SamplerSetting, extra = {}) => ({
      ...(await stackEnv(name, sampler)),
      TRACE_CONTEXT: 'continuation-data',
      ...extra,
    });
    const starters = {
      observed: async (f: number) => {
        observeds[f] = await start(
          'stack',
          await traced(`observed${f}`, TRACED_SAMPLER, TRACED_ENV),
        );
      },
      stack: async (f: number) => {
        stacks[f] = await start(
          'stack',
          BASE_SAMPLER ? await traced(`stack${f}`, BASE_SAMPLER) : await stackEnv(`stack${f}`),
        );
      },
      hooked: async (f: number) => {
        hookeds[f] = await start(
          'stack',
          await traced(`hooked${f}`, TRACED_SAMPLER, {
            TRACE_CONTEXT: 'promise-hooks',
            ...TRACED_ENV,
          }),
        );
      },
    };
    const kinds = (['observed', 'stack', 'hooked'] as const).filter((kind) => servers[kind] > 0);
    /** Starts fork f's servers, in the reverse order every other fork: no side always first. */
    async function startFork(f: number) {
      for (const kind of f % 2 === 0 ? kinds : [...kinds].reverse()) await starters[kind](f);
    }
    /** Stops fork f's servers, and waits until they are gone (and their database connections). */
    async function stopFork(f: number) {
      const stopping = [observeds[f], stacks[f], hookeds[f]].flatMap((origin) => {
        const child = origin ? processes.get(origin) : undefined;
        if (!child || child.exitCode !== null || child.signalCode !== null) return [];
        return new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        });
      });
      await Promise.all(stopping);
    }
    const always = servers.always ? await start('stack', await stackEnv('always', ALWAYS)) : '';
    const fastifyFloor = wanted('c1') ? await start('fastify-headers', process.env) : '';
    const alsFloor = servers.als
      ? await start('stack', { ...(await stackEnv('als')), BENCH_ASYNC_LOCAL_STORAGE: 'true' })
      : '';
    /** The URL to load in round i: one server, or each side's forks in turn. */
    const one = (url: string) => () => url;
    const forked = (origins: string[], route: string) => (round: number) =>
      `${origins[round % forks]}${route}`;
    const comparisons = [
      {
        name: 'a1',
        label: 'GET /healthz: full stack (B) vs bare node:http (A)',
        a: one(`${bare}/`),
        b: forked(stacks, '/healthz'),
        target: 'B/A >= 80 %',
      },
      {
        name: 'a2',
        label: `GET ${BENCH_ROUTE}: full stack (B) vs bare node:http (A)`,
        a: one(`${bare}/`),
        b: forked(stacks, BENCH_ROUTE),
        target: 'B/A >= 80 %',
      },
      {
        name: 'b',
        label: `GET ${BENCH_ROUTE}: metrics + tracing on, ${TRACED} (B) vs ${BASE}`,
        a: forked(stacks, BENCH_ROUTE),
        b: forked(observeds, BENCH_ROUTE),
        target: 'B/A > 90 %',
      },
      {
        name: 'b3',
        label: `GET ${BENCH_DB_ROUTE} (one database round trip): metrics + tracing on, ${TRACED} (B) vs ${BASE}`,
        a: forked(stacks, BENCH_DB_ROUTE),
        b: forked(observeds, BENCH_DB_ROUTE),
        target: 'B/A > 90 %',
      },
      {
        name: 'c1',
        label:
          'floor for a: minimal Fastify sending the same headers, no hooks or logger (B) vs bare node:http (A)',
        a: one(`${bare}/`),
        b: one(`${fastifyFloor}/`),
        target: '(what a1 cannot beat)',
      },
      {
        name: 'c2',
        label: `GET ${BENCH_ROUTE}: AsyncLocalStorage entered once, tracing off (B) vs off (A)`,
        a: forked(stacks, BENCH_ROUTE),
        b: one(`${alsFloor}${BENCH_ROUTE}`),
        target: '(what ADR 0007 avoids)',
      },
      {
        name: 'c3',
        label: `GET ${BENCH_DB_ROUTE}: AsyncLocalStorage entered once, tracing off (B) vs off (A)`,
        a: forked(stacks, BENCH_DB_ROUTE),
        b: one(`${alsFloor}${BENCH_DB_ROUTE}`),
        target: '(what ADR 0007 avoids)',
      },
      {
        name: 'b4',
        label: `GET ${BENCH_ROUTE}: metrics + tracing (${TRACED}), context on continuation data (B) vs on promise hooks (A)`,
        a: forked(hookeds, BENCH_ROUTE),
        b: forked(observeds, BENCH_ROUTE),
        target: '(what ADR 0012 gains)',
      },
      {
        name: 'b5',
        label: `GET ${BENCH_DB_ROUTE}: metrics + tracing (${TRACED}), context on continuation data (B) vs on promise hooks (A)`,
        a: forked(hookeds, BENCH_DB_ROUTE),
        b: forked(observeds, BENCH_DB_ROUTE),
        target: '(what ADR 0012 gains)',
      },
      {
        name: 'b2',
        label: `GET ${BENCH_ROUTE}: metrics + tracing on, every request sampled (B) vs ${BASE}`,
        a: forked(stacks, BENCH_ROUTE),
        b: one(`${always}${BENCH_ROUTE}`),
        target: '(for information)',
      },
    ];
    if (comparisons.map((c) => c.name).join() !== COMPARISONS.join()) {
      throw new Error('bench/http.ts: COMPARISONS does not list the comparisons in order');
    }
    const selected = comparisons.filter((c) => !only || only.includes(c.name));
    // Warm-up: every server and route the selected comparisons load serves at least `warmup`
    // requests (in 2 s runs) before its batch's rounds, for the JIT to compile the code the
    // requests take. Code that runs on one request in ten (a sampled request's) is optimized after
    // ten times as many requests, and until then a traced server pays for it: callgrind counted
    // tracing and metrics at 10 % as 11.9 % of a database request's instructions after 10,000
    // requests, 6.7–7.1 % after 40,000 and 5.4 % after 80,000 (docs/benchmarks.md, session 13).
    // Connection pools fill in the same time.
    const warmed = new Set<string>();
    async function warmUp(forkIds: number[]) {
      // Round f (< forks) runs on fork f: the batch's URLs, and the single servers'.
      const urls = selected.flatMap((c) => forkIds.flatMap((f) => [c.a(f), c.b(f)]));
      for (const url of new Set(urls)) {
        if (warmed.has(url)) continue; // a single server, warmed with the first batch
        warmed.add(url);
        for (let done = 0; done < warmup;) {
          const { requests } = await load(url, 2, connections);
          if (!(requests > 0)) throw new Error(`warm-up: ${url} served no requests`);
          countServed(url, requests);
          done += requests;
        }
      }
    }
    /** Each selected comparison's samples, by round. */
    const samples = new Map(
      selected.map((c) => [c.name, { a: [] as Sample[], b: [] as Sample[] }]),
    );
    for (let first = 0; first < forks; first += batch) {
      // Forks from `rounds` on run no round (fewer rounds than forks): not started.
      const batchForks = Array.from(
        { length: Math.min(batch, forks - first) },
        (_, k) => first + k,
      ).filter((f) => f < rounds);
      for (const f of batchForks) await startFork(f);
      await warmUp(batchForks);
      for (const c of selected) {
        const { a, b } = samples.get(c.name)!;
        for (let i = 0; i < rounds; i++) {
          if (!batchForks.includes(i % forks)) continue;
          if (opts.together) {
            [a[i], b[i]] = await measureTogether(c.a(i), c.b(i));
          } else if (i % 2 === 0) {
            // A first in even rounds, B first in odd ones: a machine that speeds up or slows down
            // during a round favours neither side.
            a[i] = await measure(c.a(i));
            b[i] = await measure(c.b(i));
          } else {
            b[i] = await measure(c.b(i));
            a[i] = await measure(c.a(i));
          }
          process.stderr.write(
            `${c.name} round ${i + 1}: A ${a[i]!.rps.toFixed(0)} req/s p99 ${a[i]!.p99Ms.toFixed(2)} ms ${a[i]!.cpuUs!.toFixed(1)} µs CPU | B ${b[i]!.rps.toFixed(0)} req/s p99 ${b[i]!.p99Ms.toFixed(2)} ms ${b[i]!.cpuUs!.toFixed(1)} µs CPU\n`,
          );
        }
      }
      if (batch < forks) for (const f of batchForks) await stopFork(f);
    }
    const rows: string[] = [];
    const threadRows: string[] = [];
    for (const c of selected) {
      const { a, b } = samples.get(c.name)!;
      const aRps = median(a.map((s) => s.rps));
      const bRps = median(b.map((s) => s.rps));
      const ratio = (bRps / aRps) * 100;
      // Each round's B over its own A, then the median: a round run while the machine was slow
      // (or throttled) counts as one round, instead of moving one side's median.
      // Its interval resamples the pairs of processes the rounds ran on, then their rounds.
      const pairOf = new Map<string, number>();
      const group = (i: number) => {
        const pair = `${c.a(i)} ${c.b(i)}`;
        if (!pairOf.has(pair)) pairOf.set(pair, pairOf.size);
        return pairOf.get(pair)!;
      };
      const pairedInterval = (value: (i: number) => number) =>
        clusteredMedianInterval(a.map((_, i) => ({ group: group(i), value: value(i) })));
      const paired = pairedInterval((i) => (b[i]!.rps / a[i]!.rps) * 100);
      const pairedCpu = pairedInterval((i) => (a[i]!.cpuUs! / b[i]!.cpuUs!) * 100);
      // With one process on a side in every round (bare, always, als), the groups share it and
      // resampling them cannot show its luck: marked.
      const single = [c.a, c.b].some((side) => new Set(a.map((_, i) => side(i))).size === 1);
      const span = (x: Interval) =>
        `${x.low.toFixed(1)}–${x.high.toFixed(1)} %${single ? ' †' : ''}`;
      const aCpu = median(a.map((s) => s.cpuUs!));
      const bCpu = median(b.map((s) => s.cpuUs!));
      const threads = (side: Sample[]) =>
        [side.map((s) => s.mainCpuUs), side.map((s) => s.otherCpuUs), side.map((s) => s.mainWaitUs)]
          .map((values) =>
            values.every((us) => us !== undefined) ? median(values).toFixed(1) : 'n/a',
          )
          .join(' | ');
      threadRows.push(`| ${c.name} | ${threads(a)} | ${threads(b)} |`);
      rows.push(
        `| ${c.label} | ${aRps.toFixed(0)} | ${median(a.map((s) => s.p99Ms)).toFixed(2)} | ${bRps.toFixed(0)} | ${median(b.map((s) => s.p99Ms)).toFixed(2)} | ${ratio.toFixed(1)} % | ${paired.median.toFixed(1)} % | ${span(paired)} | ${aCpu.toFixed(1)} | ${bCpu.toFixed(1)} | ${((aCpu / bCpu) * 100).toFixed(1)} % | ${pairedCpu.median.toFixed(1)} % | ${span(pairedCpu)} | ${c.target} |`,
      );
    }
    // What B sampled: its SERVER spans the sink received over the requests it served: the ratio,
    // or less where the limit a second binds (ADR 0015; at the bench's pace, production's 10 a
    // second is ~0.1 % of a saturated server's ping requests, its 100 before session 29 ~1 %). The
    // spans not yet exported when a server is stopped (its batch of forks done, or the run) are
    // missing (at most 511 per server), and the draws can be blocks of requests (ADR 0014), so
    // the figure is rough: good to about a point at the ratio, to about a tenth under the limit.
    const sampledByB = [
      ['b', BENCH_ROUTE],
      ['b3', BENCH_DB_ROUTE],
    ]
      .filter(([name]) => selected.some((c) => c.name === name))
      .map(([name, route]) => {
        let spans = 0;
        let requests = 0;
        observeds.forEach((origin, f) => {
          spans += sink.serverSpans(`hanger-bench-observed${f}`, `GET ${route}`);
          requests += served.get(`${origin}${route}`) ?? 0;
        });
        return `${name} ${((100 * spans) / requests).toFixed(2)} % (${spans} of ${requests})`;
      });
    console.log(
      [
        `Runtime: ${opts.runtime}. Load: ${hasWrk ? 'wrk -t1' : 'autocannon'} -c${connections}, ${seconds}s per run after at least ${warmup} requests of warm-up per server and route, ${rounds} ${opts.together ? 'rounds of A and B at once' : 'alternating rounds'}, medians; ${forks} server processes per side ${BASE_SAMPLER ? `with A traced at ratio ${BASE_SAMPLER.arg} (--base-ratio)` : 'with metrics and tracing off and on'}, one per round in turn${batch < forks ? `, ${batch} at a time (the rounds batch by batch)` : ''}${services ? `, a database pool of ${pool} each` : ''}${PINNED ? `; servers on CPU ${PINNED.server}, the load on ${PINNED.load} (--pin)` : ''}${opts.together ? '; each side by its own wrk (--together): read the paired A/B CPU, over all threads from schedstat' : ''}; Node ${process.version}, ${os.cpus().length} cores.`,
        `OTLP export requests received by the sink: ${sink.received()}.`,
        ...(sampledByB.length > 0
          ? [
              `Requests B sampled (SERVER spans received ÷ requests served): ${sampledByB.join('; ')}` +
                (sink.uncounted() > 0 ? `; ${sink.uncounted()} export bodies not counted.` : '.'),
            ]
          : []),
        '',
        "B/A: throughput of B over A (medians). Paired B/A: the median of each round's B over its A;",
        `its 95 % interval is a bootstrap over the ${Math.min(forks, rounds)} pairs of server processes and their rounds`,
        '(bench/stats.ts): a target met only inside it is not met reliably on this machine (with',
        'few pairs, the interval is rough: --forks 6 and more). † One side ran on a single',
        "process in every round: the interval cannot show that process's luck.",
        'A/B CPU: CPU per request of A over B, the throughput B would keep on equal CPU (the server',
        "is the bottleneck; less moved by a throttled machine); paired, each round's, with its interval.",
        '',
        '| comparison | A req/s | A p99 ms | B req/s | B p99 ms | B/A | paired B/A | paired 95 % | A µs CPU/req | B µs CPU/req | A/B CPU | paired A/B CPU | paired 95 % | target |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
        ...rows,
        '',
        'By thread (medians of rounds, µs per request): main: the main thread on a CPU (from',
        "/proc/<pid>/task/<tid>/schedstat); other: its other threads (V8's helpers, the span export",
        'worker, …); wait: the main thread runnable but waiting for a CPU. Main and other come from',
        "the scheduler's counts, the CPU columns above from /proc/<pid>/stat's clock ticks: they need",
        'not add up exactly.',
        '',
        '| comparison | A main | A other | A wait | B main | B other | B wait |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
        ...threadRows,
      ].join('\n'),
    );
  } finally {
    for (const c of children) c.kill('SIGKILL');
    sink.close();
    await environments.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (opts.serve) await serve(opts.serve, Number(opts.port));
else await main();
