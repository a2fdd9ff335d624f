/**
 * HubSpot's two walks on their own, with a search cap of a few records instead of 10,000: the same
 * window split and one-stamp walk by id that pull-incremental.test.ts drives through the connector
 * at full size, and the list walk's paging token and refused kept token.
 */
import { describe, expect, it } from 'vitest';
import { CrmError } from '../../../../src/domain/errors.js';
import type { HubSpotClient } from '../../../../connectors/hubspot/client.js';
import {
  LIST_HISTORY_LIMIT,
  LIST_LIMIT,
  listPages,
  searchChanged,
  SEARCH_LIMIT,
  type ChangedPage,
} from '../../../../connectors/hubspot/paging.js';
import { collect, fakeSearch, type FakeRecord, type SearchBody } from './support.js';

const T0 = Date.parse('2026-11-20T00:00:00.000Z');

/** A client whose search answers from `records` as fakeSearch does; a 400 is thrown as the client throws it. */
function searchClient(records: FakeRecord[], cap: number) {
  const bodies: SearchBody[] = [];
  const reply = fakeSearch(records, bodies, cap);
  const client = {
    async search(_type: string, request: unknown) {
      const [status, body] = reply('', request as never);
      if (status !== 200) throw new CrmError('CRM.BAD_REQUEST', 'search past the cap', { provider: 'hubspot', status });
      return { status, body };
    },
  } as unknown as HubSpotClient;
  return { client, bodies };
}

const idsOf = (pages: ChangedPage[]) => pages.flatMap((p) => p.records.map((r) => r.id));
const frontiers = (pages: ChangedPage[]) => pages.map((p) => [p.frontierMs - T0, p.frontierId]);

