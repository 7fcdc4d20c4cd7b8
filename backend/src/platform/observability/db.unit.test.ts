import { EventEmitter } from 'node:events';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  createContextKey,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bindPoolCheckouts, observePgPool } from './db';
import type { DbMetrics } from './metrics';
import { PromiseContextManager } from './promise-context';
import { RequestSpan } from './request-span';
import { getTracer, startServerSpan, startTracing, stopTracing } from './tracing';

const key = createContextKey('request');

/**
 * A pg client that needs no server: it connects and answers on later turns of the event loop, as a
 * real socket does, and records the context each query was made in (where `observePgPool` looks for
 * its parent span).
 */
interface FakeQueryConfig {
  text: string;
  values?: unknown[];
  callback?: (err: unknown, result: unknown) => void;
  submit?: () => void;
}

function fakeClientClass(seen: unknown[], fail?: (text: string) => Error | undefined) {
  return class FakeClient extends EventEmitter {
    connectionParameters = { database: 'hanger', host: 'db.internal', port: 5433, user: 'app' };
    connect(callback: (err?: Error) => void) {
      setImmediate(() => callback());
    }
    query(
      config: string | FakeQueryConfig | null | undefined,
      values?: unknown,
      callback?: (err: unknown, result: unknown) => void,
    ): unknown {
      // As pg: a missing query is refused by throwing, in either form.
      if (config === null || config === undefined) {
        throw new TypeError('Client was passed a null or undefined query');
      }
      seen.push(context.active().getValue(key));
      if (typeof config === 'object' && typeof config.submit === 'function') {
        // A Submittable: pg submits it and reports through the object itself.
        const submittable = config;
        setImmediate(() => submittable.submit?.());
        return config;
      }
      const text = typeof config === 'string' ? config : config.text;
      const done =
        typeof values === 'function'
          ? (values as typeof callback)
          : (callback ?? (typeof config === 'object' ? config.callback : undefined));
      const error = fail?.(text);
      const result = { rows: [], rowCount: 0 };
      if (done) {
        setImmediate(() => (error ? done(error, undefined) : done(undefined, result)));
        return undefined;
      }
      // pg's promise form: no callback given.
      return new Promise((resolve, reject) =>
        setImmediate(() => (error ? reject(error) : resolve(result))),
      );
    }
    end(callback?: () => void) {
      setImmediate(() => callback?.());
    }
  };
}

describe('bindPoolCheckouts', () => {
  const manager = new PromiseContextManager();
  beforeEach(() => {
    context.setGlobalContextManager(manager.enable());
  });
  afterEach(() => {
    context.disable();
  });

  async function queriesIn(bind: boolean): Promise<unknown[]> {
    const seen: unknown[] = [];
    const pool = new pg.Pool({
      Client: fakeClientClass(seen) as unknown as typeof pg.Client,
      max: 1,
    });
    if (bind) bindPoolCheckouts(pool);
    // The first query connects a new client; the second takes it idle (pg-pool's nextTick path).
    await context.with(ROOT_CONTEXT.setValue(key, 'first'), () => pool.query('select 1'));
    await context.with(ROOT_CONTEXT.setValue(key, 'second'), () => pool.query('select 1'));
    await pool.end();
    return seen;
  }

  it("runs each pooled query in its caller's context", async () => {
    expect(await queriesIn(true)).toEqual(['first', 'second']);
  });

  it('is needed: without it pg-pool runs the query outside the context', async () => {
    expect(await queriesIn(false)).toEqual([undefined, undefined]);
  });
});

/** A Postgres error as pg reports it: the message may quote values; the SQLSTATE does not. */
function uniqueViolation(): Error {
  return Object.assign(
    new Error('duplicate key value violates unique constraint "users_email_key"'),
    {
      severity: 'ERROR',
      code: '23505',
      detail: 'Key (email)=(ada@example.com) already exists.',
    },
  );
}

