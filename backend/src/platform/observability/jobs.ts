import type { JobOutcomeHooks } from '../queue/types';
import { queueOf } from '../queue/types';
import type { JobMetrics } from './metrics';
import { runInJobSpan } from './tracing';

/**
 * The queue hook that observes every job attempt: a CONSUMER span continuing the enqueuing
 * request's trace (so the job's log lines carry its traceId) and the duration histogram.
 */
export function observeJobs(metrics: JobMetrics): Required<Pick<JobOutcomeHooks, 'around'>> {
  return {
    async around(envelope, job, run) {
      const queue = queueOf(job.name);
      const start = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - start) / 1e9;
      try {
        await runInJobSpan(
          envelope.traceparent,
          { queue, job: job.name, jobId: job.jobId, attempt: job.attempt },
          run,
        );
      } catch (err) {
        metrics.job(queue, job.name, 'failed', seconds());
        throw err;
      }
      metrics.job(queue, job.name, 'completed', seconds());
    },
  };
}
