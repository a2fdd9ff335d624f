/**
 * `dealwatch start`: one process with the HTTP server (webhooks, API), the workers and the nightly
 * schedulers, on the embedded database and queue unless DATABASE_URL / REDIS_URL say otherwise.
 * Stops gracefully on SIGINT/SIGTERM: the server stops accepting, workers finish the jobs in hand,
 * then the queues and the database close.
 */
import { redisTargetOf } from '../queue/redis.js';
import { concurrencyFromEnv, openPipeline } from '../../jobs/runtime.js';
import { createLogger } from '../logger.js';
import type { RunningServer } from '../server/server.js';
import { openHttpServer } from './http-server.js';
import { publicUrlOf, untilSignal } from './support.js';
import { configFrom, digestDepsFrom, storeFrom } from './support.js';
import type { StartOptions } from './types.js';

export async function run(options: StartOptions): Promise<number> {
  const config = configFrom(options);
  const concurrency = concurrencyFromEnv(process.env.DEALWATCH_CONCURRENCY);
  const logger = createLogger({ level: config.logLevel });
  const store = await storeFrom(config, logger);
  const closers: (() => Promise<unknown>)[] = [() => store.close()];
  let server: RunningServer | undefined;
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
    closers.unshift(() => pipeline.close({ graceMs: 20_000 }));
    const schedulers = await pipeline.reconcileSchedulers();
    pipeline.startWorkers({ concurrency });
    server = await openHttpServer(config, { store, queues: pipeline.queues, logger }, closers);
    logger.info({ url: server.url, publicUrl: publicUrlOf(config), backend: pipeline.queues.backendKind, schedulers }, 'dealwatch started');
    const signal = await untilSignal();
    logger.info({ signal }, 'shutting down');
    return 0;
  } finally {
    await server?.close();
    for (const close of closers) await close().catch((err: unknown) => logger.warn({ err }, 'close failed'));
  }
}
