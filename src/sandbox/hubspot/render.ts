/** Book rows to HubSpot's SimplePublicObject shape (`{id, properties, createdAt, updatedAt, archived}`). */
import type { Activity, Deal } from '../generator/book.js';
import type { InlineAssociations } from './associations.js';
import type { HubSpotContext } from './context.js';
import { activityProperty, dealProperty, DEFAULT_PROPERTIES, type HubSpotObjectType } from './properties.js';

export interface SimplePublicObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
  associations?: Record<string, InlineAssociations>;
  propertiesWithHistory?: Record<string, PropertyHistoryEntry[]>;
}

export interface PropertyHistoryEntry {
  value: string;
  timestamp: string;
  sourceType: string;
  sourceId?: string;
  updatedByUserId?: number;
}

/** Values a deal property had over time, newest first, from the deal's history rows. */
export function dealPropertyHistory(ctx: HubSpotContext, dealIdx: number, name: string): PropertyHistoryEntry[] | undefined {
  const deal = ctx.store.book.deals[dealIdx] as Deal;
  const stages = ctx.store.pipelineOf(deal).stages;
  const valueOf: Record<string, (row: { stage: number; amount: number | null; closeDate: number | null }) => string> = {
    dealstage: (r) => stages[r.stage]?.id ?? '',
    amount: (r) => (r.amount === null ? '' : String(r.amount)),
    closedate: (r) => (r.closeDate === null ? '' : new Date(r.closeDate).toISOString()),
  };
  const get = valueOf[name];
  if (!get) return undefined;
  const out: PropertyHistoryEntry[] = [];
  let previous: string | undefined;
  for (const row of ctx.store.stageHistoryOf(dealIdx)) {
    const value = get(row);
    if (value === previous) continue;
    previous = value;
    out.push({
      value,
      timestamp: new Date(row.at).toISOString(),
      sourceType: 'CRM_UI',
      sourceId: 'userId:9000001',
      updatedByUserId: 9_000_001,
    });
  }
  return out.reverse();
}

/** `properties` query values arrive repeated (`properties=a&properties=b`) or comma-separated. */
export function parsePropertyList(raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const parts = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => String(v).split(','));
  const names = parts.map((s) => s.trim()).filter(Boolean);
  return names.length > 0 ? names : undefined;
}

export function renderDeal(
  ctx: HubSpotContext,
  dealIdx: number,
  requested: string[] | undefined,
  defaults = DEFAULT_PROPERTIES.deals,
  withHistory: string[] = [],
): SimplePublicObject {
  const deal = ctx.store.book.deals[dealIdx] as Deal;
  const properties: Record<string, string | null> = {};
  const known = ctx.customDealProperties;
  for (const name of requested ?? defaults) {
    const v = dealProperty(ctx.store, dealIdx, deal, name, known);
    if (v !== undefined) properties[name] = v;
  }
  // HubSpot always includes these three, whatever was asked for.
  for (const name of ['createdate', 'hs_lastmodifieddate', 'hs_object_id']) {
    if (!(name in properties)) properties[name] = dealProperty(ctx.store, dealIdx, deal, name, known) ?? null;
  }
  const out: SimplePublicObject = {
    id: deal.id,
    properties,
    createdAt: new Date(deal.createdAt).toISOString(),
    updatedAt: new Date(deal.modifiedAt).toISOString(),
    archived: deal.deleted,
  };
  if (deal.deleted && deal.deletedAt !== null) out.archivedAt = new Date(deal.deletedAt).toISOString();
  if (withHistory.length > 0) {
    const histories: Record<string, PropertyHistoryEntry[]> = {};
    for (const name of withHistory) {
      const h = dealPropertyHistory(ctx, dealIdx, name);
      if (h) histories[name] = h;
    }
    out.propertiesWithHistory = histories;
  }
  return out;
}

export function renderActivity(
  ctx: HubSpotContext,
  activity: Activity,
  type: HubSpotObjectType,
  requested: string[] | undefined,
): SimplePublicObject {
  const properties: Record<string, string | null> = {};
  for (const name of requested ?? DEFAULT_PROPERTIES[type]) {
    const v = activityProperty(ctx.store, activity, name);
    if (v !== undefined) properties[name] = v;
  }
  for (const name of ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id']) {
    if (!(name in properties)) properties[name] = activityProperty(ctx.store, activity, name) ?? null;
  }
  const out: SimplePublicObject = {
    id: activity.id,
    properties,
    createdAt: new Date(activity.createdAt).toISOString(),
    updatedAt: new Date(activity.modifiedAt).toISOString(),
    archived: activity.deleted,
  };
  if (activity.deleted) out.archivedAt = new Date(activity.modifiedAt).toISOString();
  return out;
}
