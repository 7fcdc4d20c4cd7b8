import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
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

export interface BullOptions {
  url: string;
  /** Key prefix for every queue (BullMQ's own `prefix`). */
  prefix: string;
  concurrency: number;
}

/** Services-mode queue: one BullMQ queue per module, one Worker per queue in the worker role. */
export class BullQueue implements QueueAdapter {
  readonly kind = 'bullmq' as const;
  private readonly producers = new Map<string, Queue>();
  private readonly workers: Worker[] = [];
  private readonly connection: ConnectionOptions;

  constructor(
    private readonly registry: JobRegistry,
    private readonly log: Logger,
    private readonly options: BullOptions,
  ) {
    const url = new URL(options.url);
    this.connection = {
      host: url.hostname,
      port: Number(url.port || 6379),
      username: url.username || undefined,
      password: url.password ? decodeURIComponent(url.password) : undefined,
      db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
      tls: url.protocol === 'rediss:' ? {} : undefined,
      maxRetriesPerRequest: null,
    };
  }

  private producer(queueName: string): Queue {
    let q = this.producers.get(queueName);
    if (!q) {
      q = new Queue(queueName, { connection: this.connection, prefix: this.options.prefix });
      q.on('error', (err) => this.log.warn({ err, queue: queueName }, 'queue connection error'));
      this.producers.set(queueName, q);
    }
    return q;
  }

  async enqueue<N extends JobName>(name: N, envelope: JobEnvelope, options: EnqueueOptions = {}) {
    const def = this.registry.get(name);
    const traceparent = envelope.traceparent ?? currentTraceparent();
    await this.producer(queueOf(name)).add(
      name,
      traceparent ? { ...envelope, traceparent } : envelope,
      {
        jobId: options.jobId,
        delay: options.delayMs,
        attempts: def.attempts ?? 3,
        backoff: { type: 'exponential', delay: def.backoffMs ?? 1000 },
        removeOnComplete: { age: 3600, count: 1000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    );
  }

  startWorkers(hooks: JobOutcomeHooks): Promise<void> {
    for (const queueName of this.registry.queues()) {
      const worker = new Worker(
        queueName,
        async (job: Job<JobEnvelope>) => {
          const def = this.registry.get(job.name);
          const info = {
            name: job.name as JobName,
            jobId: job.id ?? '',
            attempt: job.attemptsMade + 1,
          };
          const run = () =>
            def.handle(job.data.payload as never, {
              ...info,
              log: this.log.child({ job: job.name, jobId: job.id, attempt: info.attempt }),
            });
          await (hooks.around ? hooks.around(job.data, info, run) : run());
          await hooks.onCompleted?.(job.data, job.name as JobName);
        },
        {
          connection: this.connection,
          prefix: this.options.prefix,
          concurrency: this.options.concurrency,
        },
      );
      worker.on('failed', (job, err) => {
        if (!job) return;
        const final = job.attemptsMade >= (job.opts.attempts ?? 1);
        this.log[final ? 'error' : 'warn']({ err, job: job.name, jobId: job.id }, 'job failed');
        if (final) {
          hooks
            .onFailed?.(job.data, job.name as JobName, err)
            .catch((e: unknown) =>
              this.log.error({ err: e }, 'recording a failed job did not work'),
            );
        }
      });
      worker.on('error', (err) => this.log.warn({ err, queue: queueName }, 'worker error'));
      this.workers.push(worker);
    }
    return Promise.resolve();
  }

  async startScheduler(schedules: ScheduleDefinition[]): Promise<void> {
    for (const s of schedules) {
      await this.producer(queueOf(s.name)).upsertJobScheduler(
        s.id,
        { every: s.everyMs },
        { name: s.name, data: { payload: s.payload } satisfies JobEnvelope },
      );
    }
  }

  async counts(): Promise<Record<string, QueueCounts>> {
    const out: Record<string, QueueCounts> = {};
    for (const name of this.registry.queues()) {
      const c = await this.producer(name).getJobCounts(
        'waiting',
        'active',
        'delayed',
        'failed',
        'completed',
      );
      out[name] = {
        waiting: c.waiting ?? 0,
        active: c.active ?? 0,
        delayed: c.delayed ?? 0,
        failed: c.failed ?? 0,
        completed: c.completed ?? 0,
      };
    }
    return out;
  }

  async ping(): Promise<void> {
    const first = this.registry.queues()[0];
    if (!first) return;
    // A real round trip to Redis, cheaper than a ping through BullMQ's backend abstraction.
    await this.producer(first).getJobCounts('waiting');
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.producers.values()].map((q) => q.close()));
  }
}
