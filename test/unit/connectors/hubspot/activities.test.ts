import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RateGate } from '../../../../connectors/types.js';
import { BASE_URL, collect, connector, type FakeRecord, fakeSearch, fastRetry, fixture } from './support.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
});

const TYPES = ['calls', 'emails', 'meetings', 'notes', 'tasks'] as const;
const at = (s: string) => Date.parse(`2026-11-26T${s}:00.000Z`);

/** v4 batch read answering every input with a link to deal `d<id>`. */
function linkEverythingTo(from: string) {
  nock(BASE_URL)
    .post(`/crm/v4/associations/${from}/deals/batch/read`)
    .times(50)
    .reply((_uri, body) => [
      200,
      {
        status: 'COMPLETE',
        results: (body as { inputs: { id: string }[] }).inputs.map((i) => ({
          from: { id: i.id },
          to: [{ toObjectId: Number(i.id) + 5000, associationTypes: [] }],
        })),
      },
    ]);
}

describe('HubSpot activities', () => {
  it(
    'incremental: merges five searches so no page cursor runs ahead of a type that lags, links ' + 'deals via v4, tombstones archived',
    async () => {
      const data: Record<(typeof TYPES)[number], FakeRecord[]> = {
        calls: Array.from({ length: 250 }, (_, i) => ({
          id: String(1000 + i),
          stampMs: at('10:00') + i * 1000,
          properties: { hs_call_direction: 'OUTBOUND', hs_timestamp: '2026-11-20T10:00:00Z' },
        })),
        emails: [{ id: '2000', stampMs: at('09:55') }],
        meetings: [],
        notes: [{ id: '3000', stampMs: at('10:02') }],
        tasks: [],
      };
      for (const type of TYPES) {
        nock(BASE_URL).post(`/crm/v3/objects/${type}/search`).times(5).reply(fakeSearch(data[type]));
        linkEverythingTo(type);
        nock(BASE_URL)
          .get(`/crm/v3/objects/${type}`)
          .query((q) => q.archived === 'true')
          .reply(
            200,
            type === 'notes'
              ? {
                  results: [
                    {
                      id: '3999',
                      properties: {},
                      archived: true,
                      archivedAt: '2026-11-26T10:01:00.000Z',
                      createdAt: '2026-11-01T00:00:00Z',
                      updatedAt: '2026-11-26T10:01:00Z',
                    },
                  ],
                }
              : { results: [] },
          );
      }
      const since = { stamp: '2026-11-26T10:00:00.000Z', id: '' };
      const c = connector();
      const pages = await collect(c.pullActivities({ since }));
      // The 250 calls (two search pages) get their deal links from one v4 read.
      expect(c.usage().byEndpoint['POST /crm/v3/objects/calls/search']).toBe(2);
      expect(c.usage().byEndpoint['POST /crm/v4/associations/calls/deals/batch/read']).toBe(1);

      const all = pages.flatMap((p) => p.records);
      expect(new Set(all.map((a) => a.externalId)).size).toBe(252);
      expect(all.find((a) => a.externalId === '1000')).toMatchObject({ type: 'call', direction: 'outbound', dealIds: ['6000'] });
      // Cursors never decrease and never pass the emails/notes frontier before those were read.
      const stamps = pages.map((p) => p.cursor?.stamp).filter((s): s is string => !!s);
      expect([...stamps].sort()).toEqual(stamps);
      const firstCallsPage = pages.findIndex((p) => p.records.some((a) => a.type === 'call'));
      const notePage = pages.findIndex((p) => p.records.some((a) => a.type === 'note'));
      for (const page of pages.slice(0, notePage)) {
        if (page.cursor) expect(Date.parse(page.cursor.stamp)).toBeLessThanOrEqual(at('10:02'));
      }
      expect(firstCallsPage).toBeGreaterThanOrEqual(0);
      expect(pages.flatMap((p) => p.tombstones)).toEqual(['3999']);
    },
  );

  it('incremental: no page cursor passes a record still to come, while a type lags behind one flushed ahead of it', async () => {
    // Search pages of 200: the notes reach 1,000 held ids and are flushed (up to 10:02:29) while the
    // calls, walked alongside, hold a page up to 10:00:59.7 and then one up to 10:01:49. The calls'
    // first page must keep the cursor at their own frontier (the lagging type), not the notes' (the
    // leading one), while their second is still to come.
    const stamp = (hhmm: string, ms: number) => at(hhmm) + ms;
    const data: Record<(typeof TYPES)[number], FakeRecord[]> = {
      calls: [
        ...Array.from({ length: 200 }, (_, i) => ({ id: String(1000 + i), stampMs: stamp('10:00', i * 300) })),
        ...Array.from({ length: 50 }, (_, i) => ({ id: String(1200 + i), stampMs: stamp('10:01', i * 1000) })),
      ],
      emails: [],
      meetings: [],
      notes: Array.from({ length: 1200 }, (_, i) => ({ id: String(5000 + i), stampMs: stamp('09:50', i * 750) })),
      tasks: [],
    };
    const stampOf = new Map(
      Object.values(data)
        .flat()
        .map((r) => [r.id, r.stampMs]),
    );
    for (const type of TYPES) {
      nock(BASE_URL).post(`/crm/v3/objects/${type}/search`).times(20).reply(fakeSearch(data[type]));
      linkEverythingTo(type);
      nock(BASE_URL)
        .get(`/crm/v3/objects/${type}`)
        .query((q) => q.archived === 'true')
        .reply(200, { results: [] });
    }
    const pages = await collect(connector().pullActivities({ since: { stamp: '2026-11-26T09:00:00.000Z', id: '' } }));
    expect(new Set(pages.flatMap((p) => p.records.map((a) => a.externalId))).size).toBe(1450);
    // Resuming from any page's cursor would find every record yielded after that page.
    pages.forEach((page, i) => {
      if (!page.cursor) return;
      const cursorMs = Date.parse(page.cursor.stamp);
      const skipped = pages
        .slice(i + 1)
        .flatMap((p) => p.records)
        .filter((a) => stampOf.get(a.externalId)! < cursorMs);
      expect(
        skipped.map((a) => a.externalId),
        `page ${i} cursor ${page.cursor.stamp}`,
      ).toEqual([]);
    });
    // The calls' first page is yielded while their second is still held: its cursor is its own frontier.
    const firstCalls = pages.find((p) => p.records.some((a) => a.externalId === '1000'))!;
    expect(firstCalls.cursor?.stamp).toBe(new Date(stamp('10:00', 199 * 300)).toISOString());
  });

  it('incremental: the same calls in the same order and the same pages however late answers and permits come', async () => {
    // Several types with several pages each, so a prefetch or a flush that raced a search would show
    // up as another call order, another v4 batching or another page sequence.
    const data: Record<(typeof TYPES)[number], FakeRecord[]> = {
      calls: Array.from({ length: 650 }, (_, i) => ({ id: String(10_000 + i), stampMs: at('10:00') + i * 700 })),
      emails: Array.from({ length: 450 }, (_, i) => ({ id: String(20_000 + i), stampMs: at('09:55') + i * 1100 })),
      meetings: [{ id: '30000', stampMs: at('10:03') }],
      notes: Array.from({ length: 900 }, (_, i) => ({ id: String(40_000 + i), stampMs: at('09:58') + i * 500 })),
      tasks: [],
    };
    const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
    const run = async (jitter: () => number) => {
      const log: string[] = [];
      for (const type of TYPES) {
        const search = fakeSearch(data[type]);
        nock(BASE_URL)
          .post(`/crm/v3/objects/${type}/search`)
          .times(20)
          .reply(async (uri, body) => {
            log.push(`search ${type} after=${(body as { after?: string }).after ?? '-'}`);
            await sleep(jitter());
            return search(uri, body);
          });
        nock(BASE_URL)
          .post(`/crm/v4/associations/${type}/deals/batch/read`)
          .times(20)
          .reply(async (_uri, body) => {
            const inputs = (body as { inputs: { id: string }[] }).inputs;
            log.push(`links ${type} ${inputs.length} from ${inputs[0]?.id}`);
            await sleep(jitter());
            return [
              200,
              { results: inputs.map((i) => ({ from: { id: i.id }, to: [{ toObjectId: Number(i.id) + 1, associationTypes: [] }] })) },
            ];
          });
        nock(BASE_URL)
          .get(`/crm/v3/objects/${type}`)
          .query((q) => q.archived === 'true')
          .reply(async () => {
            log.push(`archived ${type}`);
            await sleep(jitter());
            return [200, { results: [] }];
          });
      }
      const gate: RateGate = { take: () => sleep(jitter()) };
      const c = connector({}, fastRetry, gate);
      const pages = await collect(c.pullActivities({ since: { stamp: '2026-11-26T10:00:00.000Z', id: '' } }));
      nock.cleanAll();
      return {
        log,
        pages: pages.map((p) => ({
          records: p.records.map((a) => `${a.externalId}>${a.dealIds.join(',')}`),
          tombstones: p.tombstones,
          cursor: p.cursor,
        })),
      };
    };
    const calm = await run(() => 0);
    expect(calm.pages.flatMap((p) => p.records)).toHaveLength(650 + 450 + 1 + 900);
    // One v4 read per type while it stays under 1,000 held ids, each when its search ends (the
    // type whose frontier lags is walked first, so the one meeting at 10:03 ends before the emails).
    expect(calm.log.filter((l) => l.startsWith('links'))).toEqual([
      'links meetings 1 from 30000',
      'links emails 450 from 20000',
      'links notes 900 from 40000',
      'links calls 650 from 10000',
    ]);
    for (let i = 0; i < 2; i += 1) {
      expect(await run(() => Math.floor(Math.random() * 4))).toEqual(calm);
    }
  });

  it('full: lists each type with deal associations inline, then the archived ones', async () => {
    for (const type of TYPES) {
      nock(BASE_URL)
        .get(`/crm/v3/objects/${type}`)
        .query((q) => q.archived === 'false' && q.associations === 'deals' && q.limit === '100')
        .reply(200, {
          results: [
            {
              id: `${type}-1`,
              properties: { hs_timestamp: '2026-11-20T10:00:00Z', hs_lastmodifieddate: '2026-11-20T10:00:00Z' },
              createdAt: '2026-11-20T10:00:00Z',
              updatedAt: '2026-11-20T10:00:00Z',
              associations: { deals: { results: [{ id: '9', type: `${type.slice(0, -1)}_to_deal` }] } },
            },
          ],
        })
        .get(`/crm/v3/objects/${type}`)
        .query((q) => q.archived === 'true')
        .reply(200, { results: [] });
    }
    const pages = await collect(connector().pullActivities({ since: null, mode: 'full' }));
    const all = pages.flatMap((p) => p.records);
    expect(all.map((a) => [a.type, a.dealIds])).toEqual([
      ['call', ['9']],
      ['email', ['9']],
      ['meeting', ['9']],
      ['note', ['9']],
      ['task', ['9']],
    ]);
    expect(pages.at(-1)?.cursor?.stamp).toBe('2026-11-26T12:00:00.000Z');
  });
});

