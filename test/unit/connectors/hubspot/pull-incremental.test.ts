import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BASE_URL,
  collect,
  connector,
  type FakeRecord,
  fakeSearch,
  fixture,
  type SearchBody,
  replyNoArchivedDeals,
  replyPipelines,
} from './support.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
});

const LOOKBACK_MS = 10 * 60_000;

describe('HubSpot incremental pull (search on hs_lastmodifieddate)', () => {
  it(
    'keeps two records that share a stamp across a page boundary, pages on after even when a page ' +
      'is short, and cursors at (max stamp, id)',
    async () => {
      replyPipelines();
      const bodies: SearchBody[] = [];
      nock(BASE_URL)
        .post('/crm/v3/objects/deals/search', (b) => {
          bodies.push(b as SearchBody);
          return (b as SearchBody).after === undefined;
        })
        .reply(200, fixture('deals-search-page1.json'))
        .post('/crm/v3/objects/deals/search', (b) => (b as SearchBody).after === '2')
        .reply(200, fixture('deals-search-page2.json'));
      // Search pages carry no associations: the two pages' companies come from one v4 batch read.
      nock(BASE_URL)
        .post('/crm/v4/associations/deals/companies/batch/read', (b) => (b as { inputs: unknown[] }).inputs.length === 3)
        .reply(200, fixture('associations-deals-companies.json'));
      replyNoArchivedDeals();
      nock(BASE_URL).post('/crm/v3/objects/companies/batch/read').query(true).reply(200, fixture('companies-batch-read.json'));

      const since = { stamp: '2026-11-26T10:01:00.000Z', id: '5' };
      const pages = await collect(connector().pullDeals({ since }));

      expect(pages.flatMap((p) => p.records.map((d) => d.externalId))).toEqual(['201', '9', '10']);
      expect(pages[0]?.records.find((d) => d.externalId === '201')).toMatchObject({ accountId: '5001', accountName: 'Acme Corp' });
      expect(pages[1]?.records[0]).toMatchObject({ accountId: '5002', accountName: 'Globex Labs' });
      // Page 1 ends at 10:05 with id 9; page 2 holds id 10 at the same stamp; ids compare numerically.
      expect(pages[0]?.cursor).toEqual({ stamp: '2026-11-26T10:05:00.000Z', id: '9' });
      expect(pages[1]?.cursor).toEqual({ stamp: '2026-11-26T10:05:00.000Z', id: '10' });

      const first = bodies[0]!;
      expect(first.filterGroups).toEqual([
        { filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(Date.parse(since.stamp) - LOOKBACK_MS) }] },
      ]);
      expect(first.sorts).toEqual([{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }]);
      expect(first.limit).toBe(200);
      expect(nock.isDone()).toBe(true);
    },
  );

  it(
    'resuming from a page cursor re-reads its stamp inclusively (minus the look-back), so the tie ' + 'on the next page is not lost',
    async () => {
      replyPipelines();
      const bodies: SearchBody[] = [];
      nock(BASE_URL)
        .post('/crm/v3/objects/deals/search')
        .reply(
          fakeSearch(
            [
              { id: '9', stampMs: Date.parse('2026-11-26T10:05:00.000Z') },
              { id: '10', stampMs: Date.parse('2026-11-26T10:05:00.000Z') },
            ],
            bodies,
          ),
        );
      nock(BASE_URL).post('/crm/v4/associations/deals/companies/batch/read').reply(200, { results: [] });
      replyNoArchivedDeals();
      const pages = await collect(connector().pullDeals({ since: { stamp: '2026-11-26T10:05:00.000Z', id: '9' } }));
      expect(pages.flatMap((p) => p.records.map((d) => d.externalId)).sort()).toEqual(['10', '9']);
      expect(bodies[0]?.filterGroups[0]?.filters[0]?.value).toBe(String(Date.parse('2026-11-26T10:05:00.000Z') - LOOKBACK_MS));
    },
  );

  it('tombstones deals archived since the window start (search never returns archived records)', async () => {
    replyPipelines();
    nock(BASE_URL).post('/crm/v3/objects/deals/search').reply(200, { total: 0, results: [] });
    nock(BASE_URL)
      .get('/crm/v3/objects/deals')
      .query((q) => q.archived === 'true')
      .reply(200, fixture('deals-archived.json'));
    const pages = await collect(connector().pullDeals({ since: { stamp: '2026-11-25T00:00:00.000Z', id: '' } }));
    // 77 was archived on 2026-11-25 (inside the window); 78 in June was tombstoned by an earlier run.
    expect(pages.flatMap((p) => p.tombstones)).toEqual(['77']);
    expect(pages.at(-1)?.cursor).toBeNull();
  });
});
