import { ROOT_CONTEXT, context, trace, type Span } from '@opentelemetry/api';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PromiseContextManager } from '../observability/promise-context';
import { registerErrorHandling } from './errors';
import { MemoryRateCounter, type HitAnswer, type RateCounter } from './rate-counters';
import { rateLimitPlugin } from './rate-limit';

/** A counter whose store answers from a later turn of the event loop, as a socket's data would. */
function laterCounter(fail = false): RateCounter & { keys: string[] } {
  const memory = new MemoryRateCounter();
  const keys: string[] = [];
  return {
    keys,
    hit(key: string, windowMs: number, answer: HitAnswer) {
      keys.push(key);
      setImmediate(() =>
        fail ? answer(new Error('connection lost'), 0, 0) : memory.hit(key, windowMs, answer),
      );
    },
    close() {},
  };
}

/** A traced request's context, as the observability plugin's onRequest hook enters it. */
const requestContext = trace.setSpan(
  ROOT_CONTEXT,
  trace.wrapSpanContext({
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: 1,
  }),
);

async function appWith(global: RateCounter, route: RateCounter = new MemoryRateCounter()) {
  const app = Fastify();
  app.addHook('onRequest', (_request, _reply, done) => context.with(requestContext, done));
  await app.register(rateLimitPlugin, { max: 2, windowMs: 60_000, global, route });
  registerErrorHandling(app);
  const seen: (Span | undefined)[] = [];
  app.addHook('preHandler', (_request, _reply, done) => {
    seen.push(trace.getSpan(context.active()));
    done();
  });
  app.get('/open', () => ({ data: 'ok' }));
  app.get('/own', { config: { rateLimit: { max: 1, timeWindow: 1_000 } } }, () => ({ data: 1 }));
  return { app, seen };
}

describe('rateLimitPlugin', () => {
  const manager = new PromiseContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(manager.enable());
  });
  afterAll(() => {
    context.disable();
  });

  it('goes on in the request’s context when its counter answers later', async () => {
    const counter = laterCounter();
    const { app, seen } = await appWith(counter);
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await app.inject({ url: '/open', remoteAddress: '10.0.0.9' })).statusCode);
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(counter.keys).toEqual(['10.0.0.9', '10.0.0.9', '10.0.0.9']);
    // The hooks after the limit ran in the request's trace, not in the store's callback's.
    expect(seen).toHaveLength(2);
    for (const span of seen) expect(span).toBe(trace.getSpan(requestContext));
    await app.close();
  });

  it('keys a route’s own limit by method, route and address, on the route counter', async () => {
    const route = laterCounter();
    const { app } = await appWith(new MemoryRateCounter(), route);
    const first = await app.inject({ url: '/own', remoteAddress: '10.0.0.8' });
    const second = await app.inject({ url: '/own', remoteAddress: '10.0.0.8' });
    expect([first.statusCode, second.statusCode]).toEqual([200, 429]);
    expect(second.headers['retry-after']).toBe('1');
    expect(route.keys).toEqual(['GET/own:10.0.0.8', 'GET/own:10.0.0.8']);
    await app.close();
  });

  it('answers 500 INTERNAL when its store fails, and nothing reaches the handler', async () => {
    const { app, seen } = await appWith(laterCounter(true));
    const res = await app.inject({ url: '/open' });
    expect(res.statusCode).toBe(500);
    expect(res.json().error.code).toBe('INTERNAL');
    expect(seen).toHaveLength(0);
    await app.close();
  });

  it('refuses a route limit that is not two whole positive numbers, when the route is added', async () => {
    const app = Fastify();
    await app.register(rateLimitPlugin, {
      max: 2,
      windowMs: 60_000,
      global: new MemoryRateCounter(),
      route: new MemoryRateCounter(),
    });
    expect(() =>
      app.get('/bad', { config: { rateLimit: { max: 0, timeWindow: 1_000 } } }, () => 'x'),
    ).toThrow(/rateLimit needs whole max and timeWindow/);
    await app.close();
  });
});
