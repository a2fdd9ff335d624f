/**
 * `dealwatch serve`: the HTTP server alone (webhooks, manager API, health, metrics), for
 * deployments that run workers separately (`dealwatch worker`). `dealwatch start` runs the same
 * server (http-server.ts) next to the workers.
 */
import { createLogger } from '../logger.js';
import { chooseQueueBackend, QueueSystem } from '../queue/index.js';
import { redisTargetOf } from '../queue/redis.js';
import type { RunningServer } from '../server/server.js';
import { openHttpServer } from './http-server.js';
import { configFrom, publicUrlOf, storeFrom, untilSignal } from './support.js';
import type { ServeOptions } from './types.js';

export async function run(options: ServeOptions): Promise<number> {
  const config = configFrom(options);
  const logger = createLogger({ level: config.logLevel });
  const store = await storeFrom(config, logger);
  const closers: (() => Promise<unknown>)[] = [() => store.close()];
  let server: RunningServer | undefined;
  try {
    await store.connections.upsertFromConfig(config.connections);
    const queues = await QueueSystem.open({
      backend: chooseQueueBackend({ redis: redisTargetOf(config), databaseUrl: store.databaseUrl }),
      prefix: config.queuePrefix,
      installId: await store.installId(),
      logger,
    });
    closers.unshift(() => queues.close());
    server = await openHttpServer(config, { store, queues, logger }, closers);
    logger.info({ url: server.url, publicUrl: publicUrlOf(config), docs: `${server.url}/docs` }, 'dealwatch server listening');
    const signal = await untilSignal();
    logger.info({ signal }, 'shutting down');
    return 0;
  } finally {
    await server?.close();
    for (const close of closers) await close().catch((err: unknown) => logger.warn({ err }, 'close failed'));
  }
}
