import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { JobRegistry } from './registry';
import type {
  EnqueueOptions,
  JobEnvelope,
  JobName,
  JobOutcomeHooks,
  QueueAdapter,
  QueueCounts,
  ScheduleDefinition,
} from './types';
import { queueOf } from './types';
import { currentTraceparent } from '../observability/tracing';

interface PendingJob {
  id: string;
  name: JobName;
  envelope: JobEnvelope;
  attempt: number;
}

interface LocalQueue {
  pending: PendingJob[];
  active: Set<string>;
  delayed: Set<string>;
  counts: { failed: number; completed: number };
}

/**
 * The embedded runtime's queue: same job names, retries with exponential back-off, job-id
 * de-duplication and schedules as the BullMQ adapter, held in this process. Nothing here is
 * durable on purpose: the transactional outbox re-derives unfinished work on start-up.
 */
export class MemoryQueue implements QueueAdapter {
  readonly kind = 'memory' as const;
  private readonly queues = new Map<string, LocalQueue>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private hooks: JobOutcomeHooks | undefined;
  private consuming = false;
  private closed = false;

  constructor(
    private readonly registry: JobRegistry,
    private readonly log: Logger,
    private readonly concurrency: number,
  ) {}

  private queue(name: string): LocalQueue {
    let q = this.queues.get(name);
    if (!q) {
      q = {
        pending: [],
        active: new Set(),
        delayed: new Set(),
        counts: { failed: 0, completed: 0 },
      };
      this.queues.set(name, q);
    }
    return q;
  }

  enqueue<N extends JobName>(name: N, envelope: JobEnvelope, options: EnqueueOptions = {}) {
    if (this.closed) return Promise.reject(new Error('Queue is closed'));
    if (!this.registry.has(name)) {
      return Promise.reject(new Error(`No handler is registered for job "${name}"`));
    }
    const q = this.queue(queueOf(name));
    const id = options.jobId ?? randomUUID();
    if (
      options.jobId &&
      (q.active.has(id) || q.delayed.has(id) || q.pending.some((j) => j.id === id))
    ) {
      return Promise.resolve();
    }
    const traceparent = envelope.traceparent ?? currentTraceparent();
    const job: PendingJob = {
      id,
      name,
      envelope: traceparent ? { ...envelope, traceparent } : envelope,
      attempt: 1,
    };
    if (options.delayMs && options.delayMs > 0) {
      q.delayed.add(id);
      this.later(options.delayMs, () => {
        q.delayed.delete(id);
        q.pending.push(job);
        this.pump(queueOf(name));
      });
    } else {
      q.pending.push(job);
      this.pump(queueOf(name));
    }
    return Promise.resolve();
  }

  startWorkers(hooks: JobOutcomeHooks): Promise<void> {
    this.hooks = hooks;
    this.consuming = true;
    for (const name of this.queues.keys()) this.pump(name);
    return Promise.resolve();
  }

  startScheduler(schedules: ScheduleDefinition[]): Promise<void> {
    for (const s of schedules) {
      const tick = () => {
        if (this.closed) return;
        this.enqueue(s.name, { payload: s.payload }, { jobId: `schedule-${s.id}` }).catch((err) =>
          this.log.error({ err, schedule: s.id }, 'scheduled enqueue failed'),
        );
        this.later(s.everyMs, tick);
      };
      this.later(s.everyMs, tick);
    }
    return Promise.resolve();
  }

  counts(): Promise<Record<string, QueueCounts>> {
    const out: Record<string, QueueCounts> = {};
    for (const name of this.registry.queues()) {
      const q = this.queue(name);
      out[name] = {
        waiting: q.pending.length,
        active: q.active.size,
        delayed: q.delayed.size,
        failed: q.counts.failed,
        completed: q.counts.completed,
      };
    }
    return Promise.resolve(out);
  }

  ping(): Promise<void> {
    return this.closed ? Promise.reject(new Error('Queue is closed')) : Promise.resolve();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }

  private later(ms: number, fn: () => void) {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private pump(queueName: string) {
    if (!this.consuming || this.closed) return;
    const q = this.queue(queueName);
    while (q.active.size < this.concurrency && q.pending.length > 0) {
      const job = q.pending.shift()!;
      q.active.add(job.id);
      const run = this.run(job, q).finally(() => {
        q.active.delete(job.id);
        this.running.delete(run);
        this.pump(queueName);
      });
      this.running.add(run);
    }
  }

  private async run(job: PendingJob, q: LocalQueue): Promise<void> {
    const def = this.registry.get(job.name);
    const log = this.log.child({ job: job.name, jobId: job.id, attempt: job.attempt });
    try {
      const info = { jobId: job.id, name: job.name, attempt: job.attempt };
      const handle = () => def.handle(job.envelope.payload as never, { ...info, log });
      await (this.hooks?.around ? this.hooks.around(job.envelope, info, handle) : handle());
      q.counts.completed++;
      await this.hooks?.onCompleted?.(job.envelope, job.name);
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      const attempts = def.attempts ?? 3;
      if (job.attempt < attempts && !this.closed) {
        const delay = (def.backoffMs ?? 1000) * 2 ** (job.attempt - 1);
        log.warn({ err, delayMs: delay }, 'job failed; retrying');
        q.delayed.add(job.id);
        this.later(delay, () => {
          q.delayed.delete(job.id);
          q.pending.push({ ...job, attempt: job.attempt + 1 });
          this.pump(queueOf(job.name));
        });
      } else {
        q.counts.failed++;
        log.error({ err }, 'job failed for good');
        await this.hooks?.onFailed?.(job.envelope, job.name, err);
      }
    }
  }
}
