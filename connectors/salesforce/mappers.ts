/**
 * Pure mappers from raw Salesforce records to the canonical model. No I/O, no clock: `now` is a
 * parameter where "has it happened yet" matters.
 */
import type {
  Activity,
  ActivityType,
  Deal,
  DealFieldChange,
  ForecastCategory,
  Owner,
  Stage,
  StageChange,
} from '../../src/domain/model/index.js';
import {
  Checkbox,
  type RawEvent,
  RawOpportunity,
  RawOpportunityFieldHistory,
  RawOpportunityHistory,
  RawOpportunityStage,
  RawTask,
  RawUser,
} from './schemas.js';

/** Key prefix of Opportunity ids: a WhatId with it links an activity to a deal. */
export const OPPORTUNITY_ID_PREFIX = '006';
/** Every Task dealwatch creates has a Subject starting with this. */
export const WARNING_SUBJECT_PREFIX = 'Pipeline health:';
/** Marker of dealwatch's deterministic key inside Subject and Description: `[dw:<tag>]`. */
export const KEY_MARKER = '[dw:';
/** Task custom field holding a warning record's key (text, 80): filterable, and not what reps read. */
export const WARNING_KEY_FIELD = 'Dealwatch_Key__c';

export interface DealMapContext {
  connectionId: string;
  /** Field with the discount percent, when it exists on Opportunity. */
  discountField: string | null;
  lostReasonField: string | null;
  /** Field holding the contact count, when not counted through OpportunityContactRoles. */
  contactCountField: string | null;
  /** Account checkbox marking target accounts (`fieldMap.targetAccount`), when it exists on Account. */
  targetAccountField?: string | null;
}

/** Salesforce datetimes (`2026-11-26T09:00:00.000+0000`) to canonical UTC ISO. */
export function toIso(value: string): string {
  // Stryker disable next-line Regex: Node 20's Date.parse reads +hhmm with or without the colon alike
  const ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  if (Number.isNaN(ms)) throw new Error(`not a Salesforce datetime: ${value}`);
  return new Date(ms).toISOString();
}

/** A date-only field (`2026-11-26`) as midnight UTC, which is how Salesforce stores ActivityDate. */
const dateToIso = (date: string): string => `${date.slice(0, 10)}T00:00:00.000Z`;

const FORECAST: Record<string, ForecastCategory> = {
  pipeline: 'pipeline',
  bestcase: 'best_case',
  commit: 'commit',
  forecast: 'commit',
  closed: 'closed',
  omitted: 'omitted',
};

/** ForecastCategoryName labels (`Best Case`) and ForecastCategory API values (`BestCase`, `Forecast`). */
export function toForecastCategory(value: string | null | undefined): ForecastCategory | null {
  if (!value) return null;
  return FORECAST[value.replace(/[\s_]/g, '').toLowerCase()] ?? null;
}

const numberOf = (v: unknown): number | null => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
};
const stringOf = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);

/**
 * Rows of a parent-to-child subquery: the REST API answers `null` for a relationship with no rows
 * (zero), a nested query result otherwise; only a field absent from the record (not queried) is
 * unknown. https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_query.htm
 */
function childCount(relationship: { totalSize: number } | null | undefined): number | null {
  if (relationship === undefined) return null;
  return relationship === null ? 0 : relationship.totalSize;
}

export function toDeal(raw: RawOpportunity, ctx: DealMapContext): Deal {
  const extra = raw as Record<string, unknown>;
  const modifiedAt = toIso(raw.SystemModstamp);
  const probability = raw.Probability ?? null;
  const contactCount = ctx.contactCountField ? numberOf(extra[ctx.contactCountField]) : childCount(raw.OpportunityContactRoles);
  return {
    connectionId: ctx.connectionId,
    externalId: raw.Id,
    name: raw.Name ?? '',
    ownerId: raw.OwnerId ?? null,
    accountId: raw.AccountId ?? null,
    accountName: raw.Account?.Name ?? null,
    accountIsTarget:
      ctx.targetAccountField && raw.AccountId ? (Checkbox.safeParse(raw.Account?.[ctx.targetAccountField]).data ?? null) : null,
    leadSource: raw.LeadSource ?? null,
    pipeline: 'default',
    stageId: raw.StageName ?? 'unknown',
    amount: raw.Amount ?? null,
    currency: raw.CurrencyIsoCode && /^[A-Z]{3}$/.test(raw.CurrencyIsoCode) ? raw.CurrencyIsoCode : null,
    closeDate: raw.CloseDate ? raw.CloseDate.slice(0, 10) : null,
    createdAt: raw.CreatedDate ? toIso(raw.CreatedDate) : modifiedAt,
    modifiedAt,
    probability: probability === null ? null : Math.min(1, Math.max(0, probability / 100)),
    forecastCategory: toForecastCategory(raw.ForecastCategoryName),
    nextStep: raw.NextStep ?? null,
    isClosed: raw.IsClosed ?? false,
    isWon: raw.IsWon ?? false,
    stageEnteredAt: raw.LastStageChangeDate ? toIso(raw.LastStageChangeDate) : null,
    discountPercent: ctx.discountField ? numberOf(extra[ctx.discountField]) : null,
    contactCount: contactCount === null ? null : Math.max(0, Math.trunc(contactCount)),
    lostReason: ctx.lostReasonField ? stringOf(extra[ctx.lostReasonField]) : null,
    isDeleted: raw.IsDeleted ?? false,
    // A delete bumps SystemModstamp, so it is the deletion time on a queryAll row.
    deletedAt: raw.IsDeleted ? modifiedAt : null,
  };
}

