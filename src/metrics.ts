/**
 * The pipeline's Prometheus metrics: what the workers, the connectors they drive and the queues
 * count, in whichever process does the work. Neutral like `logger.ts` (prom-client only), so
 * `jobs/` can reach it without importing the server; connectors never import it, they report
 * each answer through `ConnectorDeps.onApiCall`, which `jobs/` wires here.
 *
 * `dealwatch start` serves these on its `/metrics` next to the server's own families
 * (src/server/metrics.ts); `dealwatch worker` serves them on `DEALWATCH_METRICS_PORT`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Counts of each queue's jobs by state, read at scrape time. */
export type QueueCountsReader = () => Promise<Record<string, Record<string, number>>>;
/** Age in seconds of each queue's oldest waiting job (absent or null: none waiting), read at scrape time. */
export type QueueAgeReader = () => Promise<Record<string, number | null>>;

/** Coarse kind of a CRM endpoint, so the series stay few whatever the URL. */
export type EndpointClass = 'auth' | 'bulk' | 'query' | 'read' | 'write';

export interface PipelineMetrics {
  readonly registry: Registry;
  /** CRM HTTP answers by connection, provider, endpoint class and status (`429`, `200`, ... or `error` without an answer). */
  readonly crmCalls: Counter<'connection' | 'provider' | 'endpoint_class' | 'status'>;
  /** Records a sync pulled and stored, by connection and kind (`deals`, `activities`, `history`, `tombstones`). */
  readonly syncRecords: Counter<'connection' | 'kind'>;
  /** Duration of sync runs in seconds, by connection, provider, mode and final status. */
  readonly syncDuration: Histogram<'connection' | 'provider' | 'mode' | 'status'>;
  /** Jobs that ended for good, by queue, connection and outcome (`completed`, `failed`). */
  readonly jobsFinished: Counter<'queue' | 'connection' | 'outcome'>;
  /** Seconds a job waited in its queue before its first attempt started, by queue. */
  readonly jobWait: Histogram<'queue'>;
  /** Seconds each attempt ran, by queue and outcome (`completed`, `failed`, `retry`, `delayed`). */
  readonly jobRun: Histogram<'queue' | 'outcome'>;
  /** Annotations the CRM accepted, by connection and kind (`field`, `note`, `task`). */
  readonly annotationsWritten: Counter<'connection' | 'kind'>;
  /** Annotations the CRM refused (or whose batch failed), by connection and kind. */
  readonly annotationsFailed: Counter<'connection' | 'kind'>;
  /** Digest sends by channel (`email`, `slack`) and outcome (`sent`, `failed`, `skipped`: sent by an earlier attempt of the same tick). */
  readonly digestSends: Counter<'channel' | 'outcome'>;
  /** Jobs per queue and state (waiting, active, delayed, prioritized, completed, failed). */
  readonly queueJobs: Gauge<'queue' | 'state'>;
  /** Age of the oldest waiting job per queue (0 when none waits): the signal to scale workers on. */
  readonly queueOldestAge: Gauge<'queue'>;
  /** Makes the queue gauges read the queues at each scrape. */
  observeQueues(counts: QueueCountsReader, ages: QueueAgeReader): void;
}

export interface PipelineMetricsOptions {
  /** Also collect Node process metrics (event loop lag, heap, GC) under `dealwatch_`. @defaultValue true */
  processMetrics?: boolean;
}

/** Seconds buckets of job waits and runs: an events job takes milliseconds, a full sync an hour. */
const JOB_SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600];

