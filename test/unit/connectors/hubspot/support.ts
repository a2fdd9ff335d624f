/** Shared set-up of the HubSpot connector unit tests: settings, a no-op RateGate, a silent logger, fixtures. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import nock from 'nock';
import pino from 'pino';
import { HubSpotConnection } from '../../../../src/domain/model/index.js';
import { HubSpotConnector } from '../../../../connectors/hubspot/connector.js';
import type { RateGate } from '../../../../connectors/types.js';

export const BASE_URL = 'https://api.hubapi.com';
export const NOW = Date.parse('2026-11-26T12:00:00.000Z');

export function fixture<T = Record<string, unknown>>(name: string): T {
  const path = fileURLToPath(new URL(`../../../fixtures/hubspot/${name}`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** GET /crm/v3/pipelines/deals answered with the recorded pipelines. */
export function replyPipelines(): void {
  nock(BASE_URL).get('/crm/v3/pipelines/deals').reply(200, fixture('pipelines-deals.json'));
}

/** GET /crm/v3/objects/deals?archived=true answered with no archived deal. */
export function replyNoArchivedDeals(): void {
  nock(BASE_URL)
    .get('/crm/v3/objects/deals')
    .query((q) => q.archived === 'true')
    .reply(200, { results: [] });
}

export const noopGate: RateGate & { taken: string[] } = {
  taken: [],
  async take(bucket: string) {
    noopGate.taken.push(bucket);
  },
};

export function settings(overrides: Record<string, unknown> = {}): HubSpotConnection {
  return HubSpotConnection.parse({
    id: 'hs-test',
    provider: 'hubspot',
    accessToken: 'pat-na1-test-token',
    baseUrl: BASE_URL,
    webhookSecret: 'client-secret',
    ...overrides,
  });
}

export const fastRetry = { retries: 3, minTimeoutMs: 1, maxTimeoutMs: 5, maxRetryAfterMs: 1_500 };

export function connector(overrides: Record<string, unknown> = {}, retry = fastRetry, rateGate: RateGate = noopGate): HubSpotConnector {
  return new HubSpotConnector(settings(overrides), { rateGate, logger: pino({ level: 'silent' }) }, { retry, now: () => NOW });
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** A stored record of the fake search below. */
export interface FakeRecord {
  id: string;
  stampMs: number;
  properties?: Record<string, string>;
}

export interface SearchBody {
  filterGroups: { filters: { propertyName: string; operator: string; value?: string }[] }[];
  sorts: { propertyName: string; direction: string }[];
  properties: string[];
  limit: number;
  after?: string;
}

/**
 * A nock reply function that answers POST .../search over `records` the way HubSpot documents it:
 * AND filters within a group, one sort (ties keep insertion order), `after` as an offset, at most
 * 10,000 results per query (asking past it is a 400; `cap` lowers that for walks of a few records).
 * Every request body is pushed to `log`.
 */
export function fakeSearch(records: FakeRecord[], log: SearchBody[] = [], cap = 10_000) {
  return (_uri: string, body: nock.Body): [number, Record<string, unknown>] => {
    const req = body as unknown as SearchBody;
    log.push(req);
    const offset = Number(req.after ?? '0');
    if (offset + req.limit > cap) {
      return [400, { status: 'error', message: 'There was a problem with the request.', category: 'VALIDATION_ERROR' }];
    }
    const value = (r: FakeRecord, property: string): number =>
      property === 'hs_lastmodifieddate' ? r.stampMs : property === 'hs_object_id' ? Number(r.id) : Number(r.properties?.[property]);
    const matches = records.filter((r) =>
      req.filterGroups.some((g) =>
        g.filters.every((f) => {
          const v = value(r, f.propertyName);
          const w = Number(f.value);
          switch (f.operator) {
            case 'EQ':
              return v === w;
            case 'GT':
              return v > w;
            case 'GTE':
              return v >= w;
            case 'LT':
              return v < w;
            case 'LTE':
              return v <= w;
            default:
              throw new Error(`fake search: operator ${f.operator}`);
          }
        }),
      ),
    );
    const sort = req.sorts[0];
    if (sort)
      matches.sort((a, b) => (value(a, sort.propertyName) - value(b, sort.propertyName)) * (sort.direction === 'DESCENDING' ? -1 : 1));
    const page = matches.slice(offset, offset + req.limit);
    const next = offset + req.limit < matches.length ? { next: { after: String(offset + req.limit) } } : undefined;
    return [
      200,
      {
        total: matches.length,
        results: page.map((r) => ({
          id: r.id,
          properties: {
            hs_object_id: r.id,
            hs_lastmodifieddate: new Date(r.stampMs).toISOString(),
            dealstage: 'qualifiedtobuy',
            pipeline: 'default',
            ...r.properties,
          },
          createdAt: new Date(r.stampMs).toISOString(),
          updatedAt: new Date(r.stampMs).toISOString(),
          archived: false,
        })),
        ...(next ? { paging: next } : {}),
      },
    ];
  };
}

/** A batch-read reply with property history for the requested ids, shaped like the recorded fixture. */
export function historyFor(id: string, stampMs: number): Record<string, unknown> {
  const template = fixture<{ results: Record<string, unknown>[] }>('deals-batch-read-history.json').results[0]!;
  return { ...template, id, properties: { hs_object_id: id, hs_lastmodifieddate: new Date(stampMs).toISOString() } };
}
