import { ROOT_CONTEXT, context, trace, type Context } from '@opentelemetry/api';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PromiseContextManager } from '../observability/promise-context';
import { untracedRedisStore } from './rate-limit-store';

type Reply = (err: Error | null, result?: [number, number]) => void;

/**
 * The part of ioredis @fastify/rate-limit's store uses: `defineCommand`, and the commands it
 * defines, which here answer from a counter and record the context they were sent in (the ioredis
 * instrumentation reads the same `context.active()` to decide on a span).
 */
function fakeRedis() {
  const counts = new Map<string, number>();
  const sent: { command: string; key: string; args: unknown[]; context: Context }[] = [];
  const redis: Record<string, unknown> = {
    defineCommand(name: string) {
      redis[name] = (key: string, ...args: unknown[]) => {
        sent.push({ command: name, key, args: args.slice(0, -1), context: context.active() });
        const reply = args.at(-1) as Reply;
        // Answered later, from another turn of the event loop, as a socket's data would be.
        setImmediate(() => {
          if (key.includes('broken')) return reply(new Error('connection lost'));
          const current = (counts.get(key) ?? 0) + (name === 'rateLimit' ? 1 : 0);
          counts.set(key, current);
          reply(null, [current, 60_000]);
        });
      };
    },
  };
  return { redis: redis as unknown as Redis, sent };
}

/** A context with a (non-recording) span in it, as a traced request's hooks run in. */
const requestContext = trace.setSpan(
  ROOT_CONTEXT,
  trace.wrapSpanContext({
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: 1,
  }),
);

function call(
  method: 'incr' | 'read',
  store: { incr: (...a: never[]) => void; read?: (...a: never[]) => void },
  key: string,
) {
  return new Promise<{ err: Error | null; result?: { current: number; ttl: number } }>(
    (resolve) => {
      const done = (err: Error | null, result?: { current: number; ttl: number }) =>
        resolve({ err, result });
      context.with(requestContext, () => {
        // The request's context is active where the plugin calls the store.
        expect(trace.getSpan(context.active())).toBeDefined();
        (store[method] as (k: string, cb: typeof done, window: number, max: number) => void)(
          key,
          done,
          60_000,
          100,
        );
      });
    },
  );
}

describe('untracedRedisStore', () => {
  // The application's context manager (V8 promise hooks), as tracing runs it.
  const manager = new PromiseContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(manager.enable());
  });
  afterAll(() => {
    context.disable(); // disables the manager too
  });

  it('sends the rate-limit commands outside the request trace, with the plugin key and answers', async () => {
    const { redis, sent } = fakeRedis();
    const Store = untracedRedisStore(redis, 'hanger:rl:');
    const store = new Store({ continueExceeding: true });

    expect(await call('incr', store, '10.0.0.1')).toEqual({
      err: null,
      result: { current: 1, ttl: 60_000 },
    });
    expect(await call('incr', store, '10.0.0.1')).toMatchObject({ result: { current: 2 } });
    expect(await call('read', store, '10.0.0.1')).toMatchObject({ result: { current: 2 } });

    const route = store.child({
      routeInfo: { method: 'POST', url: '/api/v1/auth/login' },
      continueExceeding: false,
      exponentialBackoff: true,
    } as unknown as Parameters<typeof store.child>[0]);
    expect(await call('incr', route, '10.0.0.1')).toMatchObject({ result: { current: 1 } });

    // The plugin's own Lua commands, keys and arguments (window, max, continueExceeding,
    // exponentialBackoff, from the plugin's settings).
    expect(sent.map(({ command, key, args }) => [command, key, args])).toEqual([
      ['rateLimit', 'hanger:rl:10.0.0.1', [60_000, 100, true, false]],
      ['rateLimit', 'hanger:rl:10.0.0.1', [60_000, 100, true, false]],
      ['rateLimitRead', 'hanger:rl:10.0.0.1', []],
      ['rateLimit', 'hanger:rl:POST/api/v1/auth/login-10.0.0.1', [60_000, 100, false, true]],
    ]);
    // No span in the context any command was sent in: the ioredis instrumentation makes none.
    for (const { context: sentIn } of sent) expect(trace.getSpan(sentIn)).toBeUndefined();
    // And the caller's context is as it was.
    expect(trace.getSpan(context.active())).toBeUndefined();
    context.with(requestContext, () => {
      store.incr('10.0.0.2', () => {}, 60_000, 100);
      expect(trace.getSpan(context.active())).toBe(trace.getSpan(requestContext));
    });
  });

  it('leaves the request its context after the awaited round trip, as the plugin awaits it', async () => {
    const { redis, sent } = fakeRedis();
    const store = new (untracedRedisStore(redis, 'hanger:rl:'))({});
    const after = await context.with(requestContext, async () => {
      // As @fastify/rate-limit's applyRateLimit: a promise around the store's callback, awaited.
      await new Promise((resolve, reject) =>
        store.incr('10.0.0.3', (err, res) => (err ? reject(err) : resolve(res)), 60_000, 100),
      );
      return trace.getSpan(context.active());
    });
    expect(trace.getSpan(sent[0]!.context)).toBeUndefined();
    expect(after).toBe(trace.getSpan(requestContext));
  });

  it('passes a failed command on as the error the plugin handles', async () => {
    const { redis } = fakeRedis();
    const store = new (untracedRedisStore(redis, 'hanger:rl:'))({});
    const { err, result } = await call('incr', store, 'broken');
    expect(err?.message).toBe('connection lost');
    expect(result ?? null).toBeNull();
  });
});
