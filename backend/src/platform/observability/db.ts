import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { Pool, PoolClient } from 'pg';
import type { DbMetrics } from './metrics';
import { recordingContext, startChildSpan } from './tracing';

const OPERATION =
  /^\s*(select|insert|update|delete|with|begin|commit|rollback|savepoint|release)\b/i;

/** The SQL verb a query starts with, as written, if it is one of OPERATION's. */
const verbOf = (sql: string): string | undefined => OPERATION.exec(sql)?.[1];

type QueryFn = (...args: unknown[]) => unknown;

/** What `observePgPool` records: either may be absent (metrics off, tracing off). */
export interface PgObservers {
  max: number;
  metrics?: DbMetrics;
  tracer?: Tracer;
}

/** What pg's `client.query` may be given first, as far as the wrapper looks. */
interface QueryConfig {
  text?: unknown;
  callback?: (...args: unknown[]) => unknown;
  submit?: unknown;
}

/** The connection facts every query span of a client carries (pg's own connectionParameters). */
interface ConnectionParameters {
  database?: string;
  host?: string;
  port?: number;
}

/**
 * Meters and traces a pg pool: its size at scrape time, the duration of every query by SQL verb,
 * and a CLIENT span for each query made inside a sampled span. Queries are observed on each client
 * (pool.query and transactions both end up in `client.query`), in the promise and the callback forms
 * pg uses, by one wrapper for both.
 *
 * The spans are ours rather than @opentelemetry/instrumentation-pg's (ADR 0009):
 * that instrumentation's per-query work (a copy of the query config, a promise around pg's, a
 * bound callback, an operation-duration metric nobody reads) cost a traced database route a
 * seventh of its throughput at a 10 % sampler (docs/benchmarks.md, session 9). A query outside a
 * recording span makes no span, not even a non-recording one: it propagates no context. The
 * recording span is read from the context manager that `startTracing` registers (tracing.ts).
 */
export function observePgPool(pool: Pool, { max, metrics, tracer }: PgObservers): void {
  if (metrics) {
    metrics.observePool(() => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      max,
    }));
  }
  if (!metrics && !tracer) return;
  // The query finds its request's span only if pg-pool's checkout keeps the caller's context.
  if (tracer) bindPoolCheckouts(pool);
  pool.on('connect', (client: PoolClient) => {
    const original = client.query.bind(client) as QueryFn;
    const connection = (client as unknown as { connectionParameters?: ConnectionParameters })
      .connectionParameters;
    const observed: QueryFn = (...args) => {
      const first = args[0] as QueryConfig | string | null | undefined;
      // A Submittable (pg.Query, pg-cursor, pg-query-stream) reports its end through its own
      // events and callbacks, which pg calls directly: neither timed nor traced.
      if (typeof first === 'object' && typeof first?.submit === 'function')
        return original(...args);
      const text = typeof first === 'string' ? first : first?.text;
      const sql = typeof text === 'string' ? text : '';
      const parent = tracer ? recordingContext() : undefined;
      // Matched once, for both the metric's label and a sampled query's span.
      const verb = metrics || parent ? verbOf(sql) : undefined;
      const span =
        tracer && parent ? startQuerySpan(tracer, parent, sql, verb, connection) : undefined;
      const start = metrics ? process.hrtime.bigint() : 0n;
      let ended = false;
      const done = (err?: unknown) => {
        if (ended) return;
        ended = true;
        if (metrics) {
          const operation = verb?.toLowerCase() ?? 'other'; // a bounded label value
          metrics.query(operation, Number(process.hrtime.bigint() - start) / 1e9);
        }
        if (span) endQuerySpan(span, err);
      };
      const observe = (callback: (...cbArgs: unknown[]) => unknown) =>
        function (this: unknown, ...cbArgs: unknown[]) {
          done(cbArgs[0]);
          return callback.apply(this, cbArgs);
        };
      const last = args.length > 0 ? args[args.length - 1] : undefined;
      const callbackForm = typeof last === 'function';
      if (callbackForm) {
        args[args.length - 1] = observe(last as (...cbArgs: unknown[]) => unknown);
      } else if (typeof first === 'object' && typeof first?.callback === 'function') {
        // A config object carrying its own callback: a copy carries the observed one.
        args[0] = { ...first, callback: observe(first.callback) };
      }
      let result: unknown;
      try {
        result = original(...args);
      } catch (err) {
        // pg refuses a null query by throwing, in either form; the pool hands the error to the
        // caller's own callback, never to the observed one.
        done(err);
        throw err;
      }
      if (!callbackForm && result && typeof (result as Promise<unknown>).then === 'function') {
        (result as Promise<unknown>).then(() => done(), done);
      }
      return result;
    };
    (client as unknown as { query: QueryFn }).query = observed;
  });
}

/**
 * A CLIENT span for a query under `parent`, named `{verb} {database}` as OpenTelemetry's database
 * semantic conventions ask, the verb in upper case as they name the operation. The query's text is
 * its parameterized SQL: values are never recorded. Under a sampled span of this process (a
 * request's or a job's), a RequestSpan (`startChildSpan`).
 */
function startQuerySpan(
  tracer: Tracer,
  parent: Context,
  sql: string,
  verb: string | undefined,
  connection: ConnectionParameters | undefined,
): Span {
  const operation = verb?.toUpperCase();
  const database = connection?.database;
  const attributes: Attributes = { 'db.system.name': 'postgresql' };
  if (database) attributes['db.namespace'] = database;
  if (connection?.host) attributes['server.address'] = connection.host;
  if (connection?.port) attributes['server.port'] = connection.port;
  if (operation) attributes['db.operation.name'] = operation;
  if (sql) attributes['db.query.text'] = sql;
  const name =
    operation && database ? `${operation} ${database}` : operation || database || 'postgresql';
  return startChildSpan(tracer, parent, name, SpanKind.CLIENT, attributes);
}

/**
 * Ends a query's span. A failed query is an error described by a code, not by its message, which
 * can quote the values that failed: an error from Postgres itself (it has a `severity`) by its
 * SQLSTATE, in `error.type` and `db.response.status_code`; any other (a broken connection's
 * `EPIPE`, a refused query's TypeError) by its code or name, in `error.type` only.
 */
function endQuerySpan(span: Span, err: unknown): void {
  if (err) {
    const { code, severity } = (typeof err === 'object' ? err : {}) as {
      code?: unknown;
      severity?: unknown;
    };
    const named = typeof code === 'string' && code ? code : undefined;
    if (named && typeof severity === 'string' && /^[0-9A-Z]{5}$/.test(named)) {
      span.setAttribute('db.response.status_code', named);
    }
    span.setAttribute('error.type', named ?? (err instanceof Error ? err.name : 'Error'));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

/**
 * Keeps the caller's trace context through pg-pool's client checkout. `pool.query` takes a client
 * with `connect(callback)`, and pg-pool calls that callback from `process.nextTick` (an idle
 * client) or from the new connection's socket event, neither of which carries the context of the
 * promise-hook context manager (ADR 0007); the query then found no parent span there and made no
 * span at all. Binding the callback to the caller's context (only when there is one) puts the query
 * back under the request's span.
 */
export function bindPoolCheckouts(pool: Pick<Pool, 'connect'>): void {
  const connect = pool.connect.bind(pool) as (callback?: unknown) => unknown;
  pool.connect = ((callback?: unknown) => {
    if (typeof callback !== 'function') return connect();
    const active = context.active();
    return connect(active === ROOT_CONTEXT ? callback : context.bind(active, callback));
  }) as Pool['connect'];
}
