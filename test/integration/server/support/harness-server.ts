/**
 * The real HTTP server on a socket over a pipeline harness (sandbox CRM synced through the real
 * queues and processors into the store): what the API and web app suites drive over HTTP.
 */
import net from 'node:net';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { webhookVerifierFor } from '../../../../connectors/registry.js';
import { QUEUE_NAMES } from '../../../../src/queue/index.js';
import { queueEventSink, queueJobControl, queueReadiness } from '../../../../src/server/adapters/queue.js';
import { storeReadiness } from '../../../../src/server/adapters/store.js';
import { createMetrics } from '../../../../src/server/metrics.js';
import { createReviewService } from '../../../../src/server/review-service.js';
import { startServer, type RunningServer } from '../../../../src/server/server.js';
import { createRedisDeduper } from '../../../../src/server/webhooks/redis-deduper.js';
import { REDIS_URL, uniqueName } from '../../../support/services.js';
import type { Harness } from '../../pipeline/harness.js';
import { directoryOf } from './app.js';

/** A port free on loopback now (to tell the sandbox the server's webhook URL before it starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export interface HarnessServer {
  server: RunningServer;
  close(): Promise<void>;
}

/** Starts the server on `port` over the harness's store and queues, clocked by the sandbox. */
export async function serveHarness(h: Harness, options: { port: number; token: string }): Promise<HarnessServer> {
  const redis = new Redis(REDIS_URL);
  const connections = directoryOf(h.settings);
  const prefix = uniqueName('dwsbx');
  const server = await startServer(
    {
      options: { publicUrl: `http://127.0.0.1:${options.port}`, apiTokens: [options.token], redisKeyPrefix: `${prefix}:` },
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      clock: () => new Date(h.sandbox.now()),
      connections,
      verifierFor: webhookVerifierFor,
      events: queueEventSink(h.queues),
      dedupe: createRedisDeduper(redis, { prefix: `${prefix}:dedupe:` }),
      jobs: queueJobControl(h.queues),
      store: h.store,
      reviews: createReviewService({ store: h.store, connections }),
      readiness: [...storeReadiness(h.store), queueReadiness(h.queues)],
      metrics: createMetrics({ processMetrics: false }),
      queues: QUEUE_NAMES.map((n) => h.queues.queue(n)),
      redis,
    },
    { host: '127.0.0.1', port: options.port },
  );
  return {
    server,
    async close() {
      await server.close();
      await redis.quit();
    },
  };
}
