/**
 * The connector contract: the only code that knows a provider's API implements this.
 * The sync engine (jobs/) runs any connector through this interface without knowing which.
 */
import type { ZodType } from 'zod';
import type { Log } from '../src/logger.js';
import type {
  Activity,
  ApiUsage,
  ConnectionSettings,
  Deal,
  DealFieldChange,
  Owner,
  Provider,
  Stage,
  StageChange,
  SyncCursor,
} from '../src/domain/model/index.js';

/** Options of every paged pull. */
export interface PullOptions {
  /**
   * Resume point: the cursor of the last committed page. `null` pulls everything.
   * The connector re-reads from `since.stamp - lookback` inclusive, ordered by (stamp, id),
   * so records that share a stamp or commit late are never lost; duplicates are harmless.
   *
   * A cursor with `walk` belongs to a full walk that stopped midway (crash, quota, abort): the
   * connector continues that walk at `walk` (whatever `mode` says), keeping `since.stamp` as the
   * instant the walk began, instead of starting over or switching to an incremental pull. A walk
   * ordered by stamp (Salesforce) continues from `since.stamp - lookback` instead: there the cursor is
   * the walk's position.
   */
  since: SyncCursor | null;
  /**
   * `full` walks everything and may use a bulk path (Salesforce Bulk API 2.0, HubSpot list
   * endpoints); it ignores a `since` without `walk` and starts over. @defaultValue "incremental"
   */
  mode?: 'incremental' | 'full';
  signal?: AbortSignal;
}

/** One page of a pull, yielded as soon as it arrives so memory stays flat. */
export interface Page<T> {
  /** Live records (upserted). */
  records: T[];
  /** External ids of records deleted or archived in the CRM (become tombstones). */
  tombstones: string[];
  /**
   * Cursor to persist once this page is committed: resuming from it never skips a record.
   * `null` when the page carries no position (e.g. a page of tombstones only with no stamp).
   * Pages of a full walk that is not ordered by stamp (HubSpot list endpoints) carry
   * `{ stamp: <walk start>, id: '', walk }`, pointing just past this page; the walk's last page
   * carries `{ stamp: <walk start>, id: '' }` without `walk`, from which pulls go incremental.
   * Pages of a walk ordered by stamp (Salesforce) carry their last row's `(stamp, id)` with
   * `walk: { phase, after: null }`; then one more page carries the final position without `walk`.
   */
  cursor: SyncCursor | null;
  /**
   * Stage and field history of this page's deals, when the provider returned it with them (a HubSpot
   * full walk lists deals with `propertiesWithHistory`): stored with the page. A full history pull
   * by the same connector after such a walk then reads nothing again and only yields its cursor.
   */
  history?: { stageChanges: StageChange[]; fieldChanges: DealFieldChange[] };
}

/** Stage and field history entries of some deals. */
export interface HistoryPage {
  stageChanges: StageChange[];
  fieldChanges: DealFieldChange[];
  /** As `Page.cursor`. */
  cursor: SyncCursor | null;
}

/** Everything the webhook fast path needs about one deal. */
export interface DealBundle {
  /** `null` when the deal no longer exists (deleted/archived). */
  deal: Deal | null;
  activities: Activity[];
  stageChanges: StageChange[];
  fieldChanges: DealFieldChange[];
}

/** Score and flags fields to set on one deal. */
export interface FieldAnnotation {
  dealId: string;
  score: number;
  /** Rule ids; written joined by `;`, empty string when healthy. */
  flags: string[];
}

/**
 * The one rep-visible record (HubSpot note/task, Salesforce Task or note) of a deal: created when
 * `externalId` is null, else updated in place; closed (task completed) when `open` is false.
 */
