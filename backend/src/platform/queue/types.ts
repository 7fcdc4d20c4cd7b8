import type { Logger } from 'pino';

/**
 * Job name → payload. Each module adds its jobs by declaration merging:
 *   declare module '../../platform/queue/types' { interface JobMap { 'media.generateVariants': {...} } }
 * Names are `<queue>.<verb>`: the part before the dot names the queue (one BullMQ queue per module).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface JobMap {}

export type JobName = Extract<keyof JobMap, string>;

/** What travels on the queue: the payload plus bookkeeping the platform needs. */
export interface JobEnvelope<P = unknown> {
  payload: P;
  /** Set when the job came from the transactional outbox; completion is recorded there. */
  outboxId?: string;
  /** W3C traceparent of the request that caused the job, when tracing is on. */
  traceparent?: string;
}

export interface EnqueueOptions {
  /** Deduplication key: a job with the same id that is still waiting or running is not added twice. */
  jobId?: string;
  delayMs?: number;
}

export interface JobContext {
  jobId: string;
  name: JobName;
  attempt: number;
  log: Logger;
}

export interface JobDefinition<N extends JobName = JobName> {
  name: N;
  handle: (payload: JobMap[N], ctx: JobContext) => Promise<void>;
  /** Total tries before the job is failed for good. */
  attempts?: number;
  /** First retry delay; doubles each retry. */
  backoffMs?: number;
}

export interface ScheduleDefinition<N extends JobName = JobName> {
  /** Stable id: one schedule per id however many processes start. */
  id: string;
  name: N;
  everyMs: number;
  payload: JobMap[N];
}

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
}

export interface JobOutcomeHooks {
  /** Wraps every attempt of a handler (trace span, duration metric); calls `run` exactly once. */
  around?(
    envelope: JobEnvelope,
    job: { name: JobName; jobId: string; attempt: number },
    run: () => Promise<void>,
  ): Promise<void>;
  onCompleted?(envelope: JobEnvelope, name: JobName): Promise<void>;
  onFailed?(envelope: JobEnvelope, name: JobName, error: Error): Promise<void>;
}

/** The queue port. Embedded: in-process. Services: BullMQ on Redis. */
export interface QueueAdapter {
  readonly kind: 'memory' | 'bullmq';
  enqueue<N extends JobName>(
    name: N,
    envelope: JobEnvelope<JobMap[N]>,
    options?: EnqueueOptions,
  ): Promise<void>;
  /** Starts consuming every queue of the registry (worker role). */
  startWorkers(hooks: JobOutcomeHooks): Promise<void>;
  /** Installs the recurring schedules (beat role); idempotent across processes. */
  startScheduler(schedules: ScheduleDefinition[]): Promise<void>;
  counts(): Promise<Record<string, QueueCounts>>;
  ping(): Promise<void>;
  /** Stops taking jobs and waits for running ones to finish. */
  close(): Promise<void>;
}

export const queueOf = (name: string): string => name.slice(0, name.indexOf('.'));
