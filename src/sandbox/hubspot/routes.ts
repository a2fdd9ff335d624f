/**
 * The HubSpot CRM v3/v4 subset, mounted under the HubSpot base path (what `@hubspot/api-client`
 * takes as `basePath`). Paths and shapes follow developers.hubspot.com/docs/api/crm/*.
 * Calls authenticate with the private app token or an unexpired OAuth access token (oauth.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HubSpotContext } from './context.js';
import { expiredToken, hubspotError, missingScopes, notFound, propertyErrors, unauthorized, validation } from './errors.js';
import { registerHubSpotOAuthRoutes, TOKEN_PATH } from './oauth.js';
import { ACTIVITY_KIND_OF, HUBSPOT_OBJECT_TYPES, type HubSpotObjectType, type PropertyDefinition } from './properties.js';
import type { HubSpotRateLimiter } from './rate-limit.js';
import { parsePropertyList, renderActivity, renderDeal, type SimplePublicObject } from './render.js';
import { search, type SearchRequest } from './search.js';
import { applyDealWrite, createActivity, updateActivity, type ActivityCreateInput } from './writes.js';
import { inlineAssociations, registerAssociationRoutes } from './associations.js';
import { registerCompanyRoutes } from './companies.js';

const LIST_MAX_LIMIT = 100;
const BATCH_MAX_INPUTS = 100;

function objectType(raw: string): HubSpotObjectType | null {
  return (HUBSPOT_OBJECT_TYPES as readonly string[]).includes(raw) ? (raw as HubSpotObjectType) : null;
}

function asBoolean(v: unknown): boolean {
  return v === true || v === 'true';
}

export interface HubSpotRouteOptions {
  ctx: HubSpotContext;
  limiter: HubSpotRateLimiter;
  /** Base URL of this surface, for `paging.next.link`. */
  baseUrl: () => string;
}

