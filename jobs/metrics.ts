/**
 * What the pipeline counts, in the process that does the work: CRM answers (through the
 * connectors' `onApiCall`), jobs and their timing (worker hooks), records synced and annotations
 * written or refused (called by the processors). The families live in src/metrics.ts.
 */
import type { ConnectionSettings } from '../src/domain/model/index.js';
import { endpointClassOf, processMetrics, type PipelineMetrics } from '../src/metrics.js';
import type { WorkerHooks } from '../src/queue/index.js';
import type { AnnotationBatch, AnnotationResult, ApiCallListener, CrmConnector } from '../connectors/types.js';
import { warningRecordOf } from '../connectors/registry.js';

/** The metrics a processor counts on: the ones it was given, else the process's. */
export function metricsOf(deps: { metrics?: PipelineMetrics | undefined }): PipelineMetrics {
  return deps.metrics ?? processMetrics();
}

/** Counts each CRM answer of a connection by endpoint class and status (`error` when none came). */
export function apiCallCounter(metrics: PipelineMetrics, settings: Pick<ConnectionSettings, 'id' | 'provider'>): ApiCallListener {
  return ({ endpoint, status }) =>
    metrics.crmCalls.inc({
      connection: settings.id,
      provider: settings.provider,
      endpoint_class: endpointClassOf(endpoint),
      status: status === null ? 'error' : String(status),
    });
}

/** Counts a finished sync run: its records by kind (what was stored, also when it failed midway) and its duration. */
export function countSyncRun(
  metrics: PipelineMetrics,
  settings: Pick<ConnectionSettings, 'id' | 'provider'>,
  run: { mode: string; status: string; seconds: number; counts: Partial<Record<string, number>> },
): void {
  for (const [kind, n] of Object.entries(run.counts)) {
    if (typeof n === 'number' && n > 0) metrics.syncRecords.inc({ connection: settings.id, kind }, n);
  }
  metrics.syncDuration.observe({ connection: settings.id, provider: settings.provider, mode: run.mode, status: run.status }, run.seconds);
}

/**
 * Sends one batch of annotations and counts each one the CRM accepted or refused, by kind (`field`,
 * `note`, `task`); a batch that fails as a whole counts all of its annotations as failed.
 */
export async function annotateCounted(
  metrics: PipelineMetrics,
  connector: CrmConnector,
  settings: Pick<ConnectionSettings, 'id' | 'provider' | 'warningRecord'>,
  batch: AnnotationBatch,
  signal?: AbortSignal,
): Promise<AnnotationResult> {
  const connection = settings.id;
  // A discount approval is a task whatever record the connection writes warnings as.
  const approvals = new Set(batch.warnings.filter((w) => w.approval === true).map((w) => w.key));
  let result: AnnotationResult;
  try {
    result = await connector.annotate(batch, signal);
  } catch (error) {
    const kind = warningRecordOf(settings);
    if (batch.fields.length > 0) metrics.annotationsFailed.inc({ connection, kind: 'field' }, batch.fields.length);
    for (const w of batch.warnings) metrics.annotationsFailed.inc({ connection, kind: approvals.has(w.key) ? 'task' : kind });
    throw error;
  }
  for (const outcome of result.fields.values())
    (outcome.ok ? metrics.annotationsWritten : metrics.annotationsFailed).inc({ connection, kind: 'field' });
  for (const [key, outcome] of result.warnings) {
    const kind = approvals.has(key) ? 'task' : result.warningKind;
    (outcome.ok ? metrics.annotationsWritten : metrics.annotationsFailed).inc({ connection, kind });
  }
  return result;
}

/**
 * Counts jobs that end for good and times every attempt, then calls `inner` (the pipeline's
 * connection health hooks), so both can be given to `startWorkers`.
 */
export function workerMetricsHooks(metrics: PipelineMetrics, inner: WorkerHooks = {}): WorkerHooks {
  return {
    async onSucceeded(queue, connectionId) {
      metrics.jobsFinished.inc({ queue, connection: connectionId, outcome: 'completed' });
      await inner.onSucceeded?.(queue, connectionId);
    },
    async onFailedForGood(queue, connectionId, reason, unrecoverable) {
      metrics.jobsFinished.inc({ queue, connection: connectionId, outcome: 'failed' });
      await inner.onFailedForGood?.(queue, connectionId, reason, unrecoverable);
    },
    onAttemptEnded(attempt) {
      if (attempt.waitSeconds !== null) metrics.jobWait.observe({ queue: attempt.queue }, attempt.waitSeconds);
      metrics.jobRun.observe({ queue: attempt.queue, outcome: attempt.outcome }, attempt.runSeconds);
      inner.onAttemptEnded?.(attempt);
    },
  };
}
