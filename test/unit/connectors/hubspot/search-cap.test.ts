/**
 * Walks past HubSpot's 10,000-result search cap at full size, through the connector: a window split
 * below the cap, one stamp shared by more records than the cap, and the history pull meeting a deal
 * again where the split re-reads a stamp. paging.test.ts drives the same walk at a cap of a few
 * records; these run in `npm test` only (vitest.mutate.config.ts leaves them out: about 40 s a run).
 */
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BASE_URL,
  connector,
  type FakeRecord,
  fakeSearch,
  historyFor,
  replyNoArchivedDeals,
  replyPipelines,
  collect,
  type SearchBody,
} from './support.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
});

const LOOKBACK_MS = 10 * 60_000;

describe('HubSpot incremental pull past the search cap', () => {
  it('splits a window of more than 10,000 changes below the search cap and loses nothing', async () => {
    replyPipelines();
    const base = Date.parse('2026-11-20T00:00:00.000Z');
    // 10,450 changes, three per millisecond stamp, ids in a shuffled numeric order.
    const records: FakeRecord[] = Array.from({ length: 10_450 }, (_, i) => ({
      id: String(((i * 7919) % 10_450) + 1),
      stampMs: base + Math.floor(i / 3),
    }));
    const bodies: SearchBody[] = [];
    nock(BASE_URL).post('/crm/v3/objects/deals/search').times(200).reply(fakeSearch(records, bodies));
    nock(BASE_URL).post('/crm/v4/associations/deals/companies/batch/read').times(200).reply(200, { results: [] });
    replyNoArchivedDeals();

    const c = connector();
    const ids = new Set<string>();
    let last = '';
    for await (const page of c.pullDeals({ since: { stamp: new Date(base + LOOKBACK_MS).toISOString(), id: '' } })) {
      for (const d of page.records) ids.add(d.externalId);
      if (page.cursor) {
        expect(page.cursor.stamp >= last).toBe(true);
        last = page.cursor.stamp;
      }
    }
    expect(ids.size).toBe(10_450);
    // No request asked past the cap (the fake answers those with 400, which would have thrown).
    expect(bodies.every((b) => Number(b.after ?? 0) + b.limit <= 10_000)).toBe(true);
    // The second query starts at the last stamp reached by the first (inclusive), not after it.
    const starts = bodies.filter((b) => b.after === undefined).map((b) => Number(b.filterGroups[0]?.filters[0]?.value));
    expect(starts.length).toBe(2);
    expect(starts[1]).toBe(base + Math.floor(9_999 / 3));
    expect(c.usage().rateLimited).toBe(0);
  });

  it('walks more than 10,000 changes sharing one stamp by a numeric hs_object_id cursor', async () => {
    replyPipelines();
    const stamp = Date.parse('2026-11-20T00:00:00.000Z');
    const records: FakeRecord[] = Array.from({ length: 10_100 }, (_, i) => ({ id: String(i + 1), stampMs: stamp }));
    const bodies: SearchBody[] = [];
    nock(BASE_URL).post('/crm/v3/objects/deals/search').times(200).reply(fakeSearch(records, bodies));
    nock(BASE_URL).post('/crm/v4/associations/deals/companies/batch/read').times(200).reply(200, { results: [] });
    replyNoArchivedDeals();

    const ids = new Set<string>();
    for await (const page of connector().pullDeals({ since: { stamp: new Date(stamp).toISOString(), id: '' } })) {
      for (const d of page.records) ids.add(d.externalId);
    }
    expect(ids.size).toBe(10_100);
    const tieQueries = bodies.filter(
      (b) => b.after === undefined && b.filterGroups[0]?.filters.some((f) => f.propertyName === 'hs_object_id'),
    );
    expect(tieQueries.map((b) => b.filterGroups[0]?.filters[1])).toEqual([
      { propertyName: 'hs_object_id', operator: 'GT', value: '0' },
      // Numeric max of ids 1..10000 is 10000; a string comparison would say '9999'.
      { propertyName: 'hs_object_id', operator: 'GT', value: '10000' },
    ]);
    expect(tieQueries[0]?.sorts).toEqual([{ propertyName: 'hs_object_id', direction: 'ASCENDING' }]);
  });
});

describe('HubSpot pullHistory past the search cap', () => {
  it('does not read a deal twice in one pull when the window split meets it again at the same stamp', async () => {
    replyPipelines();
    const base = Date.parse('2026-11-25T00:00:00.000Z');
    // 10,050 changes: the search re-queries from the last stamp it reached (inclusive) and meets those records again.
    const records: FakeRecord[] = Array.from({ length: 10_050 }, (_, i) => ({
      id: String(1_000 + i),
      stampMs: base + Math.floor(i / 4) * 1_000,
    }));
    nock(BASE_URL).post('/crm/v3/objects/deals/search').times(60).reply(fakeSearch(records));
    const read: string[] = [];
    nock(BASE_URL)
      .post('/crm/v3/objects/deals/batch/read')
      .query(true)
      .times(300)
      .reply((_uri, body) => {
        const ids = (body as { inputs: { id: string }[] }).inputs.map((input) => input.id);
        read.push(...ids);
        return [200, { status: 'COMPLETE', results: ids.map((id) => historyFor(id, base)) }];
      });
    const pages = await collect(connector().pullHistory({ since: { stamp: new Date(base).toISOString(), id: '' } }));
    expect(new Set(read).size).toBe(10_050);
    expect(read).toHaveLength(10_050);
    expect(pages.at(-1)?.cursor?.stamp).toBe(new Date(records.at(-1)!.stampMs).toISOString());
  });
});
