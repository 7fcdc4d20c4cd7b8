/**
 * `npm run bench:http:instructions`: what metrics and tracing cost a request, in instructions.
 *
 * The CPU side of `npm run bench:http`'s (b) and (b3), counted instead of timed: each server runs
 * under callgrind (valgrind), which counts the instructions a thread executes whatever else the
 * machine is doing. The count does not move with the machine (two processes of one configuration
 * still differ by a few per cent, hence the forks), while on a shared 2-core VM the clock put one
 * server's CPU per request at 156 µs in one round and 256 µs in another a few seconds later
 * (docs/benchmarks.md, session 14). What the count cannot see is how fast the instructions run
 * (cache misses, branch mispredictions): bench:http's clock is still the measure of throughput,
 * this one is the measure of work.
 *
 * For each route (ping: the full stack, no I/O; db: one database round trip) and fork, a server
 * with metrics and tracing off (A) and one with both on at the production sampler (B) each serve
 * --warmup-requests requests uncounted (the JIT tiers code up by how often it runs, and a sampled
 * request's code runs on one request in ten: docs/benchmarks.md, session 13), then --requests
 * counted ones, over --connections keep-alive connections. Reported: instructions per counted
 * request on the main thread, where every request runs; the medians over forks; and A/B, the
 * throughput B would keep if instructions were time. The semi-spaces of the young generation are
 * fixed at 16 MB in every server, so that how often it is collected does not depend on timing, and
 * B sends its span batches when they are full, as under load, not on their 5 s timer.
 *
 * Only the main thread: under callgrind a request takes ~50 times as long, so what the other
 * threads do by the clock rather than by request (collections V8 starts on a timer, such as the
 * memory reducer's, which --trace-gc shows on the worker threads' heaps) is charged to ~50 times
 * fewer requests. Counted over all threads, B's V8 helper threads spent ~37k instructions more per
 * ping request than A's on marking alone (session 14); by the clock, a traced server's threads
 * other than the main one cost ~2 µs a request more (session 13).
 *
 * Slow by nature (callgrind runs a server ~50 times slower): with the defaults, --parallel 2
 * servers at a time, about 45 minutes on the services runtime. Needs valgrind (`apt-get install
 * -y valgrind`). Options: --runtime embedded|services (as bench:http), --routes ping,db --forks 2
 * --warmup-requests 80000 --requests 5000 --connections 10 --parallel 2, and --parts, which also
 * counts the steps between A and B and one beyond: metrics alone, tracing on with nothing sampled
 * (the production sampler at a ratio of 0), and every request sampled, and reports what each step
 * adds (five servers per route and fork instead of two: about 2.5 times as long); and --functions N,
 * which runs the servers with V8's `--perf-basic-prof` so that callgrind's unnamed JavaScript can be
 * named (callgrind-functions.ts), and lists the N functions whose own instructions per request
 * differ most between B and A (with --parts, also between every request sampled and nothing
 * sampled: what one sampled request runs), as means over forks; and --cache-sim, which has
 * callgrind also simulate this machine's caches and the branch predictors (`CACHES`, about twice
 * as slow), reports misses and mispredictions per request and the cycles estimated from them
 * (`estimatedCycles`), and with --functions ranks functions by that estimate instead: where B
 * might run the same instructions slower, which a count alone cannot see (docs/benchmarks.md,
 * session 23). The simulation is a model: one cache for all threads, no prefetching.
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
  type StackEnvironments,
} from './stack-env';
import { PerfMap, estimatedCycles, selfCosts, summaryOf } from './callgrind-functions';
import { median } from './stats';

const run = promisify(execFile);

const ROUTES: Record<string, string> = { ping: '/api/v1/_bench/ping', db: '/api/v1/_bench/db' };

const { values: opts } = parseArgs({
  options: {
    runtime: { type: 'string', default: 'embedded' },
    routes: { type: 'string', default: 'ping,db' },
    forks: { type: 'string', default: '2' },
    'warmup-requests': { type: 'string', default: '80000' },
    requests: { type: 'string', default: '5000' },
    connections: { type: 'string', default: '10' },
    parallel: { type: 'string', default: '2' },
    /** Also count the parts of B: metrics alone, tracing with nothing sampled, everything sampled. */
    parts: { type: 'boolean', default: false },
    /** List this many functions whose own instructions differ most between configurations. */
    functions: { type: 'string', default: '0' },
    /** Also simulate the caches and branch predictors (callgrind's --cache-sim, --branch-sim). */
    'cache-sim': { type: 'boolean', default: false },
    /** TRACE_SAMPLE_BLOCK of the traced servers: 1 (the default here), or production's 256. */
    'sample-block': { type: 'string', default: '1' },
    /** Copy each server's main-thread callgrind output (with --functions, its perf map) here. */
    keep: { type: 'string' },
  },
});

