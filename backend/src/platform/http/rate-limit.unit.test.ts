import { ROOT_CONTEXT, context, trace, type Span } from '@opentelemetry/api';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PromiseContextManager } from '../observability/promise-context';
import { registerErrorHandling } from './errors';
import {
  MemoryRateCounter,
  type HitAnswer,
  type RateCounter,
  type RemoteRateCounter,
} from './rate-counters';
import { clientKey, rateLimitPlugin } from './rate-limit';

/** A counter whose store answers from a later turn of the event loop, as a socket's data would. */
function laterCounter(fail = false): RemoteRateCounter & { keys: string[] } {
  const memory = new MemoryRateCounter();
  const keys: string[] = [];
  return {
    immediate: false,
    keys,
    hit(key: string, windowMs: number, answer: HitAnswer) {
      keys.push(key);
      setImmediate(() => {
        if (fail) return answer(new Error('connection lost'), 0, 0);
        const count = memory.count(key, windowMs);
        answer(null, count, memory.resetMs);
      });
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
    expect(route.keys).toEqual(['GET/own-10.0.0.8', 'GET/own-10.0.0.8']);
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

  it('keys clients by address: IPv4, IPv4 written as IPv6, IPv6 by its /64', async () => {
    const keys: string[] = [];
    const app = Fastify({ trustProxy: true });
    app.get('/', (request) => {
      keys.push(clientKey(request));
      return 'ok';
    });
    for (const remoteAddress of [
      '203.0.113.9',
      '::ffff:203.0.113.9',
      '2001:db8:0:1:aaaa:bbbb:cccc:dddd',
      '2001:0db8:0000:0001::1',
      '2001:db8::1',
      '::1',
      'fe80::1%eth0',
      '::FFFF:c000:0201',
      '0:0:0:0:0:ffff:192.0.2.1',
      'garbage',
    ]) {
      await app.inject({ url: '/', remoteAddress });
    }
    // A forwarded address that is none: the connection's peer (the proxy) instead.
    await app.inject({
      url: '/',
      remoteAddress: '10.0.0.2',
      headers: { 'x-forwarded-for': '<script>' },
    });
    expect(keys).toEqual([
      '203.0.113.9',
      '203.0.113.9',
      '2001:db8:0:1::/64',
      '2001:db8:0:1::/64',
      '2001:db8:0:0::/64',
      '0:0:0:0::/64',
      'fe80:0:0:0::/64',
      '192.0.2.1',
      '192.0.2.1',
      'unknown',
      '10.0.0.2',
    ]);
    await app.close();
  });

  it('keys by the first untrusted hop behind trusted proxies, whatever a client forwards itself', async () => {
    const app = Fastify({ trustProxy: 'loopback,uniquelocal' });
    app.get('/', (request) => clientKey(request));
    const keyFor = async (remoteAddress: string, forwarded: string) =>
      (await app.inject({ url: '/', remoteAddress, headers: { 'x-forwarded-for': forwarded } }))
        .body;
    // NGINX (10.0.0.2) appended the address it saw; the client wrote the rest.
    expect(await keyFor('10.0.0.2', '1.1.1.1, 203.0.113.7')).toBe('203.0.113.7');
    expect(await keyFor('10.0.0.2', '9.9.9.9, 203.0.113.7')).toBe('203.0.113.7');
    // Two trusted hops (ingress, then NGINX): still the client.
    expect(await keyFor('127.0.0.1', '1.1.1.1, 203.0.113.7, 10.0.0.3')).toBe('203.0.113.7');
    // A client reaching the API directly is not a trusted proxy: its header is ignored.
    expect(await keyFor('198.51.100.4', '203.0.113.7')).toBe('198.51.100.4');
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
