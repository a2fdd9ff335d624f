/**
 * HubSpot companies (the book's accounts), read-only: `GET /crm/v3/objects/companies` (limit <= 100,
 * after, properties, archived, associations=deals), `GET /crm/v3/objects/companies/{id}` and
 * `POST /crm/v3/objects/companies/batch/read` (<= 100 inputs). Static paths, so they take
 * precedence over the `:objectType` routes. Companies are never archived in the sandbox.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BookStore } from '../book-store.js';
import type { Account } from '../generator/book.js';
import { associationsOf, companyIndex, inlineAssociations } from './associations.js';
import type { HubSpotContext } from './context.js';
import { notFound, validation } from './errors.js';
import { parsePropertyList, type SimplePublicObject } from './render.js';

const LIST_MAX_LIMIT = 100;
const BATCH_MAX_INPUTS = 100;
const DAY_MS = 86_400_000;
/** company -> deal, Primary label. */
const PRIMARY_COMPANY_TO_DEAL = 6;

/** What HubSpot returns when no properties are asked for. */
export const COMPANY_DEFAULT_PROPERTIES = ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'];

/** The book's industries as values of HubSpot's `industry` enumeration. */
const HUBSPOT_INDUSTRY: Record<string, string> = {
  Technology: 'COMPUTER_SOFTWARE',
  Manufacturing: 'MACHINERY',
  Healthcare: 'HOSPITAL_HEALTH_CARE',
  Retail: 'RETAIL',
  Finance: 'FINANCIAL_SERVICES',
  Energy: 'OIL_ENERGY',
  Logistics: 'LOGISTICS_AND_SUPPLY_CHAIN',
};

/** `Pied Piper Labs 2` -> `piedpiperlabs2.com`. */
export function companyDomain(account: Account): string {
  return `${account.name.toLowerCase().replace(/[^a-z0-9]+/g, '')}.com`;
}

/** Companies exist before any deal (deals go back two years): three years back, an hour apart. */
function companyCreatedAt(store: BookStore, idx: number): number {
  return store.book.generatedAt - 3 * 365 * DAY_MS + idx * 3_600_000;
}

function companyProperty(ctx: HubSpotContext, idx: number, name: string): string | null | undefined {
  const store = ctx.store;
  const account = store.book.accounts[idx] as Account;
  switch (name) {
    case 'name':
      return account.name;
    case 'domain':
    case 'website':
      return name === 'domain' ? companyDomain(account) : `https://www.${companyDomain(account)}`;
    case 'industry':
      return HUBSPOT_INDUSTRY[account.industry] ?? null;
    case 'hs_object_id':
      return account.id;
    case 'createdate':
      return new Date(companyCreatedAt(store, idx)).toISOString();
    case 'hs_lastmodifieddate':
      return new Date(companyModifiedAt(ctx, idx)).toISOString();
    // Default company property "Target account" (booleancheckbox, "true"/"false"), set on key accounts:
    // https://knowledge.hubspot.com/properties/hubspots-default-company-properties
    case 'hs_is_target_account':
      return String(account.isKey);
    case 'num_associated_deals':
      return String(
        (associationsOf(ctx, 'companies', account.id, 'deals') ?? []).filter((e) => e.typeId === PRIMARY_COMPANY_TO_DEAL).length,
      );
    default:
      return undefined;
  }
}

/** Rollups (num_associated_deals) change with each new deal, and HubSpot stamps the company then. */
function companyModifiedAt(ctx: HubSpotContext, idx: number): number {
  const store = ctx.store;
  const account = store.book.accounts[idx] as Account;
  let at = companyCreatedAt(store, idx);
  for (const edge of (associationsOf(ctx, 'companies', account.id, 'deals') ?? []).filter((e) => e.typeId === PRIMARY_COMPANY_TO_DEAL)) {
    const deal = store.deal(edge.id);
    if (deal && deal.createdAt > at) at = deal.createdAt;
  }
  return at;
}

export function renderCompany(ctx: HubSpotContext, idx: number, requested: string[] | undefined): SimplePublicObject {
  const account = ctx.store.book.accounts[idx] as Account;
  const properties: Record<string, string | null> = {};
  for (const name of requested ?? COMPANY_DEFAULT_PROPERTIES) {
    const v = companyProperty(ctx, idx, name);
    if (v !== undefined) properties[name] = v;
  }
  for (const name of ['createdate', 'hs_lastmodifieddate', 'hs_object_id']) {
    if (!(name in properties)) properties[name] = companyProperty(ctx, idx, name) ?? null;
  }
  return {
    id: account.id,
    properties,
    createdAt: properties['createdate'] as string,
    updatedAt: properties['hs_lastmodifieddate'] as string,
    archived: false,
  };
}