/** A server configuration counted: A and B, and with --parts the steps between them and beyond. */
interface Configuration {
  key: 'off' | 'metrics' | 'unsampled' | 'on' | 'always';
  /** Tracing's sampler (tracing on); none: tracing off. */
  sampler?: SamplerSetting;
  /** Metrics on (with tracing, always). */
  metrics: boolean;
}

const OFF: Configuration = { key: 'off', metrics: false };
/**
 * Production's ratio with the limit sessions 25–28 counted under (100 a second), which never binds
 * at valgrind's few hundred requests a second. Production's own limit, 10 a second since session
 * 29 (ADR 0015), would bind here and sample ~2.5 % of the counted requests instead of 10 %, every
 * block cut to one root: a count of what a sampled request costs needs the ratio's share.
 */
const ON_SAMPLER: SamplerSetting = { ...PRODUCTION_SAMPLER, maxPerSecond: '100' };
const ON: Configuration = { key: 'on', sampler: ON_SAMPLER, metrics: true };
const PARTS: Configuration[] = [
  OFF,
  { key: 'metrics', metrics: true },
  // The same sampler, at a ratio of 0: every request takes the path of an unsampled one.
  {
    key: 'unsampled',
    sampler: { ...ON_SAMPLER, arg: '0' },
    metrics: true,
  },
  ON,
  { key: 'always', sampler: ALWAYS, metrics: true },
];

