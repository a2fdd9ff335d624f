/**
 * Prometheus metrics of dealwatch, on a registry of our own (never prom-client's global one, so
 * two apps in one test process do not collide). Workers, connectors' callers and the server all
 * increment the same named series; `/metrics` exposes the registry.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Counts of one queue's jobs by state, read at scrape time. */
export type QueueCountsReader = () => Promise<Record<string, Record<string, number>>>;

/** The last finished sync run of each connection, read at scrape time (from the store). */
export interface LastSyncRun {
  connection: string;
  provider: string;
  mode: string;
  status: string;
  durationSeconds: number | null;
  /** Counts by kind (deals, activities, history, annotationsWritten, ...). */
  counts: Record<string, number>;
  apiCalls: number | null;
  rateLimited: number | null;
}
export type LastSyncRunsReader = () => Promise<LastSyncRun[]>;

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
   * Webhook events by provider and outcome: `accepted`, `duplicate`, `ignored` or `rejected`, with
   * the reason. `ignored`: `self_inflicted` (dealwatch's own writes), `unknown_connection`,
   * `other_object` (an event about another object type), and events that could not be read
   * (`unknown_subscription_type`, `missing_object_id`, `missing_object_type`, also logged at warn).
   * `rejected` (the whole request, 4xx): `bad_signature`, `too_large`, `wrong_shape`, ...
   */
  readonly webhookEvents: Counter<'provider' | 'outcome' | 'reason'>;
  /** Annotations written to the CRM, by connection and kind (`field`, `note`, `task`). */
  readonly annotationsWritten: Counter<'connection' | 'kind'>;
  /** Jobs finished by this process's workers, by queue, connection and outcome (`completed`, `failed`). */
  readonly jobsFinished: Counter<'queue' | 'connection' | 'outcome'>;
  /** Jobs per queue and state (waiting, active, delayed, completed, failed), read at scrape time. */
  readonly queueJobs: Gauge<'queue' | 'state'>;
  /**
   * Last finished sync run per connection, read from the store at scrape time, so the figures are
   * right whichever process ran the sync: `dealwatch_last_sync_*`.
   */
  readonly lastSync: {
    durationSeconds: Gauge<'connection' | 'provider' | 'mode' | 'status'>;
    records: Gauge<'connection' | 'kind'>;
    apiCalls: Gauge<'connection' | 'provider'>;
    rateLimited: Gauge<'connection' | 'provider'>;
  };
  /** Makes `queueJobs` read the queues at each scrape. */
  observeQueues(reader: QueueCountsReader): void;
  /** Makes `lastSync` read the store at each scrape. */
  observeSyncRuns(reader: LastSyncRunsReader): void;
}

export interface MetricsOptions {
  /** Also collect Node process metrics (event loop lag, heap, GC). @defaultValue true */
  processMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'dealwatch_' });
  let queueReader: QueueCountsReader | null = null;
  let syncReader: LastSyncRunsReader | null = null;
  const registers = [registry];

  // One store read per scrape feeds the four last-sync gauges.
  let pendingRead: Promise<LastSyncRun[]> | null = null;
  const readSyncRuns = (): Promise<LastSyncRun[]> => {
    if (syncReader === null) return Promise.resolve([]);
    pendingRead ??= syncReader()
      .catch(() => [])
      .finally(() => setImmediate(() => (pendingRead = null)));
    return pendingRead;
  };
  const lastSyncGauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (gauge: Gauge<L>, runs: LastSyncRun[]) => void) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers,
      async collect() {
        const runs = await readSyncRuns();
        this.reset();
        fill(this, runs);
      },
    });

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
      help: 'Webhook events by provider, outcome (accepted, duplicate, ignored, rejected) and reason',
      labelNames: ['provider', 'outcome', 'reason'] as const,
      registers,
    }),
    annotationsWritten: new Counter({
      name: 'dealwatch_annotations_written_total',
      help: 'Annotations written to the CRM',
      labelNames: ['connection', 'kind'] as const,
      registers,
    }),
    jobsFinished: new Counter({
      name: 'dealwatch_jobs_finished_total',
      help: 'Jobs finished by the workers of this process',
      labelNames: ['queue', 'connection', 'outcome'] as const,
      registers,
    }),
    queueJobs,
    lastSync: {
      durationSeconds: lastSyncGauge('dealwatch_last_sync_duration_seconds', 'Duration of the last finished sync run', ['connection', 'provider', 'mode', 'status'] as const, (g, runs) => {
        for (const r of runs) if (r.durationSeconds !== null) g.set({ connection: r.connection, provider: r.provider, mode: r.mode, status: r.status }, r.durationSeconds);
      }),
      records: lastSyncGauge('dealwatch_last_sync_records', 'Records of the last finished sync run, by kind', ['connection', 'kind'] as const, (g, runs) => {
        for (const r of runs) for (const [kind, n] of Object.entries(r.counts)) g.set({ connection: r.connection, kind }, n);
      }),
      apiCalls: lastSyncGauge('dealwatch_last_sync_api_calls', 'CRM API calls of the last finished sync run', ['connection', 'provider'] as const, (g, runs) => {
        for (const r of runs) if (r.apiCalls !== null) g.set({ connection: r.connection, provider: r.provider }, r.apiCalls);
      }),
      rateLimited: lastSyncGauge('dealwatch_last_sync_rate_limited', 'Rate-limited CRM answers (429) in the last finished sync run', ['connection', 'provider'] as const, (g, runs) => {
        for (const r of runs) if (r.rateLimited !== null) g.set({ connection: r.connection, provider: r.provider }, r.rateLimited);
      }),
    },
    observeQueues(reader) {
      queueReader = reader;
    },
    observeSyncRuns(reader) {
      syncReader = reader;
    },
  };
}

let shared: Metrics | undefined;

/** The process-wide metrics: what `dealwatch serve`/`start` exposes and what workers in the process increment. */
export function sharedMetrics(): Metrics {
  shared ??= createMetrics();
  return shared;
}
