import { EventEmitter } from 'node:events';
import { ROOT_CONTEXT, context, createContextKey } from '@opentelemetry/api';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bindPoolCheckouts } from './db';
import { PromiseContextManager } from './promise-context';

const key = createContextKey('request');

/**
 * A pg client that needs no server: it connects and answers on later turns of the event loop, as a
 * real socket does, and records the context each query was made in (where the pg instrumentation
 * looks for its parent span).
 */
function fakeClientClass(seen: unknown[]) {
  return class FakeClient extends EventEmitter {
    connect(callback: (err?: Error) => void) {
      setImmediate(() => callback());
    }
    query(_text: string, values: unknown, callback?: (err: unknown, result: unknown) => void) {
      seen.push(context.active().getValue(key));
      const done = typeof values === 'function' ? (values as typeof callback) : callback;
      setImmediate(() => done?.(undefined, { rows: [], rowCount: 0 }));
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
