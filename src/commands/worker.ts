/**
 * `dealwatch worker`: queue workers and the nightly schedulers, no HTTP server (scale-out: run as
 * many as needed on one Redis; each job runs once). Per-queue concurrency from
 * `DEALWATCH_CONCURRENCY` (`sync=2,events=64,score=2,writeback=2`). Stops gracefully on SIGINT/SIGTERM:
 * no new jobs, the ones in hand finish (or are released after the grace period), then connections close.
 * With `DEALWATCH_METRICS_PORT` set it serves its own `/metrics` (what its workers count) on `HOST`.
 */
import { redisTargetOf } from '../queue/redis.js';
import { concurrencyFromEnv, openPipeline } from '../../jobs/runtime.js';
import { createLogger } from '../logger.js';
import { processMetrics } from '../metrics.js';
import { listenForMetrics, type MetricsListener } from '../server/metrics-listener.js';
import { publicUrlOf, untilSignal } from './support.js';
import { configFrom, digestDepsFrom, storeFrom } from './support.js';
import type { WorkerOptions } from './types.js';

export async function run(options: WorkerOptions): Promise<number> {
  const config = configFrom(options);
  const concurrency = concurrencyFromEnv(process.env.DEALWATCH_CONCURRENCY);
  const logger = createLogger({ level: config.logLevel });
  const store = await storeFrom(config, logger);
  let listener: MetricsListener | undefined;
  try {
    await store.connections.upsertFromConfig(config.connections);
    const pipeline = await openPipeline({
      store,
      connections: config.connections,
      logger,
      redis: redisTargetOf(config),
      prefix: config.queuePrefix,
      digests: digestDepsFrom(config, publicUrlOf(config)),
    });
    try {
      const schedulers = await pipeline.reconcileSchedulers();
      pipeline.startWorkers({ concurrency });
      if (config.metricsPort !== undefined)
        listener = await listenForMetrics(processMetrics().registry, {
          host: config.host,
          port: config.metricsPort,
          token: config.metricsToken,
        });
      logger.info(
        {
          backend: pipeline.queues.backendKind,
          schedulers,
          concurrency,
          metrics: listener ? `${listener.url}/metrics` : 'off (set DEALWATCH_METRICS_PORT)',
        },
        'dealwatch workers running',
      );
      const signal = await untilSignal();
      logger.info({ signal }, 'shutting down: finishing jobs in hand');
      return 0;
    } finally {
      await listener?.close();
      await pipeline.close({ graceMs: 20_000 });
    }
  } finally {
    await store.close();
  }
}