describe('searchChanged', () => {
  it('asks for records modified since the start, oldest first, and gives each page its (last stamp, largest id there)', async () => {
    const { client, bodies } = searchClient(
      [
        { id: '10', stampMs: T0 + 1 },
        { id: '9', stampMs: T0 + 1 },
        { id: '3', stampMs: T0 + 2 },
        { id: '20', stampMs: T0 + 2 },
        { id: '4', stampMs: T0 + 3 },
        { id: '1', stampMs: T0 - 5 },
      ],
      100,
    );
    const pages = await collect(searchChanged(client, 'deals', { fromMs: T0, properties: ['dealname', 'hs_object_id'], limit: 2 }));
    expect(idsOf(pages)).toEqual(['10', '9', '3', '20', '4']);
    // '9' < '10' numerically; at stamp 2 the largest id is 20 whatever the order on the page.
    expect(frontiers(pages)).toEqual([
      [1, '10'],
      [2, '20'],
      [3, '4'],
    ]);
    expect(bodies[0]).toEqual({
      filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(T0) }] }],
      sorts: [{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }],
      properties: ['dealname', 'hs_object_id', 'hs_lastmodifieddate'],
      limit: 2,
    });
    expect(bodies.map((b) => b.after)).toEqual([undefined, '2', '4']);
  });

  it('pages at 200 by default and stops on the page without a next token', async () => {
    const { client, bodies } = searchClient([{ id: '1', stampMs: T0 }], 10_000);
    const pages = await collect(searchChanged(client, 'calls', { fromMs: T0, properties: [] }));
    expect(idsOf(pages)).toEqual(['1']);
    expect(bodies.map((b) => b.limit)).toEqual([SEARCH_LIMIT]);
  });

  it('yields no page for an empty answer', async () => {
    const { client } = searchClient([], 100);
    expect(await collect(searchChanged(client, 'deals', { fromMs: T0, properties: [], limit: 2 }))).toEqual([]);
  });

  it('splits the window before a page would cross the cap, restarting at the last stamp seen (inclusive)', async () => {
    // 14 changes, two per stamp; cap 6, pages of 2: each query reads 6 and the next starts at the last stamp read.
    const records: FakeRecord[] = Array.from({ length: 14 }, (_, i) => ({ id: String(i + 1), stampMs: T0 + Math.floor(i / 2) }));
    const { client, bodies } = searchClient(records, 6);
    const pages = await collect(searchChanged(client, 'deals', { fromMs: T0, properties: [], limit: 2, cap: 6 }));
    expect(new Set(idsOf(pages)).size).toBe(14);
    const starts = bodies.filter((b) => b.after === undefined).map((b) => Number(b.filterGroups[0]?.filters[0]?.value) - T0);
    expect(starts).toEqual([0, 2, 4]);
    expect(bodies.every((b) => Number(b.after ?? 0) + b.limit <= 6)).toBe(true);
    // Frontiers never go back.
    const ms = pages.map((p) => p.frontierMs);
    expect(ms).toEqual([...ms].sort((a, b) => a - b));
  });

  it('walks a stamp shared by more records than the cap by id, then continues strictly after that stamp', async () => {
    const shared: FakeRecord[] = Array.from({ length: 9 }, (_, i) => ({ id: String(i + 1), stampMs: T0 + 1 }));
    const records = [{ id: '50', stampMs: T0 }, ...shared, { id: '60', stampMs: T0 + 2 }];
    const { client, bodies } = searchClient(records, 4);
    const pages = await collect(searchChanged(client, 'deals', { fromMs: T0, properties: [], limit: 2, cap: 4 }));
    expect(new Set(idsOf(pages))).toEqual(new Set(records.map((r) => r.id)));
    const firsts = bodies.filter((b) => b.after === undefined);
    expect(firsts.map((b) => b.filterGroups[0]?.filters)).toEqual([
      [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(T0) }],
      [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(T0 + 1) }],
      [
        { propertyName: 'hs_lastmodifieddate', operator: 'EQ', value: String(T0 + 1) },
        { propertyName: 'hs_object_id', operator: 'GT', value: '0' },
      ],
      [
        { propertyName: 'hs_lastmodifieddate', operator: 'EQ', value: String(T0 + 1) },
        { propertyName: 'hs_object_id', operator: 'GT', value: '4' },
      ],
      [
        { propertyName: 'hs_lastmodifieddate', operator: 'EQ', value: String(T0 + 1) },
        { propertyName: 'hs_object_id', operator: 'GT', value: '8' },
      ],
      [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(T0 + 2) }],
    ]);
    expect(firsts[2]?.sorts).toEqual([{ propertyName: 'hs_object_id', direction: 'ASCENDING' }]);
    // Pages of the id walk carry the shared stamp and the largest id read so far.
    expect(
      frontiers(pages)
        .filter(([ms]) => ms === 1)
        .map(([, id]) => id),
    ).toContain('9');
  });

  it('reads a stamp from updatedAt when hs_lastmodifieddate is missing, and skips a record with neither', async () => {
    const client = {
      async search() {
        return {
          status: 200,
          body: {
            results: [
              { id: '6', createdAt: '2026-11-19T00:00:00.000Z', updatedAt: new Date(T0 + 4).toISOString(), archived: false },
              {
                id: '7',
                properties: { hs_lastmodifieddate: null },
                createdAt: '2026-11-19T00:00:00.000Z',
                updatedAt: new Date(T0 + 5).toISOString(),
                archived: false,
              },
              { id: '8', properties: {}, createdAt: '2026-11-19T00:00:00.000Z', archived: false },
            ],
          },
        };
      },
    } as unknown as HubSpotClient;
    const pages = await collect(searchChanged(client, 'deals', { fromMs: T0, properties: [], limit: 2 }));
    expect(frontiers(pages)).toEqual([[5, '7']]);
  });

  it(
    "a record modified before the page's last stamp does not move its frontier id; a page without " +
      'results or a next token ends the walk',
    async () => {
      const answers = [
        {
          results: [
            { id: '5', properties: { hs_lastmodifieddate: new Date(T0 + 2).toISOString() }, archived: false },
            { id: '9', properties: { hs_lastmodifieddate: new Date(T0 + 1).toISOString() }, archived: false },
          ],
          paging: { next: { after: '2' } },
        },
        { paging: {} },
      ];
      let call = 0;
      const client = {
        async search() {
          return { status: 200, body: answers[call++] };
        },
      } as unknown as HubSpotClient;
      const pages = await collect(searchChanged(client, 'deals', { fromMs: T0, properties: [], limit: 2 }));
      expect(frontiers(pages)).toEqual([[2, '5']]);
      expect(call).toBe(2);
    },
  );

  it('a page without readable stamps keeps the frontier at the window start', async () => {
    const client = {
      async search() {
        return { status: 200, body: { results: [{ id: '8', properties: {}, createdAt: '2026-11-19T00:00:00.000Z', archived: false }] } };
      },
    } as unknown as HubSpotClient;
    const pages = await collect(searchChanged(client, 'deals', { fromMs: T0, properties: [], limit: 2 }));
    expect(pages.map((p) => [p.frontierMs, p.frontierId])).toEqual([[T0, '']]);
  });
});

