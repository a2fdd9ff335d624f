/** Book rows to HubSpot's SimplePublicObject shape (`{id, properties, createdAt, updatedAt, archived}`). */
import type { Activity, Deal } from '../generator/book.js';
import type { HubSpotContext } from './context.js';
import { activityProperty, dealProperty, DEFAULT_PROPERTIES, type HubSpotObjectType } from './properties.js';

export interface SimplePublicObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
  associations?: Record<string, { results: { id: string; type: string }[] }>;
}

/** `properties` query values arrive repeated (`properties=a&properties=b`) or comma-separated. */
export function parsePropertyList(raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const parts = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => String(v).split(','));
  const names = parts.map((s) => s.trim()).filter(Boolean);
  return names.length > 0 ? names : undefined;
}

export function renderDeal(ctx: HubSpotContext, dealIdx: number, requested: string[] | undefined, defaults = DEFAULT_PROPERTIES.deals): SimplePublicObject {
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
  return out;
}

export function renderActivity(ctx: HubSpotContext, activity: Activity, type: HubSpotObjectType, requested: string[] | undefined): SimplePublicObject {
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
