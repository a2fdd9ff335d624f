/** The queue ports on the queue module's `QueueSystem` (either backend). */
import { QUEUE_NAMES, SyncProgress, type QueueSystem } from '../../queue/index.js';
import type { Deduper, EventSink, JobControl, JobState, ReadinessCheck } from '../ports.js';

/** Webhook events become `events` jobs; their catalog job id collapses redeliveries of one event. */
export function queueEventSink(queues: QueueSystem): EventSink {
  return {
    async enqueueEvents(events) {
      const refs = await queues.enqueueMany(
        'events',
        events.map((e) => ({
          connectionId: e.connectionId,
          eventId: e.eventId,
          dealId: e.dealId,
          kind: e.kind,
          occurredAt: e.occurredAt,
          ...(e.stageId === undefined ? {} : { stageId: e.stageId }),
          ...(e.modifiedBy === undefined ? {} : { modifiedBy: e.modifiedBy }),
        })),
      );
      return refs.length;
    },
  };
}

/**
 * A deduper that claims everything, leaving duplicates to the catalog's deterministic `events` job
 * id (event id, deal, occurredAt; completed jobs kept 24 h). For tests and tools without a store;
 * `serve` uses Redis or the store's table (`openWebhookDeduper`), which also collapse a change
 * redelivered under a new event id.
 */
export const jobIdDeduper: Deduper = {
  claim: async () => true,
  release: async () => undefined,
};

const KNOWN_STATES = new Set<JobState>(['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized', 'waiting-children']);

export function queueJobControl(queues: QueueSystem): JobControl {
  return {
    async enqueueSync(connectionId, mode) {
      const job = await queues.enqueue('sync', { connectionId, mode, trigger: 'api' });
      return job.jobId;
    },
    async getJob(id) {
      for (const name of QUEUE_NAMES) {
        const found = await queues.queue(name).getJob(id);
        if (!found) continue;
        const state = (await found.getState()) as JobState;
        // The job may have finished between the two reads: read it again so that a `completed` or
        // `failed` state always comes with its result, reason and finish time.
        const job = state === 'completed' || state === 'failed' ? ((await queues.queue(name).getJob(id)) ?? found) : found;
        return {
          id,
          queue: name,
          name: job.name,
          state: KNOWN_STATES.has(state) ? state : 'unknown',
          attemptsMade: job.attemptsMade,
          createdAt: job.timestamp ? new Date(job.timestamp).toISOString() : null,
          finishedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
          failedReason: job.failedReason || null,
          result: job.returnvalue ?? null,
          progress: progressOf(job.progress),
        };
      }
      return null;
    },
    async nextScheduledRun(connectionId) {
      const scheduler = (await queues.listSchedulers()).find((s) => s.connectionId === connectionId);
      return scheduler?.next ? new Date(scheduler.next).toISOString() : null;
    },
  };
}

/** `/readyz` check of the queue backend. */
export function queueReadiness(queues: QueueSystem): ReadinessCheck {
  return {
    name: 'queue',
    async check() {
      await queues.queue('events').getJobCounts('waiting');
    },
  };
}

/** A job's progress as the API shows it: a sync's report, a plain number, or null. */
function progressOf(progress: unknown): SyncProgress | number | null {
  if (typeof progress === 'number') return progress;
  const parsed = SyncProgress.safeParse(progress);
  return parsed.success ? parsed.data : null;
}
