/**
 * Pure mappers from raw HubSpot records (schemas.ts) into the canonical model. No I/O, no clock:
 * whatever depends on "now" takes it as a parameter.
 */
import type {
  Activity,
  ActivityDirection,
  ActivityType,
  Deal,
  DealFieldChange,
  ForecastCategory,
  Owner,
  Stage,
  StageChange,
} from '../../src/domain/model/index.js';
import { inlineAssociated, primaryId } from './associations.js';
import type { RawObject, RawOwner, RawPipeline } from './schemas.js';

/** HubSpot object type of each canonical activity type. */
export const ACTIVITY_OBJECT_TYPES = {
  call: 'calls',
  email: 'emails',
  meeting: 'meetings',
  note: 'notes',
  task: 'tasks',
} as const satisfies Record<ActivityType, string>;
export type ActivityObjectType = (typeof ACTIVITY_OBJECT_TYPES)[ActivityType];

export const DEFAULT_DISCOUNT_PROPERTY = 'discount_percent';
export const DEFAULT_LOST_REASON_PROPERTY = 'closed_lost_reason';
export const DEFAULT_SCORE_PROPERTY = 'dealwatch_score';
export const DEFAULT_FLAGS_PROPERTY = 'dealwatch_flags';

/** What a deal mapping needs besides the raw record. */
export interface DealMapContext {
  connectionId: string;
  discountProperty: string;
  lostReasonProperty: string | null;
  /** Stages by id (HubSpot stage ids are unique within an account), for closed/won/probability fallbacks. */
  stages: ReadonlyMap<string, Stage>;
}

const BASE_DEAL_PROPERTIES = [
  'dealname',
  'dealstage',
  'pipeline',
  'amount',
  'deal_currency_code',
  'closedate',
  'hubspot_owner_id',
  'createdate',
  'hs_lastmodifieddate',
  'hs_object_id',
  'hs_is_closed',
  'hs_is_closed_won',
  'hs_deal_stage_probability',
  'hs_manual_forecast_category',
  'hs_next_step',
  'hs_analytics_source',
  'num_associated_contacts',
  'hs_v2_date_entered_current_stage',
] as const;

/**
 * Stage-entry properties of the given stages (legacy and hs_v2_ names). Exit dates are not asked
 * for: the next entry is the exit, and every property lengthens the list request's URL.
 */
export function stageDateProperties(stageIds: Iterable<string>): string[] {
  const names: string[] = [];
  for (const id of stageIds) names.push(`hs_date_entered_${id}`, `hs_v2_date_entered_${id}`);
  return names;
}

/** Properties a deal pull requests. */
export function dealProperties(ctx: DealMapContext): string[] {
  const names = new Set<string>([...BASE_DEAL_PROPERTIES, ctx.discountProperty, ...stageDateProperties(ctx.stages.keys())]);
  if (ctx.lostReasonProperty) names.add(ctx.lostReasonProperty);
  return [...names];
}

/** Properties each activity object type is pulled with. */
export const ACTIVITY_PROPERTIES: Record<ActivityObjectType, string[]> = {
  calls: [
    'hs_timestamp',
    'hubspot_owner_id',
    'hs_call_direction',
    'hs_call_title',
    'hs_call_status',
    'hs_lastmodifieddate',
    'hs_createdate',
  ],
  emails: [
    'hs_timestamp',
    'hubspot_owner_id',
    'hs_email_direction',
    'hs_email_subject',
    'hs_email_status',
    'hs_lastmodifieddate',
    'hs_createdate',
  ],
  meetings: [
    'hs_timestamp',
    'hubspot_owner_id',
    'hs_meeting_title',
    'hs_meeting_start_time',
    'hs_meeting_outcome',
    'hs_lastmodifieddate',
    'hs_createdate',
  ],
  notes: ['hs_timestamp', 'hubspot_owner_id', 'hs_note_body', 'hs_lastmodifieddate', 'hs_createdate', 'dealwatch_key'],
  tasks: [
    'hs_timestamp',
    'hubspot_owner_id',
    'hs_task_subject',
    'hs_task_status',
    'hs_task_body',
    'hs_task_type',
    'hs_lastmodifieddate',
    'hs_createdate',
    'dealwatch_key',
  ],
};

// ---------------------------------------------------------------------------------------------
// Values

/** HubSpot sends datetimes as ISO strings or as ms-epoch strings depending on the endpoint. */
export function toInstant(value: string | null | undefined): string | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  const trimmed = value.trim();
  const ms = /^-?\d+$/.test(trimmed) ? Number(trimmed) : Date.parse(trimmed);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** Epoch ms of a HubSpot datetime, or null. */
export function toEpochMs(value: string | null | undefined): number | null {
  const iso = toInstant(value);
  return iso === null ? null : Date.parse(iso);
}

