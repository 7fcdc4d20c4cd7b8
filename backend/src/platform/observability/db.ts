import { ROOT_CONTEXT, context } from '@opentelemetry/api';
import type { Pool, PoolClient } from 'pg';
import type { DbMetrics } from './metrics';

const OPERATION =
  /^\s*(select|insert|update|delete|with|begin|commit|rollback|savepoint|release)\b/i;

/** The SQL verb of a query (a bounded label value), `other` for anything else. */
export function sqlOperation(text: string): string {
  return OPERATION.exec(text)?.[1]?.toLowerCase() ?? 'other';
}

type QueryFn = (...args: unknown[]) => unknown;

/**
 * Meters a pg pool: its size at scrape time, and the duration of every query by SQL verb. Queries
 * are timed on each client (pool.query and transactions both end up in `client.query`), in the
 * promise and the callback forms pg uses.
 */
export function meterPgPool(pool: Pool, max: number, metrics: DbMetrics): void {
  metrics.observePool(() => ({
    total: pool.totalCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
    max,
  }));
  pool.on('connect', (client: PoolClient) => {
    const original = client.query.bind(client) as QueryFn;
    const timed: QueryFn = (...args) => {
      const first = args[0] as string | { text?: string } | undefined;
      const text = typeof first === 'string' ? first : (first?.text ?? '');
      const start = process.hrtime.bigint();
      const done = () =>
        metrics.query(sqlOperation(text), Number(process.hrtime.bigint() - start) / 1e9);
      const last = args.length > 0 ? args[args.length - 1] : undefined;
      if (typeof last === 'function') {
        const callback = last as (...cbArgs: unknown[]) => unknown;
        args[args.length - 1] = (...cbArgs: unknown[]) => {
          done();
          return callback(...cbArgs);
        };
        return original(...args);
      }
      const result = original(...args);
      if (result && typeof (result as Promise<unknown>).then === 'function') {
        (result as Promise<unknown>).then(done, done);
      }
      return result;
    };
    (client as unknown as { query: QueryFn }).query = timed;
  });
}

/**
 * Keeps the caller's trace context through pg-pool's client checkout. `pool.query` takes a client
 * with `connect(callback)`, and pg-pool calls that callback from `process.nextTick` (an idle
 * client) or from the new connection's socket event, neither of which carries the context of the
 * promise-hook context manager (ADR 0007); the pg instrumentation then found no parent span there
 * and, with `requireParentSpan`, made no span at all. Binding the callback to the caller's context
 * (only when there is one) puts the query back under the request's span.
 */
export function bindPoolCheckouts(pool: Pick<Pool, 'connect'>): void {
  const connect = pool.connect.bind(pool) as (callback?: unknown) => unknown;
  pool.connect = ((callback?: unknown) => {
    if (typeof callback !== 'function') return connect();
    const active = context.active();
    return connect(active === ROOT_CONTEXT ? callback : context.bind(active, callback));
  }) as Pool['connect'];
}