export function registerCompanyRoutes(app: FastifyInstance, ctx: HubSpotContext, baseUrl: () => string): void {
  const accounts = ctx.store.book.accounts;

  app.get('/crm/v3/objects/companies', async (request: FastifyRequest<{ Querystring: Record<string, unknown> }>, reply) => {
    const q = request.query;
    const limit = q['limit'] === undefined ? 10 : Number(q['limit']);
    if (!Number.isInteger(limit) || limit < 1 || limit > LIST_MAX_LIMIT) {
      return reply.code(400).send(validation(`limit must be between 1 and ${LIST_MAX_LIMIT}`));
    }
    const start = q['after'] === undefined || q['after'] === '' ? 0 : Number(q['after']);
    if (!Number.isInteger(start) || start < 0) return reply.code(400).send(validation(`Invalid after: ${String(q['after'])}`));
    const archived = q['archived'] === true || q['archived'] === 'true';
    const properties = parsePropertyList(q['properties']);
    const associations = parsePropertyList(q['associations']);
    const results: SimplePublicObject[] = [];
    const end = archived ? start : Math.min(accounts.length, start + limit);
    for (let i = start; i < end; i++) {
      const obj = renderCompany(ctx, i, properties);
      if (associations) obj.associations = inlineAssociations(ctx, baseUrl(), 'companies', obj.id, associations);
      results.push(obj);
    }
    const body: { results: SimplePublicObject[]; paging?: { next: { after: string; link: string } } } = { results };
    if (end < accounts.length && !archived)
      body.paging = { next: { after: String(end), link: `${baseUrl()}/crm/v3/objects/companies?after=${end}` } };
    return body;
  });

  app.get(
    '/crm/v3/objects/companies/:companyId',
    async (request: FastifyRequest<{ Params: { companyId: string }; Querystring: Record<string, unknown> }>, reply) => {
      const idx = companyIndex(ctx.store, request.params.companyId);
      if (idx === undefined || request.query['archived'] === 'true') return reply.code(404).send(notFound());
      const obj = renderCompany(ctx, idx, parsePropertyList(request.query['properties']));
      const associations = parsePropertyList(request.query['associations']);
      if (associations) obj.associations = inlineAssociations(ctx, baseUrl(), 'companies', obj.id, associations);
      return obj;
    },
  );

  // `archived` arrives as a query parameter from the SDK (and in the body from older callers).
  app.post(
    '/crm/v3/objects/companies/batch/read',
    async (
      request: FastifyRequest<{
        Querystring: { archived?: string };
        Body: { inputs?: { id: string }[]; properties?: string[]; archived?: boolean };
      }>,
      reply,
    ) => {
      const archived = request.query.archived === 'true' || request.body?.archived === true;
      const startedAt = new Date().toISOString();
      const inputs = request.body?.inputs ?? [];
      if (inputs.length > BATCH_MAX_INPUTS) {
        return reply.code(400).send(
          validation(`Batch input has ${inputs.length} inputs; the maximum is ${BATCH_MAX_INPUTS}.`, {
            context: { inputs: [String(inputs.length)] },
          }),
        );
      }
      const properties = request.body?.properties?.length ? request.body.properties : undefined;
      const results: SimplePublicObject[] = [];
      const missing: string[] = [];
      for (const input of inputs) {
        const idx = archived ? undefined : companyIndex(ctx.store, String(input.id));
        if (idx === undefined) missing.push(String(input.id));
        else results.push(renderCompany(ctx, idx, properties));
      }
      const errors = missing.length
        ? [
            {
              status: 'error',
              category: 'OBJECT_NOT_FOUND',
              message: 'Could not get some COMPANY objects, they may be deleted or not exist. Check that ids are valid.',
              context: { ids: missing },
              errors: [],
            },
          ]
        : [];
      return reply.code(errors.length ? 207 : 200).send({
        status: 'COMPLETE',
        results,
        ...(errors.length ? { numErrors: errors.length, errors } : {}),
        startedAt,
        completedAt: new Date().toISOString(),
      });
    },
  );
}
