/**
 * The pipeline as a process runs it: the queue system on the configured backend, the processors,
 * the nightly schedulers reconciled with the configuration, and a graceful stop. Used by
 * `dealwatch start`, `worker`, `sync` (in-process when no worker runs) and `demo`.
 */
import { ConfigError } from '../src/domain/errors.js';
import type { ConnectionSettings } from '../src/domain/model/index.js';
import { processMetrics, type PipelineMetrics } from '../src/metrics.js';
import { chooseQueueBackend, QUEUE_NAMES, QueueSystem, type QueueName, type WorkerGroup } from '../src/queue/index.js';
import type { RedisTarget } from '../src/queue/redis.js';
import type { Store } from '../src/store/types.js';
import { digestIdOf } from '../src/domain/model/index.js';
import { registryConnectors, type DigestDeps, type PipelineDeps } from './deps.js';
import type { Log } from '../src/logger.js';
import { connectionHealthHooks } from './health.js';
import { createHandlers } from './index.js';
import { workerMetricsHooks } from './metrics.js';

export interface PipelineRuntimeOptions {
  store: Store;
  connections: readonly ConnectionSettings[];
  logger: Log;
  /** Redis in any mode (src/queue/redis.ts); unset: BullMQ's PostgreSQL backend in the store's database. */
  redis?: RedisTarget | undefined;
  /** Short for `redis: { mode: 'single', url }`. */
  redisUrl?: string | undefined;
  /** Queue key prefix. @defaultValue "{dealwatch}" */
  prefix?: string | undefined;
  clock?: () => Date;
  /** Where the pipeline counts. @defaultValue the process's (src/metrics.ts) */
  metrics?: PipelineMetrics | undefined;
  /** Scheduled digests (`digests`, `publicUrl`, `SMTP_URL`, `DIGEST_FROM`). @defaultValue none */
  digests?: DigestDeps | undefined;
}

export interface PipelineRuntime {
  queues: QueueSystem;
  deps: PipelineDeps;
  /** Starts workers (all queues by default) in this process. */
  startWorkers(options?: { concurrency?: Partial<Record<QueueName, number>>; queues?: readonly QueueName[] }): WorkerGroup;
  /** Makes the nightly-sync and digest schedulers match the configuration. */
  reconcileSchedulers(): Promise<{ upserted: string[]; removed: string[]; digests: { upserted: string[]; removed: string[] } }>;
  /** Stops workers (letting jobs in hand finish for `graceMs`) and closes the queues. */
  close(options?: { graceMs?: number }): Promise<void>;
}

export async function openPipeline(options: PipelineRuntimeOptions): Promise<PipelineRuntime> {
  const backend = chooseQueueBackend({ redis: options.redis, redisUrl: options.redisUrl, databaseUrl: options.store.databaseUrl });
  const queues = await QueueSystem.open({
    backend,
    logger: options.logger.child({ module: 'queue' }),
    installId: await options.store.installId(),
    ...(options.prefix ? { prefix: options.prefix } : {}),
  });
  const metrics = options.metrics ?? processMetrics();
  // This process's /metrics shows the queues' depth and oldest waiting job, whoever serves it.
  metrics.observeQueues(
    () => queues.counts(),
    () => queues.oldestWaitingAges(),
  );
  const deps: PipelineDeps = {
    store: options.store,
    queues,
    connections: () => options.connections,
    connectorFor: registryConnectors(queues, options.logger, metrics),
    logger: options.logger,
    clock: options.clock ?? (() => new Date()),
    metrics,
    digests: options.digests,
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
    reconcileSchedulers: async () => {
      const syncs = await queues.reconcileSyncSchedulers(
        options.connections.map((c) => ({ connectionId: c.id, cron: c.schedule.cron, timezone: c.schedule.timezone })),
      );
      const digests = await queues.reconcileDigestSchedulers(
        (options.digests?.digests() ?? []).map((d) => ({
          connectionId: d.connection,
          digestId: digestIdOf(d),
          cron: d.cron,
          timezone: d.timezone,
        })),
      );
      return { ...syncs, digests };
    },
    close: (closeOptions = {}) => queues.close(closeOptions),
  };
}

/**
 * Per-queue concurrency from `DEALWATCH_CONCURRENCY` (`sync=2,events=64,score=2,writeback=2,digest=1`);
 * unknown names or bad numbers are reported, never ignored.
 */
export function concurrencyFromEnv(value: string | undefined): Partial<Record<QueueName, number>> {
  if (!value) return {};
  const out: Partial<Record<QueueName, number>> = {};
  for (const part of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, n] = part.split('=');
    const count = Number(n);
    if (!name || !(QUEUE_NAMES as readonly string[]).includes(name) || !Number.isInteger(count) || count < 1) {
      throw new ConfigError([`DEALWATCH_CONCURRENCY: "${part}" is not <queue>=<positive integer> (queues: ${QUEUE_NAMES.join(', ')})`]);
    }
    out[name as QueueName] = count;
  }
  return out;
}
