import net from 'node:net';
import {
  INVALID_TRACEID,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context,
  trace,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  SamplingDecision,
  SimpleSpanProcessor,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createTestApp, type TestApp, type TestAppOptions } from '../../../test/app';
import { captureLogs } from '../../../test/logs';
import { issueTicket, openUntilFirstMessage } from '../../../test/sockets';
import { createUser } from '../../../test/users';
import type { Runtime } from '../../composition';
import { outboxJobs } from '../outbox/outbox.table';
import { contextCarrier, startTracing, stopTracing, traceLogText } from './tracing';

declare module '../queue/types' {
  interface JobMap {
    'observability.probe': { marker: string };
  }
}

/** Samples every trace unless a test says otherwise. */
let sampleRoots = true;
/** Set by a test: the sampler fails, as a broken custom sampler would. */
let samplerThrows = false;
const sampler: Sampler = {
  shouldSample: (parentContext) => {
    if (samplerThrows) throw new Error('sampler failed');
    const parent = trace.getSpanContext(parentContext);
    const sampled = parent ? (parent.traceFlags & TraceFlags.SAMPLED) !== 0 : sampleRoots;
    return {
      decision: sampled ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD,
    };
  },
  toString: () => 'TestSampler',
};

describe('tracing (in-memory span exporter)', () => {
  const exporter = new InMemorySpanExporter();
  const logs = captureLogs();
  let t: TestApp;
  /** Answers the held route's request, once it has reached its handler. */
  let releaseHeld: (() => void) | undefined;

  beforeAll(async () => {
    await startTracing({
      serviceName: 'hanger-test',
      spanProcessors: [new SimpleSpanProcessor(exporter)],
      sampler,
    });
    t = await createTestApp(probeApp());
  });

  /**
   * The app the tests run: its log lines at info into `logs`, a job that logs its marker, a route
   * that enqueues it, and a route held until a test releases it.
   */
  function probeApp(env: Record<string, string> = {}): TestAppOptions {
    let runtime: Runtime;
    return {
      env: { LOG_LEVEL: 'info', ...env },
      logStream: logs.stream,
      setup: (r) => {
        runtime = r;
        r.adapters.registry.define({
          name: 'observability.probe',
          handle: ({ marker }, ctx) => {
            ctx.log.info({ marker }, 'probe job ran');
            return Promise.resolve();
          },
        });
      },
      routes: (app) => {
        app.get('/api/v1/_test/held', async () => {
          await new Promise<void>((resolve) => (releaseHeld = resolve));
          return { data: 'late' };
        });
        app.post('/api/v1/_test/probe/:marker', async (request) => {
          const { marker } = request.params as { marker: string };
          await runtime.adapters.outbox.transaction((_tx, emit) =>
            emit('observability.probe', { marker }),
          );
          request.log.info({ marker }, 'probe enqueued');
          return { data: { marker } };
        });
        app.put('/api/v1/_test/stored/:marker', async (request) => {
          const { marker } = request.params as { marker: string };
          const { storage } = runtime.adapters;
          await storage.put(`probe/${marker}.txt`, Buffer.from(marker), {
            contentType: 'text/plain',
          });
          return { data: { missing: await storage.head(`probe/${marker}-missing.txt`) } };
        });
      },
    };
  }
  afterAll(async () => {
    releaseHeld?.();
    await t?.close();
    await stopTracing();
  });

  /** The app's address, listening first if no test has made it listen yet. */
  async function address(): Promise<URL> {
    const bound = t.app.server.address();
    if (bound && typeof bound === 'object') return new URL(`http://127.0.0.1:${bound.port}`);
    return new URL(await t.app.listen({ port: 0, host: '127.0.0.1' }));
  }

  async function probe(marker: string, headers: Record<string, string> = {}, on = t) {
    const res = await on.app.inject({
      method: 'POST',
      url: `/api/v1/_test/probe/${marker}`,
      headers,
    });
    expect(res.statusCode).toBe(200);
    await on.settle();
    const lines = logs.lines();
    const requestLine = lines.find(
      (l) => l.msg === 'request' && l.url === `/api/v1/_test/probe/${marker}`,
    );
    const jobLine = lines.find((l) => l.msg === 'probe job ran' && l.marker === marker);
    return { res, requestLine, jobLine };
  }

  it('carries the context on continuation data, through the addon npm ci builds (ADR 0012)', () => {
    expect(contextCarrier()).toBe('continuation-data');
  });

  it("puts the request's trace id on the API log line and on the log line of the job it caused", async () => {
    const { res, requestLine, jobLine } = await probe('first');
    expect(requestLine).toBeDefined();
    expect(jobLine).toBeDefined();
    const traceId = requestLine!.traceId as string;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(requestLine!.requestId).toBe(res.headers['x-request-id']);
    expect(jobLine!.traceId).toBe(traceId);
    // The job ran in its own span, a child in the same trace.
    expect(jobLine!.spanId).not.toBe(requestLine!.spanId);

    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const server = spans.find((s) => s.name === 'POST /api/v1/_test/probe/:marker');
    const job = spans.find((s) => s.name === 'job observability.probe');
    expect(server?.attributes['http.route']).toBe('/api/v1/_test/probe/:marker');
    expect(server?.attributes['http.response.status_code']).toBe(200);
    expect(job?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);
    expect(job?.attributes['messaging.destination.name']).toBe('observability');
  });

  it("names the request's path without its query on its span, and the path alone when it has none", async () => {
    for (const [url, path] of [
      ['/api/v1/_test/probe/query?token=t0ps3cret&x=1', '/api/v1/_test/probe/query'],
      ['/api/v1/_test/probe/noquery', '/api/v1/_test/probe/noquery'],
      ['/api/v1/_test/probe/empty?', '/api/v1/_test/probe/empty'],
    ]) {
      const res = await t.app.inject({ method: 'POST', url: url! });
      expect(res.statusCode).toBe(200);
      await t.settle();
      const server = exporter
        .getFinishedSpans()
        .find((s) => s.attributes['hanger.request_id'] === res.headers['x-request-id']);
      expect(server?.attributes['url.path']).toBe(path);
    }
  });

  /** The spans of the trace a probe request made, and its CLIENT spans of one database system. */
  async function probeTrace(marker: string, system: 'postgresql' | 'redis') {
    const { requestLine } = await probe(marker);
    const traceId = requestLine!.traceId as string;
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    return { spans, calls: spans.filter((s) => s.attributes['db.system.name'] === system) };
  }

  it("records the request's queries as CLIENT spans under its span", async () => {
    const { spans, calls: queries } = await probeTrace('queries', 'postgresql');
    if (inject('runtime') !== 'services') {
      // The embedded runtime's PGlite is not a pg pool: nothing to trace.
      expect(queries).toEqual([]);
      return;
    }
    const server = spans.find((s) => s.name === 'POST /api/v1/_test/probe/:marker')!;
    const job = spans.find((s) => s.name === 'job observability.probe')!;
    const under = (parent: typeof server) =>
      queries
        .filter((q) => q.parentSpanContext?.spanId === parent.spanContext().spanId)
        .map((q) => q.attributes['db.operation.name']);
    // The request's outbox transaction, then the stamp on the row once its job is enqueued.
    expect(under(server)).toEqual(['BEGIN', 'INSERT', 'COMMIT', 'UPDATE']);
    for (const query of queries) {
      expect(query.kind).toBe(SpanKind.CLIENT);
      expect([server.spanContext().spanId, job.spanContext().spanId]).toContain(
        query.parentSpanContext?.spanId,
      );
      const { 'db.operation.name': operation, 'db.namespace': database } = query.attributes;
      expect(database).toEqual(expect.any(String));
      expect(query.name).toBe(`${String(operation)} ${String(database)}`);
      expect(query.attributes['db.query.text']).toEqual(expect.any(String));
    }
  });

  it("records the request's Redis commands, its job's enqueue among them, as CLIENT spans under its span", async () => {
    const { spans, calls: commands } = await probeTrace('redis-probe', 'redis');
    if (inject('runtime') !== 'services') {
      // The embedded runtime has no Redis: its queue and cache are in the process.
      expect(commands).toEqual([]);
      return;
    }
    const server = spans.find((s) => s.name === 'POST /api/v1/_test/probe/:marker')!;
    const underServer = commands.filter(
      (c) => c.parentSpanContext?.spanId === server.spanContext().spanId,
    );
    // BullMQ adds the job with a script, on a connection of its own: the wrapper is on the class.
    expect(underServer.map((c) => c.attributes['db.operation.name'])).toContain('EVALSHA');
    for (const command of commands) {
      expect(command.kind).toBe(SpanKind.CLIENT);
      const { 'db.operation.name': operation, 'db.namespace': database } = command.attributes;
      expect(command.name).toBe(`${String(operation)} ${String(database)}`);
      expect(command.attributes).toHaveProperty(['server.address']);
      expect(command.attributes).toHaveProperty(['server.port']);
      expect(JSON.stringify(command.attributes)).not.toContain('redis-probe');
    }
  });

  it("records the request's S3 requests as CLIENT spans under its span, a missing object's as a 404", async () => {
    const res = await t.app.inject({ method: 'PUT', url: '/api/v1/_test/stored/s3-probe' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ data: { missing: null } });
    const server = exporter
      .getFinishedSpans()
      .find((s) => s.attributes['hanger.request_id'] === res.headers['x-request-id'])!;
    const requests = exporter
      .getFinishedSpans()
      .filter((s) => s.parentSpanContext?.spanId === server.spanContext().spanId);
    if (inject('runtime') !== 'services') {
      // The embedded runtime stores on local disk: no request to trace.
      expect(requests).toEqual([]);
      return;
    }
    expect(
      requests.map((r) => [r.name, r.kind, r.attributes['http.response.status_code']]),
    ).toEqual([
      ['S3.PutObject', SpanKind.CLIENT, 200],
      ['S3.HeadObject', SpanKind.CLIENT, 404],
    ]);
    expect(requests[0]!.attributes['aws.s3.key']).toBe('probe/s3-probe.txt');
    expect(requests[1]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(requests[1]!.attributes['error.type']).toBe('NotFound');
  });

  it('keeps the trace on the log lines of a request served over a real socket', async () => {
    // Over a socket (unlike inject) the response's 'finish' event, which runs the onResponse hooks
    // and writes the request line, fires from a socket callback, outside the request's promises.
    // With a body, so the handler runs from the body's 'end' event.
    const res = await fetch(new URL('/api/v1/_test/probe/socket', await address()), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ note: 'x'.repeat(100_000) }),
    });
    expect(res.status).toBe(200);
    await t.settle();
    const lines = logs.lines();
    const requestLine = lines.find(
      (l) => l.msg === 'request' && l.url === '/api/v1/_test/probe/socket',
    );
    const enqueued = lines.find((l) => l.msg === 'probe enqueued' && l.marker === 'socket');
    const jobLine = lines.find((l) => l.msg === 'probe job ran' && l.marker === 'socket');
    expect(requestLine?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(enqueued?.traceId).toBe(requestLine?.traceId);
    expect(jobLine?.traceId).toBe(requestLine?.traceId);
  });

  it('ends the span of a request whose client went away as an error, with its log line in the trace', async () => {
    const socket = net.connect(Number((await address()).port), '127.0.0.1');
    socket.on('error', () => {}); // destroyed on purpose
    try {
      socket.write('GET /api/v1/_test/held HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await vi.waitFor(() => expect(releaseHeld).toBeDefined(), { timeout: 5_000 });
      socket.destroy();
      await vi.waitFor(
        () => expect(logs.lines().find((l) => l.url === '/api/v1/_test/held')).toBeDefined(),
        { timeout: 5_000 },
      );
    } finally {
      socket.destroy();
      releaseHeld?.();
    }
    const line = logs.lines().find((l) => l.url === '/api/v1/_test/held')!;
    expect(line).toMatchObject({ msg: 'request', status: 499, traceId: expect.any(String) });
    const span = exporter.getFinishedSpans().find((s) => s.name === 'GET /api/v1/_test/held');
    expect(span?.spanContext().traceId).toBe(line.traceId);
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'client aborted' });
  });

  it("ends a WebSocket upgrade's span once its handshake is answered, with status 101, linked to the client's traceparent", async () => {
    const user = await createUser(t);
    const caller = { traceId: '5bf92f3577b34da6a3ce929d0e0e4737', spanId: '10f067aa0ba902b8' };
    await openUntilFirstMessage(
      new URL('/api/v1/ws', await address()).href.replace(/^http/, 'ws'),
      {
        headers: {
          authorization: `Bearer ${user.accessToken}`,
          traceparent: `00-${caller.traceId}-${caller.spanId}-01`,
        },
      },
    );
    const line = logs.lines().find((l) => l.msg === 'request' && l.route === '/api/v1/ws');
    expect(line).toMatchObject({ status: 101, traceId: expect.any(String) });
    const span = exporter.getFinishedSpans().find((s) => s.name === 'GET /api/v1/ws');
    expect(span?.spanContext().traceId).toBe(line?.traceId);
    expect(span?.attributes['http.response.status_code']).toBe(101);
    expect(span?.attributes['enduser.id']).toBe(user.id);
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
    // The upgrade is a request as any other (ADR 0016): its own trace, linked to the client's.
    expect(line?.traceId).not.toBe(caller.traceId);
    expect(span?.links.map((link) => link.context)).toMatchObject([caller]);
  });

  it("puts a ticket's user on its upgrade's span, as on its line", async () => {
    const user = await createUser(t);
    const ticket = await issueTicket(t, user);
    const url = new URL(`/api/v1/ws?ticket=${ticket}`, await address());
    await openUntilFirstMessage(url.href.replace(/^http/, 'ws'));
    const line = logs
      .lines()
      .find((l) => l.msg === 'request' && l.route === '/api/v1/ws' && l.userId === user.id);
    expect(line).toMatchObject({ status: 101, traceId: expect.any(String) });
    const span = exporter
      .getFinishedSpans()
      .find((s) => s.name === 'GET /api/v1/ws' && s.spanContext().traceId === line?.traceId);
    expect(span?.attributes['enduser.id']).toBe(user.id);
  });

  describe('a request that brings a W3C traceparent (ADR 0016)', () => {
    const callerTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpanId = '00f067aa0ba902b7';
    const sampledCaller = { traceparent: `00-${callerTraceId}-${callerSpanId}-01` };

    it("starts a trace of its own, linked to the caller's span, which its job joins", async () => {
      const { requestLine, jobLine } = await probe('inbound-linked', sampledCaller);
      const traceId = requestLine?.traceId as string;
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(traceId).not.toBe(callerTraceId);
      expect(jobLine?.traceId).toBe(traceId);
      const server = exporter
        .getFinishedSpans()
        .find((s) => s.spanContext().traceId === traceId && s.kind === SpanKind.SERVER);
      expect(server?.parentSpanContext).toBeUndefined();
      expect(server?.links.map((link) => link.context)).toMatchObject([
        { traceId: callerTraceId, spanId: callerSpanId, isRemote: true },
      ]);
    });

    it("is not sampled because the caller's was: unsampled here, it has no span", async () => {
      sampleRoots = false;
      try {
        const before = exporter.getFinishedSpans().length;
        const { requestLine } = await probe('inbound-unsampled', sampledCaller);
        expect(requestLine).toBeDefined();
        expect(requestLine!.traceId).toBeUndefined();
        expect(
          exporter
            .getFinishedSpans()
            .slice(before)
            .filter((s) => s.kind === SpanKind.SERVER),
        ).toEqual([]);
      } finally {
        sampleRoots = true;
      }
    });

    it("continues the caller's trace into the request and its job with TRACE_INBOUND_CONTEXT=continue", async () => {
      const trusted = await createTestApp(probeApp({ TRACE_INBOUND_CONTEXT: 'continue' }));
      try {
        const { requestLine, jobLine } = await probe('inbound-continued', sampledCaller, trusted);
        expect(requestLine?.traceId).toBe(callerTraceId);
        expect(jobLine?.traceId).toBe(callerTraceId);
        const server = exporter
          .getFinishedSpans()
          .find((s) => s.spanContext().traceId === callerTraceId && s.kind === SpanKind.SERVER);
        expect(server?.parentSpanContext?.spanId).toBe(callerSpanId);
        expect(server?.links).toEqual([]);
      } finally {
        await trusted.close();
      }
    });
  });

  it('records the trace on the outbox row, so a relayed job still joins it', async () => {
    const { requestLine } = await probe('relayed');
    const rows = await t.runtime.adapters.database.db
      .select()
      .from(outboxJobs)
      .where(sql`${outboxJobs.payload}->>'marker' = 'relayed'`);
    const row = rows[0];
    expect(row?.traceparent).toMatch(
      new RegExp(`^00-${requestLine!.traceId as string}-[0-9a-f]{16}-01$`),
    );
  });

  it('gives an unsampled request no span and no trace id; its job is sampled on its own', async () => {
    sampleRoots = false;
    try {
      const before = exporter.getFinishedSpans().length;
      const { requestLine, jobLine } = await probe('unsampled');
      expect(requestLine).toBeDefined();
      expect(requestLine!.traceId).toBeUndefined();
      // The job starts its own trace, which the (test) sampler does not sample either.
      expect(jobLine).toBeDefined();
      expect(jobLine!.traceId).not.toBe(requestLine!.traceId);
      expect(exporter.getFinishedSpans()).toHaveLength(before);
    } finally {
      sampleRoots = true;
    }
  });

  it('counts a request out of the in-flight gauge even when its span could not be started', async () => {
    samplerThrows = true;
    try {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/_test/probe/broken' });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toMatchObject({ error: { code: 'INTERNAL' } });
    } finally {
      samplerThrows = false;
    }
    const scrape = await t.app.inject({ url: '/metrics' });
    expect(scrape.statusCode).toBe(200);
    // The scrape itself is the one request in flight.
    expect(scrape.body).toMatch(/^hanger_http_requests_in_flight 1$/m);
  });

  it('makes no span for probes and scrapes, at the root or under /api/v1', async () => {
    const before = exporter.getFinishedSpans().length;
    for (const url of ['/healthz', '/readyz', '/metrics', '/api/v1/healthz', '/api/v1/readyz']) {
      expect((await t.app.inject({ url })).statusCode).toBe(200);
    }
    await t.settle();
    expect(exporter.getFinishedSpans().slice(before)).toEqual([]);
    // A route that is not a probe, sampled the same way, does get one.
    await probe('not-a-probe');
    expect(exporter.getFinishedSpans().length).toBeGreaterThan(before);
  });

  it('gives two requests two different traces', async () => {
    const a = await probe('a');
    const b = await probe('b');
    expect(a.requestLine?.traceId).not.toBe(b.requestLine?.traceId);
    expect(a.jobLine?.traceId).toBe(a.requestLine?.traceId);
    expect(b.jobLine?.traceId).toBe(b.requestLine?.traceId);
  });

  it("writes no trace id on a line logged under a suppressed span (the exporter's own calls)", () => {
    // What traceLogText writes, as the fields of a line (pino joins it after the level and time).
    const fields = () => JSON.parse(`{"level":30${traceLogText()}}`) as Record<string, unknown>;
    const tracer = trace.getTracer('hanger-test');
    const suppressed = tracer.startSpan('exporter call', {}, suppressTracing(ROOT_CONTEXT));
    expect(suppressed.spanContext().traceId).toBe(INVALID_TRACEID);
    expect(Object.keys(context.with(trace.setSpan(ROOT_CONTEXT, suppressed), fields))).toEqual([
      'level',
    ]);
    const real = tracer.startSpan('real');
    expect(context.with(trace.setSpan(ROOT_CONTEXT, real), fields)).toEqual({
      level: 30,
      traceId: real.spanContext().traceId,
      spanId: real.spanContext().spanId,
    });
    real.end();
  });

  it('writes ids that are not lowercase hex of their length as JSON strings, never as raw text', () => {
    const fields = () => JSON.parse(`{"level":30${traceLogText()}}`) as Record<string, unknown>;
    for (const [traceId, spanId] of [
      ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331'],
      ['0AF7651916CD43DD8448EB211C80319C', 'B7AD6B7169203331'],
      ['0af7651916cd43dd8448eb211c80319"', 'b7ad6b71692033\\'],
      ['0af7651916cd43dd8448eb211c8031', 'b7ad6b7169203331","x":"y'],
    ]) {
      const span = trace.wrapSpanContext({ traceId: traceId!, spanId: spanId!, traceFlags: 1 });
      const line = context.with(trace.setSpan(ROOT_CONTEXT, span), fields);
      expect(line).toMatchObject({ traceId, spanId });
      expect(Object.keys(line)).toEqual(['level', 'traceId', 'spanId']);
    }
  });
});
