import type {
  FastifyRateLimitOptions,
  FastifyRateLimitStore,
  FastifyRateLimitStoreCtor,
  RateLimitOptions,
} from '@fastify/rate-limit';
import RedisStore from '@fastify/rate-limit/store/RedisStore.js';
import { ROOT_CONTEXT, context } from '@opentelemetry/api';
import type { Redis } from 'ioredis';

type Callback = Parameters<FastifyRateLimitStore['incr']>[1];
type RouteOptions = Parameters<FastifyRateLimitStore['child']>[0];

/** What @fastify/rate-limit's own Redis store does, as this module uses it. */
interface CounterStore {
  incr(key: string, callback: Callback, timeWindow: number, max: number): void;
  read(key: string, callback: Callback, timeWindow: number, max: number): void;
  child(routeOptions: RouteOptions): CounterStore;
}

/**
 * @fastify/rate-limit's Redis store (the same Lua script, keys and answers), whose round trip
 * makes no span: every request of the API runs it, before its handler, so in a trace it was one
 * more span on every sampled request saying the same thing, at the price of a span
 * (docs/observability.md, "What is not traced"). The command is sent in the root context, where
 * the ioredis instrumentation (`requireParentSpan`) makes nothing; its time stays inside the
 * request's span, and its errors and 429s in the logs and metrics.
 */
export function untracedRedisStore(redis: Redis, nameSpace: string): FastifyRateLimitStoreCtor {
  return class UntracedRedisStore implements FastifyRateLimitStore {
    readonly #store: CounterStore;

    /** `options`: the plugin's settings, as it passes them to a store it constructs. */
    constructor(options: FastifyRateLimitOptions, store?: CounterStore) {
      const { continueExceeding = false, exponentialBackoff = false } = options as RateLimitOptions;
      this.#store =
        store ??
        (new RedisStore(continueExceeding, exponentialBackoff, redis, nameSpace) as CounterStore);
    }

    incr(key: string, callback: Callback, timeWindow: number, max: number): void {
      context.with(ROOT_CONTEXT, () => this.#store.incr(key, callback, timeWindow, max));
    }

    read(key: string, callback: Callback, timeWindow: number, max: number): void {
      context.with(ROOT_CONTEXT, () => this.#store.read(key, callback, timeWindow, max));
    }

    child(routeOptions: RouteOptions): FastifyRateLimitStore {
      return new UntracedRedisStore({}, this.#store.child(routeOptions));
    }
  };
}
