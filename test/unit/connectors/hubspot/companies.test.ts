/**
 * Deals' account: the primary company (deal -> company association type 5, inline `deal_to_company`)
 * and its name from the companies batch read, each company read once per sync, 100 ids a call.
 */
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BASE_URL, collect, connector, type FakeRecord, fakeSearch, fixture, replyNoArchivedDeals, replyPipelines } from './support.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
});

interface BatchReadBody {
  inputs: { id: string }[];
  properties: string[];
}

type Company = { id: string; properties: Record<string, string> };
const COMPANIES = fixture<{ results: Company[] }>('companies-batch-read.json').results;

/**
 * POST /crm/v3/objects/companies/batch/read answering from `companies` (the recorded shapes): 200
 * when every id exists, else 207 with the missing ids in `errors`. Each request body goes to `log`.
 */
function companiesBatchRead(log: BatchReadBody[], companies: Company[] = COMPANIES) {
  nock(BASE_URL)
    .post('/crm/v3/objects/companies/batch/read')
    .query(true)
    .times(20)
    .reply((_uri, body) => {
      const req = body as unknown as BatchReadBody;
      log.push(req);
      const found = req.inputs.map((i) => companies.find((c) => c.id === i.id)).filter((c): c is Company => c !== undefined);
      const missing = req.inputs.map((i) => i.id).filter((id) => !found.some((c) => c.id === id));
      const template = fixture<Record<string, unknown>>('companies-batch-read-207.json');
      return [
        missing.length > 0 ? 207 : 200,
        {
          ...template,
          results: found,
          ...(missing.length > 0
            ? { numErrors: 1, errors: [{ ...(template.errors as object[])[0], context: { ids: missing } }] }
            : { numErrors: undefined, errors: undefined }),
        },
      ];
    });
}

