/**
 * `POST /crm/v3/objects/{type}/search`: filterGroups (OR of AND groups), one sort, offset paging
 * with `after`, the 10,000-result cap, archived records never matching.
 */
import type { HubSpotContext } from './context.js';
import { validation, type HubSpotErrorBody } from './errors.js';
import { activityProperty, dealProperty, ACTIVITY_KIND_OF, type HubSpotObjectType } from './properties.js';
import { renderActivity, renderDeal, type SimplePublicObject } from './render.js';

export const SEARCH_RESULT_CAP = 10_000;
export const SEARCH_MAX_LIMIT = 200;

export interface SearchFilter {
  propertyName?: string;
  operator?: string;
  value?: unknown;
  highValue?: unknown;
  values?: unknown[];
}
export interface SearchRequest {
  filterGroups?: { filters?: SearchFilter[] }[];
  sorts?: (string | { propertyName?: string; direction?: string })[];
  properties?: string[];
  limit?: number;
  after?: string | number;
  query?: string;
}

const OPERATORS = new Set([
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'BETWEEN',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
]);
const DATE_PROPERTY = /(date|_timestamp|_time|createdAt|updatedAt)$|^hs_(v2_)?date_|^notes_last|^notes_next|^hs_timestamp$/;
const NUMBER_PREFIXES = [
  'amount',
  'hs_object_id',
  'discount_percent',
  'num_',
  'hs_deal_stage_probability',
  'hs_forecast_probability',
  'hs_call_duration',
  'hs_deal_stage_push_count',
];
const NUMBER_PROPERTY = new RegExp(`^(${NUMBER_PREFIXES.join('|')})`);

type Comparable = number | string | null;

function toComparable(property: string, raw: unknown): Comparable {
  if (raw === null || raw === undefined || raw === '') return null;
  const text = String(raw);
  if (DATE_PROPERTY.test(property)) {
    if (/^-?\d+$/.test(text)) return Number(text);
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? text.toLowerCase() : ms;
  }
  if (NUMBER_PROPERTY.test(property)) {
    const n = Number(text);
    return Number.isNaN(n) ? text.toLowerCase() : n;
  }
  return text.toLowerCase();
}

