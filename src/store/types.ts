/**
 * The store contract: everything the pipeline (jobs/), the server and the CLI read and write.
 *
 * Conventions shared by every repository:
 * - Every method that touches synced data takes the connection id first; no query ever reads or
 *   writes another connection's rows.
 * - Instants are ISO 8601 strings in UTC (`2026-11-26T09:00:00.000Z`), days are `YYYY-MM-DD`,
 *   exactly as in `src/domain/model`.
 * - Page writes are one statement per page and idempotent: re-sending an identical record changes
 *   nothing (not even `updated_at`), because each row carries a hash of its content.
 */
import type {
  Activity,
  ApiUsage,
  Connection,
  ConnectionSettings,
  Deal,
  DealFieldChange,
  DealScore,
  DealSnapshot,
  DigestChannel,
  Finding,
  LedgerFinding,
  Owner,
  ScoreBand,
  Stage,
  StageChange,
  SyncCursor,
  SyncStatus,
  SyncStream,
} from '../domain/model/index.js';

/** Outcome of an idempotent page write. */
export interface UpsertResult {
  /** Rows that did not exist before. */
  inserted: number;
  /** Rows whose content changed. */
  updated: number;
  /** Rows re-sent with identical content: untouched. */
  unchanged: number;
  /** External ids of inserted or updated rows (what needs rescoring). */
  changedIds: string[];
}

// ---------------------------------------------------------------------------------------------
// Connections and their runtime state

export interface ConnectionRepository {
  /**
   * Records the configured connections (id, provider, name, time zone, reporting currency; never a
   * secret). Connections absent from `settings` are kept with their data, only no longer listed
   * as configured.
   */
  upsertFromConfig(settings: readonly ConnectionSettings[]): Promise<void>;
  /** Connections present in the current configuration, ordered by id. */
  list(): Promise<Connection[]>;
  get(connectionId: string): Promise<Connection | null>;
}

/** Operational state of a connection, kept across restarts. */
export interface ConnectionState {
  connectionId: string;
  /** Why syncs and write-backs are paused (e.g. `auth revoked`); null when running. */
  pausedReason: string | null;
  pausedAt: string | null;
  /** Sync runs that failed in a row; reset by a successful run. */
  consecutiveFailures: number;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
}

