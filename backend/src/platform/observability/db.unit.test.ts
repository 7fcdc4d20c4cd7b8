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

const key = createContextKey('request');

/**
 * A pg client that needs no server: it connects and answers on later turns of the event loop, as a
 * real socket does, and records the context each query was made in (where `observePgPool` looks for
 * its parent span).
 */
function fakeClientClass(seen: unknown[], fail?: (text: string) => Error | undefined) {
  return class FakeClient extends EventEmitter {
    connectionParameters = { database: 'hanger', host: 'db.internal', port: 5433, user: 'app' };
    connect(callback: (err?: Error) => void) {
      setImmediate(() => callback());
    }
    query(
      config: string | { text: string; values?: unknown[] },
      values?: unknown,
      callback?: (err: unknown, result: unknown) => void,
    ): Promise<unknown> | undefined {
      seen.push(context.active().getValue(key));
      const text = typeof config === 'string' ? config : config.text;
      const done = typeof values === 'function' ? (values as typeof callback) : callback;
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
        text.startsWith('insert') ? uniqueViolation() : undefined,
      ) as unknown as typeof pg.Client,
      max: 1,
    });
    observePgPool(pool, {
      max: 1,
      metrics: options.metrics,
      tracer: options.traced === false ? undefined : tracer,
    });
    bindPoolCheckouts(pool);
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
    await pool.end();
    expect(timed).toEqual(['select']);
    expect(exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT)).toEqual([]);
  });
});