export interface WarningAnnotation {
  /**
   * The service's lookup key of this record (one per deal and record), written where reps do not
   * read it (a custom field or property), so that `findWarnings` finds a record created before a
   * crash instead of creating a second one.
   */
  key: string;
  dealId: string;
  /** The CRM's id of the record when it exists: the write updates it. */
  externalId: string | null;
  /** False when the deal has no open finding left: the record is closed (a task completed). */
  open: boolean;
  /** Deal owner's external id; tasks are assigned to them. */
  ownerId: string | null;
  /** The most severe open finding's severity (priority of a task). */
  severity: 'info' | 'warning' | 'critical';
  /** Short title; starts with `Pipeline health:`. */
  title: string;
  /** Every open finding in plain words with what to do, then what was resolved. */
  body: string;
  /** ISO date the task is due (tasks only). */
  dueDate?: string;
  /**
   * A discount approval: always a task, whatever record type the connection writes warnings as
   * (a note cannot be assigned), assigned to `ownerId` (the approver) on create and on update.
   */
  approval?: boolean;
}

export interface AnnotationBatch {
  fields: FieldAnnotation[];
  warnings: WarningAnnotation[];
}

/** Per-record outcome: partial failures are reported per record, successes are not rewritten. */
export type AnnotationOutcome = { ok: true; externalId: string | null } | { ok: false; error: string; retryable: boolean };

export interface AnnotationResult {
  /** Keyed by deal id. */
  fields: Map<string, AnnotationOutcome>;
  /** Keyed by warning key. */
  warnings: Map<string, AnnotationOutcome>;
  /** Kind of record each warning became. */
  warningKind: 'note' | 'task';
}

/** A webhook request as received, before any parsing. */
export interface WebhookRequest {
  method: string;
  /** The public URL the provider called (scheme, host, path, query), as it signed it. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  /** Route parameters (Salesforce: connectionId, token). */
  params?: Record<string, string>;
}

/** A provider event normalised. */
export interface WebhookEvent {
  connectionId: string;
  /** Provider's event id when it has one, else a hash of (deal, kind, occurredAt). */
  eventId: string;
  dealId: string;
  kind: 'stage_change' | 'created' | 'deleted' | 'changed' | 'restored' | 'merged';
  occurredAt: string;
  /** New stage for stage changes, when the payload carries it. */
  stageId?: string;
  /** True when the change was made by dealwatch itself (skip to avoid loops). */
  selfInflicted: boolean;
  /**
   * The CRM user who last modified the record, when the event says (Salesforce outbound messages
   * with LastModifiedById). The events job asks the connector whether that is its own user.
   */
  modifiedBy?: string;
}

/**
 * An event of a delivery that produced no WebhookEvent: one the service does not act on
 * (`understood`: another object type, a subscription it has no use for) or one it cannot read.
 */
export interface SkippedWebhookEvent {
  /** Stable label for metrics and logs (`other_object`, `unknown_subscription_type`, `missing_object_id`, ...). */
  reason: string;
  /** True when the event was read and deliberately not acted on; false when it could not be understood. */
  understood: boolean;
  subscriptionType?: string;
  objectTypeId?: string;
}

export type VerifyResult =
  | { ok: true }
  | { ok: false; reason: 'bad_signature' | 'stale_timestamp' | 'missing_signature' | 'wrong_token' | 'wrong_org' | 'malformed' };

/** Permits requests against a provider, shared by every worker of a connection. */
export interface RateGate {
  /** Resolves when a request of `bucket` (`default`, `search`, ...) may be sent. */
  take(bucket: string, signal?: AbortSignal): Promise<void>;
}

export interface CrmConnector {
  readonly provider: Provider;
  readonly connectionId: string;

  /** Deals changed since the cursor (tombstones included), page by page. */
  pullDeals(options: PullOptions): AsyncIterable<Page<Deal>>;
  /** Activities changed since the cursor with their deal links, page by page. */
  pullActivities(options: PullOptions): AsyncIterable<Page<Activity>>;
  /** Stage and close-date/amount history changed since the cursor. */
  pullHistory(options: PullOptions): AsyncIterable<HistoryPage>;
  pullOwners(signal?: AbortSignal): Promise<Owner[]>;
  pullStages(signal?: AbortSignal): Promise<Stage[]>;
  /**
   * Full reconciliation: every live deal id, page by page (what is absent becomes a tombstone).
   * Right after a full deal pull of this connector that walked every deal from the start, the ids
   * that walk saw are returned without another listing.
   */
  listDealIds(signal?: AbortSignal): AsyncIterable<string[]>;

