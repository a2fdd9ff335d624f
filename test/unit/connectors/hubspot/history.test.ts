/**
 * pullHistory: exact stage moves and close-date/amount changes from HubSpot property history.
 * Full: GET /crm/v3/objects/deals with propertiesWithHistory (50 a page); incremental: search, then
 * POST /crm/v3/objects/deals/batch/read with propertiesWithHistory (50 inputs a call).
 * Shapes: test/fixtures/hubspot/deals-list-history-*.json and deals-batch-read-history.json (doc URLs inside).
 */
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryPage } from '../../../../connectors/types.js';
import { BASE_URL, collect, connector, type FakeRecord, fakeSearch, fixture, historyFor, replyPipelines } from './support.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
});

type Row = Record<string, unknown>;
const moves = (pages: HistoryPage[], dealId: string) =>
  pages
    .flatMap((p) => p.stageChanges)
    .filter((c) => c.dealId === dealId)
    .map((c) => [c.fromStageId, c.toStageId, c.at, c.amount, c.closeDate]);
const fields = (pages: HistoryPage[], dealId: string) =>
  pages
    .flatMap((p) => p.fieldChanges)
    .filter((c) => c.dealId === dealId)
    .map((c) => [c.field, c.oldValue, c.newValue, c.at]);

describe('HubSpot pullHistory, full (list with propertiesWithHistory)', () => {
  it(
    'maps every move and change exactly: a deal pushed twice, one moved back a stage, an amount ' + 'decrease, one without history',
    async () => {
      replyPipelines();
      const queries: Row[] = [];
      nock(BASE_URL)
        .get('/crm/v3/objects/deals')
        .query((q) => {
          queries.push(q);
          return q.after === undefined;
        })
        .reply(200, fixture('deals-list-history-page1.json'))
        .get('/crm/v3/objects/deals')
        .query((q) => {
          queries.push(q);
          return q.after === '23';
        })
        .reply(200, fixture('deals-list-history-page2.json'));

      const c = connector();
      const pages = await collect(c.pullHistory({ since: null, mode: 'full' }));

      // 50 a page with history, the three tracked properties, no archived list (history has no tombstones).
      expect(queries).toHaveLength(2);
      for (const q of queries) {
        expect(q).toMatchObject({ limit: '50', archived: 'false' });
        expect(String(q.propertiesWithHistory).split(',').sort()).toEqual(['amount', 'closedate', 'dealstage']);
      }
      expect(c.usage().byEndpoint).toEqual({ 'GET /crm/v3/pipelines/deals': 1, 'GET /crm/v3/objects/deals': 2 });

      // Pushed twice: two close-date changes, old/new as dates; its move carries the values in force.
      expect(fields(pages, '21')).toEqual([
        ['closeDate', '2026-12-01', '2026-12-20', '2026-11-05T11:00:00.000Z'],
        ['closeDate', '2026-12-20', '2027-01-15', '2026-11-20T15:00:00.000Z'],
      ]);
      expect(moves(pages, '21')).toEqual([
        [null, 'appointmentscheduled', '2026-10-01T09:00:00.000Z', 20000, '2026-12-01'],
        ['appointmentscheduled', 'qualifiedtobuy', '2026-10-15T09:00:00.000Z', 20000, '2026-12-01'],
      ]);
      // Moved back: every visit, in order (hs_date_entered_* would have kept only the last entry of qualifiedtobuy).
      expect(moves(pages, '22')).toEqual([
        [null, 'appointmentscheduled', '2026-10-01T10:00:00.000Z', 10000, '2026-12-31'],
        ['appointmentscheduled', 'qualifiedtobuy', '2026-10-10T10:00:00.000Z', 10000, '2026-12-31'],
        ['qualifiedtobuy', 'presentationscheduled', '2026-10-20T10:00:00.000Z', 12000, '2026-12-31'],
        ['presentationscheduled', 'qualifiedtobuy', '2026-11-02T10:00:00.000Z', 12000, '2026-12-31'],
      ]);
      expect(fields(pages, '22')).toEqual([['amount', '10000', '12000', '2026-10-15T10:00:00.000Z']]);
      // Amount decrease; the later '30000.00' is the same amount, not a change.
      expect(fields(pages, '23')).toEqual([['amount', '50000', '30000', '2026-11-10T08:00:00.000Z']]);
      expect(moves(pages, '23')).toEqual([[null, 'presentationscheduled', '2026-10-03T08:00:00.000Z', 50000, '2026-12-15']]);
      // No history: nothing, and no failure.
      expect(moves(pages, '24')).toEqual([]);
      expect(fields(pages, '24')).toEqual([]);

      // Each page ordered by time; each list page's cursor is where the walk continues after it, the
      // last page's the instant the walk began (no walk left).
      for (const page of pages) {
        const times = page.stageChanges.map((s) => Date.parse(s.at));
        expect(times).toEqual([...times].sort((a, b) => a - b));
        const fieldTimes = page.fieldChanges.map((s) => Date.parse(s.at));
        expect(fieldTimes).toEqual([...fieldTimes].sort((a, b) => a - b));
      }
      expect(pages.map((p) => p.cursor)).toEqual([
        { stamp: '2026-11-26T12:00:00.000Z', id: '', walk: { phase: 'deal-history', after: '23' } },
        { stamp: '2026-11-26T12:00:00.000Z', id: '' },
      ]);
    },
  );
});

