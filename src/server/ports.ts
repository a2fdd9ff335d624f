/**
 * The narrow ports the HTTP server needs. `buildServer` takes implementations of these, so tests
 * build the app on real backends (BullMQ on Redis, the store) without starting anything else, and
 * the commands (`serve`, `start`, `report`) wire the production adapters in `src/server/adapters/`.
 */
import type { ConnectionSettings } from '../domain/model/index.js';
import type {
  BacktestReport,
  Coaching,
  Forecast,
  ForecastRollup,
  HistoryChanges,
  KpiReport,
  MorningReview,
  ScopeKpis,
} from '../domain/engine.js';
import type { Store } from '../store/types.js';
import type { SyncProgress } from '../queue/catalog.js';
import type { WebhookEvent, WebhookVerifier } from '../../connectors/types.js';

/** Connection settings as configured (secrets included: the webhook verifiers need them). */
export interface ConnectionDirectory {
  list(): readonly ConnectionSettings[];
  get(id: string): ConnectionSettings | undefined;
}

/** Builds the verifier of a connection (the connector registry's `webhookVerifier`). */
export type VerifierFactory = (settings: ConnectionSettings) => WebhookVerifier;

/** Where accepted webhook events go: the `events` queue. */
export interface EventSink {
  /**
   * Enqueues the events (already deduplicated) and resolves once every one is durably queued;
   * rejects when the queue backend does not take them (then nothing is acknowledged).
   * @returns the number of jobs added
   */
  enqueueEvents(events: readonly WebhookEvent[]): Promise<number>;
}

/**
 * Remembers webhook event keys for at least the providers' retry window (24 h) so that a
 * redelivered event enqueues once.
 */
export interface Deduper {
  /** Claims every key; true when none was seen before (the event is new). */
  claim(keys: readonly string[]): Promise<boolean>;
  /** Forgets keys claimed by an event that could not be enqueued, so its redelivery is accepted. */
  release(keys: readonly string[]): Promise<void>;
}

export type SyncMode = 'incremental' | 'full';

export type JobState = 'waiting' | 'active' | 'delayed' | 'completed' | 'failed' | 'prioritized' | 'waiting-children' | 'unknown';

export interface JobView {
  id: string;
  queue: string;
  name: string;
  state: JobState;
  attemptsMade: number;
  createdAt: string | null;
  finishedAt: string | null;
  failedReason: string | null;
  /** The job's return value when completed (a sync summary for sync jobs). */
  result: unknown;
  /** How far the job has got (a sync's `SyncProgress`); 0 or null for jobs that do not report. */
  progress: SyncProgress | number | null;
}

/** Manual syncs, job look-ups and schedules. */
export interface JobControl {
  /** Enqueues a sync of one connection; resolves to the job id. */
  enqueueSync(connectionId: string, mode: SyncMode): Promise<string>;
  /** Looks a job up in every queue; `null` when no queue knows it. */
  getJob(id: string): Promise<JobView | null>;
  /** Next run of the connection's nightly schedule, ISO, or `null` when none is scheduled. */
  nextScheduledRun(connectionId: string): Promise<string | null>;
}

/** The store's repositories the server reads (src/store/types.ts), plus its health. */
export type ServerStore = Pick<
  Store,
  | 'connections'
  | 'connectionState'
  | 'owners'
  | 'stages'
  | 'deals'
  | 'activities'
  | 'history'
  | 'snapshots'
  | 'scores'
  | 'findings'
  | 'syncRuns'
  | 'ping'
  | 'migrationStatus'
>;

/** `/reps`: every rep's KPIs with the coaching signals. */
export interface RepsView {
  currency: string;
  reps: ScopeKpis[];
  coaching: Coaching;
}

/** The engine's reports, loaded from the store; shared by the API and `dealwatch report`. */
export interface ReviewService {
  review(connectionId: string, now: Date): Promise<MorningReview>;
  kpis(
    connectionId: string,
    query: { period?: string | undefined; owner?: string | undefined; team?: string | undefined },
    now: Date,
  ): Promise<KpiReport>;
  forecast(connectionId: string, query: { period?: string | undefined }, now: Date): Promise<Forecast>;
  changes(connectionId: string, query: { from?: string | undefined; to?: string | undefined }, now: Date): Promise<HistoryChanges>;
  rollup(connectionId: string, now: Date): Promise<ForecastRollup>;
  backtest(connectionId: string, query: { quarters?: number | undefined }, now: Date): Promise<BacktestReport>;
  reps(connectionId: string, now: Date): Promise<RepsView>;
}

/** One dependency `/readyz` checks (`database`, `migrations`, `queue`). */
export interface ReadinessCheck {
  name: string;
  /** Resolves when healthy; rejects with an error saying what is wrong (no secrets). */
  check(signal: AbortSignal): Promise<void>;
}
