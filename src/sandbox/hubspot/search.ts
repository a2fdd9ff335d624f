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

const OPERATORS = new Set(['EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'IN', 'NOT_IN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'CONTAINS_TOKEN', 'NOT_CONTAINS_TOKEN']);
const DATE_PROPERTY = /(date|_timestamp|_time|createdAt|updatedAt)$|^hs_(v2_)?date_|^notes_last|^notes_next|^hs_timestamp$/;
const NUMBER_PROPERTY = /^(amount|hs_object_id|discount_percent|num_|hs_deal_stage_probability|hs_forecast_probability|hs_call_duration|hs_deal_stage_push_count)/;

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
    return { ok: false, error: validation(`The search request has exceeded the maximum number of results (${SEARCH_RESULT_CAP}). Narrow your search with filters.`) };
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
  const sortProperty = sort === undefined ? 'hs_object_id' : typeof sort === 'string' ? sort.replace(/^-/, '') : (sort.propertyName ?? 'hs_object_id');
  const descending = sort !== undefined && (typeof sort === 'string' ? sort.startsWith('-') : sort.direction === 'DESCENDING');

  const store = ctx.store;
  type Row = { idx: number; get: (name: string) => string | null | undefined };
  const rows: Row[] = [];
  if (type === 'deals') {
    const deals = store.book.deals;
    for (let i = 0; i < deals.length; i++) {
      const deal = deals[i];
      if (!deal || deal.deleted) continue;
      const get = (name: string) => dealProperty(store, i, deal, name, ctx.customDealProperties);
      rows.push({ idx: i, get });
    }
  } else {
    for (const i of store.activityIndicesOfKind(ACTIVITY_KIND_OF[type])) {
      const activity = store.book.activities[i];
      if (!activity || activity.deleted) continue;
      const get = (name: string) =>
        name === 'associations.deal' ? (store.book.deals[activity.deal]?.id ?? null) : activityProperty(store, activity, name);
      rows.push({ idx: i, get });
    }
  }
  const matched = groups.length === 0 ? rows : rows.filter((r) => groups.some((g) => (g.filters ?? []).every((f) => matches(f, r.get))));
  const keyed = matched.map((r) => ({ r, key: toComparable(sortProperty, r.get(sortProperty)), id: Number(r.get('hs_object_id')) }));
  keyed.sort((a, b) => {
    const c = compare(a.key, b.key);
    return (descending ? -c : c) || a.id - b.id;
  });
  const end = Math.min(offset + limit, keyed.length, SEARCH_RESULT_CAP);
  const page = keyed.slice(offset, end);
  const requested = request.properties && request.properties.length > 0 ? request.properties : ['createdate', 'hs_lastmodifieddate', 'hs_object_id'];
  const results = page.map(({ r }) =>
    type === 'deals' ? renderDeal(ctx, r.idx, requested) : renderActivity(ctx, store.book.activities[r.idx]!, type, request.properties?.length ? request.properties : undefined),
  );
  const body: Extract<SearchOutcome, { ok: true }>['body'] = { total: matched.length, results };
  // Like HubSpot, the last page before the cap still points past it; following that cursor gets the 400.
  if (end < keyed.length) body.paging = { next: { after: String(end) } };
  return { ok: true, body };
}
