import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryQueue } from './memory';
import { JobRegistry } from './registry';

declare module './types' {
  interface JobMap {
    'unit.count': { n: number };
    'unit.slow': { ms: number };
  }
}

const log = pino({ level: 'silent' });
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('in-process queue', () => {
  it('runs each job once and de-duplicates a job id that is still pending', async () => {
    const seen: number[] = [];
    const registry = new JobRegistry().define({
      name: 'unit.count',
      handle: ({ n }) => {
        seen.push(n);
        return Promise.resolve();
      },
    });
    const q = new MemoryQueue(registry, log, 1);
    await q.enqueue('unit.count', { payload: { n: 1 } }, { jobId: 'a' });
    await q.enqueue('unit.count', { payload: { n: 2 } }, { jobId: 'a' });
    await q.enqueue('unit.count', { payload: { n: 3 } });
    await q.startWorkers({});
    await wait(20);
    expect(seen).toEqual([1, 3]);
    expect((await q.counts()).unit).toMatchObject({ completed: 2, failed: 0, waiting: 0 });
    await q.close();
  });

  it('retries with back-off and reports the final failure once', async () => {
    let tries = 0;
    const failures: string[] = [];
    const registry = new JobRegistry().define({
      name: 'unit.count',
      attempts: 3,
      backoffMs: 5,
      handle: () => {
        tries++;
        return Promise.reject(new Error(`try ${tries}`));
      },
    });
    const q = new MemoryQueue(registry, log, 1);
    await q.startWorkers({
      onFailed: (_e, _n, err) => {
        failures.push(err.message);
        return Promise.resolve();
      },
    });
    await q.enqueue('unit.count', { payload: { n: 1 } });
    await wait(80);
    expect(tries).toBe(3);
    expect(failures).toEqual(['try 3']);
    await q.close();
  });

  it('never runs more jobs of a queue at once than its concurrency', async () => {
    let running = 0;
    let peak = 0;
    const registry = new JobRegistry().define({
      name: 'unit.slow',
      handle: async ({ ms }) => {
        running++;
        peak = Math.max(peak, running);
        await wait(ms);
        running--;
      },
    });
    const q = new MemoryQueue(registry, log, 2);
    await q.startWorkers({});
    for (let i = 0; i < 6; i++) await q.enqueue('unit.slow', { payload: { ms: 10 } });
    await wait(80);
    expect(peak).toBe(2);
    await q.close();
  });

  it('refuses unknown job names and a second handler for a name', async () => {
    const registry = new JobRegistry().define({
      name: 'unit.count',
      handle: () => Promise.resolve(),
    });
    const q = new MemoryQueue(registry, log, 1);
    await expect(q.enqueue('unit.slow', { payload: { ms: 1 } })).rejects.toThrow(/No handler/);
    expect(() => registry.define({ name: 'unit.count', handle: () => Promise.resolve() })).toThrow(
      /more than one handler/,
    );
    registry.schedule({ id: 's', name: 'unit.slow', everyMs: 1000, payload: { ms: 1 } });
    expect(() => registry.verify()).toThrow(/No handler/);
    await q.close();
  });
});
