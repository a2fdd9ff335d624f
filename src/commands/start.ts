/**
 * `dealwatch start`: one process with the HTTP server (webhooks, API), the workers and the nightly
 * schedulers, on the embedded database and queue unless DATABASE_URL / REDIS_URL say otherwise.
 * Stops gracefully on SIGINT/SIGTERM: the server stops accepting, workers finish the jobs in hand,
 * then the queues and the database close.
 */
import { Redis } from 'ioredis';
import { concurrencyFromEnv, openPipeline } from '../../jobs/runtime.js';
import { createLogger } from '../logger.js';
import { startServer, type RunningServer } from '../server/server.js';
import { openWebhookDeduper, publicUrlOf, serverDepsFrom, untilSignal } from './serve.js';
import { configFrom, storeFrom } from './support.js';
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
    const pipeline = await openPipeline({ store, connections: config.connections, logger, redisUrl: config.redisUrl });
    closers.unshift(() => pipeline.close({ graceMs: 20_000 }));
    let redis: Redis | undefined;
    if (config.redisUrl !== undefined) {
      const client = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
      client.on('error', (err) => logger.warn({ err }, 'redis error'));
      redis = client;
      closers.unshift(() => client.quit());
    }
    const schedulers = await pipeline.reconcileSchedulers();
    pipeline.startWorkers({ concurrency });
    const deduper = await openWebhookDeduper(store, redis);
    closers.unshift(() => deduper.close());
    server = await startServer(serverDepsFrom(config, { store, queues: pipeline.queues, redis, dedupe: deduper.dedupe, logger }), { host: config.host, port: config.port });
    logger.info({ url: server.url, publicUrl: publicUrlOf(config), backend: pipeline.queues.backendKind, schedulers }, 'dealwatch started');
    const signal = await untilSignal();
    logger.info({ signal }, 'shutting down');
    return 0;
  } finally {
    await server?.close();
    for (const close of closers) await close().catch((err: unknown) => logger.warn({ err }, 'close failed'));
  }
}