describe('listPages', () => {
  /** A list of `n` records answered `size` at a time, the token being the offset; `refuse` answers 400 to that token. */
  function listClient(n: number, size: number, options: { refuse?: string; fail?: CrmError; lastToken?: string } = {}) {
    const queries: { limit: number; after: string | undefined; propertiesWithHistory?: string[] }[] = [];
    const client = {
      async listObjects(_type: string, query: { limit: number; after?: string; propertiesWithHistory?: string[] }) {
        queries.push({
          limit: query.limit,
          after: query.after,
          ...(query.propertiesWithHistory ? { propertiesWithHistory: query.propertiesWithHistory } : {}),
        });
        if (options.fail) throw options.fail;
        if (query.after !== undefined && query.after === options.refuse) {
          throw new CrmError('CRM.BAD_REQUEST', 'bad token', { provider: 'hubspot', status: 400 });
        }
        const offset = Number(query.after ?? '0');
        const results = Array.from({ length: Math.min(size, n - offset) }, (_, i) => ({
          id: String(offset + i + 1),
          properties: {},
          archived: false,
        }));
        const next = offset + size < n ? String(offset + size) : options.lastToken;
        return { status: 200, body: { results, ...(next !== undefined ? { paging: { next: { after: next } } } : {}) } };
      },
    } as unknown as HubSpotClient;
    return { client, queries };
  }

  it('follows paging.next.after, pages of 100, and ends on the page without a token (an empty token too)', async () => {
    const { client, queries } = listClient(5, 2, { lastToken: '' });
    const pages = await collect(listPages(client, 'deals', { properties: ['dealname'] }));
    expect(pages.map((p) => [p.records.map((r) => r.id), p.next])).toEqual([
      [['1', '2'], '2'],
      [['3', '4'], '4'],
      [['5'], null],
    ]);
    expect(queries.map((q) => [q.limit, q.after])).toEqual([
      [LIST_LIMIT, undefined],
      [LIST_LIMIT, '2'],
      [LIST_LIMIT, '4'],
    ]);
  });

  it('a page without results is an empty page, and a paging block without a next token ends the walk', async () => {
    const client = {
      async listObjects() {
        return { status: 200, body: { paging: {} } };
      },
    } as unknown as HubSpotClient;
    expect(await collect(listPages(client, 'deals', { properties: [] }))).toEqual([{ records: [], next: null }]);
  });

  it('asks for pages of 50 when property history is asked for, 100 when the history list is empty', async () => {
    const withHistory = listClient(1, 1);
    await collect(listPages(withHistory.client, 'deals', { properties: [], propertiesWithHistory: ['dealstage'] }));
    expect(withHistory.queries[0]?.limit).toBe(LIST_HISTORY_LIMIT);
    const emptyHistory = listClient(1, 1);
    await collect(listPages(emptyHistory.client, 'deals', { properties: [], propertiesWithHistory: [] }));
    expect(emptyHistory.queries[0]?.limit).toBe(LIST_LIMIT);
  });

  it('starts at a kept token, and walks the list from its start once when HubSpot refuses it', async () => {
    const resumed = listClient(5, 2);
    const from = await collect(listPages(resumed.client, 'deals', { properties: [] }, undefined, { after: '2' }));
    expect(from.flatMap((p) => p.records.map((r) => r.id))).toEqual(['3', '4', '5']);

    const refused = listClient(3, 2, { refuse: 'stale' });
    const rejected: CrmError[] = [];
    const pages = await collect(
      listPages(refused.client, 'deals', { properties: [] }, undefined, { after: 'stale', rejected: (e) => rejected.push(e) }),
    );
    expect(pages.flatMap((p) => p.records.map((r) => r.id))).toEqual(['1', '2', '3']);
    expect(refused.queries.map((q) => q.after)).toEqual(['stale', undefined, '2']);
    expect(rejected.map((e) => e.status)).toEqual([400]);
    // Without a listener the restart happens all the same.
    const quiet = listClient(1, 2, { refuse: 'stale' });
    expect((await collect(listPages(quiet.client, 'deals', { properties: [] }, undefined, { after: 'stale' }))).length).toBe(1);
  });

  it('rethrows a refused token it was not given, and any other error', async () => {
    // A token of this walk refused on the second page is not a kept token: the walk fails.
    const midway = listClient(5, 2, { refuse: '2' });
    await expect(collect(listPages(midway.client, 'deals', { properties: [] }))).rejects.toMatchObject({ code: 'CRM.BAD_REQUEST' });
    const resumedMidway = listClient(7, 2, { refuse: '4' });
    await expect(collect(listPages(resumedMidway.client, 'deals', { properties: [] }, undefined, { after: '2' }))).rejects.toMatchObject({
      status: 400,
    });
    // A 400 on a walk's first page without a kept token is no refused token either: one request, then the error.
    const fresh = listClient(1, 1, { fail: new CrmError('CRM.BAD_REQUEST', 'bad', { provider: 'hubspot', status: 400 }) });
    await expect(collect(listPages(fresh.client, 'deals', { properties: [] }))).rejects.toMatchObject({ status: 400 });
    expect(fresh.queries.length).toBe(1);
    // The list walked again from its start after a refused token is not restarted a second time.
    const always = listClient(1, 1, { fail: new CrmError('CRM.BAD_REQUEST', 'bad', { provider: 'hubspot', status: 400 }) });
    await expect(collect(listPages(always.client, 'deals', { properties: [] }, undefined, { after: 'stale' }))).rejects.toMatchObject({
      status: 400,
    });
    expect(always.queries.map((q) => q.after)).toEqual(['stale', undefined]);
    for (const fail of [
      new CrmError('CRM.RATE_LIMITED', 'slow down', { provider: 'hubspot', status: 400 }),
      new CrmError('CRM.BAD_REQUEST', 'odd', { provider: 'hubspot', status: 422 }),
      new Error('socket hang up'),
    ]) {
      const failing = listClient(1, 1, { fail: fail as CrmError });
      await expect(collect(listPages(failing.client, 'deals', { properties: [] }, undefined, { after: '0' }))).rejects.toBe(fail);
      expect(failing.queries.length).toBe(1);
    }
  });
});