describe('HubSpot pullHistory, incremental (search, then batch read with history)', () => {
  it('reads the changed deals in batches of at most 50, and a page cursor only follows once every deal on its page is read', async () => {
    replyPipelines();
    const base = Date.parse('2026-11-25T00:00:00.000Z');
    // 250 changes: two search pages (200 + 50). Deal 150 was archived between search and read (207).
    const records: FakeRecord[] = Array.from({ length: 250 }, (_, i) => ({ id: String(101 + i), stampMs: base + i * 1_000 }));
    const stampOf = new Map(records.map((r) => [r.id, r.stampMs]));
    nock(BASE_URL).post('/crm/v3/objects/deals/search').times(2).reply(fakeSearch(records));
    const batches: string[][] = [];
    nock(BASE_URL)
      .post(
        '/crm/v3/objects/deals/batch/read',
        (b) => JSON.stringify([...b.propertiesWithHistory].sort()) === JSON.stringify(['amount', 'closedate', 'dealstage']),
      )
      .query(true)
      .times(5)
      .reply((_uri, body) => {
        const ids = (body as { inputs: { id: string }[] }).inputs.map((input) => input.id);
        batches.push(ids);
        const found = ids.filter((id) => id !== '150');
        const missing = ids.filter((id) => id === '150');
        return [
          missing.length ? 207 : 200,
          {
            status: 'COMPLETE',
            results: found.map((id) => historyFor(id, stampOf.get(id)!)),
            ...(missing.length
              ? {
                  numErrors: 1,
                  errors: [
                    {
                      status: 'error',
                      category: 'OBJECT_NOT_FOUND',
                      message: 'Could not get some DEAL objects',
                      context: { ids: missing },
                    },
                  ],
                }
              : {}),
          },
        ];
      });
    // The archived list is not read: history pages carry no tombstones.

    const since = { stamp: new Date(base).toISOString(), id: '' };
    const pages: HistoryPage[] = [];
    const batchesAtYield: number[] = [];
    for await (const page of connector().pullHistory({ since })) {
      pages.push(page);
      batchesAtYield.push(batches.length);
    }

    expect(batches.map((b) => b.length)).toEqual([50, 50, 50, 50, 50]);
    expect(new Set(batches.flat()).size).toBe(250);
    expect(pages).toHaveLength(2);
    // Page 1 is yielded after its four batch reads, with the cursor of its last record (stamp, id).
    expect(batchesAtYield).toEqual([4, 5]);
    expect(pages[0]!.cursor).toEqual({ stamp: new Date(base + 199_000).toISOString(), id: '300' });
    expect(pages[1]!.cursor).toEqual({ stamp: new Date(base + 249_000).toISOString(), id: '350' });
    const dealsOnPage1 = new Set(pages[0]!.stageChanges.map((c) => c.dealId));
    expect(dealsOnPage1.size).toBe(199); // 200 searched, deal 150 gone
    expect(dealsOnPage1.has('150')).toBe(false);
    expect(moves(pages, '101')).toEqual([
      [null, 'appointmentscheduled', '2026-10-01T09:00:00.000Z', 10000, '2026-12-01'],
      ['appointmentscheduled', 'qualifiedtobuy', '2026-11-20T15:00:00.000Z', 8000, '2026-12-01'],
    ]);
    expect(fields(pages, '101')).toEqual([['amount', '10000', '8000', '2026-11-20T15:00:00.000Z']]);
  });
});
