/**
 * `dealwatch serve`: the HTTP server alone (webhooks, manager API, health, metrics), for
 * deployments that run workers separately (`dealwatch worker`). `serverDepsFrom` is also what
 * `dealwatch start` uses to run the server next to the workers.
 */
import { Redis } from 'ioredis';
import { webhookVerifierFor } from '../../connectors/registry.js';
import type { Config } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import { chooseQueueBackend, QUEUE_NAMES, QueueSystem } from '../queue/index.js';
import { jobIdDeduper, queueEventSink, queueJobControl, queueReadiness } from '../server/adapters/queue.js';
import { storeReadiness } from '../server/adapters/store.js';
import type { ServerDeps } from '../server/deps.js';
import { sharedMetrics, type Metrics } from '../server/metrics.js';
import type { ConnectionDirectory } from '../server/ports.js';
import { createReviewService } from '../server/review-service.js';
import { startServer, type RunningServer } from '../server/server.js';
import { createRedisDeduper } from '../server/webhooks/redis-deduper.js';
import type { Store } from '../store/types.js';
import { configFrom, storeFrom } from './support.js';
import type { ServeOptions } from './types.js';

/** The configured connections, by id. */
export function connectionDirectory(config: Pick<Config, 'connections'>): ConnectionDirectory {
  const byId = new Map(config.connections.map((c) => [c.id, c]));
  return { list: () => config.connections, get: (id) => byId.get(id) };
}

/** `publicUrl` from the file or PUBLIC_URL; else what the server binds (fine without a proxy). */
export function publicUrlOf(config: Pick<Config, 'publicUrl' | 'host' | 'port'>): string {
  const url = config.publicUrl ?? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  return url.replace(/\/+$/, '');
}

export interface ServerParts {
  store: Store;
  queues: QueueSystem;
  /** Present when REDIS_URL is set: webhook dedupe keys and rate-limit counters live there. */
  redis?: Redis | undefined;
  logger: Logger;
  metrics?: Metrics;
}

/**
 * Wires the production adapters. Dedupe: Redis `SET NX` (event id, and deal + occurredAt) with a
 * 25 h TTL when Redis is in use; on the PostgreSQL backend, the `events` job's deterministic id.
 */
export function serverDepsFrom(config: Config, parts: ServerParts): ServerDeps {
  const connections = connectionDirectory(config);
  return {
    options: { publicUrl: publicUrlOf(config), apiTokens: config.apiTokens },
    logger: parts.logger,
    clock: () => new Date(),
    connections,
    verifierFor: webhookVerifierFor,
    events: queueEventSink(parts.queues),
    dedupe: parts.redis === undefined ? jobIdDeduper : createRedisDeduper(parts.redis),
    jobs: queueJobControl(parts.queues),
    store: parts.store,
    reviews: createReviewService({ store: parts.store, connections }),
    readiness: [...storeReadiness(parts.store), queueReadiness(parts.queues)],
    metrics: parts.metrics ?? sharedMetrics(),
    queues: QUEUE_NAMES.map((name) => parts.queues.queue(name)),
    redis: parts.redis,
  };
}

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const done = (signal: NodeJS.Signals) => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve(signal);
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

export async function run(options: ServeOptions): Promise<number> {
  const config = configFrom(options);
  const logger = createLogger({ level: config.logLevel });
  const store = await storeFrom(config, logger);
  const closers: (() => Promise<unknown>)[] = [() => store.close()];
  let server: RunningServer | undefined;
  try {
    await store.connections.upsertFromConfig(config.connections);
    const queues = await QueueSystem.open({ backend: chooseQueueBackend({ redisUrl: config.redisUrl, databaseUrl: store.databaseUrl }), logger });
    closers.unshift(() => queues.close());
    let redis: Redis | undefined;
    if (config.redisUrl !== undefined) {
      // Auto-pipelining: concurrent webhooks' dedupe and rate-limit commands share round trips.
      const client = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableAutoPipelining: true });
      client.on('error', (err) => logger.warn({ err }, 'redis error'));
      redis = client;
      closers.unshift(() => client.quit());
    }
    server = await startServer(serverDepsFrom(config, { store, queues, redis, logger }), { host: config.host, port: config.port });
    logger.info({ url: server.url, publicUrl: publicUrlOf(config), docs: `${server.url}/docs` }, 'dealwatch server listening');
    const signal = await untilSignal();
    logger.info({ signal }, 'shutting down');
    return 0;
  } finally {
    await server?.close();
    for (const close of closers) await close().catch((err: unknown) => logger.warn({ err }, 'close failed'));
  }
}
