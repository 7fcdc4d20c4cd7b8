import { isIPv4, isIPv6 } from 'node:net';
import { context } from '@opentelemetry/api';
import type {
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  onRequestHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import {
  MemoryRateCounter,
  RedisRateCounter,
  SharedRateCounter,
  redisHitBatchStore,
  type RateCounter,
} from './rate-counters';

/** A route's own limit: `max` requests per client address in a window of `timeWindow` ms. */
export interface RouteRateLimit {
  max: number;
  timeWindow: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route's own limit, instead of the global one: counted apart from it, exactly, across
     * every API process. `false`: not limited (probes, scrapes).
     */
    rateLimit?: RouteRateLimit | false;
  }
}

export interface RateLimitOptions {
  /** The global limit, on every route without its own: per client address. */
  max: number;
  windowMs: number;
  /** Counts the global limit's hits. */
  global: RateCounter;
  /** Counts the hits of routes with their own limit. */
  route: RateCounter;
}

/**
 * Per-client-address rate limits (ADR 0011): a global one on every route, and a route's own
 * (`config: { rateLimit: { max, timeWindow } }`) instead of it where set; `rateLimit: false`
 * exempts a route. Every limited response says where the client stands (`x-ratelimit-limit`,
 * `-remaining`, `-reset` in seconds); past the limit it is a 429 `RATE_LIMITED` with `retry-after`
 * and `details.retryAfterSeconds`, as the sign-in back-off answers.
 *
 * The check is an onRequest hook in callback style: when its counter answers at once (the global
 * limit always does, see SharedRateCounter), it costs no promise, where @fastify/rate-limit's
 * async chain made about eleven on every request, each paid twice with tracing on (the context
 * hooks, promise-context.ts).
 */
export const rateLimitPlugin = fp<RateLimitOptions>(
  (app, options, done) => {
    app.addHook('onRoute', (route) => {
      const own = route.config?.rateLimit;
      if (own === false) return;
      if (own != null && !(isCount(own.max) && isCount(own.timeWindow))) {
        throw new Error(
          `${String(route.method)} ${route.url}: rateLimit needs whole max and timeWindow`,
        );
      }
      // The key of a route's own counter as @fastify/rate-limit wrote it (METHOD/url-address), so
      // counts carry over a deploy.
      const check = own
        ? limiter(own.max, own.timeWindow, `${String(route.method)}${route.url}-`, options.route)
        : limiter(options.max, options.windowMs, '', options.global);
      const hooks = route.onRequest;
      route.onRequest = hooks === undefined ? [check] : [...[hooks].flat(), check];
    });
    app.addHook('onClose', (_app, closed) => {
      options.global.close();
      options.route.close();
      closed();
    });
    done();
  },
  { name: 'hanger-rate-limit' },
);

/**
 * The client's address as a limit counts it: IPv4 as it is, IPv4 written as IPv6
 * (`::ffff:a.b.c.d`) as IPv4, and IPv6 by its /64, what one subscriber is given (each address of
 * it counted apart would give its holder 2^64 limits). A `request.ip` that is no address (a
 * malformed X-Forwarded-For from a trusted proxy) counts as the connection's peer; none at all
 * (injectWS) as `unknown`.
 */
export function clientKey(request: FastifyRequest): string {
  const ip = request.ip as string | undefined;
  const key = ip === undefined ? undefined : addressKey(ip);
  if (key !== undefined) return key;
  const peer = request.socket?.remoteAddress;
  return (peer !== undefined && addressKey(peer)) || 'unknown';
}

function addressKey(ip: string): string | undefined {
  if (isIPv4(ip)) return ip;
  return isIPv6(ip) ? ipv6Key(ip) : undefined;
}

/**
 * A valid IPv6 address's key: the IPv4 address it maps (`::ffff:a.b.c.d`, in any spelling), or its
 * first four groups in a canonical form (`2001:db8:0:1::/64`).
 */
function ipv6Key(ip: string): string {
  const address = ip.split('%', 1)[0]!.toLowerCase(); // without a zone (`fe80::1%eth0`)
  const gap = address.indexOf('::');
  let groups: string[];
  if (gap === -1) groups = address.split(':');
  else {
    const head = gap === 0 ? [] : address.slice(0, gap).split(':');
    const tail = gap + 2 === address.length ? [] : address.slice(gap + 2).split(':');
    // A dotted IPv4 ending (`::1.2.3.4`) stands for two groups.
    const tailGroups = tail.length + (tail.at(-1)?.includes('.') ? 1 : 0);
    groups = [...head, ...Array<string>(8 - head.length - tailGroups).fill('0'), ...tail];
  }
  const value = groups.map((g) => (g.includes('.') ? g : g.replace(/^0+(?=.)/, '')));
  if (value.slice(0, 5).every((g) => g === '0') && value[5] === 'ffff') {
    const low = value.slice(6);
    if (low.length === 1) return low[0]!; // dotted
    const [hi, lo] = low.map((g) => parseInt(g, 16));
    return `${hi! >>> 8}.${hi! & 255}.${lo! >>> 8}.${lo! & 255}`;
  }
  return `${value.slice(0, 4).join(':')}::/64`;
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n > 0;
}

/** The hook for one limit: counts the hit under `scope` + the client's address, then decides. */
function limiter(
  max: number,
  windowMs: number,
  scope: string,
  counter: RateCounter,
): onRequestHookHandler {
  const limit = String(max);

  function decide(
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
    err: Error | null,
    count: number,
    resetMs: number,
  ) {
    if (err) return done(err); // the store failed: a 500, logged with its cause
    const resetSeconds = Math.max(1, Math.ceil(resetMs / 1000));
    reply.header('x-ratelimit-limit', limit);
    reply.header('x-ratelimit-remaining', count < max ? max - count : 0);
    reply.header('x-ratelimit-reset', resetSeconds);
    if (count <= max) return done();
    reply.header('retry-after', resetSeconds);
    done(
      new AppError('RATE_LIMITED', 'Too many requests; slow down', {
        retryAfterSeconds: resetSeconds,
      }),
    );
  }

  if (counter.immediate) {
    // Answered at once: no callback, no promise, nothing allocated for the count.
    return function rateLimit(request, reply, done) {
      const count = counter.count(scope + clientKey(request), windowMs, max);
      decide(reply, done, null, count, counter.resetMs);
    };
  }
  return function rateLimit(request, reply, done) {
    let answered = false;
    const ctx = context.active();
    counter.hit(scope + clientKey(request), windowMs, (err, count, resetMs) => {
      if (answered) return;
      answered = true;
      // The answer comes from a socket's callback, outside the request's trace: the hooks after
      // this one go back into it.
      context.with(ctx, decide, undefined, reply, done, err, count, resetMs);
    });
  };
}

/**
 * The counters for a runtime: in this process without Redis (one process is the whole API); with
 * it, the global limit on counts each process syncs with Redis (SharedRateCounter), and routes'
 * own limits on a Redis round trip per request.
 */
export function rateCounters(
  redis: Redis | undefined,
  prefix: string,
  log: Logger,
): Pick<RateLimitOptions, 'global' | 'route'> {
  if (!redis) return { global: new MemoryRateCounter(), route: new MemoryRateCounter() };
  return {
    global: new SharedRateCounter({
      store: redisHitBatchStore(redis, prefix),
      onSyncError: (err) =>
        log.warn({ err }, 'rate limit: syncing counts with Redis failed; counting per process'),
      onSyncRecovered: () => log.info('rate limit: syncing counts with Redis again'),
    }),
    route: new RedisRateCounter(redis, prefix),
  };
}