describe('observePgPool', () => {
  const manager = new PromiseContextManager();
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const real = provider.getTracer('test');
  /** Spans started through the tracer the pool was given (recording or not). */
  let started = 0;
  const tracer: Tracer = {
    startSpan: (...args: Parameters<Tracer['startSpan']>) => {
      started++;
      return real.startSpan(...args);
    },
    startActiveSpan: real.startActiveSpan.bind<Tracer['startActiveSpan']>(real),
  };
  const unsampled = new BasicTracerProvider({ sampler: new AlwaysOffSampler() }).getTracer('off');
  beforeEach(() => {
    context.setGlobalContextManager(manager.enable());
    exporter.reset();
    started = 0;
  });
  afterEach(() => {
    context.disable();
  });

  function observedPool(options: { metrics?: DbMetrics; traced?: boolean } = {}) {
    const pool = new pg.Pool({
      Client: fakeClientClass([], (text) =>
        text.startsWith('insert')
          ? uniqueViolation()
          : text.startsWith('notify')
            ? Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })
            : undefined,
      ) as unknown as typeof pg.Client,
      max: 1,
    });
    observePgPool(pool, {
      max: 1,
      metrics: options.metrics,
      tracer: options.traced === false ? undefined : tracer,
    });
    return pool;
  }

  /** Runs `fn` inside a span of `using`; returns that span's id. */
  async function inSpan(fn: () => Promise<unknown>, using: Tracer = real): Promise<string> {
    const parent = using.startSpan('GET /api/v1/items/:id', { kind: SpanKind.SERVER });
    await context.with(trace.setSpan(ROOT_CONTEXT, parent), fn).catch(() => {});
    parent.end();
    return parent.spanContext().spanId;
  }

  it("makes a CLIENT span for each query of a recording span, in both of pg's forms", async () => {
    const pool = observedPool();
    const parentId = await inSpan(async () => {
      await pool.query('select * from items where id = $1', ['item-secret-id']);
      const client = await pool.connect();
      try {
        await client.query({ text: '  UPDATE items SET title = $1', values: ['new title'] });
      } finally {
        client.release();
      }
    });
    await pool.end();
    const spans = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(spans.map((s) => s.name)).toEqual(['SELECT hanger', 'UPDATE hanger']);
    for (const span of spans) expect(span.parentSpanContext?.spanId).toBe(parentId);
    expect(spans[0]!.attributes).toEqual({
      'db.system.name': 'postgresql',
      'db.namespace': 'hanger',
      'server.address': 'db.internal',
      'server.port': 5433,
      'db.operation.name': 'SELECT',
      'db.query.text': 'select * from items where id = $1',
    });
    expect(spans[1]!.attributes['db.query.text']).toBe('  UPDATE items SET title = $1');
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toMatch(/item-secret-id|new title/);
    expect(spans.every((s) => s.status.code === SpanStatusCode.UNSET)).toBe(true);
  });

  it('marks a failed query by its SQLSTATE, without the message that quotes the values', async () => {
    const pool = observedPool();
    await inSpan(() => pool.query('insert into users (email) values ($1)', ['ada@example.com']));
    const client = await pool.connect();
    await inSpan(() => client.query('insert into users (email) values ($1)', ['x']));
    client.release();
    await pool.end();
    const spans = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(span.name).toBe('INSERT hanger');
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR });
      expect(span.attributes['error.type']).toBe('23505');
      expect(span.attributes['db.response.status_code']).toBe('23505');
      expect(span.events).toEqual([]);
      expect(JSON.stringify([span.name, span.attributes, span.status])).not.toContain(
        'ada@example',
      );
    }
  });

  it('makes no span outside a recording span, and still times every query', async () => {
    const timed: string[] = [];
    const metrics: DbMetrics = {
      query: (operation, seconds) => {
        expect(seconds).toBeGreaterThanOrEqual(0);
        timed.push(operation);
      },
      observePool: () => {},
    };
    const pool = observedPool({ metrics });
    await pool.query('select 1');
    await inSpan(() => pool.query('select 2'), unsampled);
    await inSpan(() => pool.query('delete from items'));
    await pool.query('insert into users (email) values ($1)', ['x']).catch(() => {});
    await pool.end();
    const spans = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(spans.map((s) => s.name)).toEqual(['DELETE hanger']);
    // Not even a non-recording span for the unsampled query: only the DELETE's was started.
    expect(started).toBe(1);
    expect(timed).toEqual(['select', 'select', 'delete', 'insert']);
  });

  it('times queries without a tracer, and makes no span', async () => {
    const timed: string[] = [];
    const pool = observedPool({
      traced: false,
      metrics: { query: (operation) => timed.push(operation), observePool: () => {} },
    });
    await inSpan(() => pool.query('select 1'));
    // The label is the verb in lower case, however the query spells it.
    await inSpan(() => pool.query('  SELECT 2'));
    await pool.end();
    expect(timed).toEqual(['select', 'select']);
    expect(exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT)).toEqual([]);
  });

  it('times and traces each query exactly once, in every form pg takes', async () => {
    const timed: [string, number][] = [];
    const pool = observedPool({
      metrics: {
        query: (operation, seconds) => timed.push([operation, seconds]),
        observePool() {},
      },
    });
    const client = await pool.connect();
    const answered: unknown[] = [];
    await inSpan(async () => {
      await client.query('select 1'); // promise form
      await new Promise((resolve) => client.query('select 2', [], resolve)); // callback form
      await new Promise<void>((resolve) => {
        // A config object carrying its own callback.
        void client.query({
          text: 'update items set title = $1',
          values: ['t'],
          callback: (err: unknown) => {
            answered.push(err ?? 'ok');
            resolve();
          },
        } as unknown as string);
      });
      await new Promise<void>((resolve) => {
        void client.query({
          text: 'insert into users (email) values ($1)',
          callback: (err: unknown) => {
            answered.push((err as { code?: string }).code);
            resolve();
          },
        } as unknown as string);
      });
    });
    client.release();
    await pool.end();
    expect(answered).toEqual(['ok', '23505']);
    expect(timed.map(([operation]) => operation)).toEqual(['select', 'select', 'update', 'insert']);
    // Each answer comes on a later turn of the event loop: a real duration, not zero.
    for (const [, seconds] of timed) expect(seconds).toBeGreaterThan(0);
    const spans = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(spans.map((s) => [s.name, s.status.code])).toEqual([
      ['SELECT hanger', SpanStatusCode.UNSET],
      ['SELECT hanger', SpanStatusCode.UNSET],
      ['UPDATE hanger', SpanStatusCode.UNSET],
      ['INSERT hanger', SpanStatusCode.ERROR],
    ]);
  });

  it('ends the span of a query pg refuses by throwing, in either form', async () => {
    const timed: string[] = [];
    const pool = observedPool({
      metrics: { query: (operation) => timed.push(operation), observePool() {} },
    });
    const client = await pool.connect();
    await inSpan(() => {
      expect(() => client.query(null as unknown as string)).toThrow(TypeError);
      expect(() => client.query(null as unknown as string, () => {})).toThrow(TypeError);
      return Promise.resolve();
    });
    client.release();
    await pool.end();
    expect(timed).toEqual(['other', 'other']);
    const spans = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(spans.map((s) => [s.name, s.attributes['error.type']])).toEqual([
      ['hanger', 'TypeError'],
      ['hanger', 'TypeError'],
    ]);
  });

  it('leaves Submittables (cursors, streams) alone', async () => {
    const timed: string[] = [];
    const pool = observedPool({
      metrics: { query: (operation) => timed.push(operation), observePool() {} },
    });
    const client = await pool.connect();
    let submitted = false;
    const cursor = { text: 'select * from items', submit: () => (submitted = true) };
    await inSpan(async () => {
      expect(client.query(cursor as unknown as string)).toBe(cursor);
      await new Promise((resolve) => setImmediate(resolve));
    });
    client.release();
    await pool.end();
    expect(submitted).toBe(true);
    expect(timed).toEqual([]);
    // Not started either: a span left open would never be seen by the exporter.
    expect(started).toBe(0);
    expect(exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT)).toEqual([]);
  });

  it('gives a broken connection its code as the error type, not as a SQLSTATE', async () => {
    const pool = observedPool();
    await inSpan(() => pool.query('notify items'));
    await pool.end();
    const [span] = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toBe('EPIPE');
    expect(span?.attributes).not.toHaveProperty('db.response.status_code');
  });
});

