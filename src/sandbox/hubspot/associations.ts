/**
 * Associations: v4 batch read (`POST /crm/v4/associations/{from}/{to}/batch/read`, at most 1,000
 * inputs) and the v3 `associations=` expansion on reads. Type ids are HubSpot's HUBSPOT_DEFINED ones.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ActivityKind } from '../generator/book.js';
import type { HubSpotContext } from './context.js';
import { validation } from './errors.js';

const ACTIVITY_TYPES: Record<string, ActivityKind> = { calls: 'call', emails: 'email', meetings: 'meeting', notes: 'note', tasks: 'task' };
/** deal -> X type ids, and X -> deal. */
const DEAL_TO: Record<string, number> = { contacts: 3, companies: 5, calls: 205, emails: 209, meetings: 211, notes: 213, tasks: 215 };
const TO_DEAL: Record<string, number> = { contacts: 4, companies: 6, calls: 206, emails: 210, meetings: 212, notes: 214, tasks: 216 };
const SINGULAR: Record<string, string> = { deals: 'deal', contacts: 'contact', companies: 'company', calls: 'call', emails: 'email', meetings: 'meeting', notes: 'note', tasks: 'task' };

function normalise(type: string): string {
  const t = type.toLowerCase();
  if (t in SINGULAR) return t;
  const plural = Object.entries(SINGULAR).find(([, s]) => s === t);
  if (plural) return plural[0];
  if (t === '0-3') return 'deals';
  if (t === '0-1') return 'contacts';
  if (t === '0-2') return 'companies';
  return t;
}

/** Ids associated to a deal, for a target type. */
function associatedToDeal(ctx: HubSpotContext, dealIdx: number, toType: string): string[] {
  const deal = ctx.store.book.deals[dealIdx];
  if (!deal) return [];
  if (toType === 'contacts') return deal.contactIds;
  if (toType === 'companies') return [ctx.store.book.accounts[deal.account]?.id ?? ''].filter(Boolean);
  const kind = ACTIVITY_TYPES[toType];
  if (!kind) return [];
  return ctx.store.activitiesOf(dealIdx).filter((a) => a.kind === kind && !a.deleted).map((a) => a.id);
}

export function dealAssociations(ctx: HubSpotContext, dealIdx: number, types: string[]): Record<string, { results: { id: string; type: string }[] }> {
  const out: Record<string, { results: { id: string; type: string }[] }> = {};
  for (const raw of types) {
    const toType = normalise(raw);
    const ids = associatedToDeal(ctx, dealIdx, toType);
    if (ids.length > 0) out[toType] = { results: ids.map((id) => ({ id, type: `deal_to_${SINGULAR[toType] ?? toType}` })) };
  }
  return out;
}

export function registerAssociationRoutes(app: FastifyInstance, ctx: HubSpotContext): void {
  const store = ctx.store;
  app.post(
    '/crm/v4/associations/:fromObjectType/:toObjectType/batch/read',
    async (request: FastifyRequest<{ Params: { fromObjectType: string; toObjectType: string }; Body: { inputs?: { id: string | number; after?: string }[] } }>, reply) => {
      const from = normalise(request.params.fromObjectType);
      const to = normalise(request.params.toObjectType);
      const inputs = request.body?.inputs ?? [];
      if (inputs.length > 1000) return reply.code(400).send(validation(`Batch input has ${inputs.length} inputs; the maximum is 1000.`));
      const startedAt = new Date().toISOString();
      const results: { from: { id: string }; to: { toObjectId: number; associationTypes: { category: string; typeId: number; label: string | null }[] }[] }[] = [];
      const missing: string[] = [];
      for (const input of inputs) {
        const id = String(input.id);
        let targets: string[] = [];
        let typeId = 0;
        if (from === 'deals') {
          const idx = store.dealIndex(id);
          if (idx === undefined || store.book.deals[idx]?.deleted) {
            missing.push(id);
            continue;
          }
          targets = associatedToDeal(ctx, idx, to);
          typeId = DEAL_TO[to] ?? 0;
        } else if (to === 'deals' && ACTIVITY_TYPES[from]) {
          const a = store.activity(id);
          if (!a || a.deleted || a.kind !== ACTIVITY_TYPES[from]) {
            missing.push(id);
            continue;
          }
          const deal = store.book.deals[a.deal];
          targets = deal && !deal.deleted ? [deal.id] : [];
          typeId = TO_DEAL[from] ?? 0;
        } else {
          missing.push(id);
          continue;
        }
        if (targets.length === 0) {
          missing.push(id);
          continue;
        }
        results.push({ from: { id }, to: targets.map((t) => ({ toObjectId: Number(t), associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId, label: null }] })) });
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
