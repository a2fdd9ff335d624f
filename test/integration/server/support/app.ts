/** Builds the server on a real queue backend (BullMQ on Redis, unique prefix) for one suite. */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { HubSpotConnection, SalesforceConnection, type ConnectionSettings } from '../../../../src/domain/model/index.js';
import { QueueSystem } from '../../../../src/queue/index.js';
import { buildServer } from '../../../../src/server/app.js';
import { queueEventSink, queueJobControl, queueReadiness } from '../../../../src/server/adapters/queue.js';
import type { ServerDeps, ServerOptions } from '../../../../src/server/deps.js';
import { createMetrics, type Metrics } from '../../../../src/server/metrics.js';
import type {
  ConnectionDirectory,
  Deduper,
  ReadinessCheck,
  ReviewService,
  ServerStore,
  VerifierFactory,
} from '../../../../src/server/ports.js';
import { createRedisDeduper } from '../../../../src/server/webhooks/redis-deduper.js';
import { REDIS_URL, uniqueName } from '../../../support/services.js';
import { webhookVerifierFor } from '../../../../connectors/registry.js';

export const PUBLIC_URL = 'https://dealwatch.example.com';
export const API_TOKEN = 'test-token-0123456789';
export const HUBSPOT_SECRET = 'hubspot-client-secret';
export const SF_TOKEN = 'sf-outbound-token-abcdef';
export const SF_ORG = '00D5g000004XXXXEAA';

export const hubspotConnection = HubSpotConnection.parse({
  id: 'hs-main',
  provider: 'hubspot',
  accessToken: 'pat-na1-test',
  portalId: 62_515,
  webhookSecret: HUBSPOT_SECRET,
});

export const salesforceConnection = SalesforceConnection.parse({
  id: 'sf-main',
  provider: 'salesforce',
  instanceUrl: 'https://example.my.salesforce.com',
  auth: { type: 'accessToken', accessToken: '00Dtest!token' },
  organizationId: SF_ORG,
  outboundMessageToken: SF_TOKEN,
});

/** The connectors' own verifiers, through the registry, as in production. */
export const verifierFor: VerifierFactory = webhookVerifierFor;

export function directoryOf(connections: readonly ConnectionSettings[]): ConnectionDirectory {
  return { list: () => connections, get: (id) => connections.find((c) => c.id === id) };
}

/** A store the webhook path must never touch: any access fails the test. */
export const untouchableStore = new Proxy({} as ServerStore, {
  get(_target, property) {
    throw new Error(`the store was read (${String(property)}) on a path that must not read it`);
  },
});

const noReviews: ReviewService = new Proxy({} as ReviewService, {
  get(_target, property) {
    throw new Error(`the review service was called (${String(property)})`);
  },
});

export interface TestAppOptions {
  connections?: readonly ConnectionSettings[];
  clock?: () => Date;
  verifierFor?: VerifierFactory;
  store?: ServerStore;
  reviews?: ReviewService;
  readiness?: (queues: QueueSystem) => ReadinessCheck[];
  options?: Partial<ServerOptions>;
  logger?: pino.Logger;
  dedupe?: Deduper;
}

export interface TestApp {
  app: FastifyInstance;
  /** What the app was built from (start another instance on a socket with `startServer(deps)`). */
  deps: ServerDeps;
  queues: QueueSystem;
  redis: Redis;
  metrics: Metrics;
  /** Jobs of every state in every queue. */
  totalJobs(): Promise<number>;
  close(): Promise<void>;
}

export async function buildTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const prefix = `{${uniqueName('dwsrv')}}`;
  const logger = options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const queues = await QueueSystem.open({ backend: { kind: 'redis', url: REDIS_URL }, prefix, logger });
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const metrics = createMetrics({ processMetrics: false });
  const deps: ServerDeps = {
    options: { publicUrl: PUBLIC_URL, apiTokens: [API_TOKEN], redisKeyPrefix: `${prefix}:`, ...options.options },
    logger,
    clock: options.clock ?? (() => new Date()),
    connections: directoryOf(options.connections ?? [hubspotConnection, salesforceConnection]),
    verifierFor: options.verifierFor ?? verifierFor,
    events: queueEventSink(queues),
    dedupe: options.dedupe ?? createRedisDeduper(redis, { prefix: `${prefix}:dedupe:` }),
    jobs: queueJobControl(queues),
    store: options.store ?? untouchableStore,
    reviews: options.reviews ?? noReviews,
    readiness: options.readiness?.(queues) ?? [queueReadiness(queues)],
    metrics,
    queues: (['sync', 'events', 'score', 'writeback'] as const).map((n) => queues.queue(n)),
    redis,
  };
  const app = await buildServer(deps);
  await app.ready();
  return {
    app,
    deps,
    queues,
    redis,
    metrics,
    async totalJobs() {
      const counts = await queues.counts();
      return Object.values(counts).reduce((sum, byState) => sum + Object.values(byState).reduce((a, b) => a + b, 0), 0);
    },
    async close() {
      await app.close();
      await queues.obliterate().catch(() => undefined);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      await queues.close();
      await redis.quit();
    },
  };
}
