import { EventEmitter } from 'node:events';
import { ROOT_CONTEXT, context, createContextKey } from '@opentelemetry/api';
import { QueryPromise } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
// Loaded before tracing starts, as in most tests: drizzle copies QueryPromise's `then` onto
// PgSelectBase's prototype as pg-core loads, so a patch of QueryPromise alone would miss selects.
import { PgSelectBase, integer, pgTable, text } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '../../config';
import type * as ContinuationContext from './continuation-context';
import type { DiagSink } from './tracing';
import { activeContext, contextCarrier, startTracing, stopTracing } from './tracing';

// Whether the addon "is built": the real loader, or none (a machine without a compiler).
const addon = vi.hoisted(() => ({ missing: false }));
vi.mock('./continuation-context', async (importOriginal) => {
  const real = await importOriginal<typeof ContinuationContext>();
  return {
    ...real,
    loadContinuationData: () =>
      addon.missing
        ? { problem: 'the @hanger/continuation-data addon does not load (simulated)' }
        : real.loadContinuationData(),
  };
});

const thenDescriptor = () => Object.getOwnPropertyDescriptor(QueryPromise.prototype, 'then')!;
const selectThenDescriptor = () => Object.getOwnPropertyDescriptor(PgSelectBase.prototype, 'then')!;

const key = createContextKey('request');
const items = pgTable('items', { id: integer('id'), title: text('title') });

/** A pg client with no server: it answers on a later turn and records each query's context. */
function recordingClient(seen: unknown[]) {
  return Object.assign(new EventEmitter(), {
    query() {
      seen.push(activeContext().getValue(key));
      return new Promise((resolve) =>
        setImmediate(() => resolve({ rows: [], fields: [], rowCount: 0, command: 'SELECT' })),
      );
    },
  });
}

function recordingLog() {
  const warnings: { fields: object; message: string }[] = [];
  const log = {
    warn: (fields: object, message: string) => warnings.push({ fields, message }),
    error: () => {},
  } as unknown as DiagSink;
  return { log, warnings };
}

describe('what carries the trace context (TRACE_CONTEXT)', () => {
  afterEach(async () => {
    addon.missing = false;
    await stopTracing();
  });

  it('is continuation data by default, with drizzle query builders carrying it, undone at stop', async () => {
    const original = thenDescriptor();
    expect(typeof original.value).toBe('function');
    await startTracing({ serviceName: 'hanger-test', spanProcessors: [] });
    expect(contextCarrier()).toBe('continuation-data');
    expect(typeof thenDescriptor().get).toBe('function');
    await stopTracing();
    expect(contextCarrier()).toBeUndefined();
    expect(thenDescriptor()).toEqual(original);
  });

  it("runs a drizzle query awaited in a traced request in that request's context", async () => {
    await startTracing({ serviceName: 'hanger-test', spanProcessors: [] });
    const seen: unknown[] = [];
    const db = drizzle({ client: recordingClient(seen) as unknown as pg.Client });
    await context.with(ROOT_CONTEXT.setValue(key, 'req'), async () => {
      await db.select().from(items); // PgSelectBase: a then copied from QueryPromise
      await db.insert(items).values({ id: 1, title: 'coat' }); // QueryPromise's own then
      await Promise.all([db.select().from(items), db.update(items).set({ title: 'hat' })]);
    });
    await db.select().from(items); // outside: no context
    expect(seen).toEqual(['req', 'req', 'req', 'req', undefined]);
  });

  it('starts once when asked twice at once, and restores every patched prototype at stop', async () => {
    const original = thenDescriptor();
    const originalSelect = selectThenDescriptor();
    const options = { serviceName: 'hanger-test', spanProcessors: [] };
    await Promise.all([startTracing(options), startTracing(options)]);
    expect(typeof selectThenDescriptor().get).toBe('function');
    await stopTracing();
    expect(thenDescriptor()).toEqual(original);
    expect(selectThenDescriptor()).toEqual(originalSelect);
    // And again, as a test file that starts and stops tracing per test does.
    await startTracing(options);
    await stopTracing();
    expect(thenDescriptor()).toEqual(original);
    expect(selectThenDescriptor()).toEqual(originalSelect);
  });

  it('is promise hooks when asked for, and drizzle is left alone', async () => {
    const original = thenDescriptor();
    await startTracing({
      serviceName: 'hanger-test',
      spanProcessors: [],
      context: 'promise-hooks',
    });
    expect(contextCarrier()).toBe('promise-hooks');
    expect(thenDescriptor()).toEqual(original);
  });

  it('falls back to promise hooks without the addon, and says so', async () => {
    addon.missing = true;
    const { log, warnings } = recordingLog();
    await startTracing({ serviceName: 'hanger-test', spanProcessors: [], log });
    expect(contextCarrier()).toBe('promise-hooks');
    expect(warnings).toEqual([
      {
        fields: {
          problem: 'the @hanger/continuation-data addon does not load (simulated)',
        },
        message: 'tracing: trace context on promise hooks, which slow every promise of the process',
      },
    ]);
  });

  it('refuses to start when continuation data is required and the addon is missing', async () => {
    addon.missing = true;
    const original = thenDescriptor();
    await expect(
      startTracing({
        serviceName: 'hanger-test',
        spanProcessors: [],
        context: 'continuation-data',
      }),
    ).rejects.toThrow(
      'TRACE_CONTEXT=continuation-data: the @hanger/continuation-data addon does not load (simulated)',
    );
    expect(contextCarrier()).toBeUndefined();
    expect(thenDescriptor()).toEqual(original);
  });

  it('is read from TRACE_CONTEXT: auto by default, a bad value named', () => {
    expect(loadConfig({}).observability.tracing.context).toBe('auto');
    expect(loadConfig({ TRACE_CONTEXT: 'promise-hooks' }).observability.tracing.context).toBe(
      'promise-hooks',
    );
    expect(() => loadConfig({ TRACE_CONTEXT: 'async-local-storage' })).toThrow(ConfigError);
    expect(() => loadConfig({ TRACE_CONTEXT: 'async-local-storage' })).toThrow(/TRACE_CONTEXT/);
  });
});
