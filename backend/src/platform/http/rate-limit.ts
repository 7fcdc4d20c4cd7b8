import { context } from '@opentelemetry/api';
import type { FastifyReply, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify';
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
      if (own !== undefined && !(isCount(own.max) && isCount(own.timeWindow))) {
        throw new Error(
          `${String(route.method)} ${route.url}: rateLimit needs whole max and timeWindow`,
        );
      }
      const check = own
        ? limiter(own.max, own.timeWindow, `${String(route.method)}${route.url}:`, options.route)
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
  return function rateLimit(request, reply, done) {
    // injectWS requests have no address (STACK.md).
    const key = scope + (request.ip ?? 'unknown');
    let answered = false;
    let later = false;
    const ctx = context.active();
    counter.hit(key, windowMs, (err, count, resetMs) => {
      if (answered) return;
      answered = true;
      // An answer from a socket's callback runs outside the request's trace: the hooks after
      // this one go back into it.
      if (later) context.with(ctx, decide, undefined, reply, done, err, count, resetMs);
      else decide(reply, done, err, count, resetMs);
    });
    later = true;
  };

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
}

/**
 * The counters for a runtime: in this process without Redis (one process is the whole API); with
 * it, the global limit on counts each process syncs every `syncMs`, and routes' own limits on a
 * Redis round trip per request.
 */
export function rateCounters(
  redis: Redis | undefined,
  prefix: string,
  log: Logger,
  syncMs?: number,
): Pick<RateLimitOptions, 'global' | 'route'> {
  if (!redis) return { global: new MemoryRateCounter(), route: new MemoryRateCounter() };
  return {
    global: new SharedRateCounter({
      store: redisHitBatchStore(redis, prefix),
      ...(syncMs === undefined ? {} : { syncMs }),
      onSyncError: (err) =>
        log.warn({ err }, 'rate limit: syncing counts with Redis failed; counting per process'),
      onSyncRecovered: () => log.info('rate limit: syncing counts with Redis again'),
    }),
    route: new RedisRateCounter(redis, prefix),
  };
}
