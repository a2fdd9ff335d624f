/**
 * Prometheus metrics the server exposes on `/metrics`: its own families (HTTP latency, webhook
 * events, the last sync run of each connection read from the store) on the registry of the
 * pipeline's (src/metrics.ts), so that `dealwatch start` shows what its workers count too. Never
 * prom-client's global registry, so two apps in one test process do not collide.
 */
import { Gauge, Histogram, Counter } from 'prom-client';
import { createPipelineMetrics, gaugeReadAtScrape, processMetrics, type PipelineMetrics } from '../metrics.js';

export type { QueueCountsReader, QueueAgeReader } from '../metrics.js';

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

/** Whether each configured connection is paused (needs attention), read at scrape time. */
export type ConnectionStatesReader = () => Promise<{ connection: string; provider: string; paused: boolean }[]>;

export interface Metrics extends PipelineMetrics {
  /** HTTP request latency in seconds, by method, route pattern and status code. */
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  /**
   * Webhook events by provider and outcome: `accepted`, `duplicate`, `ignored` or `rejected`, with
   * the reason. `ignored`: `self_inflicted` (dealwatch's own writes), `unknown_connection`,
   * `other_object` (an event about another object type), and events that could not be read
   * (`unknown_subscription_type`, `missing_object_id`, `missing_object_type`, also logged at warn).
   * `rejected` (the whole request, 4xx): `bad_signature`, `too_large`, `wrong_shape`, ...
   * `unreleased` (`dedupe_release_failed`, logged at error): events not enqueued whose dedupe claims
   * could not be freed, so the provider's retries of them count as duplicates.
   */
  readonly webhookEvents: Counter<'provider' | 'outcome' | 'reason'>;
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
  /** 1 while a connection is paused (repeated failures, revoked credentials), else 0. */
  readonly connectionPaused: Gauge<'connection' | 'provider'>;
  /** Makes `lastSync` read the store at each scrape. */
  observeSyncRuns(reader: LastSyncRunsReader): void;
  /** Makes `connectionPaused` read the store at each scrape. */
  observeConnections(reader: ConnectionStatesReader): void;
}

export interface MetricsOptions {
  /** Also collect Node process metrics (event loop lag, heap, GC). @defaultValue true */
  processMetrics?: boolean;
  /** The pipeline metrics to share a registry with. @defaultValue new ones on a new registry */
  pipeline?: PipelineMetrics;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const pipeline = options.pipeline ?? createPipelineMetrics(undefined, { processMetrics: options.processMetrics !== false });
  const registry = pipeline.registry;
  let syncReader: LastSyncRunsReader | null = null;
  let connectionsReader: ConnectionStatesReader | null = null;
  const registers = [registry];

  // One store read per scrape feeds the four last-sync gauges.
  let pendingRead: Promise<LastSyncRun[]> | null = null;
  const readSyncRuns = (): Promise<LastSyncRun[]> => {
    if (syncReader === null) return Promise.resolve([]);
    // A failed read rejects: each gauge then keeps its previous figures (gaugeReadAtScrape) instead
    // of being emptied, and /readyz reports the store.
    pendingRead ??= syncReader().finally(() => setImmediate(() => (pendingRead = null)));
    return pendingRead;
  };
  const lastSyncGauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    fill: (gauge: Gauge<L>, runs: LastSyncRun[]) => void,
  ) => gaugeReadAtScrape({ name, help, labelNames, registers, read: readSyncRuns, fill });

  return {
    ...pipeline,
    httpDuration: new Histogram({
      name: 'dealwatch_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    webhookEvents: new Counter({
      name: 'dealwatch_webhook_events_total',
      help: 'Webhook events by provider, outcome (accepted, duplicate, ignored, rejected) and reason',
      labelNames: ['provider', 'outcome', 'reason'] as const,
      registers,
    }),
    lastSync: {
      durationSeconds: lastSyncGauge(
        'dealwatch_last_sync_duration_seconds',
        'Duration of the last finished sync run',
        ['connection', 'provider', 'mode', 'status'] as const,
        (g, runs) => {
          for (const r of runs)
            if (r.durationSeconds !== null)
              g.set({ connection: r.connection, provider: r.provider, mode: r.mode, status: r.status }, r.durationSeconds);
        },
      ),
      records: lastSyncGauge(
        'dealwatch_last_sync_records',
        'Records of the last finished sync run, by kind',
        ['connection', 'kind'] as const,
        (g, runs) => {
          for (const r of runs) for (const [kind, n] of Object.entries(r.counts)) g.set({ connection: r.connection, kind }, n);
        },
      ),
      apiCalls: lastSyncGauge(
        'dealwatch_last_sync_api_calls',
        'CRM API calls of the last finished sync run',
        ['connection', 'provider'] as const,
        (g, runs) => {
          for (const r of runs) if (r.apiCalls !== null) g.set({ connection: r.connection, provider: r.provider }, r.apiCalls);
        },
      ),
      rateLimited: lastSyncGauge(
        'dealwatch_last_sync_rate_limited',
        'Rate-limited CRM answers (429) in the last finished sync run',
        ['connection', 'provider'] as const,
        (g, runs) => {
          for (const r of runs) if (r.rateLimited !== null) g.set({ connection: r.connection, provider: r.provider }, r.rateLimited);
        },
      ),
    },
    connectionPaused: gaugeReadAtScrape({
      name: 'dealwatch_connection_paused',
      help: '1 while a connection is paused and syncs nothing until resumed',
      labelNames: ['connection', 'provider'] as const,
      registers,
      read: () => connectionsReader?.() ?? Promise.resolve(null),
      fill(gauge, states) {
        for (const s of states) gauge.set({ connection: s.connection, provider: s.provider }, s.paused ? 1 : 0);
      },
    }),
    observeSyncRuns(reader) {
      syncReader = reader;
    },
    observeConnections(reader) {
      connectionsReader = reader;
    },
  };
}

let shared: Metrics | undefined;

/** The process-wide metrics: what `dealwatch serve`/`start` exposes, on the registry its workers count on. */
export function sharedMetrics(): Metrics {
  shared ??= createMetrics({ pipeline: processMetrics() });
  return shared;
}
