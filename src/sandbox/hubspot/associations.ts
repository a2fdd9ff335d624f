/**
 * Associations: v4 batch read (`POST /crm/v4/associations/{from}/{to}/batch/read`, at most 1,000
 * inputs), the v3 `associations=` expansion on reads (at most 100 per object and type, the rest
 * behind `paging.next`, as HubSpot pages them since 2021:
 * https://developers.hubspot.com/changelog/announcing-a-change-to-how-v3-crm-apis-return-association-data)
 * and the v3 per-object list that `paging.next.link` points at. Type ids are HubSpot's
 * HUBSPOT_DEFINED ones; a deal's company is its primary company, so it is associated twice, with
 * the Primary label (5 / 6) and unlabeled (341 / 342), as HubSpot reports it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BookStore } from '../book-store.js';
import type { ActivityKind } from '../generator/book.js';
import { HUBSPOT_ID_BASE } from '../generator/ids.js';
import type { HubSpotContext } from './context.js';
import { notFound, validation } from './errors.js';

const ACTIVITY_TYPES: Record<string, ActivityKind> = { calls: 'call', emails: 'email', meetings: 'meeting', notes: 'note', tasks: 'task' };
/** deal -> X type ids, and X -> deal. */
const DEAL_TO: Record<string, number> = { contacts: 3, calls: 205, emails: 209, meetings: 211, notes: 213, tasks: 215 };
const TO_DEAL: Record<string, number> = { contacts: 4, calls: 206, emails: 210, meetings: 212, notes: 214, tasks: 216 };
const SINGULAR: Record<string, string> = {
  deals: 'deal',
  contacts: 'contact',
  companies: 'company',
  calls: 'call',
  emails: 'email',
  meetings: 'meeting',
  notes: 'note',
  tasks: 'task',
};
const OBJECT_TYPE_IDS: Record<string, string> = {
  '0-1': 'contacts',
  '0-2': 'companies',
  '0-3': 'deals',
  '0-27': 'tasks',
  '0-46': 'notes',
  '0-47': 'meetings',
  '0-48': 'calls',
  '0-49': 'emails',
};

/** v3 inline associations: at most this many per object and type. */
export const INLINE_ASSOCIATIONS_PAGE = 100;

/** One association as both APIs describe it. */
export interface AssociationEdge {
  id: string;
  typeId: number;
  label: string | null;
  /** The v3 name (`deal_to_company`, `call_to_deal`...). */
  v3Type: string;
}

export interface InlineAssociations {
  results: { id: string; type: string }[];
  paging?: { next: { after: string; link: string } };
}

/** `deal`, `Deals`, `0-3` -> `deals`. */
export function normaliseObjectType(type: string): string {
  const t = type.toLowerCase();
  if (t in SINGULAR) return t;
  const plural = Object.entries(SINGULAR).find(([, s]) => s === t);
  if (plural) return plural[0];
  return OBJECT_TYPE_IDS[t] ?? t;
}

/** Live deals of each account, rebuilt when deals were added (accounts of deals never change). */
const dealsByAccountCache = new WeakMap<BookStore, { dealCount: number; byAccount: number[][] }>();
function dealsOfAccount(store: BookStore, accountIdx: number): number[] {
  let cached = dealsByAccountCache.get(store);
  if (!cached || cached.dealCount !== store.book.deals.length) {
    const byAccount: number[][] = store.book.accounts.map(() => []);
    store.book.deals.forEach((d, i) => byAccount[d.account]?.push(i));
    cached = { dealCount: store.book.deals.length, byAccount };
    dealsByAccountCache.set(store, cached);
  }
  return (cached.byAccount[accountIdx] ?? []).filter((i) => !store.book.deals[i]!.deleted);
}

/** Account index of a HubSpot company id (ids are numbered from HUBSPOT_ID_BASE.company + 1). */
export function companyIndex(store: BookStore, id: string): number | undefined {
  const i = Number(id) - HUBSPOT_ID_BASE.company - 1;
  return Number.isInteger(i) && store.book.accounts[i]?.id === id ? i : undefined;
}

/**
 * The associations of one record to one type, in id order; `null` when the record does not exist
 * (or is archived), or the pair is not one the sandbox models.
 */
export function associationsOf(ctx: HubSpotContext, fromType: string, fromId: string, toType: string): AssociationEdge[] | null {
  const store = ctx.store;
  const from = normaliseObjectType(fromType);
  const to = normaliseObjectType(toType);
  const v3 =
    (typeId: number, label: string | null, suffix = '') =>
    (id: string): AssociationEdge => ({ id, typeId, label, v3Type: `${SINGULAR[from] ?? from}_to_${SINGULAR[to] ?? to}${suffix}` });
  if (from === 'deals') {
    const idx = store.dealIndex(fromId);
    const deal = idx === undefined ? undefined : store.book.deals[idx];
    if (idx === undefined || !deal || deal.deleted) return null;
    if (to === 'companies') {
      const company = store.book.accounts[deal.account];
      return company ? [v3(5, 'Primary')(company.id), v3(341, null, '_unlabeled')(company.id)] : [];
    }
    if (to === 'contacts') return deal.contactIds.map(v3(DEAL_TO.contacts!, null));
    const kind = ACTIVITY_TYPES[to];
    if (!kind) return null;
    return store
      .activitiesOf(idx)
      .filter((a) => a.kind === kind && !a.deleted)
      .map((a) => v3(DEAL_TO[to]!, null)(a.id));
  }
  if (from === 'companies') {
    const idx = companyIndex(store, fromId);
    if (idx === undefined || to !== 'deals') return null;
    return dealsOfAccount(store, idx).flatMap((d) => {
      const id = store.book.deals[d]!.id;
      return [v3(6, 'Deal with Primary Company')(id), v3(342, null, '_unlabeled')(id)];
    });
  }
  const kind = ACTIVITY_TYPES[from];
  if (kind && to === 'deals') {
    const a = store.activity(fromId);
    if (!a || a.deleted || a.kind !== kind) return null;
    const deal = store.book.deals[a.deal];
    return deal && !deal.deleted ? [v3(TO_DEAL[from]!, null)(deal.id)] : [];
  }
  return null;
}