describe('observePgPool with the tracer startTracing made', () => {
  const saved = { ...process.env };
  afterEach(async () => {
    await stopTracing();
    process.env = { ...saved };
  });

  it("makes a sampled request's query spans RequestSpans, a failed one marked as before", async () => {
    process.env.OTEL_TRACES_SAMPLER = 'parentbased_always_on'; // the environment's, parent-based
    delete process.env.OTEL_TRACES_SAMPLER_ARG;
    const exporter = new InMemorySpanExporter();
    await startTracing({
      serviceName: 'db-test',
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const pool = new pg.Pool({
      Client: fakeClientClass([], (text) =>
        text.startsWith('insert') ? uniqueViolation() : undefined,
      ) as unknown as typeof pg.Client,
      max: 1,
    });
    observePgPool(pool, { max: 1, tracer: getTracer() });
    const request = startServerSpan({}, 'POST', '/api/v1/users')!;
    await context.with(request.context, async () => {
      await pool.query('select 1');
      await pool
        .query('insert into users (email) values ($1)', ['ada@example.com'])
        .catch(() => {});
    });
    request.span.end();
    await pool.end();

    const queries = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(queries.map((q) => [q.name, q instanceof RequestSpan])).toEqual([
      ['SELECT hanger', true],
      ['INSERT hanger', true],
    ]);
    for (const query of queries) {
      expect(query.parentSpanContext?.spanId).toBe(request.span.spanContext().spanId);
      expect(query.spanContext().traceId).toBe(request.span.spanContext().traceId);
    }
    expect(queries[0]!.attributes).toEqual({
      'db.system.name': 'postgresql',
      'db.namespace': 'hanger',
      'server.address': 'db.internal',
      'server.port': 5433,
      'db.operation.name': 'SELECT',
      'db.query.text': 'select 1',
    });
    expect(queries[0]!.status.code).toBe(SpanStatusCode.UNSET);
    expect(queries[1]!.status).toEqual({ code: SpanStatusCode.ERROR });
    expect(queries[1]!.attributes['error.type']).toBe('23505');
    expect(queries[1]!.attributes['db.response.status_code']).toBe('23505');
    expect(JSON.stringify(queries[1]!.attributes)).not.toContain('ada@example');
  });
});