function wholeNumber(name: string, min: number): number {
  const n = Number(opts[name as keyof typeof opts]);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: a whole number from ${min}`);
  return n;
}

/** How long one request or one callgrind_control command may take under valgrind. */
const TIMEOUT_MS = 120_000;

/**
 * Exactly `n` GET requests over `connections` keep-alive connections; every answer must be a whole
 * 200, within TIMEOUT_MS.
 */
async function loadExactly(url: string, n: number, connections: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  let sent = 0;
  const worker = async () => {
    while (sent < n) {
      sent++;
      await new Promise<void>((resolve, reject) => {
        const req = http.get(url, { agent, timeout: TIMEOUT_MS }, (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200
              ? resolve()
              : reject(new Error(`${url} answered ${res.statusCode}`)),
          );
          res.on('error', reject); // cut off mid-body: 'aborted', then this
        });
        req.on('timeout', () => req.destroy(new Error(`${url}: no answer in ${TIMEOUT_MS} ms`)));
        req.on('error', reject);
      });
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, worker));
  } finally {
    agent.destroy();
  }
}

/**
 * The caches --cache-sim simulates: this machine's per-core ones (AMD EPYC, Zen 5, from `lscpu`):
 * L1i 32 KB 8-way, L1d 48 KB 12-way, and its 1 MB 16-way L2 as callgrind's last level, since the
 * 32 MB L3 is shared with the rest of the host. 64-byte lines.
 */
const CACHES = ['--I1=32768,8,64', '--D1=49152,12,64', '--LL=1048576,16,64'];

/** A command to the callgrind server `pid` (`-i on`, `-d`, `-i off`). */
async function callgrindControl(args: string[], pid: number): Promise<void> {
  await run('callgrind_control', [...args, String(pid)], { timeout: TIMEOUT_MS });
}

interface Count {
  route: string;
  config: Configuration['key'];
  fork: number;
  /** Instructions per counted request on the main thread. */
  main: number;
  /** Each event callgrind counted (Ir, and with --cache-sim misses and branches), per request. */
  events: Record<string, number>;
  /**
   * With --functions: each function's own events per counted request on the main thread, in the
   * order of the file's `events:` line (Ir first).
   */
  functions?: Map<string, number[]>;
}

/** Requests each server serves: uncounted, then counted, over this many connections. */
interface Load {
  warmup: number;
  requests: number;
  connections: number;
}

async function countServer(
  environments: StackEnvironments,
  tmp: string,
  children: ChildProcess[],
  load: Load,
  job: { route: string; config: Configuration; fork: number },
  options: { byFunction: boolean; cacheSim: boolean; sampleBlock: number; keep?: string },
): Promise<Count> {
  const { byFunction, cacheSim, keep } = options;
  const { sampler, metrics } = job.config;
  const name = `${job.route}_${job.config.key}${job.fork}`;
  const env = await environments.env(name, sampler);
  env.METRICS_ENABLED = String(metrics);
  if (sampler) {
    // Span batches go out when full (512 spans), as under load; on their 5 s timer, at
    // valgrind's pace, they would go out with a few hundred.
    env.OTEL_BSP_SCHEDULE_DELAY = '3600000';
    // By default each request decided on its own: blocks of requests (ADR 0014) save time only
    // through the caches, which a count of instructions does not see, and being fewer draws than
    // requests they would make the sampled share of ~5,000 counted requests, and so the count,
    // vary more. With --cache-sim the caches are seen: --sample-block 256 counts production's
    // blocks (under valgrind, a block holds the ~40 requests of a 100 ms window).
    env.TRACE_SAMPLE_BLOCK = String(options.sampleBlock);
  }
  const dir = path.join(tmp, `callgrind-${name}`);
  fs.mkdirSync(dir, { recursive: true });
  const out = path.join(dir, 'callgrind.out');
  const logFile = path.join(dir, 'server.log');
  const port = await freePort();
  const log = fs.openSync(logFile, 'w');
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      '--separate-threads=yes',
      `--callgrind-out-file=${out}`,
      ...(cacheSim ? ['--cache-sim=yes', '--branch-sim=yes', ...CACHES] : []),
      process.execPath,
      // /tmp/perf-<pid>.map: the names of V8's compiled code, for --functions.
      ...(byFunction ? ['--perf-basic-prof'] : []),
      '--max-semi-space-size=16',
      '--min-semi-space-size=16',
      ...serverArgs('stack', port),
    ],
    { cwd: BACKEND_DIR, env, stdio: ['ignore', log, log, 'ipc'] },
  );
  fs.closeSync(log);
  children.push(child);
  // valgrind runs node in its own process: the map is named after the child's pid.
  const perfMap = `/tmp/perf-${child.pid}.map`;
  try {
    await untilListening(child, name);
    const url = `http://127.0.0.1:${port}${ROUTES[job.route]}`;
    const { requests, warmup, connections } = load;
    await loadExactly(url, warmup, connections);
    await callgrindControl(['-i', 'on'], child.pid!);
    await loadExactly(url, requests, connections);
    await callgrindControl(['-d'], child.pid!);
    await callgrindControl(['-i', 'off'], child.pid!);
    // The first dump writes a file per thread, callgrind.out.1-NN; 01 is the main thread.
    const mainOut = fs.readFileSync(`${out}.1-01`, 'utf8');
    if (keep) {
      fs.copyFileSync(`${out}.1-01`, path.join(keep, `callgrind.out.${name}`));
      if (byFunction) fs.copyFileSync(perfMap, path.join(keep, `perf-${name}.map`));
    }
    const summary = summaryOf(mainOut);
    // 0: instrumentation was never switched on (callgrind_control exits 0 when it fails).
    if (!summary.Ir) throw new Error(`no instructions counted in ${out}.1-01`);
    const events = Object.fromEntries(
      Object.entries(summary).map(([event, n]) => [event, n / requests]),
    );
    const count: Count = {
      route: job.route,
      config: job.config.key,
      fork: job.fork,
      main: events.Ir!,
      events,
    };
    if (byFunction) {
      const map = new PerfMap(fs.readFileSync(perfMap, 'utf8'));
      const own = selfCosts(mainOut, map);
      count.functions = new Map(
        [...own].map(([name, costs]) => [name, costs.map((n) => n / requests)]),
      );
    }
    process.stderr.write(
      `${job.route} ${job.config.key} fork ${job.fork}: ${(count.main / 1000).toFixed(1)}k instructions per request\n`,
    );
    return count;
  } catch (err) {
    // The log goes with the run's temporary directory: its end is the clue.
    const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-3000) : '';
    process.stderr.write(`${name} failed; the end of its log:\n${tail}\n`);
    throw err;
  } finally {
    child.kill('SIGKILL');
    if (byFunction) fs.rmSync(perfMap, { force: true });
  }
}

