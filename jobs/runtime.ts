/**
 * The pipeline as a process runs it: the queue system on the configured backend, the processors,
 * the nightly schedulers reconciled with the configuration, and a graceful stop. Used by
 * `dealwatch start`, `worker`, `sync` (in-process when no worker runs) and `demo`.
 */
import { ConfigError } from '../src/domain/errors.js';
import type { ConnectionSettings } from '../src/domain/model/index.js';
import { processMetrics, type PipelineMetrics } from '../src/metrics.js';
import { chooseQueueBackend, QueueSystem, type QueueName, type WorkerGroup } from '../src/queue/index.js';
import type { Store } from '../src/store/types.js';
import { registryConnectors, type PipelineDeps, type PipelineLogger } from './deps.js';
import { connectionHealthHooks } from './health.js';
import { createHandlers } from './index.js';
import { workerMetricsHooks } from './metrics.js';

export interface PipelineRuntimeOptions {
  store: Store;
  connections: readonly ConnectionSettings[];
  logger: PipelineLogger;
  /** `REDIS_URL`; unset: BullMQ's PostgreSQL backend in the store's database. */
  redisUrl?: string | undefined;
  /** Queue key prefix. @defaultValue "{dealwatch}" */
  prefix?: string | undefined;
  clock?: () => Date;
  /** Where the pipeline counts. @defaultValue the process's (src/metrics.ts) */
  metrics?: PipelineMetrics | undefined;
}

export interface PipelineRuntime {
  queues: QueueSystem;
  deps: PipelineDeps;
  /** Starts workers (all queues by default) in this process. */
  startWorkers(options?: { concurrency?: Partial<Record<QueueName, number>>; queues?: readonly QueueName[] }): WorkerGroup;
  /** Makes the nightly-sync schedulers match the configured connections. */
  reconcileSchedulers(): Promise<{ upserted: string[]; removed: string[] }>;
  /** Stops workers (letting jobs in hand finish for `graceMs`) and closes the queues. */
  close(options?: { graceMs?: number }): Promise<void>;
}


export async function openPipeline(options: PipelineRuntimeOptions): Promise<PipelineRuntime> {
  const backend = chooseQueueBackend({ redisUrl: options.redisUrl, databaseUrl: options.store.databaseUrl });
  const queues = await QueueSystem.open({
    backend,
    logger: options.logger.child({ module: 'queue' }),
    installId: await options.store.installId(),
    ...(options.prefix ? { prefix: options.prefix } : {}),
  });
  const metrics = options.metrics ?? processMetrics();
  // This process's /metrics shows the queues' depth and oldest waiting job, whoever serves it.
  metrics.observeQueues(() => queues.counts(), () => queues.oldestWaitingAges());
  const deps: PipelineDeps = {
    store: options.store,
    queues,
    connections: () => options.connections,
    connectorFor: registryConnectors(queues, options.logger, metrics),
    logger: options.logger,
    clock: options.clock ?? (() => new Date()),
    metrics,
  };
  const handlers = createHandlers(deps);
  return {
    queues,
    deps,
    startWorkers: (workerOptions = {}) =>
      queues.startWorkers(handlers, {
        hooks: workerMetricsHooks(metrics, connectionHealthHooks(deps)),
        ...(workerOptions.concurrency ? { concurrency: workerOptions.concurrency } : {}),
        ...(workerOptions.queues ? { queues: workerOptions.queues } : {}),
      }),
    reconcileSchedulers: () =>
      queues.reconcileSyncSchedulers(options.connections.map((c) => ({ connectionId: c.id, cron: c.schedule.cron, timezone: c.schedule.timezone }))),
    close: (closeOptions = {}) => queues.close(closeOptions),
  };
}

/**
 * Per-queue concurrency from `DEALWATCH_CONCURRENCY` (`sync=2,events=64,score=2,writeback=2`);
 * unknown names or bad numbers are reported, never ignored.
 */
export function concurrencyFromEnv(value: string | undefined): Partial<Record<QueueName, number>> {
  if (!value) return {};
  const out: Partial<Record<QueueName, number>> = {};
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, n] = part.split('=');
    const count = Number(n);
    if (!name || !['sync', 'events', 'score', 'writeback'].includes(name) || !Number.isInteger(count) || count < 1) {
      throw new ConfigError([`DEALWATCH_CONCURRENCY: "${part}" is not <queue>=<positive integer> (queues: sync, events, score, writeback)`]);
    }
    out[name as QueueName] = count;
  }
  return out;
}