function toDate(value: string | null | undefined): string | null {
  if (value && /^\d{4}-\d{2}-\d{2}$/.test(value.trim())) return value.trim();
  return toInstant(value)?.slice(0, 10) ?? null;
}

function toNumber(value: string | null | undefined): number | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

function toBool(value: string | null | undefined): boolean | null {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return null;
}

function text(value: string | null | undefined): string | null {
  return value === null || value === undefined || value === '' ? null : value;
}

/** Numeric comparison of HubSpot ids (strings of digits): '9' < '10', which string order gets wrong. */
export function compareIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Annotation key marker

const MARKER = /\[dealwatch-key: ([^\]\s<]+)\]/;

/** The text carried inside every note/task dealwatch writes, so a retry can find it by key. */
/**
 * Custom property on notes and tasks holding a warning record's key: not part of what reps read,
 * and readable in batch reads and filterable in searches. Requested with every note/task read (an
 * unknown property in `properties` is left out of the answer), so that dealwatch's own records are
 * told apart from the reps' activity.
 */
export const WARNING_KEY_PROPERTY = 'dealwatch_key';

export function annotationMarker(key: string): string {
  return `[dealwatch-key: ${encodeURIComponent(key).replaceAll('%3A', ':')}]`;
}

/** The annotation key inside a note/task body, or null when the record is not ours. */
export function readAnnotationKey(body: string | null | undefined): string | null {
  const match = body ? MARKER.exec(body) : null;
  if (!match?.[1]) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Deals

const FORECAST: Record<string, ForecastCategory> = {
  PIPELINE: 'pipeline',
  BEST_CASE: 'best_case',
  COMMIT: 'commit',
  CLOSED: 'closed',
  OMIT: 'omitted',
};

function stageEnteredAt(props: Record<string, string | null | undefined>, stageId: string): string | null {
  return (
    toInstant(props.hs_v2_date_entered_current_stage) ??
    toInstant(props[`hs_v2_date_entered_${stageId}`]) ??
    toInstant(props[`hs_date_entered_${stageId}`])
  );
}

/** A deal's company: its primary company (else the first listed), its name and target flag. */
export interface DealAccount {
  id: string | null;
  name: string | null;
  /** The company's `hs_is_target_account`; null when not read. */
  isTarget: boolean | null;
}

/**
 * `account` defaults to the primary company among the deal's inline associations, without a name
 * (names come from the companies batch read, see companies.ts).
 */
export function toDeal(
  raw: RawObject,
  ctx: DealMapContext,
  account: DealAccount = { id: primaryId(inlineAssociated(raw, 'deals', 'companies')), name: null, isTarget: null },
): Deal {
  const p = raw.properties ?? {};
  const stageId = text(p.dealstage) ?? 'unknown';
  const stage = ctx.stages.get(stageId);
  let probability = toNumber(p.hs_deal_stage_probability) ?? stage?.probability ?? null;
  if (probability !== null && probability > 1) probability = probability / 100;
  if (probability !== null) probability = Math.min(1, Math.max(0, probability));
  const isClosed = toBool(p.hs_is_closed) ?? stage?.isClosed ?? false;
  const isWon = toBool(p.hs_is_closed_won) ?? stage?.isWon ?? false;
  const currency = text(p.deal_currency_code)?.toUpperCase() ?? null;
  const contactCount = toNumber(p.num_associated_contacts);
  const createdAt = toInstant(p.createdate) ?? raw.createdAt ?? toInstant(p.hs_lastmodifieddate) ?? new Date(0).toISOString();
  return {
    connectionId: ctx.connectionId,
    externalId: raw.id,
    name: p.dealname ?? '',
    ownerId: text(p.hubspot_owner_id),
    accountId: account.id,
    accountName: account.id === null ? null : account.name,
    accountIsTarget: account.id === null ? null : account.isTarget,
    leadSource: text(p.hs_analytics_source),
    pipeline: text(p.pipeline) ?? 'default',
    stageId,
    amount: toNumber(p.amount),
    currency: currency && /^[A-Z]{3}$/.test(currency) ? currency : null,
    closeDate: toDate(p.closedate),
    createdAt,
    modifiedAt: toInstant(p.hs_lastmodifieddate) ?? raw.updatedAt ?? createdAt,
    probability,
    forecastCategory: FORECAST[p.hs_manual_forecast_category ?? ''] ?? null,
    nextStep: text(p.hs_next_step),
    isClosed,
    isWon,
    stageEnteredAt: stageEnteredAt(p, stageId),
    discountPercent: toNumber(p[ctx.discountProperty]),
    contactCount: contactCount !== null && contactCount >= 0 ? Math.trunc(contactCount) : null,
    lostReason: ctx.lostReasonProperty ? text(p[ctx.lostReasonProperty]) : null,
    isDeleted: raw.archived === true,
    deletedAt: raw.archived === true ? (raw.archivedAt ?? null) : null,
  };
}

/** Deal properties whose history `pullHistory` and `fetchDeal` ask for (`propertiesWithHistory`). */
export const HISTORY_PROPERTIES = ['dealstage', 'amount', 'closedate'] as const;

type HistoryEntry = NonNullable<NonNullable<RawObject['propertiesWithHistory']>[string]>[number];

/**
 * One property's history oldest first. HubSpot lists it newest first; entries that share a
 * timestamp keep that order reversed (a stable sort of the reversed list), and entries without a
 * readable timestamp are dropped.
 */
function chronological(history: readonly HistoryEntry[] | null | undefined): { value: string | null; atMs: number }[] {
  const entries: { value: string | null; atMs: number }[] = [];
  for (const h of [...(history ?? [])].reverse()) {
    const atMs = toEpochMs(h.timestamp);
    if (atMs !== null) entries.push({ value: h.value ?? null, atMs });
  }
  return entries.sort((a, b) => a.atMs - b.atMs);
}

/** The value in force at `atMs` (the last entry at or before it), or null. */
function valueAt<T>(entries: readonly { value: T; atMs: number }[], atMs: number): T | null {
  let found: T | null = null;
  for (const e of entries) {
    if (e.atMs > atMs) break;
    found = e.value;
  }
  return found;
}

/**
 * Stage moves of one deal. With `propertiesWithHistory.dealstage` every move is known (revisits
 * included), each with the amount and close date in force at that moment (from their histories when
 * asked for); otherwise the moves are rebuilt from the last entry date of each stage
 * (`hs_v2_date_entered_*`, falling back to `hs_date_entered_*`), which is all the list and search
 * endpoints return without history, and amount and close date stay null.
 */
export function toStageChanges(raw: RawObject, ctx: { connectionId: string; stageIds: Iterable<string> }): StageChange[] {
  const history = raw.propertiesWithHistory?.dealstage;
  const entries: { stageId: string; atMs: number }[] = [];
  if (history && history.length > 0) {
    for (const h of chronological(history)) if (h.value) entries.push({ stageId: h.value, atMs: h.atMs });
  } else {
    const p = raw.properties ?? {};
    for (const stageId of ctx.stageIds) {
      const atMs = toEpochMs(p[`hs_v2_date_entered_${stageId}`]) ?? toEpochMs(p[`hs_date_entered_${stageId}`]);
      if (atMs !== null) entries.push({ stageId, atMs });
    }
    entries.sort((a, b) => a.atMs - b.atMs);
  }
  const amounts = chronological(raw.propertiesWithHistory?.amount).map((e) => ({ value: toNumber(e.value), atMs: e.atMs }));
  const closeDates = chronological(raw.propertiesWithHistory?.closedate).map((e) => ({ value: toDate(e.value), atMs: e.atMs }));
  const changes: StageChange[] = [];
  let previous: string | null = null;
  for (const entry of entries) {
    if (entry.stageId === previous) continue;
    changes.push({
      connectionId: ctx.connectionId,
      dealId: raw.id,
      fromStageId: previous,
      toStageId: entry.stageId,
      at: new Date(entry.atMs).toISOString(),
      amount: valueAt(amounts, entry.atMs),
      closeDate: valueAt(closeDates, entry.atMs),
    });
    previous = entry.stageId;
  }
  return changes;
}

/**
 * Close-date and amount changes from `propertiesWithHistory` (empty when the response has none):
 * one row per change of value, oldest first; the first entry is the value the deal was created
 * with, and repeated entries of the same value are not changes.
 */
export function toFieldChanges(raw: RawObject, connectionId: string): DealFieldChange[] {
  const out: DealFieldChange[] = [];
  const tracked = [
    ['closedate', 'closeDate'],
    ['amount', 'amount'],
  ] as const;
  for (const [property, field] of tracked) {
    let previous: string | null = null;
    for (const [i, h] of chronological(raw.propertiesWithHistory?.[property]).entries()) {
      // Amounts as canonical numbers, so '5000' then '5000.00' is no change.
      const value = field === 'closeDate' ? toDate(h.value) : (toNumber(h.value)?.toString() ?? null);
      if (i > 0 && value !== previous) {
        out.push({ connectionId, dealId: raw.id, field, oldValue: previous, newValue: value, at: new Date(h.atMs).toISOString() });
      }
      previous = value;
    }
  }
  return out.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

// ---------------------------------------------------------------------------------------------
// Activities

export interface ActivityMapContext {
  connectionId: string;
  /** Epoch ms of "now": a meeting in the future has not happened. */
  nowMs: number;
}

function htmlToText(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

function direction(type: ActivityObjectType, p: Record<string, string | null | undefined>): ActivityDirection {
  if (type === 'calls') {
    if (p.hs_call_direction === 'INBOUND') return 'inbound';
    if (p.hs_call_direction === 'OUTBOUND') return 'outbound';
  }
  if (type === 'emails') {
    if (p.hs_email_direction === 'INCOMING_EMAIL') return 'inbound';
    if (p.hs_email_direction === 'EMAIL' || p.hs_email_direction === 'FORWARDED_EMAIL') return 'outbound';
  }
  return 'unknown';
}

const ACTIVITY_TYPE_OF: Record<ActivityObjectType, ActivityType> = {
  calls: 'call',
  emails: 'email',
  meetings: 'meeting',
  notes: 'note',
  tasks: 'task',
};

export function toActivity(raw: RawObject, objectType: ActivityObjectType, dealIds: string[], ctx: ActivityMapContext): Activity {
  const p = raw.properties ?? {};
  const occurredAt =
    toInstant(p.hs_timestamp) ??
    toInstant(p.hs_meeting_start_time) ??
    toInstant(p.hs_createdate) ??
    raw.createdAt ??
    toInstant(p.hs_lastmodifieddate) ??
    new Date(0).toISOString();
  const happened = Date.parse(occurredAt) <= ctx.nowMs;
  let completed: boolean;
  let subject: string | null;
  let body: string | null = null;
  switch (objectType) {
    case 'calls':
      completed =
        happened && !['SCHEDULED', 'CANCELED', 'QUEUED', 'CALLING_CRM_USER', 'RINGING', 'IN_PROGRESS'].includes(p.hs_call_status ?? '');
      subject = text(p.hs_call_title);
      break;
    case 'emails':
      completed = happened && p.hs_email_status !== 'SCHEDULED';
      subject = text(p.hs_email_subject);
      break;
    case 'meetings':
      completed = happened && !['SCHEDULED', 'RESCHEDULED', 'CANCELED', 'NO_SHOW'].includes(p.hs_meeting_outcome ?? '');
      subject = text(p.hs_meeting_title);
      break;
    case 'notes': {
      body = p.hs_note_body ?? null;
      completed = happened;
      const plain = body ? htmlToText(body) : '';
      subject = plain ? plain.slice(0, 120) : null;
      break;
    }
    case 'tasks':
      body = p.hs_task_body ?? null;
      completed = p.hs_task_status === 'COMPLETED';
      subject = text(p.hs_task_subject);
      break;
  }
  return {
    connectionId: ctx.connectionId,
    externalId: raw.id,
    type: ACTIVITY_TYPE_OF[objectType],
    direction: direction(objectType, p),
    occurredAt,
    ownerId: text(p.hubspot_owner_id),
    dealIds: [...new Set(dealIds)],
    completed,
    subject,
    // Ours: a record carrying a warning key (or, written by older versions, the key in its body).
    origin: text(p[WARNING_KEY_PROPERTY]) !== null || readAnnotationKey(body) !== null ? 'dealwatch' : 'crm',
    modifiedAt: toInstant(p.hs_lastmodifieddate) ?? raw.updatedAt ?? occurredAt,
    isDeleted: raw.archived === true,
  };
}

// ---------------------------------------------------------------------------------------------
// Owners and stages

export function toOwner(raw: RawOwner, connectionId: string, archived = raw.archived === true): Owner {
  const name = [raw.firstName, raw.lastName]
    .filter((s) => s && s.trim() !== '')
    .join(' ')
    .trim();
  const team = raw.teams?.find((t) => t.primary)?.name ?? raw.teams?.[0]?.name ?? null;
  return {
    connectionId,
    externalId: raw.id,
    name: name || raw.email || raw.id,
    email: raw.email ?? null,
    team,
    active: !archived,
  };
}

/**
 * Stages of every deal pipeline. `order` is the 0-based position by displayOrder (archived stages
 * last, kept because old deals still point at them); won = closed with probability 1.
 */
export function toStages(pipelines: RawPipeline[], connectionId: string): Stage[] {
  const out: Stage[] = [];
  for (const pipeline of pipelines) {
    const stages = [...(pipeline.stages ?? [])].sort(
      (a, b) => Number(a.archived === true) - Number(b.archived === true) || (a.displayOrder ?? 0) - (b.displayOrder ?? 0),
    );
    stages.forEach((stage, index) => {
      const raw = Number(stage.metadata?.probability);
      const probability = Number.isFinite(raw) ? Math.min(1, Math.max(0, raw > 1 ? raw / 100 : raw)) : 0;
      const isClosed = stage.metadata?.isClosed === 'true';
      out.push({
        connectionId,
        pipeline: pipeline.id,
        id: stage.id,
        label: stage.label ?? stage.id,
        order: index,
        probability,
        isClosed,
        isWon: isClosed && probability === 1,
      });
    });
  }
  return out;
}
