/**
 * What `buildServer` is built from. Everything with I/O comes in here, so tests build the app on
 * real backends they control and the commands wire production adapters.
 */
import type { Queue } from 'bullmq';
import type { RedisClient } from '../queue/redis.js';
import type { FastifyBaseLogger } from 'fastify';
import type { Metrics } from './metrics.js';
import type {
  ConnectionDirectory,
  Deduper,
  EventSink,
  JobControl,
  ReadinessCheck,
  ReviewService,
  ServerStore,
  VerifierFactory,
} from './ports.js';

export interface RateLimitOptions {
  /** Requests per window per source. */
  max: number;
  /** Window length in milliseconds. */
  timeWindowMs: number;
}

export interface ServerOptions {
  /**
   * Base URL the providers call (scheme, host, optional path prefix), without trailing slash.
   * HubSpot v3 signs the URL it called, so behind a proxy this is the proxy's URL.
   */
  publicUrl: string;
  /** Bearer tokens of the manager API and the queue dashboard (DEALWATCH_API_TOKENS). */
  apiTokens: readonly string[];
  /**
   * Who reads `/docs` and `/docs/json` (DEALWATCH_DOCS, whose default is `token`): nobody (`off`, not
   * served), API token holders (`token`), anyone (`public`). @defaultValue "public" for an app built
   * without configuration (tests, embedding)
   */
  docs?: 'off' | 'token' | 'public';
  /** Bearer token scrapers present on `/metrics` (DEALWATCH_METRICS_TOKEN). @defaultValue none: `/metrics` is open */
  metricsToken?: string | undefined;
  /** Per-source limit of the webhook routes (source: HubSpot sender IP, Salesforce connection). @defaultValue 6000 a minute */
  webhookRateLimit?: RateLimitOptions;
  /** Per-token limit of the manager API. @defaultValue 600 a minute */
  apiRateLimit?: RateLimitOptions;
  /**
   * Which peers' X-Forwarded-* headers are believed (client IP for rate limits and logs). Anyone
   * else could forge them to dodge the per-source limit.
   * @defaultValue private and loopback addresses, where a reverse proxy usually sits
   */
  trustProxy?: boolean | string | string[];
  /** Prefix of the server's own Redis keys (rate-limit counters). @defaultValue "dealwatch:" */
  redisKeyPrefix?: string;
  /** Largest webhook body accepted. @defaultValue 1 MiB */
  webhookBodyLimitBytes?: number;
}

export interface ServerDeps {
  options: ServerOptions;
  /** pino logger; the server logs through a child `{ module: 'http' }`. */
  logger: FastifyBaseLogger;
  /** Now. A parameter so that tests pin time (signature windows, reports). */
  clock: () => Date;
  connections: ConnectionDirectory;
  verifierFor: VerifierFactory;
  events: EventSink;
  dedupe: Deduper;
  jobs: JobControl;
  store: ServerStore;
  reviews: ReviewService;
  readiness: readonly ReadinessCheck[];
  metrics: Metrics;
  /** Queues shown on the dashboard and counted by `/metrics`. */
  queues: readonly Queue[];
  /** Rate-limit counters live here when Redis is in use (shared by every replica); else in memory. */
  redis?: RedisClient | undefined;
}