/** Registers the pipeline's families on `registry`. */
export function createPipelineMetrics(registry: Registry = new Registry(), options: PipelineMetricsOptions = {}): PipelineMetrics {
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'dealwatch_' });
  const registers = [registry];
  let countsReader: QueueCountsReader | null = null;
  let agesReader: QueueAgeReader | null = null;
  const queueJobs = gaugeReadAtScrape({
    name: 'dealwatch_queue_jobs',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'] as const,
    registers,
    read: () => countsReader?.() ?? Promise.resolve(null),
    fill(gauge, counts) {
      for (const [queue, byState] of Object.entries(counts)) {
        for (const [state, count] of Object.entries(byState)) gauge.set({ queue, state }, count);
      }
    },
  });
  const queueOldestAge = gaugeReadAtScrape({
    name: 'dealwatch_queue_oldest_waiting_seconds',
    help: 'Age of the oldest job waiting in each queue (0 when none waits)',
    labelNames: ['queue'] as const,
    registers,
    read: () => agesReader?.() ?? Promise.resolve(null),
    fill(gauge, ages) {
      for (const [queue, age] of Object.entries(ages)) gauge.set({ queue }, age ?? 0);
    },
  });
  return {
    registry,
    crmCalls: new Counter({
      name: 'dealwatch_crm_api_calls_total',
      help: 'CRM API answers by endpoint class and HTTP status (error: no answer)',
      labelNames: ['connection', 'provider', 'endpoint_class', 'status'] as const,
      registers,
    }),
    syncRecords: new Counter({
      name: 'dealwatch_sync_records_total',
      help: 'Records pulled and stored by syncs',
      labelNames: ['connection', 'kind'] as const,
      registers,
    }),
    syncDuration: new Histogram({
      name: 'dealwatch_sync_run_duration_seconds',
      help: 'Duration of sync runs',
      labelNames: ['connection', 'provider', 'mode', 'status'] as const,
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    }),
    jobsFinished: new Counter({
      name: 'dealwatch_jobs_finished_total',
      help: 'Jobs that ended for good, by outcome',
      labelNames: ['queue', 'connection', 'outcome'] as const,
      registers,
    }),
    jobWait: new Histogram({
      name: 'dealwatch_job_wait_seconds',
      help: 'Time a job waited in its queue before its first attempt',
      labelNames: ['queue'] as const,
      buckets: JOB_SECONDS_BUCKETS,
      registers,
    }),
    jobRun: new Histogram({
      name: 'dealwatch_job_run_seconds',
      help: 'Run time of each job attempt, by outcome',
      labelNames: ['queue', 'outcome'] as const,
      buckets: JOB_SECONDS_BUCKETS,
      registers,
    }),
    annotationsWritten: new Counter({
      name: 'dealwatch_annotations_written_total',
      help: 'Annotations the CRM accepted',
      labelNames: ['connection', 'kind'] as const,
      registers,
    }),
    annotationsFailed: new Counter({
      name: 'dealwatch_annotations_failed_total',
      help: 'Annotations the CRM refused or that failed with their batch',
      labelNames: ['connection', 'kind'] as const,
      registers,
    }),
    digestSends: new Counter({
      name: 'dealwatch_digest_sends_total',
      help: 'Digest sends by channel and outcome (sent, failed, skipped when an earlier attempt of the tick sent it)',
      labelNames: ['channel', 'outcome'] as const,
      registers,
    }),
    queueJobs,
    queueOldestAge,
    observeQueues(counts, ages) {
      countsReader = counts;
      agesReader = ages;
    },
  };
}

/**
 * A gauge whose series are read at each scrape (from the queues, the store): `read` gives the
 * figures (null: nothing to show yet), `fill` sets them after a reset. A failed read keeps the
 * previous figures, so a scrape never fails because a backend is down: /readyz reports that.
 */
export function gaugeReadAtScrape<L extends string, T>(options: {
  name: string;
  help: string;
  labelNames: readonly L[];
  registers: Registry[];
  read: () => Promise<T | null>;
  fill: (gauge: Gauge<L>, value: T) => void;
}): Gauge<L> {
  const { read, fill, ...config } = options;
  return new Gauge<L>({
    ...config,
    async collect() {
      const value = await read().catch(() => null);
      if (value === null) return;
      this.reset();
      fill(this, value);
    },
  });
}

/**
 * The class of an endpoint template (`POST /crm/v3/objects/deals/search`, `GET /services/data/v62.0/query`):
 * token exchanges, Bulk API jobs, queries and searches, other reads, and writes.
 */
export function endpointClassOf(endpoint: string): EndpointClass {
  const [method = 'GET', path = ''] = endpoint.split(' ', 2);
  const p = (path.startsWith('/') ? path : `/${path}`).toLowerCase();
  if (/oauth|\/token\b/.test(p)) return 'auth';
  if (/\/jobs\/(ingest|query)/.test(p)) return 'bulk';
  if (/\/(search|query|queryall)(\/|$|\?)/.test(p)) return 'query';
  // A batch read is a POST that changes nothing.
  if (/\/batch\/read$/.test(p) || ['GET', 'HEAD'].includes(method.toUpperCase())) return 'read';
  return 'write';
}

let shared: PipelineMetrics | undefined;

/** The process-wide pipeline metrics: what this process's workers count and its `/metrics` shows. */
export function processMetrics(): PipelineMetrics {
  shared ??= createPipelineMetrics();
  return shared;
}