/** Opaque cursors, like HubSpot's (base64), over a position in the edge list. */
const encodeAfter = (position: number): string => Buffer.from(String(position)).toString('base64');
function decodeAfter(after: unknown): number | null {
  if (after === undefined || after === '') return 0;
  const n = Number(Buffer.from(String(after), 'base64').toString('utf8'));
  return Number.isInteger(n) && n >= 0 ? n : null;
}

function pageOf(edges: AssociationEdge[], start: number, limit: number, link: (after: string) => string): InlineAssociations {
  const slice = edges.slice(start, start + limit);
  const out: InlineAssociations = { results: slice.map((e) => ({ id: e.id, type: e.v3Type })) };
  if (start + limit < edges.length) {
    const after = encodeAfter(start + limit);
    out.paging = { next: { after, link: link(after) } };
  }
  return out;
}

/**
 * The `associations` member of a v3 read: one entry per requested type that has associations
 * (HubSpot leaves out the empty ones), the first 100 of each with a `paging.next` to the rest.
 */
export function inlineAssociations(
  ctx: HubSpotContext,
  baseUrl: string,
  fromType: string,
  fromId: string,
  types: string[],
): Record<string, InlineAssociations> {
  const out: Record<string, InlineAssociations> = {};
  for (const raw of types) {
    const to = normaliseObjectType(raw);
    const edges = associationsOf(ctx, fromType, fromId, to);
    if (!edges || edges.length === 0) continue;
    out[to] = pageOf(
      edges,
      0,
      INLINE_ASSOCIATIONS_PAGE,
      (after) =>
        `${baseUrl}/crm/v3/objects/${normaliseObjectType(fromType)}/${fromId}/associations/${to}?after=${encodeURIComponent(after)}`,
    );
  }
  return out;
}

export function registerAssociationRoutes(app: FastifyInstance, ctx: HubSpotContext, baseUrl: () => string): void {
  // v3 list of one record's associations (where inline `paging.next.link` points).
  app.get(
    '/crm/v3/objects/:objectType/:objectId/associations/:toObjectType',
    async (
      request: FastifyRequest<{
        Params: { objectType: string; objectId: string; toObjectType: string };
        Querystring: { after?: string; limit?: string };
      }>,
      reply,
    ) => {
      const { objectType, objectId, toObjectType } = request.params;
      const edges = associationsOf(ctx, objectType, objectId, toObjectType);
      if (!edges) return reply.code(404).send(notFound());
      const limit = request.query.limit === undefined ? 500 : Number(request.query.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) return reply.code(400).send(validation('limit must be between 1 and 500'));
      const start = decodeAfter(request.query.after);
      if (start === null) return reply.code(400).send(validation(`Invalid after: ${String(request.query.after)}`));
      const from = normaliseObjectType(objectType);
      const to = normaliseObjectType(toObjectType);
      return pageOf(
        edges,
        start,
        limit,
        (after) => `${baseUrl()}/crm/v3/objects/${from}/${objectId}/associations/${to}?after=${encodeURIComponent(after)}`,
      );
    },
  );

  app.post(
    '/crm/v4/associations/:fromObjectType/:toObjectType/batch/read',
    async (
      request: FastifyRequest<{
        Params: { fromObjectType: string; toObjectType: string };
        Body: { inputs?: { id: string | number; after?: string }[] };
      }>,
      reply,
    ) => {
      const from = normaliseObjectType(request.params.fromObjectType);
      const to = normaliseObjectType(request.params.toObjectType);
      const inputs = request.body?.inputs ?? [];
      if (inputs.length > 1000) return reply.code(400).send(validation(`Batch input has ${inputs.length} inputs; the maximum is 1000.`));
      const startedAt = new Date().toISOString();
      const results: {
        from: { id: string };
        to: { toObjectId: number; associationTypes: { category: string; typeId: number; label: string | null }[] }[];
      }[] = [];
      const missing: string[] = [];
      for (const input of inputs) {
        const id = String(input.id);
        const edges = associationsOf(ctx, from, id, to);
        if (!edges || edges.length === 0) {
          missing.push(id);
          continue;
        }
        // v4 reports each associated record once, with every type (label) it is associated by.
        const byTarget = new Map<string, { category: string; typeId: number; label: string | null }[]>();
        for (const e of edges) {
          const types = byTarget.get(e.id) ?? [];
          types.push({ category: 'HUBSPOT_DEFINED', typeId: e.typeId, label: e.label });
          byTarget.set(e.id, types);
        }
        results.push({
          from: { id },
          to: [...byTarget].map(([target, associationTypes]) => ({ toObjectId: Number(target), associationTypes })),
        });
      }
      const errors = missing.map((id) => ({
        status: 'error',
        category: 'OBJECT_NOT_FOUND',
        subCategory: 'crm.associations.NO_ASSOCIATIONS_FOUND',
        message: `No ${SINGULAR[to] ?? to} is associated with ${SINGULAR[from] ?? from} ${id}.`,
        context: { fromObjectId: [id] },
        errors: [],
      }));
      return reply.code(errors.length > 0 ? 207 : 200).send({
        status: 'COMPLETE',
        results,
        ...(errors.length > 0 ? { numErrors: errors.length, errors } : {}),
        startedAt,
        completedAt: new Date().toISOString(),
      });
    },
  );
}
