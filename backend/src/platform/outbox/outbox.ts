import { and, asc, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database, Transaction } from '../db/types';
import { newId } from '../ids';
import { currentTraceparent } from '../observability/tracing';
import type { JobRegistry } from '../queue/registry';
import type { JobEnvelope, JobMap, JobName, JobOutcomeHooks, QueueAdapter } from '../queue/types';
import { outboxJobs } from './outbox.table';

declare module '../queue/types' {
  interface JobMap {
    'outbox.cleanup': { olderThanHours: number };
  }
}

export type Emit = <N extends JobName>(name: N, payload: JobMap[N]) => Promise<void>;

interface Emitted {
  id: string;
  name: JobName;
  payload: unknown;
  /** The trace of the write that caused the job, so a relayed job still joins it. */
  traceparent?: string | null;
}

/** How long an enqueued job may stay unfinished before the relay puts it on the queue again. */
const STALE_AFTER_MS = 10 * 60_000;
/** A job written but not yet enqueued is left to its writer this long before the relay takes it. */
const GRACE_MS = 2_000;
const BATCH = 500;

/**
 * Writes and jobs commit together. `transaction()` runs a write, records the jobs it emits in the
 * same transaction, and enqueues them after commit; the relay enqueues anything a crash left behind.
 */
export class Outbox {
  private relayTimer: NodeJS.Timeout | undefined;
  private relaying: Promise<number> | undefined;

  constructor(
    private readonly db: Database,
    private readonly queue: QueueAdapter,
    private readonly registry: JobRegistry,
    private readonly log: Logger,
  ) {}

  async transaction<T>(fn: (tx: Transaction, emit: Emit) => Promise<T>): Promise<T> {
    const emitted: Emitted[] = [];
    const result = await this.db.transaction(async (tx) => {
      const emit: Emit = async (name, payload) => {
        this.registry.get(name);
        const id = newId();
        const traceparent = currentTraceparent();
        await tx.insert(outboxJobs).values({ id, name, payload, traceparent });
        emitted.push({ id, name, payload, traceparent });
      };
      return fn(tx, emit);
    });
    if (emitted.length > 0) await this.dispatch(emitted);
    return result;
  }

  /** Puts rows on the queue (job id = row id, so repeats are de-duplicated) and stamps them. */
  private async dispatch(rows: Emitted[]): Promise<void> {
    const sent: string[] = [];
    for (const row of rows) {
      try {
        await this.queue.enqueue(
          row.name,
          {
            payload: row.payload,
            outboxId: row.id,
            ...(row.traceparent ? { traceparent: row.traceparent } : {}),
          } as JobEnvelope<never>,
          { jobId: row.id },
        );
        sent.push(row.id);
      } catch (err) {
        this.log.warn({ err, job: row.name }, 'enqueue failed; the outbox relay will retry');
      }
    }
    if (sent.length === 0) return;
    try {
      await this.db
        .update(outboxJobs)
        .set({ enqueuedAt: sql`now()`, enqueueCount: sql`${outboxJobs.enqueueCount} + 1` })
        .where(inArray(outboxJobs.id, sent));
    } catch (err) {
      this.log.warn({ err }, 'could not stamp enqueued outbox rows');
    }
  }

  /**
   * Enqueues unfinished rows: those never enqueued (after a grace period) and those enqueued long
   * ago without completing. With `all`, every unfinished row (start-up recovery). Returns the count.
   */
  relay(options: { all?: boolean } = {}): Promise<number> {
    this.relaying ??= this.relayOnce(options.all ?? false).finally(() => {
      this.relaying = undefined;
    });
    return this.relaying;
  }

  private async relayOnce(all: boolean): Promise<number> {
    let total = 0;
    let after = new Date(0);
    for (;;) {
      const unfinished = and(isNull(outboxJobs.completedAt), isNull(outboxJobs.failedAt));
      const due = all
        ? unfinished
        : and(
            unfinished,
            or(
              and(
                isNull(outboxJobs.enqueuedAt),
                lt(outboxJobs.createdAt, sql`now() - make_interval(secs => ${GRACE_MS / 1000})`),
              ),
              lt(
                outboxJobs.enqueuedAt,
                sql`now() - make_interval(secs => ${STALE_AFTER_MS / 1000})`,
              ),
            ),
          );
      const rows = await this.db
        .select({
          id: outboxJobs.id,
          name: outboxJobs.name,
          payload: outboxJobs.payload,
          traceparent: outboxJobs.traceparent,
          createdAt: outboxJobs.createdAt,
        })
        .from(outboxJobs)
        .where(and(due, sql`${outboxJobs.createdAt} >= ${after.toISOString()}`))
        .orderBy(asc(outboxJobs.createdAt), asc(outboxJobs.id))
        .limit(BATCH);
      const known = rows.filter((r) => this.registry.has(r.name));
      await this.dispatch(
        known.map((r) => ({
          id: r.id,
          name: r.name as JobName,
          payload: r.payload,
          traceparent: r.traceparent,
        })),
      );
      total += known.length;
      if (rows.length < BATCH) return total;
      const last = rows[rows.length - 1]!;
      // Strictly after the last timestamp would skip equal ones; ">=" with dedup by job id is safe.
      if (last.createdAt.getTime() === after.getTime()) return total;
      after = last.createdAt;
    }
  }

  startRelay(intervalMs = 1_000): void {
    const tick = () => {
      this.relay()
        .catch((err: unknown) => this.log.warn({ err }, 'outbox relay failed'))
        .finally(() => {
          if (this.relayTimer) this.relayTimer = setTimeout(tick, intervalMs).unref();
        });
    };
    this.relayTimer = setTimeout(tick, intervalMs).unref();
  }

  async stopRelay(): Promise<void> {
    clearTimeout(this.relayTimer);
    this.relayTimer = undefined;
    await this.relaying?.catch(() => 0);
  }

  /** Queue hooks that record outcomes on the outbox rows. */
  hooks(): JobOutcomeHooks {
    return {
      onCompleted: async (envelope) => {
        if (!envelope.outboxId) return;
        await this.db
          .update(outboxJobs)
          .set({ completedAt: sql`now()` })
          .where(sql`${outboxJobs.id} = ${envelope.outboxId}`);
      },
      onFailed: async (envelope, _name, error) => {
        if (!envelope.outboxId) return;
        await this.db
          .update(outboxJobs)
          .set({ failedAt: sql`now()`, lastError: error.message.slice(0, 2000) })
          .where(sql`${outboxJobs.id} = ${envelope.outboxId}`);
      },
    };
  }

  /** Deletes finished rows older than the given age. */
  async cleanup(olderThanHours: number): Promise<number> {
    const cutoff = sql`now() - make_interval(hours => ${olderThanHours})`;
    const deleted = await this.db
      .delete(outboxJobs)
      .where(or(lt(outboxJobs.completedAt, cutoff), lt(outboxJobs.failedAt, cutoff)))
      .returning({ id: outboxJobs.id });
    return deleted.length;
  }

  /** Resolves when every outbox job has completed or failed (tests and graceful shutdown). */
  async whenSettled(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [row] = await this.db
        .select({ n: sql<number>`count(*)::int` })
        .from(outboxJobs)
        .where(and(isNull(outboxJobs.completedAt), isNull(outboxJobs.failedAt)));
      if ((row?.n ?? 0) === 0) return;
      if (Date.now() > deadline) throw new Error(`${row?.n} outbox jobs still unfinished`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