function compare(a: Comparable, b: Comparable): number {
  if (a === null && b === null) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function matches(filter: SearchFilter, getter: (name: string) => string | null | undefined): boolean {
  const property = filter.propertyName ?? '';
  const actual = toComparable(property, getter(property));
  const op = filter.operator ?? 'EQ';
  const v = toComparable(property, filter.value);
  switch (op) {
    case 'HAS_PROPERTY':
      return actual !== null;
    case 'NOT_HAS_PROPERTY':
      return actual === null;
    case 'EQ':
      return actual !== null && compare(actual, v) === 0;
    case 'NEQ':
      return actual === null || compare(actual, v) !== 0;
    case 'LT':
      return actual !== null && compare(actual, v) < 0;
    case 'LTE':
      return actual !== null && compare(actual, v) <= 0;
    case 'GT':
      return actual !== null && compare(actual, v) > 0;
    case 'GTE':
      return actual !== null && compare(actual, v) >= 0;
    case 'BETWEEN': {
      const high = toComparable(property, filter.highValue);
      return actual !== null && compare(actual, v) >= 0 && compare(actual, high) <= 0;
    }
    case 'IN':
      return actual !== null && (filter.values ?? []).some((x) => compare(actual, toComparable(property, x)) === 0);
    case 'NOT_IN':
      return actual === null || !(filter.values ?? []).some((x) => compare(actual, toComparable(property, x)) === 0);
    case 'CONTAINS_TOKEN':
      return actual !== null && String(actual).includes(String(v ?? '').replaceAll('*', ''));
    case 'NOT_CONTAINS_TOKEN':
      return actual === null || !String(actual).includes(String(v ?? '').replaceAll('*', ''));
    default:
      return false;
  }
}

export type SearchOutcome =
  | { ok: true; body: { total: number; results: SimplePublicObject[]; paging?: { next: { after: string; link?: string } } } }
  | { ok: false; error: HubSpotErrorBody };

export function search(ctx: HubSpotContext, type: HubSpotObjectType, request: SearchRequest): SearchOutcome {
  const limit = request.limit ?? 10;
  if (!Number.isInteger(limit) || limit < 0 || limit > SEARCH_MAX_LIMIT) {
    return { ok: false, error: validation(`Invalid input JSON on line 1, column 1: limit must be between 0 and ${SEARCH_MAX_LIMIT}`) };
  }
  const offset = request.after === undefined || request.after === '' ? 0 : Number(request.after);
  if (!Number.isInteger(offset) || offset < 0) return { ok: false, error: validation(`Invalid after value: ${String(request.after)}`) };
  if (offset >= SEARCH_RESULT_CAP) {
    return {
      ok: false,
      error: validation(
        `The search request has exceeded the maximum number of results (${SEARCH_RESULT_CAP}). Narrow your search with filters.`,
      ),
    };
  }
  const groups = request.filterGroups ?? [];
  if (groups.length > 5) return { ok: false, error: validation('Too many filter groups (maximum 5)') };
  for (const g of groups) {
    for (const f of g.filters ?? []) {
      if (!OPERATORS.has(f.operator ?? 'EQ')) return { ok: false, error: validation(`Unsupported operator ${String(f.operator)}`) };
    }
  }
  const sorts = request.sorts ?? [];
  if (sorts.length > 1) return { ok: false, error: validation('Only one sort is allowed per search request') };
  const sort = sorts[0];
  const sortProperty =
    sort === undefined ? 'hs_object_id' : typeof sort === 'string' ? sort.replace(/^-/, '') : (sort.propertyName ?? 'hs_object_id');
  const descending = sort !== undefined && (typeof sort === 'string' ? sort.startsWith('-') : sort.direction === 'DESCENDING');

  const store = ctx.store;
  // Rows are plain indexes; one getter per object type reads a property of any row (no per-row closures,
  // which matters when a search scans a million activities).
  const candidates: number[] = [];
  let getter: (idx: number, name: string) => string | null | undefined;
  if (type === 'deals') {
    const deals = store.book.deals;
    for (let i = 0; i < deals.length; i++) if (!deals[i]!.deleted) candidates.push(i);
    getter = (i, name) => dealProperty(store, i, deals[i]!, name, ctx.customDealProperties);
  } else {
    const activities = store.book.activities;
    for (const i of store.activityIndicesOfKind(ACTIVITY_KIND_OF[type])) if (!activities[i]!.deleted) candidates.push(i);
    getter = (i, name) => {
      const activity = activities[i]!;
      return name === 'associations.deal' ? (store.book.deals[activity.deal]?.id ?? null) : activityProperty(store, activity, name);
    };
  }
  // Free-text `query` matches the default searchable text of the object (deal name, activity subject/body).
  const text = request.query?.trim().toLowerCase();
  const textProps =
    type === 'deals' ? ['dealname'] : ['hs_call_title', 'hs_email_subject', 'hs_meeting_title', 'hs_note_body', 'hs_task_subject'];
  const textMatch = (i: number) => !text || textProps.some((p) => (getter(i, p) ?? '').toLowerCase().includes(text));
  const matched = candidates.filter(
    (i) =>
      textMatch(i) && (groups.length === 0 || groups.some((g) => (g.filters ?? []).every((f) => matches(f, (name) => getter(i, name))))),
  );
  const keyed = matched.map((i) => ({
    i,
    key: toComparable(sortProperty, getter(i, sortProperty)),
    id: Number(getter(i, 'hs_object_id')),
  }));
  keyed.sort((a, b) => {
    const c = compare(a.key, b.key);
    return (descending ? -c : c) || a.id - b.id;
  });
  const end = Math.min(offset + limit, keyed.length, SEARCH_RESULT_CAP);
  const page = keyed.slice(offset, end);
  const requested =
    request.properties && request.properties.length > 0 ? request.properties : ['createdate', 'hs_lastmodifieddate', 'hs_object_id'];
  const results = page.map(({ i }) =>
    type === 'deals'
      ? renderDeal(ctx, i, requested)
      : renderActivity(ctx, store.book.activities[i]!, type, request.properties?.length ? request.properties : undefined),
  );
  const body: Extract<SearchOutcome, { ok: true }>['body'] = { total: matched.length, results };
  // Like HubSpot, the last page before the cap still points past it; following that cursor gets the 400.
  if (end < keyed.length) body.paging = { next: { after: String(end) } };
  return { ok: true, body };
}