export interface ConnectionStateRepository {
  /** State of the connection; a connection never paused nor failed has a zeroed state. */
  get(connectionId: string): Promise<ConnectionState>;
  pause(connectionId: string, reason: string, at: string): Promise<void>;
  resume(connectionId: string): Promise<void>;
  /** Counts a failed run; returns the new number of consecutive failures. */
  recordFailure(connectionId: string, at: string): Promise<number>;
  /** Resets the failure count after a successful run. */
  recordSuccess(connectionId: string, at: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Reference data

export interface OwnerRepository {
  /** Upserts owners (reps) of one connection, one statement. */
  upsertMany(connectionId: string, owners: readonly Owner[]): Promise<UpsertResult>;
  list(connectionId: string): Promise<Owner[]>;
}

export interface StageRepository {
  /**
   * Replaces the connection's stage list (all pipelines) in one transaction: stages absent from
   * `stages` are removed. Identical lists change nothing.
   */
  replace(connectionId: string, stages: readonly Stage[]): Promise<void>;
  /** Ordered by pipeline, then order. */
  list(connectionId: string): Promise<Stage[]>;
}

// ---------------------------------------------------------------------------------------------
// Deals

/** Filters of the deal list (API and report). All are optional and combine with AND. */
export interface DealListFilter {
  /** Only deals whose latest score is in this band. */
  band?: ScoreBand;
  /** Only deals with an open finding of this rule. */
  ruleId?: string;
  ownerId?: string;
  /** Only deals owned by one of these (a team); an empty list matches nothing. */
  ownerIds?: readonly string[];
  /** Only these deals (external ids). */
  externalIds?: readonly string[];
  stageId?: string;
  pipeline?: string;
  /** Only deals closing on or after this ISO day. */
  closeFrom?: string;
  /** Only deals closing on or before this ISO day. */
  closeTo?: string;
  /** Only deals whose account the CRM flags as a target (key) account. */
  keyAccount?: boolean;
  /** `open` (default), `closed` or `all`. */
  state?: 'open' | 'closed' | 'all';
  /** Include tombstoned deals. @defaultValue false */
  includeDeleted?: boolean;
}

/** Orders the deal list can take; every one ends on the external id, so pages never overlap. */
export const DEAL_SORTS = ['name', 'amount', 'closeDate', 'score'] as const;
export type DealSort = (typeof DEAL_SORTS)[number];

export interface DealListQuery extends DealListFilter {
  /** Opaque cursor from the previous page's `nextCursor`; omit for the first page. */
  cursor?: string | null;
  /** @defaultValue "name" */
  sort?: DealSort;
  /** @defaultValue "asc" */
  direction?: 'asc' | 'desc';
  /** Page size, 1..1000. @defaultValue 100 */
  limit?: number;
}

/** A deal with its latest score, as lists show it. */
export interface DealListItem {
  deal: Deal;
  score: StoredScore | null;
  /** Rule ids of the deal's open findings. */
  openRuleIds: string[];
}

/** One page of a keyset-paginated list: every row appears exactly once across pages. */
export interface PageOf<T> {
  items: T[];
  /** Cursor of the next page; null on the last page. */
  nextCursor: string | null;
}

export interface DealRepository {
  /**
   * Upserts one page of deals in one statement. A deal whose content is identical is left
   * untouched; a tombstoned deal re-sent alive is restored (`isDeleted: false`).
   */
  upsertPage(connectionId: string, deals: readonly Deal[]): Promise<UpsertResult>;
  /**
   * Marks deals deleted (`isDeleted`, `deletedAt = at`) without removing them or their history,
   * activities, scores or findings. Returns the ids that were live and are now tombstoned.
   */
  tombstone(connectionId: string, externalIds: readonly string[], at: string): Promise<string[]>;
  /** Tombstones every live deal whose id is not in `liveIds` (full reconciliation). Returns them. */
  tombstoneAllExcept(connectionId: string, liveIds: readonly string[], at: string): Promise<string[]>;
  /** The deal, tombstoned or not; null when never seen. */
  get(connectionId: string, externalId: string): Promise<Deal | null>;
  /** The deals among `externalIds` ever seen, tombstoned or not, in one read (the webhook path's batches). */
  getMany(connectionId: string, externalIds: readonly string[]): Promise<Deal[]>;
  /** Keyset-paginated list ordered by (sort key, external id) — name by default — with filters. */
  list(connectionId: string, query?: DealListQuery): Promise<PageOf<DealListItem>>;
  /** How many deals `list` walks through with these filters. */
  countMatching(connectionId: string, filter?: DealListFilter): Promise<number>;
  /**
   * Open, live deals to score: all of them, or only `externalIds` (those not open or deleted are
   * left out).
   */
  loadOpen(connectionId: string, externalIds?: readonly string[]): Promise<Deal[]>;
  /**
   * Live deals closed (won or lost) with a close date on or after `sinceDay` (win-rate benchmarks,
   * closed-deal rules): all of them, or only those among `externalIds`.
   */
  loadClosedSince(connectionId: string, sinceDay: string, externalIds?: readonly string[]): Promise<Deal[]>;
  /**
   * External ids of deals whose row changed (insert, content update, tombstone) at or after
   * `since`, compared with the database's clock. Prefer `UpsertResult.changedIds` when at hand.
   */
  changedSince(connectionId: string, since: string): Promise<string[]>;
  /** Number of deals, by state. */
  count(connectionId: string): Promise<{ open: number; closed: number; deleted: number }>;
}

// ---------------------------------------------------------------------------------------------
// Activities and history

export interface ActivityRepository {
  /**
   * Upserts one page of activities in one statement, replacing each changed activity's deal
   * links with `dealIds`. Identical activities (links included) change nothing.
   */
  upsertPage(connectionId: string, activities: readonly Activity[]): Promise<UpsertResult>;
  /** Marks activities deleted; they stop counting for deals but stay stored. */
  tombstone(connectionId: string, externalIds: readonly string[], at: string): Promise<string[]>;
  /**
   * Live activities linked to any of the deals, newest first; `since` keeps those that occurred
   * at or after it.
   */
  forDeals(connectionId: string, dealIds: readonly string[], options?: { since?: string }): Promise<Activity[]>;
  /** External ids of deals linked to activities that changed at or after `since`. */
  dealIdsTouchedSince(connectionId: string, since: string): Promise<string[]>;
}

export interface HistoryRepository {
  /** Idempotent: one row per (deal, at, to stage). */
  upsertStageChanges(connectionId: string, changes: readonly StageChange[]): Promise<UpsertResult>;
  /** Idempotent: one row per (deal, field, at). */
  upsertFieldChanges(connectionId: string, changes: readonly DealFieldChange[]): Promise<UpsertResult>;
  /** Stage changes, oldest first; all of the connection's, or only those of `dealIds`. */
  stageChanges(connectionId: string, options?: { dealIds?: readonly string[]; since?: string }): Promise<StageChange[]>;
  /** Field changes, oldest first. */
  fieldChanges(connectionId: string, options?: { dealIds?: readonly string[]; since?: string }): Promise<DealFieldChange[]>;
}

export interface SnapshotRepository {
  /**
   * Copies every live deal's current state into the snapshot of `day` (replacing an earlier
   * snapshot of that day, so re-running is harmless). Returns the number of deals captured.
   */
  take(connectionId: string, day: string): Promise<number>;
  /** Snapshots of days `fromDay..toDay` inclusive (of `dealIds` only, when given), ordered by day then deal. */
  read(connectionId: string, fromDay: string, toDay: string, dealIds?: readonly string[]): Promise<DealSnapshot[]>;
  /** Days that have a snapshot, newest first. */
  days(connectionId: string, limit?: number): Promise<string[]>;
}

// ---------------------------------------------------------------------------------------------
// Sync bookkeeping

export interface CursorRepository {
  get(connectionId: string, stream: SyncStream): Promise<SyncCursor | null>;
  /** Moves the cursor; call only after the page it belongs to is committed. */
  set(connectionId: string, stream: SyncStream, cursor: SyncCursor): Promise<void>;
  /** Forgets the cursors (next sync is full): all streams, or one. */
  reset(connectionId: string, stream?: SyncStream): Promise<void>;
}

/** Record counts of a sync run. */
export interface SyncCounts {
  deals: number;
  activities: number;
  tombstones: number;
  history: number;
  scored: number;
  findingsOpened: number;
  findingsResolved: number;
  annotationsWritten: number;
  failedWrites: number;
}

export interface SyncRun {
  id: number;
  connectionId: string;
  mode: 'incremental' | 'full' | 'webhook';
  trigger: string;
  status: SyncStatus;
  startedAt: string;
  finishedAt: string | null;
  counts: Partial<SyncCounts>;
  apiUsage: ApiUsage | null;
  /** Error code and message (never a secret) of a failed or partial run. */
  error: string | null;
}

export interface SyncRunRepository {
  /** Opens a run in status `running`; returns its id. */
  start(connectionId: string, run: { mode: SyncRun['mode']; trigger: string; startedAt: string }): Promise<number>;
  finish(
    connectionId: string,
    runId: number,
    outcome: {
      status: Exclude<SyncStatus, 'running'>;
      finishedAt: string;
      counts: Partial<SyncCounts>;
      apiUsage: ApiUsage | null;
      error?: string | null;
    },
  ): Promise<void>;
  get(connectionId: string, runId: number): Promise<SyncRun | null>;
  /** Newest first. */
  latest(connectionId: string, limit?: number): Promise<SyncRun[]>;
  /**
   * Records failed write-backs on the connection's latest run: an `ok` run becomes `partial`, its
   * error says why, `counts.failedWrites` says how many (of the latest write-back).
   */
  recordWriteFailures(connectionId: string, failures: { failed: number; error: string }): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Scores and the findings ledger

/** A deal's latest score. */
export interface StoredScore extends DealScore {
  /** When the score took its current content (re-scoring to an identical result keeps it). */
  scoredAt: string;
}

export interface ScoreRepository {
  /** Upserts the latest score of each deal (one statement); identical scores change nothing. */
  upsertMany(connectionId: string, scores: readonly DealScore[], scoredAt: string): Promise<UpsertResult>;
  get(connectionId: string, dealId: string): Promise<StoredScore | null>;
  forDeals(connectionId: string, dealIds: readonly string[]): Promise<StoredScore[]>;
  /** Every live open deal's score. */
  listOpen(connectionId: string): Promise<StoredScore[]>;
  /** Live open deals per score bucket (`from` = score rounded down to a multiple of `width`) and band. */
  histogram(connectionId: string, width: number): Promise<{ from: number; band: ScoreBand; deals: number }[]>;
  /**
   * Score and flags (open findings' rule ids, sorted) of live deals whose CRM fields differ from
   * what was last written there (never written counts as different); among `dealIds` when given.
   */
  fieldsDue(connectionId: string, options?: { dealIds?: readonly string[] | undefined; limit?: number }): Promise<DealFields[]>;
  /** Records what the CRM's fields now hold. */
  markFieldsWritten(connectionId: string, written: readonly DealFields[]): Promise<void>;
}

/** The CRM fields dealwatch writes on a deal. */
export interface DealFields {
  dealId: string;
  score: number;
  /** Rule ids, sorted. */
  flags: string[];
}

/**
 * Where the rep-visible record of a finding stands. `planned`: decided (dry-run stops here);
 * `pending`: about to be written (recorded before the CRM call); `written`: the CRM has it
 * (`externalId` set); `failed`: the write failed (`writeError`), may be retried.
 */
export type WriteStatus = 'planned' | 'pending' | 'written' | 'failed';

/** One row of the ledger: one per connection + deal + rule, reopened in place. */
export interface LedgerEntry extends LedgerFinding {
  /** Deterministic key of the warning record (connection, deal, rule, opened-at). */
  annotationKey: string;
  /** Id of the note/task in the CRM once written. */
  externalId: string | null;
  writeStatus: WriteStatus;
  writeError: string | null;
  writeAttempts: number;
}

/** What one scoring pass changes in the ledger, as the engine's findings diff decides it. */
export interface LedgerDiff {
  /** Findings newly open (or reopened after being resolved), each with its annotation key. */
  opened: readonly { finding: Finding; annotationKey: string }[];
  /** Findings still open: `lastSeenAt`, message and evidence are refreshed. */
  stillOpen: readonly Finding[];
  /** Findings no longer raised. */
  resolved: readonly { dealId: string; ruleId: string }[];
}

export interface FindingsLedger {
  /**
   * Applies a diff at instant `at` in one transaction: opened rows get status `open`,
   * `firstSeenAt = at`, write status `planned`, their annotation key; still-open rows get
   * `lastSeenAt = at`; resolved rows get status `resolved`, `resolvedAt = at`.
   */
  applyDiff(connectionId: string, diff: LedgerDiff, at: string): Promise<void>;
  /** Open findings of the deals (all deals when omitted). */
  openForDeals(connectionId: string, dealIds?: readonly string[]): Promise<LedgerEntry[]>;
  /** Any findings (open or resolved) filtered; newest `lastSeenAt` first. */
  list(
    connectionId: string,
    filter?: { status?: 'open' | 'resolved'; ruleId?: string; dealId?: string; limit?: number },
  ): Promise<LedgerEntry[]>;
  getByKey(connectionId: string, annotationKey: string): Promise<LedgerEntry | null>;
  /** Open findings whose warning is not yet written (`planned`, `pending`, or `failed`). */
  unwritten(connectionId: string, options?: { statuses?: readonly WriteStatus[]; limit?: number }): Promise<LedgerEntry[]>;
  /** Records write outcomes by annotation key (one statement). */
  setWriteStatus(
    connectionId: string,
    updates: readonly { annotationKey: string; status: WriteStatus; externalId?: string | null; error?: string | null }[],
  ): Promise<void>;
  /** Every finding (open or resolved) of these deals, oldest first. */
  forDeals(connectionId: string, dealIds: readonly string[]): Promise<LedgerEntry[]>;
  /** Marks the open findings of each deal as carried by the deal's written record. */
  markCarried(connectionId: string, records: readonly { dealId: string; externalId: string | null }[]): Promise<void>;

  /** The deal's warning record (null: the deal never had a finding since records exist). */
  /** The deal's warning record (or, with `kind: 'approval'`, its discount approval task). */
  warningRecord(connectionId: string, dealId: string, kind?: WarningRecordEntry['kind']): Promise<WarningRecordEntry | null>;
  /** Every warning record and approval task of the connection (tests, the admin view), by deal. */
  warningRecords(connectionId: string, options?: { limit?: number }): Promise<WarningRecordEntry[]>;
  /** Records whose CRM copy is behind (`planned`, `pending`, `failed`), oldest change first. */
  recordsDue(connectionId: string, options?: { statuses?: readonly WriteStatus[]; limit?: number }): Promise<WarningRecordEntry[]>;
  /**
   * Records write outcomes. An update applies to the record's current key only; `written` is kept
   * only when no findings change arrived since `changedAt` (else the record stays due, with its id).
   */
  setRecordStatus(connectionId: string, updates: readonly WarningRecordUpdate[]): Promise<void>;
}

/** Where one deal's warning record, or its approval task, stands (see migrations 006 and 010). */
export interface WarningRecordEntry {
  connectionId: string;
  dealId: string;
  /**
   * `warning`: the rep's one record listing the deal's findings. `approval`: the task asking the
   * approver to grant the deal's discount (open while its discount finding is open).
   */
  kind: 'warning' | 'approval';
  /** The service's lookup key of this record, kept out of what reps read. */
  recordKey: string;
  /** When this record's first finding opened; "resolved since" counts from it. */
  openedAt: string;
  /** What the CRM should show: `open` while the deal has open findings. */
  state: 'open' | 'closed';
  changedAt: string;
  externalId: string | null;
  /** A create was sent and its id may be unknown: look the key up before creating. */
  createSent: boolean;
  writeStatus: WriteStatus;
  writeError: string | null;
  writeAttempts: number;
}

export interface WarningRecordUpdate {
  dealId: string;
  recordKey: string;
  status: WriteStatus;
  /** The change this outcome answers (the `changedAt` read before the write). */
  changedAt?: string;
  externalId?: string | null;
  createSent?: boolean;
  error?: string | null;
}

// ---------------------------------------------------------------------------------------------
// Digests

/**
 * Which channels of a digest's schedule tick went out. A channel is recorded after its send
 * succeeded, so a retry of the tick sends only the channels missing here (at least once per
 * channel; see src/digest/deliver.ts).
 */
export interface DigestSendLedger {
  /** Channels recorded as sent for this digest and tick. */
  sentChannels(digestId: string, tick: string): Promise<DigestChannel[]>;
  /** Records a channel as sent; recording it twice changes nothing. */
  recordSent(send: { digestId: string; tick: string; channel: DigestChannel; connectionId: string; sentAt: string }): Promise<void>;
  /** The latest tick before `before` on which any channel of the digest went out; null when none did. */
  lastSentTick(digestId: string, before: string): Promise<string | null>;
}

// ---------------------------------------------------------------------------------------------
// The store

export interface MigrationStatus {
  /** Migration names applied, in order. */
  applied: string[];
  /** Migration names not applied yet. */
  pending: string[];
  /** Applied migrations whose file changed since (another checksum): `migrate` refuses to run, doctor and /readyz fail. */
  edited: string[];
}

export interface MigrationResult extends MigrationStatus {
  /** What this call applied; empty when another process had applied everything first. */
  appliedNow: string[];
}

/** Repositories, all scoped by connection id. */
export interface Repositories {
  readonly connections: ConnectionRepository;
  readonly connectionState: ConnectionStateRepository;
  readonly owners: OwnerRepository;
  readonly stages: StageRepository;
  readonly deals: DealRepository;
  readonly activities: ActivityRepository;
  readonly history: HistoryRepository;
  readonly snapshots: SnapshotRepository;
  readonly cursors: CursorRepository;
  readonly syncRuns: SyncRunRepository;
  readonly scores: ScoreRepository;
  readonly findings: FindingsLedger;
  readonly digestSends: DigestSendLedger;
}

export interface Store extends Repositories {
  /**
   * PostgreSQL URL of this store's database: `DATABASE_URL`, or the loopback URL of the embedded
   * PGlite served by pglite-socket. BullMQ's PostgreSQL backend connects to it too.
   */
  readonly databaseUrl: string;
  /** `embedded` (PGlite) or `postgres` (a server). */
  readonly kind: 'embedded' | 'postgres';
  /** Schema holding dealwatch's tables. @defaultValue "dealwatch" */
  readonly schema: string;
  /**
   * Runs `work` in one transaction: commits when it resolves, rolls back when it throws.
   * Repositories given to `work` use that transaction.
   */
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
  /** Applies pending migrations (also done by `openStore` unless `migrate: false`). */
  migrate(): Promise<MigrationResult>;
  migrationStatus(): Promise<MigrationStatus>;
  /** Resolves when the database answers a query; rejects with `StoreError` otherwise. */
  ping(): Promise<void>;
  /**
   * This install's id, made with the schema (a new database, a new id). Queue keys and job ids carry
   * it, so two installs on one Redis, or a new database on an old Redis, never share a job.
   */
  installId(): Promise<string>;
  /** Closes the pool and, when embedded, the socket server and PGlite. Idempotent. */
  close(): Promise<void>;
}
