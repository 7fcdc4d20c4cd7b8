/**
 * `npm run bench:redis`: what tracing costs an unsampled Redis command, in CPU per command
 * (ADR 0017). Three modes, alternating round by round on one client:
 * - nothing;
 * - our wrapper on `sendCommand` (`traceRedisCommands`), outside any span: the unsampled path,
 *   its context looked up through the API, tracing not being started here;
 * - a subscriber on ioredis's own tracing channel (`ioredis:command`) whose handlers do nothing:
 *   the cost is what ioredis does once the channel has one.
 * Each round sends `--commands` GETs, `--batch` in flight, to REDIS_URL (default the local Redis);
 * medians over `--rounds` rounds per mode.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { parseArgs } from 'node:util';
import { trace } from '@opentelemetry/api';
import { Redis } from 'ioredis';
import { traceRedisCommands } from '../src/platform/observability/redis';

const { values } = parseArgs({
  options: {
    commands: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '15' },
  },
});
const commands = Number(values.commands);
const batch = Number(values.batch);
const rounds = Number(values.rounds);
if (![commands, batch, rounds].every((n) => Number.isInteger(n) && n > 0) || commands % batch) {
  throw new Error('--commands, --batch and --rounds are positive integers, commands a multiple');
}

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0');
const key = `bench:redis-commands:${process.pid}`;
await redis.set(key, 'value', 'PX', 600_000);

/** CPU (user + system) per command, in ns, over one round. */
async function round(): Promise<number> {
  const start = process.cpuUsage();
  for (let sent = 0; sent < commands; sent += batch) {
    const replies: Promise<unknown>[] = [];
    for (let i = 0; i < batch; i++) replies.push(redis.get(key));
    await Promise.all(replies);
  }
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / commands;
}

const channel = diagnosticsChannel.tracingChannel('ioredis:command');
const ignore = () => {};
const subscribers = {
  start: ignore,
  end: ignore,
  asyncStart: ignore,
  asyncEnd: ignore,
  error: ignore,
};
const tracer = trace.getTracer('bench');
const modes: Record<string, { on: () => () => void; ns: number[] }> = {
  nothing: { on: () => () => {}, ns: [] },
  wrapper: { on: () => traceRedisCommands(Redis, tracer), ns: [] },
  channel: {
    on: () => {
      channel.subscribe(subscribers);
      return () => channel.unsubscribe(subscribers);
    },
    ns: [],
  },
};

for (let i = 0; i < 5; i++) await round(); // warm-up
const order = Object.values(modes);
for (let r = 0; r < rounds; r++) {
  // Each mode first in turn: what one leaves behind (garbage) lands on each of the others alike.
  for (const mode of [...order.slice(r % order.length), ...order.slice(0, r % order.length)]) {
    const off = mode.on();
    mode.ns.push(await round());
    off();
  }
}
await redis.del(key);
redis.disconnect();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const base = median(modes.nothing!.ns);
console.log(`ns of CPU per GET (${commands} a round, ${batch} in flight, median of ${rounds}):`);
for (const [name, mode] of Object.entries(modes)) {
  const ns = median(mode.ns);
  console.log(
    `  ${name.padEnd(8)} ${ns.toFixed(0).padStart(6)}  ${(ns - base >= 0 ? '+' : '') + (ns - base).toFixed(0)}`,
  );
}