describe('HubSpot activity links without inline associations', () => {
  it('resolves links for up to 1,000 listed records with one v4 batch read, keeping page order', async () => {
    const pageOf = (n: number) => ({
      results: Array.from({ length: 100 }, (_, i) => ({
        id: String(n * 100 + i + 1),
        properties: { hs_timestamp: '2026-11-20T10:00:00Z' },
        createdAt: '2026-11-20T10:00:00Z',
        updatedAt: '2026-11-20T10:00:00Z',
      })),
      ...(n < 11 ? { paging: { next: { after: String((n + 1) * 100) } } } : {}),
    });
    const v4Inputs: number[] = [];
    nock(BASE_URL)
      .get('/crm/v3/objects/calls')
      .query((q) => q.archived === 'false')
      .times(12)
      .reply((uri) => [200, pageOf(Number(new URL(uri, BASE_URL).searchParams.get('after') ?? '0') / 100)])
      .post('/crm/v4/associations/calls/deals/batch/read')
      .times(2)
      .reply((_uri, body) => {
        const inputs = (body as { inputs: { id: string }[] }).inputs;
        v4Inputs.push(inputs.length);
        return [200, { results: inputs.map((i) => ({ from: { id: i.id }, to: [{ toObjectId: 7, associationTypes: [] }] })) }];
      });
    for (const type of TYPES) {
      if (type !== 'calls')
        nock(BASE_URL)
          .get(`/crm/v3/objects/${type}`)
          .query((q) => q.archived === 'false')
          .reply(200, { results: [] });
      nock(BASE_URL)
        .get(`/crm/v3/objects/${type}`)
        .query((q) => q.archived === 'true')
        .reply(200, { results: [] });
    }
    const c = connector();
    const pages = await collect(c.pullActivities({ since: null, mode: 'full' }));
    const calls = pages.flatMap((p) => p.records);
    expect(calls.map((a) => a.externalId)).toEqual(Array.from({ length: 1200 }, (_, i) => String(i + 1)));
    expect(calls.every((a) => a.dealIds[0] === '7')).toBe(true);
    expect(v4Inputs).toEqual([1000, 200]);
  });
});