const isDealwatchRecord = (subject: string | null | undefined, description: string | null | undefined): boolean =>
  (subject ?? '').startsWith(WARNING_SUBJECT_PREFIX) || (description ?? '').includes(KEY_MARKER);

const dealIdsOf = (whatId: string | null | undefined): string[] => (whatId?.startsWith(OPPORTUNITY_ID_PREFIX) ? [whatId] : []);

function taskType(raw: RawTask): ActivityType {
  switch (raw.TaskSubtype) {
    case 'Call':
      return 'call';
    case 'Email':
    case 'ListEmail':
      return 'email';
    default:
      return 'task';
  }
}

/** What a Task and an Event map alike. */
function activityBase(raw: RawTask | RawEvent, connectionId: string) {
  return {
    connectionId,
    externalId: raw.Id,
    ownerId: raw.OwnerId ?? null,
    dealIds: dealIdsOf(raw.WhatId),
    subject: raw.Subject ?? null,
    origin: isDealwatchRecord(raw.Subject, raw.Description) ? ('dealwatch' as const) : ('crm' as const),
    modifiedAt: toIso(raw.SystemModstamp),
    isDeleted: raw.IsDeleted ?? false,
  };
}

export function toActivity(raw: RawTask, connectionId: string): Activity {
  return {
    ...activityBase(raw, connectionId),
    type: taskType(raw),
    direction: raw.CallType === 'Inbound' ? 'inbound' : raw.CallType === 'Outbound' ? 'outbound' : 'unknown',
    occurredAt: raw.ActivityDate ? dateToIso(raw.ActivityDate) : toIso(raw.CreatedDate ?? raw.SystemModstamp),
    completed: raw.IsClosed ?? raw.Status === 'Completed',
  };
}

/** Events are meetings; one is completed once it has started (`nowIso`). */
export function toMeeting(raw: RawEvent, connectionId: string, nowIso: string): Activity {
  const at = raw.ActivityDateTime ?? raw.StartDateTime;
  const occurredAt = at ? toIso(at) : raw.ActivityDate ? dateToIso(raw.ActivityDate) : toIso(raw.CreatedDate ?? raw.SystemModstamp);
  return { ...activityBase(raw, connectionId), type: 'meeting', direction: 'unknown', occurredAt, completed: occurredAt <= nowIso };
}

/** OpportunityStage rows to stages of the one `default` pipeline, ordered by SortOrder. */
export function toStages(rows: RawOpportunityStage[], connectionId: string): Stage[] {
  return [...rows]
    .sort((a, b) => (a.SortOrder ?? Number.MAX_SAFE_INTEGER) - (b.SortOrder ?? Number.MAX_SAFE_INTEGER))
    .map((raw, order) => ({
      connectionId,
      pipeline: 'default',
      // Opportunity.StageName holds the API name, which is what deals reference.
      id: raw.ApiName ?? raw.MasterLabel ?? raw.Id,
      label: raw.MasterLabel ?? raw.ApiName ?? raw.Id,
      order,
      probability: Math.min(1, Math.max(0, (raw.DefaultProbability ?? 0) / 100)),
      isClosed: raw.IsClosed ?? false,
      isWon: raw.IsWon ?? false,
    }));
}

export function toOwner(raw: RawUser, connectionId: string): Owner {
  return {
    connectionId,
    externalId: raw.Id,
    name: raw.Name ?? raw.Id,
    email: raw.Email ?? null,
    team: null,
    active: raw.IsActive ?? true,
    managerId: raw.ManagerId ?? null,
  };
}

/**
 * OpportunityHistory rows (in CreatedDate order) to stage moves. A row is a snapshot written on any
 * change of stage, amount or close date; only a change of StageName is a move. `previous` holds each
 * deal's stage before these rows (absent: no earlier row, so the first row is the deal's first stage)
 * and is updated in place so consecutive pages chain.
 */
export function toStageChanges(rows: RawOpportunityHistory[], previous: Map<string, string>, connectionId: string): StageChange[] {
  const changes: StageChange[] = [];
  for (const row of rows) {
    if (!row.StageName) continue;
    const before = previous.get(row.OpportunityId) ?? null;
    previous.set(row.OpportunityId, row.StageName);
    if (before === row.StageName) continue;
    changes.push({
      connectionId,
      dealId: row.OpportunityId,
      fromStageId: before,
      toStageId: row.StageName,
      at: toIso(row.CreatedDate),
      amount: row.Amount ?? null,
      closeDate: row.CloseDate ? row.CloseDate.slice(0, 10) : null,
    });
  }
  return changes;
}

const TRACKED_FIELDS: Record<string, DealFieldChange['field']> = { CloseDate: 'closeDate', Amount: 'amount' };

export function toFieldChanges(rows: RawOpportunityFieldHistory[], connectionId: string): DealFieldChange[] {
  const changes: DealFieldChange[] = [];
  for (const row of rows) {
    const field = row.Field ? TRACKED_FIELDS[row.Field] : undefined;
    if (!field) continue;
    changes.push({
      connectionId,
      dealId: row.OpportunityId,
      field,
      oldValue: row.OldValue === null || row.OldValue === undefined ? null : String(row.OldValue),
      newValue: row.NewValue === null || row.NewValue === undefined ? null : String(row.NewValue),
      at: toIso(row.CreatedDate),
    });
  }
  return changes;
}