async function main() {
  if (spawnSync('sh', ['-c', 'command -v valgrind'], { encoding: 'utf8' }).status !== 0) {
    throw new Error('valgrind is not installed (apt-get install -y valgrind)');
  }
  const routes = opts.routes.split(',');
  const unknown = routes.filter((r) => !(r in ROUTES));
  if (unknown.length) throw new Error(`--routes: no route named ${unknown.join(', ')}`);
  if (new Set(routes).size !== routes.length) throw new Error('--routes: a route named twice');
  const forks = wholeNumber('forks', 1);
  const parallel = wholeNumber('parallel', 1);
  const functionRows = wholeNumber('functions', 0);
  const sampleBlock = wholeNumber('sample-block', 1);
  if (sampleBlock > 1024) throw new Error('--sample-block: at most 1024 (TRACE_SAMPLE_BLOCK)');
  const load: Load = {
    warmup: wholeNumber('warmup-requests', 0),
    requests: wholeNumber('requests', 1),
    connections: wholeNumber('connections', 1),
  };

  if (opts.keep) fs.mkdirSync(opts.keep, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hanger-bench-instructions-'));
  const sink = await startOtlpSink();
  const environments = stackEnvironments({ runtime: opts.runtime, tmp, sinkPort: sink.port });
  const configurations = opts.parts ? PARTS : [OFF, ON];
  const jobs = routes.flatMap((route) =>
    Array.from({ length: forks }, (_, fork) =>
      configurations.map((config) => ({ route, config, fork })),
    ).flat(),
  );
  const counts: Count[] = [];
  const children: ChildProcess[] = [];
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(parallel, jobs.length) }, async () => {
        while (next < jobs.length) {
          counts.push(
            await countServer(environments, tmp, children, load, jobs[next++]!, {
              byFunction: functionRows > 0,
              cacheSim: opts['cache-sim'],
              sampleBlock,
              keep: opts.keep,
            }),
          );
        }
      }),
    );
  } finally {
    // Also the servers of jobs still running when another failed.
    for (const child of children) child.kill('SIGKILL');
    sink.close();
    await environments.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  const k = (n: number) => `${(n / 1000).toFixed(1)}k`;
  const of = (route: string, key: Configuration['key']) =>
    counts.filter((c) => c.route === route && c.config === key).sort((x, y) => x.fork - y.fork);
  /** The median over a configuration's forks of `f` of each fork's events per request. */
  const medianEvent = (
    route: string,
    key: Configuration['key'],
    f: (e: Record<string, number>) => number,
  ) => median(of(route, key).map((c) => f(c.events)));
  const medianOf = (route: string, key: Configuration['key']) =>
    medianEvent(route, key, (e) => e.Ir ?? 0);
  const forksOf = (cs: Count[]) => cs.map((c) => k(c.main)).join(', ');
  const rows = routes.map((route) => {
    const [aMain, bMain] = [medianOf(route, 'off'), medianOf(route, 'on')];
    return `| GET ${ROUTES[route]} | ${k(aMain)} | ${forksOf(of(route, 'off'))} | ${k(bMain)} | ${forksOf(of(route, 'on'))} | ${((aMain / bMain) * 100).toFixed(1)} % |`;
  });
  // With --parts: B's cost over A, step by step (medians over forks), each step's share of A.
  // With --cache-sim, also in estimated cycles.
  const partRows = (opts.parts ? routes : []).flatMap((route) => {
    const m = (key: Configuration['key']) => medianOf(route, key);
    const mc = (key: Configuration['key']) => medianEvent(route, key, estimatedCycles);
    const share = (x: number, whole: number) => `${((x / whole) * 100).toFixed(1)} %`;
    const step = (label: string, from: Configuration['key'], to: Configuration['key']) => {
      const [d, dc] = [m(to) - m(from), mc(to) - mc(from)];
      const cycles = opts['cache-sim'] ? ` ${k(dc)} | ${share(dc, mc('off'))} |` : '';
      return `| GET ${ROUTES[route]} | ${label} | ${k(d)} | ${share(d, m('off'))} |${cycles}`;
    };
    return [
      step('metrics (metrics on, tracing off, against off)', 'off', 'metrics'),
      step('tracing, nothing sampled (against metrics)', 'metrics', 'unsampled'),
      step(
        `sampled requests at ${Number(PRODUCTION_SAMPLER.arg) * 100} % (B against nothing sampled)`,
        'unsampled',
        'on',
      ),
      step(
        'one sampled request (every request sampled, against nothing sampled)',
        'unsampled',
        'always',
      ),
      step('B against A', 'off', 'on'),
    ];
  });
  // With --cache-sim: the simulated events per request, medians over forks, and the cycles
  // estimated from them.
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  type Event = [label: string, of: (e: Record<string, number>) => number];
  /** The simulated events reported, each from callgrind's own; then the estimate from them all. */
  const EVENTS: Event[] = [
    ['instructions', (e) => e.Ir ?? 0],
    ['L1i misses', (e) => e.I1mr ?? 0],
    ['L1d misses', (e) => (e.D1mr ?? 0) + (e.D1mw ?? 0)],
    ['L2 misses', (e) => (e.ILmr ?? 0) + (e.DLmr ?? 0) + (e.DLmw ?? 0)],
    ['… of instructions', (e) => e.ILmr ?? 0],
    ['… of data reads', (e) => e.DLmr ?? 0],
    ['… of data writes', (e) => e.DLmw ?? 0],
    ['mispredicted branches', (e) => (e.Bcm ?? 0) + (e.Bim ?? 0)],
  ];
  const CYCLES: Event = ['estimated cycles', estimatedCycles];
  const cacheRows = (opts['cache-sim'] ? routes : []).flatMap((route) =>
    [...EVENTS, CYCLES].map(([label, f]) => {
      const [a, b] = [medianEvent(route, 'off', f), medianEvent(route, 'on', f)];
      const perFork = (key: Configuration['key']) =>
        of(route, key)
          .map((c) => n(f(c.events)))
          .join(', ');
      // A/B is a throughput only for work or time: instructions and the estimate.
      const ratio = label === 'instructions' || f === estimatedCycles;
      return `| GET ${ROUTES[route]} | ${label} | ${n(a)} | ${perFork('off')} | ${n(b)} | ${perFork('on')} | ${n(b - a)} | ${ratio ? `${((a / b) * 100).toFixed(1)} %` : ''} |`;
    }),
  );
  // With --functions: the functions whose own instructions (with --cache-sim, estimated cycles)
  // differ most between two configurations; with --cache-sim, also how each event differs.
  const eventNames = Object.keys(counts[0]?.events ?? {});
  const asEvents = (costs: readonly number[]) =>
    Object.fromEntries(eventNames.map((e, i) => [e, costs[i] ?? 0]));
  const weigh = (costs: readonly number[]) =>
    opts['cache-sim'] ? estimatedCycles(asEvents(costs)) : (costs[0] ?? 0);
  /** Each function's costs per request, means over forks. */
  const meanFunctions = (route: string, key: Configuration['key']) => {
    const cs = of(route, key);
    const sum = new Map<string, number[]>();
    for (const c of cs) {
      for (const [name, costs] of c.functions ?? []) {
        const into = sum.get(name) ?? [];
        costs.forEach((x, i) => (into[i] = (into[i] ?? 0) + x / cs.length));
        sum.set(name, into);
      }
    }
    return sum;
  };
  const functionTable = (route: string, from: Configuration['key'], to: Configuration['key']) => {
    const [a, b] = [meanFunctions(route, from), meanFunctions(route, to)];
    const diffs = [...new Set([...a.keys(), ...b.keys()])]
      .map((name) => ({ name, a: a.get(name) ?? [], b: b.get(name) ?? [] }))
      .map((f) => ({ ...f, d: weigh(f.b) - weigh(f.a) }))
      .sort((x, y) => Math.abs(y.d) - Math.abs(x.d))
      .slice(0, functionRows);
    const total = (m: Map<string, number[]>) => [...m.values()].reduce((x, y) => x + weigh(y), 0);
    const unit = opts['cache-sim'] ? 'estimated cycles' : 'instructions';
    // Table cells: a pipe in a name (a regular expression's) would end its cell.
    const cell = (name: string) => name.replaceAll('|', '\\|');
    const eventDiffs = (f: { a: number[]; b: number[] }) =>
      opts['cache-sim']
        ? EVENTS.map(([, event]) => ` ${n(event(asEvents(f.b)) - event(asEvents(f.a)))} |`).join('')
        : '';
    return [
      '',
      `GET ${ROUTES[route]}, ${to} against ${from}: ${n(total(b) - total(a))} ${unit} per request in all; the ${functionRows} functions whose own ${unit} differ most (means over forks; \`*\` optimized, \`^\` baseline code)${opts['cache-sim'] ? ', with how each simulated event differs' : ''}:`,
      '',
      `| function | ${from} | ${to} | difference |${opts['cache-sim'] ? EVENTS.map(([label]) => ` Δ ${label} |`).join('') : ''}`,
      `| --- | ---: | ---: | ---: |${opts['cache-sim'] ? ' ---: |'.repeat(EVENTS.length) : ''}`,
      ...diffs.map(
        (f) =>
          `| ${cell(f.name)} | ${n(weigh(f.a))} | ${n(weigh(f.b))} | ${n(f.d)} |${eventDiffs(f)}`,
      ),
    ];
  };
  const functionRowsOut =
    functionRows > 0
      ? routes.flatMap((route) => [
          ...functionTable(route, 'off', 'on'),
          ...(opts.parts
            ? [
                ...functionTable(route, 'off', 'metrics'),
                ...functionTable(route, 'metrics', 'unsampled'),
                ...functionTable(route, 'unsampled', 'always'),
              ]
            : []),
        ])
      : [];
  console.log(
    [
      `Runtime: ${opts.runtime}. Callgrind, semi-spaces 16 MB, span batches sent when full, sampling decisions in blocks of at most ${sampleBlock}. Per server: ${opts['warmup-requests']} requests of warm-up, then ${opts.requests} counted, over ${opts.connections} connections; server processes per side: ${forks}; Node ${process.version}.`,
      `OTLP export requests received by the sink: ${sink.received()}.`,
      '',
      'A: metrics and tracing off. B: both on, production sampler (parent-based, 10 %). Instructions per',
      'request on the main thread, medians over forks. A/B: the throughput B would keep if instructions',
      'were time (the target of bench:http b and b3: above 90 %).',
      '',
      '| route | A | A forks | B | B forks | A/B |',
      '| --- | ---: | --- | ---: | --- | ---: |',
      ...rows,
      ...(opts['cache-sim']
        ? [
            '',
            "Simulated (--cache-sim) on the main thread, per request, medians over forks: this machine's L1 caches and",
            "its L2 as the last level, and callgrind's branch predictors. Estimated cycles: instructions + 10 per",
            "first-level miss + 100 per L2 miss + 10 per mispredicted branch (KCachegrind's weights). A/B, on",
            'the rows of instructions and of the estimate: the throughput B would keep if that were time.',
            '',
            '| route | event | A | A forks | B | B forks | B − A | A/B |',
            '| --- | --- | ---: | --- | ---: | --- | ---: | ---: |',
            ...cacheRows,
          ]
        : []),
      ...(opts.parts
        ? [
            '',
            `The parts of B (--parts): instructions per request each step adds, and its share of A's. The servers counted: ${configurations.map((c) => c.key).join(', ')}; per configuration and route, its forks' counts:`,
            '',
            ...routes.map(
              (route) =>
                `- GET ${ROUTES[route]}: ${configurations.map((c) => `${c.key} ${forksOf(of(route, c.key))}`).join('; ')}`,
            ),
            '',
            `| route | step | instructions | of A |${opts['cache-sim'] ? ' estimated cycles | of A |' : ''}`,
            `| --- | --- | ---: | ---: |${opts['cache-sim'] ? ' ---: | ---: |' : ''}`,
            ...partRows,
          ]
        : []),
      ...functionRowsOut,
    ].join('\n'),
  );
}

await main();
