/**
 * Prometheus metrics of dealwatch, on a registry of our own (never prom-client's global one, so
 * two apps in one test process do not collide). Workers, connectors' callers and the server all
 * increment the same named series; `/metrics` exposes the registry.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Counts of one queue's jobs by state, read at scrape time. */
export type QueueCountsReader = () => Promise<Record<string, Record<string, number>>>;

export interface Metrics {
  readonly registry: Registry;
  /** HTTP request latency in seconds, by method, route pattern and status code. */
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  /** Duration of sync runs in seconds, by connection, provider, mode and final status. */
  readonly syncDuration: Histogram<'connection' | 'provider' | 'mode' | 'status'>;
  /** Records a sync pulled, by connection and stream (deals, activities, history). */
  readonly syncRecords: Counter<'connection' | 'stream'>;
  /** Provider API calls by connection and provider. */
  readonly apiCalls: Counter<'connection' | 'provider'>;
  /** Provider answers that were rate limits (429 / REQUEST_LIMIT_EXCEEDED). */
  readonly apiRateLimited: Counter<'connection' | 'provider'>;
  /**
   * Webhook events by provider and outcome: `accepted`, `duplicate`, `ignored` (self-inflicted or
   * unknown connection) or `rejected`, with the reason (`bad_signature`, `too_large`, ...).
   */
  readonly webhookEvents: Counter<'provider' | 'outcome' | 'reason'>;
  /** Annotations written to the CRM, by connection and kind (`field`, `note`, `task`). */
  readonly annotationsWritten: Counter<'connection' | 'kind'>;
  /** Jobs per queue and state (waiting, active, delayed, completed, failed), read at scrape time. */
  readonly queueJobs: Gauge<'queue' | 'state'>;
  /** Makes `queueJobs` read the queues at each scrape. */
  observeQueues(reader: QueueCountsReader): void;
}

export interface MetricsOptions {
  /** Also collect Node process metrics (event loop lag, heap, GC). @defaultValue true */
  processMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'dealwatch_' });
  let queueReader: QueueCountsReader | null = null;
  const registers = [registry];

  const queueJobs = new Gauge({
    name: 'dealwatch_queue_jobs',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      if (queueReader === null) return;
      this.reset();
      // A scrape must not fail because the queue backend is down: /readyz reports that.
      const counts = await queueReader().catch(() => ({}) as Record<string, Record<string, number>>);
      for (const [queue, byState] of Object.entries(counts)) {
        for (const [state, count] of Object.entries(byState)) this.set({ queue, state }, count);
      }
    },
  });

  return {
    registry,
    httpDuration: new Histogram({
      name: 'dealwatch_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    syncDuration: new Histogram({
      name: 'dealwatch_sync_run_duration_seconds',
      help: 'Duration of sync runs',
      labelNames: ['connection', 'provider', 'mode', 'status'] as const,
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    }),
    syncRecords: new Counter({
      name: 'dealwatch_sync_records_total',
      help: 'Records pulled by syncs',
      labelNames: ['connection', 'stream'] as const,
      registers,
    }),
    apiCalls: new Counter({
      name: 'dealwatch_crm_api_calls_total',
      help: 'CRM API calls',
      labelNames: ['connection', 'provider'] as const,
      registers,
    }),
    apiRateLimited: new Counter({
      name: 'dealwatch_crm_api_rate_limited_total',
      help: 'CRM API answers that were rate limits',
      labelNames: ['connection', 'provider'] as const,
      registers,
    }),
    webhookEvents: new Counter({
      name: 'dealwatch_webhook_events_total',
      help: 'Webhook events by outcome and reason',
      labelNames: ['provider', 'outcome', 'reason'] as const,
      registers,
    }),
    annotationsWritten: new Counter({
      name: 'dealwatch_annotations_written_total',
      help: 'Annotations written to the CRM',
      labelNames: ['connection', 'kind'] as const,
      registers,
    }),
    queueJobs,
    observeQueues(reader) {
      queueReader = reader;
    },
  };
}

let shared: Metrics | undefined;

/** The process-wide metrics: what `dealwatch serve`/`start` exposes and what workers in the process increment. */
export function sharedMetrics(): Metrics {
  shared ??= createMetrics();
  return shared;
}