export async function hubspotRoutes(app: FastifyInstance, options: HubSpotRouteOptions): Promise<void> {
  const { ctx, limiter } = options;
  const store = ctx.store;

  app.addHook('onRequest', async (request, reply) => {
    // The token endpoint authenticates with the app's credentials in its body, and is no CRM call.
    if (request.method === 'POST' && (request.url.split('?')[0] ?? '').endsWith(TOKEN_PATH)) return undefined;
    const auth = request.headers.authorization ?? '';
    const state = auth.startsWith('Bearer ') ? ctx.checkToken(auth.slice('Bearer '.length)) : 'unknown';
    if (state === 'expired') return reply.code(401).send(expiredToken());
    if (state !== 'ok') return reply.code(401).send(unauthorized());
    const isSearch = request.method === 'POST' && /\/search$/.test(request.url.split('?')[0] ?? '');
    const decision = limiter.take(isSearch);
    if (!decision.allowed) return reply.code(429).send(decision.body);
    for (const [k, v] of Object.entries(decision.headers)) reply.header(k, v);
    return undefined;
  });

  registerHubSpotOAuthRoutes(app, ctx);

  const findRecord = (type: HubSpotObjectType, id: string): { idx: number; archived: boolean } | null => {
    if (type === 'deals') {
      const idx = store.dealIndex(id);
      const deal = idx === undefined ? undefined : store.book.deals[idx];
      return idx === undefined || !deal ? null : { idx, archived: deal.deleted };
    }
    const a = store.activity(id);
    if (!a || a.kind !== ACTIVITY_KIND_OF[type]) return null;
    return { idx: store.activityIndex(id)!, archived: a.deleted };
  };

  const render = (
    type: HubSpotObjectType,
    idx: number,
    properties: string[] | undefined,
    withHistory: string[] = [],
  ): SimplePublicObject =>
    type === 'deals'
      ? renderDeal(ctx, idx, properties, undefined, withHistory)
      : renderActivity(ctx, store.book.activities[idx]!, type, properties);

  // List: GET /crm/v3/objects/{type}?limit&after&properties&archived&associations
  app.get(
    '/crm/v3/objects/:objectType',
    async (request: FastifyRequest<{ Params: { objectType: string }; Querystring: Record<string, unknown> }>, reply) => {
      const type = objectType(request.params.objectType);
      if (!type) return reply.code(404).send(notFound());
      const q = request.query;
      const limit = q['limit'] === undefined ? 10 : Number(q['limit']);
      if (!Number.isInteger(limit) || limit < 1 || limit > LIST_MAX_LIMIT) {
        return reply.code(400).send(validation(`limit must be between 1 and ${LIST_MAX_LIMIT}`));
      }
      // HubSpot pages at most 50 records when property history is asked for.
      if (parsePropertyList(q['propertiesWithHistory']) && limit > 50) {
        return reply.code(400).send(validation('limit must be at most 50 when propertiesWithHistory is requested'));
      }
      const archived = asBoolean(q['archived']);
      const properties = parsePropertyList(q['properties']);
      const associations = parsePropertyList(q['associations']);
      const start = q['after'] === undefined || q['after'] === '' ? 0 : Number(q['after']);
      if (!Number.isInteger(start) || start < 0) return reply.code(400).send(validation(`Invalid after: ${String(q['after'])}`));
      // Cursor = position in creation order; archived and live records are listed separately.
      const positions = type === 'deals' ? null : store.activityIndicesOfKind(ACTIVITY_KIND_OF[type]);
      const total = positions === null ? store.book.deals.length : positions.length;
      const results: SimplePublicObject[] = [];
      let pos = start;
      for (; pos < total && results.length < limit; pos++) {
        const idx = positions === null ? pos : (positions[pos] as number);
        const isArchived = type === 'deals' ? store.book.deals[idx]!.deleted : store.book.activities[idx]!.deleted;
        if (isArchived !== archived) continue;
        const obj = render(type, idx, properties, parsePropertyList(q['propertiesWithHistory']));
        if (associations) obj.associations = inlineAssociations(ctx, options.baseUrl(), type, obj.id, associations);
        results.push(obj);
      }
      // Skip trailing non-matching rows so the last page carries no dangling cursor.
      while (pos < total) {
        const idx = positions === null ? pos : (positions[pos] as number);
        const isArchived = type === 'deals' ? store.book.deals[idx]!.deleted : store.book.activities[idx]!.deleted;
        if (isArchived === archived) break;
        pos++;
      }
      const body: { results: SimplePublicObject[]; paging?: { next: { after: string; link: string } } } = { results };
      if (pos < total) {
        body.paging = { next: { after: String(pos), link: `${options.baseUrl()}/crm/v3/objects/${type}?after=${pos}` } };
      }
      return body;
    },
  );

  app.get(
    '/crm/v3/objects/:objectType/:objectId',
    async (request: FastifyRequest<{ Params: { objectType: string; objectId: string }; Querystring: Record<string, unknown> }>, reply) => {
      const type = objectType(request.params.objectType);
      if (!type) return reply.code(404).send(notFound());
      const found = findRecord(type, request.params.objectId);
      if (!found || found.archived !== asBoolean(request.query['archived'])) return reply.code(404).send(notFound());
      const obj = render(
        type,
        found.idx,
        parsePropertyList(request.query['properties']),
        parsePropertyList(request.query['propertiesWithHistory']),
      );
      const associations = parsePropertyList(request.query['associations']);
      if (associations) obj.associations = inlineAssociations(ctx, options.baseUrl(), type, obj.id, associations);
      return obj;
    },
  );

  app.patch(
    '/crm/v3/objects/:objectType/:objectId',
    async (
      request: FastifyRequest<{ Params: { objectType: string; objectId: string }; Body: { properties?: Record<string, unknown> } }>,
      reply,
    ) => {
      const type = objectType(request.params.objectType);
      if (type !== 'deals') return reply.code(type ? 405 : 404).send(notFound());
      const found = findRecord(type, request.params.objectId);
      if (!found || found.archived) return reply.code(404).send(notFound());
      const properties = request.body?.properties ?? {};
      const result = applyDealWrite(ctx, found.idx, properties);
      if (!result.ok) return reply.code(400).send(result.error);
      return renderDeal(ctx, found.idx, Object.keys(properties));
    },
  );

  // Create a note/task/call/... on a deal: POST /crm/v3/objects/{type}
  app.post(
    '/crm/v3/objects/:objectType',
    async (request: FastifyRequest<{ Params: { objectType: string }; Body: ActivityCreateInput }>, reply) => {
      const type = objectType(request.params.objectType);
      if (!type || type === 'deals') return reply.code(type ? 405 : 404).send(notFound());
      const created = createActivity(ctx, ACTIVITY_KIND_OF[type], request.body ?? {});
      if (!created.ok) return reply.code(400).send(created.error);
      const activity = store.activity(created.activityId)!;
      return reply.code(201).send(renderActivity(ctx, activity, type, Object.keys(request.body?.properties ?? {})));
    },
  );

  app.post(
    '/crm/v3/objects/:objectType/search',
    async (request: FastifyRequest<{ Params: { objectType: string }; Body: SearchRequest }>, reply) => {
      const type = objectType(request.params.objectType);
      if (!type) return reply.code(404).send(notFound());
      const outcome = search(ctx, type, request.body ?? {});
      if (!outcome.ok) return reply.code(400).send(outcome.error);
      return outcome.body;
    },
  );

  const batchEnvelope = (startedAt: string, results: SimplePublicObject[], errors: unknown[]) => ({
    status: 'COMPLETE',
    results,
    ...(errors.length > 0 ? { numErrors: errors.length, errors } : {}),
    startedAt,
    completedAt: new Date().toISOString(),
  });
  const tooMany = (n: number) =>
    validation(`Batch input has ${n} inputs; the maximum is ${BATCH_MAX_INPUTS}.`, { context: { inputs: [String(n)] } });

  app.post(
    '/crm/v3/objects/:objectType/batch/read',
    async (
      request: FastifyRequest<{
        Params: { objectType: string };
        Body: { inputs?: { id: string }[]; properties?: string[]; propertiesWithHistory?: string[]; archived?: boolean };
      }>,
      reply,
    ) => {
      const type = objectType(request.params.objectType);
      if (!type) return reply.code(404).send(notFound());
      const startedAt = new Date().toISOString();
      const inputs = request.body?.inputs ?? [];
      if (inputs.length > BATCH_MAX_INPUTS) return reply.code(400).send(tooMany(inputs.length));
      const results: SimplePublicObject[] = [];
      const missing: string[] = [];
      for (const input of inputs) {
        const found = findRecord(type, String(input.id));
        if (!found || found.archived !== (request.body?.archived ?? false)) missing.push(String(input.id));
        else
          results.push(
            render(
              type,
              found.idx,
              request.body?.properties?.length ? request.body.properties : undefined,
              request.body?.propertiesWithHistory ?? [],
            ),
          );
      }
      const missingMessage =
        `Could not get some ${type.slice(0, -1).toUpperCase()} objects, they may be deleted or not exist. ` + 'Check that ids are valid.';
      const errors = missing.length
        ? [{ status: 'error', category: 'OBJECT_NOT_FOUND', message: missingMessage, context: { ids: missing }, errors: [] }]
        : [];
      return reply.code(errors.length ? 207 : 200).send(batchEnvelope(startedAt, results, errors));
    },
  );

  app.post(
    '/crm/v3/objects/:objectType/batch/update',
    async (
      request: FastifyRequest<{
        Params: { objectType: string };
        Body: { inputs?: { id: string; properties?: Record<string, unknown> }[] };
      }>,
      reply,
    ) => {
      const type = objectType(request.params.objectType);
      if (type === 'notes' || type === 'tasks') return batchUpdateActivities(type, request.body?.inputs ?? [], reply);
      if (type !== 'deals') return reply.code(type ? 405 : 404).send(notFound());
      const startedAt = new Date().toISOString();
      const inputs = request.body?.inputs ?? [];
      if (inputs.length > BATCH_MAX_INPUTS) return reply.code(400).send(tooMany(inputs.length));
      // HubSpot validates the whole batch's property names up front: one bad property fails the request.
      const unknown = new Set<string>();
      for (const input of inputs)
        for (const name of Object.keys(input.properties ?? {})) if (!ctx.dealProperties.has(name)) unknown.add(name);
      if (unknown.size > 0) {
        return reply.code(400).send(propertyErrors([...unknown].map((name) => ({ name, error: 'PROPERTY_DOESNT_EXIST' as const }))));
      }
      const results: SimplePublicObject[] = [];
      const errors: unknown[] = [];
      for (const input of inputs) {
        const found = findRecord(type, String(input.id));
        if (!found || found.archived) {
          errors.push(batchObjectNotFound(input.id));
          continue;
        }
        const result = applyDealWrite(ctx, found.idx, input.properties ?? {});
        if (!result.ok)
          errors.push({
            status: 'error',
            category: 'VALIDATION_ERROR',
            message: result.error.message,
            context: { id: [String(input.id)] },
            errors: [],
          });
        else results.push(renderDeal(ctx, found.idx, Object.keys(input.properties ?? {})));
      }
      return reply.code(errors.length ? 207 : 200).send(batchEnvelope(startedAt, results, errors));
    },
  );

  // Notes/tasks: https://developers.hubspot.com/docs/api-reference/latest/crm/activities/notes/batch/update-notes
  function batchUpdateActivities(
    type: 'notes' | 'tasks',
    inputs: { id: string; properties?: Record<string, unknown> }[],
    reply: FastifyReply,
  ) {
    const startedAt = new Date().toISOString();
    if (inputs.length > BATCH_MAX_INPUTS) return reply.code(400).send(tooMany(inputs.length));
    const results: SimplePublicObject[] = [];
    const errors: unknown[] = [];
    for (const input of inputs) {
      const found = findRecord(type, String(input.id));
      if (!found || found.archived) {
        errors.push(batchObjectNotFound(input.id));
        continue;
      }
      const activity = store.book.activities[found.idx]!;
      const result = updateActivity(ctx, ACTIVITY_KIND_OF[type], activity.id, input.properties ?? {});
      if (!result.ok)
        errors.push({
          status: 'error',
          category: 'VALIDATION_ERROR',
          message: result.error.message,
          context: { id: [String(input.id)] },
          errors: [],
        });
      else results.push(renderActivity(ctx, activity, type, Object.keys(input.properties ?? {})));
    }
    return reply.code(errors.length ? 207 : 200).send(batchEnvelope(startedAt, results, errors));
  }

  app.post(
    '/crm/v3/objects/:objectType/batch/create',
    async (request: FastifyRequest<{ Params: { objectType: string }; Body: { inputs?: ActivityCreateInput[] } }>, reply) => {
      const type = objectType(request.params.objectType);
      if (!type || type === 'deals') return reply.code(type ? 405 : 404).send(notFound());
      const startedAt = new Date().toISOString();
      const inputs = request.body?.inputs ?? [];
      if (inputs.length > BATCH_MAX_INPUTS) return reply.code(400).send(tooMany(inputs.length));
      const results: SimplePublicObject[] = [];
      const errors: unknown[] = [];
      for (const input of inputs) {
        const created = createActivity(ctx, ACTIVITY_KIND_OF[type], input);
        if (!created.ok)
          errors.push({ status: 'error', category: 'VALIDATION_ERROR', message: created.error.message, context: {}, errors: [] });
        else results.push(renderActivity(ctx, store.activity(created.activityId)!, type, Object.keys(input.properties ?? {})));
      }
      return reply.code(errors.length ? 207 : 201).send(batchEnvelope(startedAt, results, errors));
    },
  );

  registerAssociationRoutes(app, ctx, options.baseUrl);

  function isActivityType(type: string): type is 'notes' | 'tasks' | 'calls' | 'emails' | 'meetings' {
    return ['notes', 'tasks', 'calls', 'emails', 'meetings'].includes(type);
  }
  registerCompanyRoutes(app, ctx, options.baseUrl);

  app.get('/crm/v3/pipelines/:objectType', async (request: FastifyRequest<{ Params: { objectType: string } }>, reply) => {
    if (request.params.objectType !== 'deals') return reply.code(404).send(notFound());
    const created = new Date(store.book.generatedAt - 1000 * 86_400_000).toISOString();
    return {
      results: store.book.pipelines.map((p, i) => ({
        id: p.id,
        label: p.label,
        displayOrder: i,
        createdAt: created,
        updatedAt: created,
        archived: false,
        stages: p.stages.map((s) => ({
          id: s.id,
          label: s.label,
          displayOrder: s.displayOrder,
          metadata: { isClosed: String(s.isClosed), probability: String(s.probability) },
          createdAt: created,
          updatedAt: created,
          archived: false,
          writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT',
        })),
      })),
    };
  });

  app.get('/crm/v3/owners', async (request: FastifyRequest<{ Querystring: Record<string, unknown> }>, reply) => {
    const limit = request.query['limit'] === undefined ? 100 : Number(request.query['limit']);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) return reply.code(400).send(validation('limit must be between 1 and 500'));
    const start = request.query['after'] === undefined ? 0 : Number(request.query['after']);
    const reps = store.book.reps.slice(start, start + limit);
    const body: Record<string, unknown> = {
      results: reps.map((r, i) => ({
        id: r.id,
        email: r.email,
        type: 'PERSON',
        firstName: r.firstName,
        lastName: r.lastName,
        userId: 9_000_000 + start + i,
        userIdIncludingInactive: 9_000_000 + start + i,
        createdAt: new Date(r.createdAt).toISOString(),
        updatedAt: new Date(r.createdAt).toISOString(),
        archived: false,
        teams: [{ id: r.team === 'East' ? '101' : '102', name: r.team, primary: true }],
      })),
    };
    if (start + limit < store.book.reps.length) body['paging'] = { next: { after: String(start + limit) } };
    return body;
  });

  app.get('/crm/v3/properties/:objectType', async (request: FastifyRequest<{ Params: { objectType: string } }>, reply) => {
    if (isActivityType(request.params.objectType))
      return { results: [...(ctx.activityProperties.get(request.params.objectType)?.values() ?? [])] };
    if (request.params.objectType !== 'deals') return reply.code(404).send(notFound());
    return { results: [...ctx.dealProperties.values()] };
  });

  app.get(
    '/crm/v3/properties/:objectType/:propertyName',
    async (request: FastifyRequest<{ Params: { objectType: string; propertyName: string } }>, reply) => {
      const p = request.params.objectType === 'deals' ? ctx.dealProperties.get(request.params.propertyName) : undefined;
      if (!p) return reply.code(404).send(notFound());
      return p;
    },
  );

  // Property groups: https://developers.hubspot.com/docs/api-reference/crm-properties-v3/groups/post-crm-v3-properties-objectType-groups
  // (name, label required; 409 when the name is taken; creating needs crm.schemas.deals.write for deals).
  app.post(
    '/crm/v3/properties/:objectType/groups',
    async (
      request: FastifyRequest<{ Params: { objectType: string }; Body: { name?: string; label?: string; displayOrder?: number } }>,
      reply,
    ) => {
      const activityType = isActivityType(request.params.objectType) ? request.params.objectType : null;
      if (request.params.objectType !== 'deals' && !activityType) return reply.code(404).send(notFound());
      if (!activityType && !ctx.hasScope('crm.schemas.deals.write'))
        return reply.code(403).send(missingScopes(['crm.schemas.deals.write']));
      const body = request.body ?? {};
      const missing = (['name', 'label'] as const).filter((k) => !body[k]);
      if (missing.length > 0) return reply.code(400).send(validation(`Missing required fields: ${missing.join(', ')}`));
      const groups = activityType ? (ctx.activityPropertyGroups.get(activityType) ?? new Set<string>()) : ctx.dealPropertyGroups;
      if (groups.has(String(body.name))) {
        return reply.code(409).send(hubspotError('OBJECT_ALREADY_EXISTS', `A property group named '${String(body.name)}' already exists.`));
      }
      groups.add(String(body.name));
      if (activityType) ctx.activityPropertyGroups.set(activityType, groups);
      return reply.code(201).send({ name: body.name, label: body.label, displayOrder: body.displayOrder ?? -1, archived: false });
    },
  );

  // https://developers.hubspot.com/docs/api-reference/crm-properties-v3/core/post-crm-v3-properties-objectType
  // (creating a deal property needs crm.schemas.deals.write; the group must exist).
  app.post(
    '/crm/v3/properties/:objectType',
    async (request: FastifyRequest<{ Params: { objectType: string }; Body: Partial<PropertyDefinition> }>, reply) => {
      const activityType = isActivityType(request.params.objectType) ? request.params.objectType : null;
      if (request.params.objectType !== 'deals' && !activityType) return reply.code(404).send(notFound());
      if (!activityType && !ctx.hasScope('crm.schemas.deals.write'))
        return reply.code(403).send(missingScopes(['crm.schemas.deals.write']));
      const body = request.body ?? {};
      const missing = (['name', 'label', 'type', 'fieldType', 'groupName'] as const).filter((k) => !body[k]);
      if (missing.length > 0) return reply.code(400).send(validation(`Missing required fields: ${missing.join(', ')}`));
      const name = String(body.name);
      const groups = activityType ? (ctx.activityPropertyGroups.get(activityType) ?? new Set<string>()) : ctx.dealPropertyGroups;
      if (!groups.has(String(body.groupName)))
        return reply.code(400).send(validation(`Property group ${String(body.groupName)} does not exist`));
      const taken = activityType ? ctx.activityProperties.get(activityType)?.has(name) === true : ctx.dealProperties.has(name);
      if (taken) {
        return reply.code(409).send(hubspotError('OBJECT_ALREADY_EXISTS', `A property named '${name}' already exists.`));
      }
      const now = new Date(store.now()).toISOString();
      const definition: PropertyDefinition = {
        name,
        label: String(body.label),
        type: body.type as PropertyDefinition['type'],
        fieldType: String(body.fieldType),
        groupName: String(body.groupName),
        description: body.description ?? '',
        options: (body.options ?? []).map((o) => ({ ...o, hidden: o.hidden ?? false })),
        displayOrder: body.displayOrder ?? -1,
        calculated: false,
        externalOptions: false,
        hasUniqueValue: body.hasUniqueValue ?? false,
        hidden: body.hidden ?? false,
        formField: body.formField ?? false,
        modificationMetadata: { archivable: true, readOnlyDefinition: false, readOnlyValue: false },
        createdAt: now,
        updatedAt: now,
      };
      if (activityType)
        ctx.activityProperties.set(activityType, new Map([...(ctx.activityProperties.get(activityType) ?? []), [name, definition]]));
      else ctx.addCustomDealProperty(definition);
      return reply.code(201).send(definition);
    },
  );
}

/** A batch update's per-input error for an id that is not there (or archived), as HubSpot words it. */
function batchObjectNotFound(id: unknown) {
  return {
    status: 'error',
    category: 'OBJECT_NOT_FOUND',
    message: 'Object not found.  objectId are usually numeric.',
    context: { id: [String(id)] },
    errors: [],
  };
}
