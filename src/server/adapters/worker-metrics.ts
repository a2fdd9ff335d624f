/** Worker hooks that count finished jobs, for processes that run workers next to the server. */
import type { WorkerHooks } from '../../queue/index.js';
import type { Metrics } from '../metrics.js';

/**
 * Counts each job that succeeds or fails for good in `dealwatch_jobs_finished_total`, then calls
 * `inner` (e.g. the pipeline's connection health hooks), so both can be given to `startWorkers`.
 */
export function workerMetricsHooks(metrics: Metrics, inner: WorkerHooks = {}): WorkerHooks {
  return {
    async onSucceeded(queue, connectionId) {
      metrics.jobsFinished.inc({ queue, connection: connectionId, outcome: 'completed' });
      await inner.onSucceeded?.(queue, connectionId);
    },
    async onFailedForGood(queue, connectionId, reason, unrecoverable) {
      metrics.jobsFinished.inc({ queue, connection: connectionId, outcome: 'failed' });
      await inner.onFailedForGood?.(queue, connectionId, reason, unrecoverable);
    },
  };
}