  /**
   * True when `modifiedBy` (a webhook event's last modifier) is the user this connection writes as,
   * i.e. the event echoes dealwatch's own write-back and must not start another refresh. Connectors
   * whose events say so themselves (HubSpot: `selfInflicted` at parse) leave it out.
   */
  isOwnWrite?(modifiedBy: string, signal?: AbortSignal): Promise<boolean>;

  /** The webhook fast path: one deal with its recent activities and history. */
  fetchDeal(dealId: string, signal?: AbortSignal): Promise<DealBundle>;
  /**
   * The same for many deals in batch calls (a burst of webhooks); a deal the CRM no longer has maps
   * to `deal: null`. Connectors without it are asked one deal at a time.
   */
  fetchDeals?(dealIds: readonly string[], signal?: AbortSignal): Promise<Map<string, DealBundle>>;

  /** Writes fields and warning records, batched at the provider maximum. */
  annotate(batch: AnnotationBatch, signal?: AbortSignal): Promise<AnnotationResult>;
  /**
   * Looks warnings up by key in the CRM: key -> external id of the record already written.
   * `scope.dealIds` (optional, the deals the keys belong to) lets a connector read the deals'
   * records directly instead of searching text, which is consistent immediately after a write.
   * `scope.taskKeys` (optional, among `keys`) are approval tasks: looked up among tasks whatever
   * record type the connection writes its warnings as.
   */
  findWarnings(keys: string[], signal?: AbortSignal, scope?: { dealIds?: string[]; taskKeys?: string[] }): Promise<Map<string, string>>;

  /** Checks that the configured fields exist and can be written; `fix` creates missing custom properties where possible. */
  doctor(options?: { fix?: boolean }): Promise<DoctorReport>;

  /** Calls made since the connector was built (or since `resetUsage`). */
  usage(): ApiUsage;
  resetUsage(): void;
}

export interface DoctorReport {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string }[];
}

/** Webhook verification and parsing, which needs the connection settings but no API call. */
export interface WebhookVerifier {
  verify(request: WebhookRequest, nowMs: number): VerifyResult;
  /** The events to act on; every other event of the request is reported to `skipped`. */
  parse(request: WebhookRequest, skipped?: (event: SkippedWebhookEvent) => void): WebhookEvent[];
}

export interface ConnectorDeps {
  /** Shared rate limiter for this connection. */
  rateGate: RateGate;
  /** The connection's logger (src/logger.ts `Log`). */
  logger: Log;
  /** Hears every HTTP call's outcome as it ends (metrics); the connector works the same without it. */
  onApiCall?: ApiCallListener;
}

/** One CRM HTTP call ended: its endpoint template and the HTTP status, null when no answer came. */
export type ApiCallListener = (call: { endpoint: string; status: number | null }) => void;

/** Requests allowed per rate window, per bucket (`default`, `search`, ...): a provider's defaults. */
export type RateLimits = Record<string, { requests: number; perMs: number }>;

/**
 * Everything dealwatch outside a provider's folder knows about the provider. The registry
 * (connectors/registry.ts) holds one per provider; jobs/, src/queue (through jobs/) and src/server
 * read it instead of testing provider names.
 */
export interface ProviderDescriptor<S extends { id: string; provider: string } = ConnectionSettings> {
  provider: Provider;
  /** The provider's name as people read it (`HubSpot`). */
  label: string;
  /** Validates one connection's settings of this provider (config files, the sandbox helpers). */
  settings: ZodType<S>;
  /** Requests per window when the connection sets no `rateLimit` (which replaces `default`). */
  rateLimits: RateLimits;
  /** Records per write-back call: the provider's batch maximum. */
  writebackBatchSize: number;
  /** The warning record a connection writes when it sets no `warningRecord`. */
  defaultWarningRecord: 'note' | 'task';
  create(settings: S, deps: ConnectorDeps): CrmConnector;
  webhookVerifier(settings: S): WebhookVerifier;
  /** The URL at which a person opens a deal in the CRM's own UI, or null when the settings cannot tell. */
  recordUrl(settings: S, dealId: string): string | null;
}
