import { QueryPromise } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '../../config';
import type * as ContinuationContext from './continuation-context';
import type { DiagSink } from './tracing';
import { contextCarrier, startTracing, stopTracing } from './tracing';

// Whether the addon "is built": the real loader, or none (a machine without a compiler).
const addon = vi.hoisted(() => ({ missing: false }));
vi.mock('./continuation-context', async (importOriginal) => {
  const real = await importOriginal<typeof ContinuationContext>();
  return {
    ...real,
    loadContinuationData: () => (addon.missing ? undefined : real.loadContinuationData()),
  };
});

const thenDescriptor = () => Object.getOwnPropertyDescriptor(QueryPromise.prototype, 'then')!;

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
    await startTracing({ serviceName: 'hanger-test', spanProcessors: [], instrument: false });
    expect(contextCarrier()).toBe('continuation-data');
    expect(typeof thenDescriptor().get).toBe('function');
    await stopTracing();
    expect(contextCarrier()).toBeUndefined();
    expect(thenDescriptor()).toEqual(original);
  });

  it('is promise hooks when asked for, and drizzle is left alone', async () => {
    const original = thenDescriptor();
    await startTracing({
      serviceName: 'hanger-test',
      spanProcessors: [],
      instrument: false,
      context: 'promise-hooks',
    });
    expect(contextCarrier()).toBe('promise-hooks');
    expect(thenDescriptor()).toEqual(original);
  });

  it('falls back to promise hooks without the addon, and says so', async () => {
    addon.missing = true;
    const { log, warnings } = recordingLog();
    await startTracing({ serviceName: 'hanger-test', spanProcessors: [], instrument: false, log });
    expect(contextCarrier()).toBe('promise-hooks');
    expect(warnings).toEqual([
      {
        fields: {
          problem: expect.stringContaining('@hanger/continuation-data addon is not built'),
        },
        message: 'tracing: trace context on promise hooks, which slow every promise of the process',
      },
    ]);
  });

  it('refuses to start when continuation data is required and the addon is missing', async () => {
    addon.missing = true;
    await expect(
      startTracing({
        serviceName: 'hanger-test',
        spanProcessors: [],
        instrument: false,
        context: 'continuation-data',
      }),
    ).rejects.toThrow(
      'TRACE_CONTEXT=continuation-data: the @hanger/continuation-data addon is not built',
    );
    expect(contextCarrier()).toBeUndefined();
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
