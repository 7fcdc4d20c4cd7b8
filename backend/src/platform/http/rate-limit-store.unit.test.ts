import { ROOT_CONTEXT, context, trace, type Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { untracedRedisStore } from './rate-limit-store';

type Reply = (err: Error | null, result?: [number, number]) => void;

/**
 * The part of ioredis @fastify/rate-limit's store uses: `defineCommand`, and the commands it
 * defines, which here answer from a counter and record the context they were sent in (the ioredis
 * instrumentation reads the same `context.active()` to decide on a span).
 */
function fakeRedis() {
  const counts = new Map<string, number>();
  const sent: { command: string; key: string; context: Context }[] = [];
  const redis: Record<string, unknown> = {
    defineCommand(name: string) {
      redis[name] = (key: string, ...args: unknown[]) => {
        sent.push({ command: name, key, context: context.active() });
        const reply = args.at(-1) as Reply;
        if (key.includes('broken')) return reply(new Error('connection lost'));
        const current = (counts.get(key) ?? 0) + (name === 'rateLimit' ? 1 : 0);
        counts.set(key, current);
        reply(null, [current, 60_000]);
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
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(manager.enable());
  });
  afterAll(() => {
    manager.disable();
    context.disable();
  });

  it('sends the rate-limit commands outside the request trace, with the plugin key and answers', async () => {
    const { redis, sent } = fakeRedis();
    const Store = untracedRedisStore(redis, 'hanger:rl:');
    const store = new Store({});

    expect(await call('incr', store, '10.0.0.1')).toEqual({
      err: null,
      result: { current: 1, ttl: 60_000 },
    });
    expect(await call('incr', store, '10.0.0.1')).toMatchObject({ result: { current: 2 } });
    expect(await call('read', store, '10.0.0.1')).toMatchObject({ result: { current: 2 } });

    const route = store.child({
      routeInfo: { method: 'POST', url: '/api/v1/auth/login' },
    } as unknown as Parameters<typeof store.child>[0]);
    expect(await call('incr', route, '10.0.0.1')).toMatchObject({ result: { current: 1 } });

    expect(sent.map(({ command, key }) => [command, key])).toEqual([
      ['rateLimit', 'hanger:rl:10.0.0.1'],
      ['rateLimit', 'hanger:rl:10.0.0.1'],
      ['rateLimitRead', 'hanger:rl:10.0.0.1'],
      ['rateLimit', 'hanger:rl:POST/api/v1/auth/login-10.0.0.1'],
    ]);
    // No span in the context any command was sent in: the ioredis instrumentation makes none.
    for (const { context: sentIn } of sent) expect(trace.getSpan(sentIn)).toBeUndefined();
    // And the caller's context is as it was.
    expect(trace.getSpan(context.active())).toBeUndefined();
    context.with(requestContext, () => {
      void store.incr('10.0.0.2', () => {}, 60_000, 100);
      expect(trace.getSpan(context.active())).toBe(trace.getSpan(requestContext));
    });
  });

  it('passes a failed command on as the error the plugin handles', async () => {
    const { redis } = fakeRedis();
    const store = new (untracedRedisStore(redis, 'hanger:rl:'))({});
    const { err, result } = await call('incr', store, 'broken');
    expect(err?.message).toBe('connection lost');
    expect(result ?? null).toBeNull();
  });
});