describe('HubSpot deal accounts', () => {
  it('full: the primary company among inline associations, names read once per company', async () => {
    replyPipelines();
    const page2 = {
      _source: 'https://developers.hubspot.com/docs/api-reference/crm-objects-v3/basic/get-crm-v3-objects-objectType (last page)',
      results: [
        {
          id: '403',
          properties: {
            dealname: 'Globex pilot',
            dealstage: 'qualifiedtobuy',
            pipeline: 'default',
            hs_lastmodifieddate: '2026-11-20T12:00:00.000Z',
            hs_object_id: '403',
          },
          createdAt: '2026-10-03T09:00:00.000Z',
          updatedAt: '2026-11-20T12:00:00.000Z',
          archived: false,
          associations: {
            companies: {
              results: [
                { id: '5001', type: 'deal_to_company_unlabeled' },
                { id: '5002', type: 'deal_to_company' },
              ],
            },
          },
        },
      ],
    };
    nock(BASE_URL)
      .get('/crm/v3/objects/deals')
      .query((q) => q.archived === 'false' && q.associations === 'companies' && q.after === undefined)
      .reply(200, fixture('deals-list-companies.json'))
      .get('/crm/v3/objects/deals')
      .query((q) => q.archived === 'false' && q.after === '402')
      .reply(200, page2);
    replyNoArchivedDeals();
    const reads: BatchReadBody[] = [];
    companiesBatchRead(reads);

    const c = connector();
    const deals = (await collect(c.pullDeals({ since: null, mode: 'full' }))).flatMap((p) => p.records);

    expect(deals.map((d) => [d.externalId, d.accountId, d.accountName, d.accountIsTarget])).toEqual([
      ['401', '5001', 'Acme Corp', true],
      ['402', '5001', 'Acme Corp', true],
      ['403', '5002', 'Globex Labs', false],
    ]);
    // Fewer than 100 companies pending: both pages wait and their primaries are read in one call
    // (5002 is not primary on page 1, so only page 2 asks for it).
    expect(reads.map((r) => r.inputs.map((i) => i.id))).toEqual([['5001', '5002']]);
    expect(reads[0]?.properties).toEqual(['name', 'hs_is_target_account']);
    expect(c.usage().byEndpoint['POST /crm/v4/associations/deals/companies/batch/read']).toBeUndefined();
  });

  it(
    'incremental: companies from one v4 read, the primary one when a deal has several; a company ' + 'gone since is an id without a name',
    async () => {
      replyPipelines();
      const at = Date.parse('2026-11-26T10:00:00.000Z');
      nock(BASE_URL)
        .post('/crm/v3/objects/deals/search')
        .reply(
          fakeSearch([
            { id: '301', stampMs: at },
            { id: '302', stampMs: at + 1000 },
          ]),
        );
      const v4: { inputs: { id: string }[] }[] = [];
      nock(BASE_URL)
        .post('/crm/v4/associations/deals/companies/batch/read', (b) => {
          v4.push(b as { inputs: { id: string }[] });
          return true;
        })
        .reply(200, fixture('associations-deals-companies-several.json'));
      replyNoArchivedDeals();
      const reads: BatchReadBody[] = [];
      companiesBatchRead(reads);

      const deals = (await collect(connector().pullDeals({ since: { stamp: '2026-11-26T10:00:00.000Z', id: '' } }))).flatMap(
        (p) => p.records,
      );

      expect(deals.map((d) => [d.externalId, d.accountId, d.accountName])).toEqual([
        ['301', '5001', 'Acme Corp'],
        ['302', '5999', null],
      ]);
      expect(v4.map((b) => b.inputs.map((i) => i.id))).toEqual([['301', '302']]);
      expect(reads.map((r) => r.inputs.map((i) => i.id).sort())).toEqual([['5001', '5999']]);
    },
  );

  it('reads at most 100 companies a call and each company once per sync, however many deals share it', async () => {
    replyPipelines();
    const at = Date.parse('2026-11-26T10:00:00.000Z');
    // 250 deals on two search pages (one v4 read) pointing at 120 companies.
    const records: FakeRecord[] = Array.from({ length: 250 }, (_, i) => ({ id: String(1000 + i), stampMs: at + i }));
    nock(BASE_URL).post('/crm/v3/objects/deals/search').times(2).reply(fakeSearch(records));
    nock(BASE_URL)
      .post('/crm/v4/associations/deals/companies/batch/read')
      .reply((_uri, body) => [
        200,
        {
          status: 'COMPLETE',
          results: (body as { inputs: { id: string }[] }).inputs.map((i) => ({
            from: { id: i.id },
            to: [
              { toObjectId: 7000 + (Number(i.id) % 120), associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 5, label: 'Primary' }] },
            ],
          })),
        },
      ]);
    replyNoArchivedDeals();
    const companies = Array.from({ length: 120 }, (_, i) => ({ id: String(7000 + i), properties: { name: `Company ${i}` } }));
    const reads: BatchReadBody[] = [];
    companiesBatchRead(reads, companies);

    const c = connector();
    const deals = (await collect(c.pullDeals({ since: { stamp: '2026-11-26T10:00:00.000Z', id: '' } }))).flatMap((p) => p.records);

    expect(deals).toHaveLength(250);
    expect(deals.every((d) => d.accountName === `Company ${Number(d.accountId) - 7000}`)).toBe(true);
    expect(reads.map((r) => r.inputs.length)).toEqual([100, 20]);
    expect(new Set(reads.flatMap((r) => r.inputs.map((i) => i.id))).size).toBe(120);
  });

  it('pages wait for a full batch of 100 companies only up to 1,000 deals, and come out in order with their cursors', async () => {
    replyPipelines();
    // 12 list pages of 100 deals; each page brings 5 companies not seen before (60 in all).
    const page = (n: number) => ({
      results: Array.from({ length: 100 }, (_, i) => ({
        id: String(n * 100 + i + 1),
        properties: { dealstage: 'qualifiedtobuy', hs_lastmodifieddate: '2026-11-20T10:00:00.000Z' },
        archived: false,
        associations: { companies: { results: [{ id: String(8000 + n * 5 + (i % 5)), type: 'deal_to_company' }] } },
      })),
      ...(n < 11 ? { paging: { next: { after: String((n + 1) * 100) } } } : {}),
    });
    nock(BASE_URL)
      .get('/crm/v3/objects/deals')
      .query((q) => q.archived === 'false')
      .times(12)
      .reply((uri) => [200, page(Number(new URL(uri, BASE_URL).searchParams.get('after') ?? '0') / 100)]);
    nock(BASE_URL)
      .get('/crm/v3/objects/deals')
      .query((q) => q.archived === 'true')
      .reply(200, { results: [{ id: '77', properties: {}, archived: true }] });
    const reads: BatchReadBody[] = [];
    companiesBatchRead(
      reads,
      Array.from({ length: 60 }, (_, i) => ({ id: String(8000 + i), properties: { name: `Co ${i}` } })),
    );

    const pages = await collect(connector().pullDeals({ since: null, mode: 'full' }));

    // 1,000 deals held (10 pages, 50 companies) force a read; the last two pages' 10 at the end.
    expect(reads.map((r) => r.inputs.length)).toEqual([50, 10]);
    const deals = pages.flatMap((p) => p.records);
    expect(deals.map((d) => d.externalId)).toEqual(Array.from({ length: 1200 }, (_, i) => String(i + 1)));
    expect(deals.every((d) => d.accountName === `Co ${Number(d.accountId) - 8000}`)).toBe(true);
    expect(pages.map((p) => p.tombstones.length)).toEqual([...Array<number>(12).fill(0), 1]);
    // Each page keeps its own cursor through the wait: page n resumes at HubSpot's token for page n + 1.
    expect(pages.slice(0, 11).map((p) => p.cursor?.walk)).toEqual(
      Array.from({ length: 11 }, (_, n) => ({ phase: 'deals-with-history', after: String((n + 1) * 100) })),
    );
    expect(pages[11]?.cursor?.walk).toEqual({ phase: 'archived-deals', after: null });
    expect(pages.at(-1)?.cursor).toEqual({ stamp: '2026-11-26T12:00:00.000Z', id: '' });
  });

  it.each([
    { status: 404, body: { status: 'error', message: 'resource not found', category: 'OBJECT_NOT_FOUND' } },
    { status: 403, body: fixture('error-403-missing-scopes.json') },
  ])(
    'a companies batch read answered $status keeps the account ids, leaves names null and is not asked again',
    async ({ status, body }) => {
      replyPipelines();
      nock(BASE_URL)
        .get('/crm/v3/objects/deals')
        .query((q) => q.archived === 'false' && q.after === undefined)
        .reply(200, fixture('deals-list-companies.json'))
        .get('/crm/v3/objects/deals')
        .query((q) => q.archived === 'false' && q.after === '402')
        .reply(200, {
          results: [
            {
              id: '403',
              properties: { dealstage: 'qualifiedtobuy', hs_lastmodifieddate: '2026-11-20T12:00:00.000Z' },
              archived: false,
              associations: { companies: { results: [{ id: '5002', type: 'deal_to_company' }] } },
            },
          ],
        });
      replyNoArchivedDeals();
      // Once only: a second companies read would find no interceptor and fail the pull.
      nock(BASE_URL).post('/crm/v3/objects/companies/batch/read').query(true).reply(status, body);

      const c = connector();
      const deals = (await collect(c.pullDeals({ since: null, mode: 'full' }))).flatMap((p) => p.records);

      expect(deals.map((d) => [d.externalId, d.accountId, d.accountName])).toEqual([
        ['401', '5001', null],
        ['402', '5001', null],
        ['403', '5002', null],
      ]);
      expect(c.usage().byEndpoint['POST /crm/v3/objects/companies/batch/read']).toBe(1);
      expect(nock.isDone()).toBe(true);
    },
  );
});