describe('HubSpot fetchDeal (webhook fast path)', () => {
  it('reads the deal, its company, its activities through v4 links, and rebuilds its stage moves', async () => {
    nock(BASE_URL).get('/crm/v3/pipelines/deals').reply(200, fixture('pipelines-deals.json'));
    const deal = fixture<{ results: Record<string, unknown>[] }>('deals-list-page1.json').results[0]!;
    nock(BASE_URL)
      .post('/crm/v3/objects/deals/batch/read')
      .query(true)
      .reply(200, { status: 'COMPLETE', results: [deal] })
      .post('/crm/v4/associations/deals/companies/batch/read')
      .reply(200, { results: [{ from: { id: '9' }, to: [{ toObjectId: 5001, associationTypes: [] }] }] })
      .post('/crm/v3/objects/companies/batch/read', (b) => JSON.stringify(b.inputs) === JSON.stringify([{ id: '5001' }]))
      .query(true)
      .reply(200, fixture('companies-batch-read.json'));
    for (const type of TYPES) {
      const has = type === 'calls';
      nock(BASE_URL)
        .post(`/crm/v4/associations/deals/${type}/batch/read`)
        .reply(200, { results: has ? [{ from: { id: '9' }, to: [{ toObjectId: 31, associationTypes: [] }] }] : [] });
    }
    nock(BASE_URL)
      .post('/crm/v4/associations/calls/deals/batch/read')
      .reply(200, {
        results: [
          {
            from: { id: '31' },
            to: [
              { toObjectId: 9, associationTypes: [] },
              { toObjectId: 12, associationTypes: [] },
            ],
          },
        ],
      })
      .post('/crm/v3/objects/calls/batch/read')
      .query(true)
      .reply(200, {
        status: 'COMPLETE',
        results: [
          {
            id: '31',
            properties: { hs_timestamp: '2026-11-20T10:00:00Z', hs_call_direction: 'INBOUND' },
            createdAt: '2026-11-20T10:00:00Z',
            updatedAt: '2026-11-20T10:00:00Z',
          },
        ],
      });

    const c = connector();
    const bundle = await c.fetchDeal('9');
    expect(bundle.deal).toMatchObject({ externalId: '9', accountId: '5001', accountName: 'Acme Corp', stageId: 'presentationscheduled' });
    expect(bundle.activities.map((a) => [a.externalId, a.direction, a.dealIds])).toEqual([['31', 'inbound', ['9', '12']]]);
    expect(bundle.stageChanges.map((s) => s.toStageId)).toEqual(['appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled']);
    expect(nock.isDone()).toBe(true);
  });

  it('uses property history when the API returns it: revisits and amount/close-date changes are exact', async () => {
    nock(BASE_URL).get('/crm/v3/pipelines/deals').reply(200, fixture('pipelines-deals.json'));
    const deal = fixture<{ results: Record<string, unknown>[] }>('deals-list-page1.json').results[0]!;
    // propertiesWithHistory, newest first:
    // https://developers.hubspot.com/docs/api-reference/crm-objects-v3/batch/post-crm-v3-objects-objectType-batch-read
    const withHistory = {
      ...deal,
      propertiesWithHistory: {
        dealstage: [
          { value: 'presentationscheduled', timestamp: '2026-11-01T09:00:00.000Z', sourceType: 'CRM_UI' },
          { value: 'qualifiedtobuy', timestamp: '2026-10-20T09:00:00.000Z', sourceType: 'CRM_UI' },
          { value: 'presentationscheduled', timestamp: '2026-10-10T09:00:00.000Z', sourceType: 'CRM_UI' },
          { value: 'appointmentscheduled', timestamp: '2026-10-01T09:00:00.000Z', sourceType: 'CRM_UI' },
        ],
        amount: [
          { value: '1500.00', timestamp: '2026-11-05T09:00:00.000Z', sourceType: 'CRM_UI' },
          { value: '2000.00', timestamp: '2026-10-01T09:00:00.000Z', sourceType: 'CRM_UI' },
        ],
      },
    };
    let requested: unknown;
    nock(BASE_URL)
      .post('/crm/v3/objects/deals/batch/read', (b) => {
        requested = (b as { propertiesWithHistory: unknown }).propertiesWithHistory;
        return true;
      })
      .query(true)
      .reply(200, { status: 'COMPLETE', results: [withHistory] })
      .post(/\/crm\/v4\/associations\/deals\/\w+\/batch\/read/)
      .times(6)
      .reply(200, { results: [] });
    const bundle = await connector().fetchDeal('9');
    expect(requested).toEqual(['dealstage', 'amount', 'closedate']);
    expect(bundle.stageChanges.map((c) => [c.fromStageId, c.toStageId])).toEqual([
      [null, 'appointmentscheduled'],
      ['appointmentscheduled', 'presentationscheduled'],
      ['presentationscheduled', 'qualifiedtobuy'],
      ['qualifiedtobuy', 'presentationscheduled'],
    ]);
    expect(bundle.fieldChanges).toEqual([
      { connectionId: 'hs-test', dealId: '9', field: 'amount', oldValue: '2000', newValue: '1500', at: '2026-11-05T09:00:00.000Z' },
    ]);
  });

  it('a deal that no longer exists comes back as null', async () => {
    nock(BASE_URL).get('/crm/v3/pipelines/deals').reply(200, fixture('pipelines-deals.json'));
    nock(BASE_URL)
      .post('/crm/v3/objects/deals/batch/read')
      .query(true)
      .reply(207, {
        status: 'COMPLETE',
        results: [],
        numErrors: 1,
        errors: [{ status: 'error', category: 'OBJECT_NOT_FOUND', message: 'Could not get some DEAL objects', context: { ids: ['404'] } }],
      });
    expect(await connector().fetchDeal('404')).toEqual({ deal: null, activities: [], stageChanges: [], fieldChanges: [] });
  });
});
