import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app';
import { newId } from '../ids';
import { outboxJobs } from './outbox.table';

declare module '../queue/types' {
  interface JobMap {
    'probe.record': { key: string; failTimes?: number };
    'probe.alwaysFail': { key: string };
  }
}

/** Work the probe jobs did, per key: the handler is idempotent by writing into a set. */
const runs = new Map<string, number>();

describe('transactional outbox and job recovery', () => {
  let t: TestApp;
  const db = () => t.runtime.adapters.database.db;

  beforeAll(async () => {
    t = await createTestApp({
      setup: (runtime) => {
        runtime.adapters.registry
          .define({
            name: 'probe.record',
            attempts: 3,
            backoffMs: 10,
            handle: ({ key, failTimes = 0 }) => {
              const n = (runs.get(key) ?? 0) + 1;
              runs.set(key, n);
              if (n <= failTimes) return Promise.reject(new Error(`planned failure ${n}`));
              return Promise.resolve();
            },
          })
          .define({
            name: 'probe.alwaysFail',
            attempts: 2,
            backoffMs: 10,
            handle: () => Promise.reject(new Error('this job can never succeed')),
          });
      },
    });
  });
  afterAll(() => t.close());
  beforeEach(() => runs.clear());

  it('runs a job emitted inside a committed transaction and records its completion', async () => {
    await t.runtime.adapters.outbox.transaction(async (_tx, emit) => {
      await emit('probe.record', { key: 'committed' });
    });
    await t.settle();
    expect(runs.get('committed')).toBe(1);
    const [row] = await db()
      .select()
      .from(outboxJobs)
      .where(sql`${outboxJobs.payload}->>'key' = 'committed'`);
    expect(row!.completedAt).toBeInstanceOf(Date);
    expect(row!.enqueuedAt).toBeInstanceOf(Date);
  });

  it('leaves no job behind when the transaction rolls back', async () => {
    await expect(
      t.runtime.adapters.outbox.transaction(async (_tx, emit) => {
        await emit('probe.record', { key: 'rolled-back' });
        throw new Error('the write failed');
      }),
    ).rejects.toThrow('the write failed');
    await t.settle();
    const left = await db()
      .select()
      .from(outboxJobs)
      .where(sql`${outboxJobs.payload}->>'key' = 'rolled-back'`);
    expect(left).toHaveLength(0);
    expect(runs.has('rolled-back')).toBe(false);
  });

  it('refuses to emit a job that has no handler, rolling the write back', async () => {
    await expect(
      t.runtime.adapters.outbox.transaction(async (_tx, emit) => {
        await emit('probe.unknown' as 'probe.record', { key: 'x' });
      }),
    ).rejects.toThrow(/No handler/);
  });

  it('retries a failing job with back-off until it succeeds', async () => {
    await t.runtime.adapters.outbox.transaction(async (_tx, emit) => {
      await emit('probe.record', { key: 'flaky', failTimes: 2 });
    });
    await t.settle();
    expect(runs.get('flaky')).toBe(3);
  });

  it('marks a job failed for good after its last attempt, with the reason', async () => {
    await t.runtime.adapters.outbox.transaction(async (_tx, emit) => {
      await emit('probe.alwaysFail', { key: 'doomed' });
    });
    await t.settle();
    const [row] = await db()
      .select()
      .from(outboxJobs)
      .where(sql`${outboxJobs.payload}->>'key' = 'doomed'`);
    expect(row!.failedAt).toBeInstanceOf(Date);
    expect(row!.completedAt).toBeNull();
    expect(row!.lastError).toBe('this job can never succeed');
  });

  it('re-derives a job the queue lost (enqueue failed after commit) and runs it once', async () => {
    const spy = vi
      .spyOn(t.runtime.adapters.queue, 'enqueue')
      .mockRejectedValueOnce(new Error('redis went away'));
    await t.runtime.adapters.outbox.transaction(async (_tx, emit) => {
      await emit('probe.record', { key: 'lost' });
    });
    spy.mockRestore();
    const [pending] = await db()
      .select()
      .from(outboxJobs)
      .where(sql`${outboxJobs.payload}->>'key' = 'lost'`);
    expect(pending!.enqueuedAt).toBeNull();
    expect(runs.has('lost')).toBe(false);

    // What start-up does: every unfinished row goes back on the queue.
    expect(await t.runtime.adapters.outbox.relay({ all: true })).toBeGreaterThanOrEqual(1);
    await t.settle();
    expect(runs.get('lost')).toBe(1);
  });

  it('re-enqueues a row a dead process wrote but never enqueued, after the grace period', async () => {
    const id = newId();
    await db()
      .insert(outboxJobs)
      .values({
        id,
        name: 'probe.record',
        payload: { key: 'orphan' },
        createdAt: new Date(Date.now() - 60_000),
      });
    await t.runtime.adapters.outbox.relay();
    await t.settle();
    expect(runs.get('orphan')).toBe(1);
    const [row] = await db().select().from(outboxJobs).where(eq(outboxJobs.id, id));
    expect(row!.completedAt).toBeInstanceOf(Date);
  });

  it('cleans up finished rows older than the retention', async () => {
    const id = newId();
    await db()
      .insert(outboxJobs)
      .values({
        id,
        name: 'probe.record',
        payload: { key: 'old' },
        createdAt: new Date(Date.now() - 5 * 86_400_000),
        completedAt: new Date(Date.now() - 4 * 86_400_000),
      });
    expect(await t.runtime.adapters.outbox.cleanup(72)).toBeGreaterThanOrEqual(1);
    expect(await db().select().from(outboxJobs).where(eq(outboxJobs.id, id))).toHaveLength(0);
  });
});
