/**
 * The HTTP server as the commands that run it (`serve`, `start`, `demo`) wire it: its dependencies
 * from the configuration and the open store and queues, and opening it with what it needs beside them.
 */
import { webhookVerifierFor } from '../../connectors/registry.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { QUEUE_NAMES, type QueueSystem } from '../queue/index.js';
import { createRedisClient, redisTargetOf, type RedisClient } from '../queue/redis.js';
import { jobIdDeduper, queueEventSink, queueJobControl, queueReadiness } from '../server/adapters/queue.js';
import { storeReadiness } from '../server/adapters/store.js';
import type { ServerDeps } from '../server/deps.js';
import { sharedMetrics, type Metrics } from '../server/metrics.js';
import type { Deduper } from '../server/ports.js';
import { createReviewService } from '../server/review-service.js';
import { startServer, type RunningServer } from '../server/server.js';
import { createPgDeduper } from '../server/webhooks/pg-deduper.js';
import { createRedisDeduper } from '../server/webhooks/redis-deduper.js';
import type { Store } from '../store/types.js';
import { connectionDirectory, publicUrlOf } from './support.js';

export interface ServerParts {
  store: Store;
  queues: QueueSystem;
  /** Present when Redis is configured (any mode): webhook dedupe keys and rate-limit counters live there. */
  redis?: RedisClient | undefined;
  /**
   * From {@link openWebhookDeduper}. Without it: Redis when given, else only the events job's
   * deterministic id (which misses a change redelivered under a new event id).
   */
  dedupe?: Deduper | undefined;
  logger: Logger;
  metrics?: Metrics;
}

/**
 * Where webhook dedupe keys (event id, and deal + occurredAt; 25 h TTL) live: Redis when it is in
 * use, else a table in the store's database. The events job's deterministic id is a second guard.
 */
export async function openWebhookDeduper(
  store: Pick<Store, 'databaseUrl' | 'schema'>,
  redis: RedisClient | undefined,
  /** Keys go under the install's prefix (src/queue/keys.ts), so installs sharing a Redis never drop each other's events. */
  keyPrefix?: string,
): Promise<{ dedupe: Deduper; close(): Promise<void> }> {
  if (redis !== undefined)
    return { dedupe: createRedisDeduper(redis, keyPrefix ? { prefix: keyPrefix } : {}), close: async () => undefined };
  const dedupe = await createPgDeduper(store.databaseUrl, store.schema);
  return { dedupe, close: () => dedupe.close() };
}

/** Wires the production adapters into the server's dependencies. */
export function serverDepsFrom(config: Config, parts: ServerParts): ServerDeps {
  const connections = connectionDirectory(config);
  return {
    options: { publicUrl: publicUrlOf(config), apiTokens: config.apiTokens, metricsToken: config.metricsToken, docs: config.docs },
    logger: parts.logger,
    clock: () => new Date(),
    connections,
    verifierFor: webhookVerifierFor,
    events: queueEventSink(parts.queues),
    dedupe: parts.dedupe ?? (parts.redis === undefined ? jobIdDeduper : createRedisDeduper(parts.redis)),
    jobs: queueJobControl(parts.queues),
    store: parts.store,
    reviews: createReviewService({ store: parts.store, connections }),
    readiness: [...storeReadiness(parts.store), queueReadiness(parts.queues)],
    metrics: parts.metrics ?? sharedMetrics(),
    queues: QUEUE_NAMES.map((name) => parts.queues.queue(name)),
    redis: parts.redis,
  };
}

/**
 * Opens what the HTTP server needs beside the store and queues (a Redis client for rate limits and
 * dedupe when Redis is configured, the webhook deduper) and starts it listening. What it opens is
 * pushed onto `closers` (closed first-in-last-out by the caller) as soon as it exists.
 */
export async function openHttpServer(
  config: Config,
  parts: { store: Store; queues: QueueSystem; logger: Logger },
  closers: (() => Promise<unknown>)[],
): Promise<RunningServer> {
  let redis: RedisClient | undefined;
  const target = redisTargetOf(config);
  if (target !== undefined) {
    // Auto-pipelining: concurrent webhooks' dedupe and rate-limit commands share round trips.
    const client = createRedisClient(target, { maxRetriesPerRequest: 2, enableAutoPipelining: true });
    client.on('error', (err) => parts.logger.warn({ err }, 'redis error'));
    redis = client;
    closers.unshift(() => client.quit());
  }
  const deduper = await openWebhookDeduper(parts.store, redis, parts.queues.keys.webhookDedupe);
  closers.unshift(() => deduper.close());
  return startServer(serverDepsFrom(config, { ...parts, redis, dedupe: deduper.dedupe }), { host: config.host, port: config.port });
}
