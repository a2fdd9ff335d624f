/**
 * A full sync that stops midway (here: HubSpot's DAILY quota, 429 policyName DAILY) resumes where it
 * stopped on the next run: every list page yields the cursor to continue from (the walk's start,
 * the list it belongs to and HubSpot's returned `paging.next.after`), and a new connector given the
 * last persisted cursor asks for the next page with exactly that token and never for pages already
 * read. Once the walk completes, its cursor has no walk and the next pull is a search from the
 * walk's start minus the look-back.
 * List shape: https://developers.hubspot.com/docs/api-reference/crm-objects-v3/basic/get-crm-v3-objects-objectType
 */
import nock from 'nock';
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HubSpotConnector } from '../../../../connectors/hubspot/connector.js';
import type { Page } from '../../../../connectors/types.js';
import { CrmError } from '../../../../src/domain/errors.js';
import { SyncCursor } from '../../../../src/domain/model/index.js';
import { BASE_URL, NOW, fakeSearch, fastRetry, fixture, noopGate, replyPipelines, type SearchBody, settings } from './support.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
});

const DAY = 86_400_000;
const LOOKBACK_MS = 10 * 60_000;
const WALK_START = new Date(NOW).toISOString();

/** A connector whose clock reads `nowMs` (a later run is another process on another day). */
function connectorAt(nowMs: number): HubSpotConnector {
  return new HubSpotConnector(
    settings(),
    { rateGate: noopGate, logger: pino({ level: 'silent' }) },
    { retry: fastRetry, now: () => nowMs },
  );
}

/**
 * Drains a pull the way the sync engine does: each page is "committed", then its cursor persisted.
 * The cursor goes through JSON and the zod schema, as it does through the store. Returns the
 * records seen, the last persisted cursor and the error the pull stopped on, if any.
 */
async function runSync<T extends { externalId: string }>(pages: AsyncIterable<Page<T>>, stored: SyncCursor | null) {
  const records: string[] = [];
  const tombstones: string[] = [];
  const cursors: SyncCursor[] = [];
  let cursor = stored;
  let error: unknown = null;
  try {
    for await (const page of pages) {
      records.push(...page.records.map((r) => r.externalId));
      tombstones.push(...page.tombstones);
      if (page.cursor) {
        cursor = SyncCursor.parse(JSON.parse(JSON.stringify(page.cursor)));
        cursors.push(cursor);
      }
    }
  } catch (caught) {
    error = caught;
  }
  return { records, tombstones, cursors, cursor, error };
}

/** A list page of deals `ids` (no company: inline associations empty), with `next` as HubSpot's token. */
function dealsPage(ids: number[], next: string | null) {
  return {
    results: ids.map((id) => ({
      id: String(id),
      properties: {
        hs_object_id: String(id),
        dealname: `Deal ${id}`,
        dealstage: 'qualifiedtobuy',
        pipeline: 'default',
        hs_lastmodifieddate: '2026-11-20T10:00:00.000Z',
      },
      createdAt: '2026-11-01T10:00:00.000Z',
      updatedAt: '2026-11-20T10:00:00.000Z',
      archived: false,
      associations: { companies: { results: [] } },
    })),
    ...(next === null ? {} : { paging: { next: { after: next, link: `${BASE_URL}/crm/v3/objects/deals?after=${next}` } } }),
  };
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
/** Opaque tokens, unlike any record id: the connector must pass them back as returned. */
const TOKEN = { p2: 'NTI1Mw%3D%3D-b', p3: 'NzA5Mg%3D%3D-c', p4: 'OTAwMQ%3D%3D-d' };

describe('HubSpot full deal walk, interrupted and resumed', () => {
  it(
    'resumes at page 3 with HubSpot’s token on a new connector, never re-reads pages 1-2, and goes ' +
      'incremental from the walk start once done',
    async () => {
      const live = (after: unknown) => (q: Record<string, unknown>) => q.archived === 'false' && q.after === after;

      // Run 1: pages 1 and 2, then the day's quota is spent on page 3.
      replyPipelines();
      nock(BASE_URL)
        .get('/crm/v3/objects/deals')
        .query(live(undefined))
        .reply(200, dealsPage(range(1, 100), TOKEN.p2))
        .get('/crm/v3/objects/deals')
        .query(live(TOKEN.p2))
        .reply(200, dealsPage(range(101, 100), TOKEN.p3))
        .get('/crm/v3/objects/deals')
        .query(live(TOKEN.p3))
        .reply(429, fixture('rate-limit-daily.json'), { 'X-HubSpot-RateLimit-Daily-Remaining': '0' });
      const first = await runSync(connectorAt(NOW).pullDeals({ since: null, mode: 'full' }), null);

      expect(first.error).toBeInstanceOf(CrmError);
      expect((first.error as CrmError).code).toBe('CRM.QUOTA_EXCEEDED');
      expect(first.records).toEqual(range(1, 200).map(String));
      expect(first.cursors).toEqual([
        { stamp: WALK_START, id: '', walk: { phase: 'deals-with-history', after: TOKEN.p2 } },
        { stamp: WALK_START, id: '', walk: { phase: 'deals-with-history', after: TOKEN.p3 } },
      ]);
      expect(nock.isDone()).toBe(true);

      // Run 2, the next day, on a new connector (an explicit full sync): only pages 3 and 4, then the
      // archived list. No interceptor answers a first page, so asking for it again would fail the pull.
      const asked: Record<string, unknown>[] = [];
      replyPipelines();
      nock(BASE_URL)
        .get('/crm/v3/objects/deals')
        .query((q) => {
          asked.push(q);
          return live(TOKEN.p3)(q);
        })
        .reply(200, dealsPage(range(201, 100), TOKEN.p4))
        .get('/crm/v3/objects/deals')
        .query((q) => {
          asked.push(q);
          return live(TOKEN.p4)(q);
        })
        .reply(200, dealsPage(range(301, 37), null))
        .get('/crm/v3/objects/deals')
        .query((q) => q.archived === 'true' && q.after === undefined)
        .reply(200, {
          results: [{ id: '77', properties: { hs_object_id: '77' }, archived: true, archivedAt: '2026-11-25T10:00:00.000Z' }],
        });
      const resumed = connectorAt(NOW + DAY);
      const second = await runSync(resumed.pullDeals({ since: first.cursor, mode: 'full' }), first.cursor);

      expect(second.error).toBeNull();
      expect(asked[0]?.after).toBe(TOKEN.p3);
      expect(asked.every((q) => q.after !== undefined)).toBe(true);
      expect(second.records).toEqual(range(201, 137).map(String));
      expect(second.tombstones).toEqual(['77']);
      // The walk keeps its original start: changes made while it ran are read by the next search.
      expect(second.cursors).toEqual([
        { stamp: WALK_START, id: '', walk: { phase: 'deals-with-history', after: TOKEN.p4 } },
        { stamp: WALK_START, id: '', walk: { phase: 'archived-deals', after: null } },
        { stamp: WALK_START, id: '' },
      ]);
      expect(resumed.usage().byEndpoint['GET /crm/v3/objects/deals']).toBe(3);
      expect(nock.isDone()).toBe(true);

      // Run 3 (incremental): a search from the walk's start minus the look-back, no list.
      const bodies: SearchBody[] = [];
      replyPipelines();
      nock(BASE_URL).post('/crm/v3/objects/deals/search').reply(fakeSearch([], bodies));
      nock(BASE_URL)
        .get('/crm/v3/objects/deals')
        .query((q) => q.archived === 'true')
        .reply(200, { results: [] });
      const third = await runSync(connectorAt(NOW + 2 * DAY).pullDeals({ since: second.cursor }), second.cursor);
      expect(third.error).toBeNull();
      expect(bodies).toHaveLength(1);
      expect(bodies[0]!.filterGroups[0]!.filters).toEqual([
        { propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(NOW - LOOKBACK_MS) },
      ]);
      expect(nock.isDone()).toBe(true);
    },
  );

  it('an explicit full pull from a completed cursor starts over, from the first page, at a new walk start', async () => {
    const later = NOW + DAY;
    replyPipelines();
    nock(BASE_URL)
      .get('/crm/v3/objects/deals')
      .query((q) => q.archived === 'false' && q.after === undefined)
      .reply(200, dealsPage([1], null))
      .get('/crm/v3/objects/deals')
      .query((q) => q.archived === 'true')
      .reply(200, { results: [] });
    const run = await runSync(connectorAt(later).pullDeals({ since: { stamp: WALK_START, id: '' }, mode: 'full' }), null);
    expect(run.error).toBeNull();
    expect(run.records).toEqual(['1']);
    expect(run.cursor).toEqual({ stamp: new Date(later).toISOString(), id: '' });
    expect(nock.isDone()).toBe(true);
  });

  it('a cursor naming a list this walk does not have starts the walk over rather than skipping anything', async () => {
    replyPipelines();
    nock(BASE_URL)
      .get('/crm/v3/objects/deals')
      .query((q) => q.archived === 'false' && q.after === undefined)
      .reply(200, dealsPage([1, 2], null))
      .get('/crm/v3/objects/deals')
      .query((q) => q.archived === 'true')
      .reply(200, { results: [] });
    const since = { stamp: '2026-11-20T00:00:00.000Z', id: '', walk: { phase: 'calls', after: 'x' } };
    const run = await runSync(connectorAt(NOW).pullDeals({ since }), since);
    expect(run.records).toEqual(['1', '2']);
    expect(run.cursor).toEqual({ stamp: WALK_START, id: '' });
    expect(nock.isDone()).toBe(true);
  });
});

const TYPES = ['calls', 'emails', 'meetings', 'notes', 'tasks'] as const;

/** A list page of activities of `type` (each linked inline to deal 9), with HubSpot's next token. */
function activitiesPage(type: (typeof TYPES)[number], ids: string[], next: string | null) {
  return {
    results: ids.map((id) => ({
      id,
      properties: { hs_object_id: id, hs_timestamp: '2026-11-20T10:00:00.000Z', hs_lastmodifieddate: '2026-11-20T10:00:00.000Z' },
      createdAt: '2026-11-20T10:00:00.000Z',
      updatedAt: '2026-11-20T10:00:00.000Z',
      archived: false,
      associations: { deals: { results: [{ id: '9', type: `${type.slice(0, -1)}_to_deal` }] } },
    })),
    ...(next === null ? {} : { paging: { next: { after: next } } }),
  };
}

describe('HubSpot full activity walk, interrupted inside the second type and resumed', () => {
  it('continues the emails list at HubSpot’s token, never lists calls again, then the other types and the archived lists', async () => {
    const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
    const live = (after: unknown) => (q: Record<string, unknown>) =>
      q.archived === 'false' && q.associations === 'deals' && q.after === after;

    // Run 1: calls (two pages), emails page 1, then the quota is spent on emails page 2.
    nock(BASE_URL)
      .get('/crm/v3/objects/calls')
      .query(live(undefined))
      .reply(200, activitiesPage('calls', ids('c', 100), 'calls-2'))
      .get('/crm/v3/objects/calls')
      .query(live('calls-2'))
      .reply(200, activitiesPage('calls', ids('cc', 10), null))
      .get('/crm/v3/objects/emails')
      .query(live(undefined))
      .reply(200, activitiesPage('emails', ids('e', 100), 'emails-2'))
      .get('/crm/v3/objects/emails')
      .query(live('emails-2'))
      .reply(429, fixture('rate-limit-daily.json'));
    const first = await runSync(connectorAt(NOW).pullActivities({ since: null, mode: 'full' }), null);

    expect((first.error as CrmError).code).toBe('CRM.QUOTA_EXCEEDED');
    expect(first.records).toEqual([...ids('c', 100), ...ids('cc', 10), ...ids('e', 100)]);
    expect(first.cursors).toEqual([
      { stamp: WALK_START, id: '', walk: { phase: 'calls', after: 'calls-2' } },
      { stamp: WALK_START, id: '', walk: { phase: 'emails', after: null } },
      { stamp: WALK_START, id: '', walk: { phase: 'emails', after: 'emails-2' } },
    ]);
    expect(nock.isDone()).toBe(true);

    // Run 2 (the nightly incremental sync finds the unfinished walk): emails from page 2 on, the
    // three other types, then every archived list. No calls list interceptor: listing calls would fail.
    const asked: string[] = [];
    const record = (type: string) => (q: Record<string, unknown>) => {
      asked.push(`${type} ${q.archived === 'true' ? 'archived' : 'live'} after=${String(q.after ?? '-')}`);
      return true;
    };
    nock(BASE_URL)
      .get('/crm/v3/objects/emails')
      .query((q) => record('emails')(q) && live('emails-2')(q))
      .reply(200, activitiesPage('emails', ids('ee', 100), 'emails-3'))
      .get('/crm/v3/objects/emails')
      .query((q) => record('emails')(q) && live('emails-3')(q))
      .reply(200, activitiesPage('emails', ids('eee', 5), null));
    for (const type of ['meetings', 'notes', 'tasks'] as const) {
      nock(BASE_URL)
        .get(`/crm/v3/objects/${type}`)
        .query((q) => record(type)(q) && live(undefined)(q))
        .reply(200, activitiesPage(type, [`${type}-1`], null));
    }
    for (const type of TYPES) {
      nock(BASE_URL)
        .get(`/crm/v3/objects/${type}`)
        .query((q) => record(type)(q) && q.archived === 'true')
        .reply(200, type === 'notes' ? { results: [{ id: 'n-gone', properties: {}, archived: true }] } : { results: [] });
    }
    const resumed = connectorAt(NOW + DAY);
    const second = await runSync(resumed.pullActivities({ since: first.cursor }), first.cursor);

    expect(second.error).toBeNull();
    expect(asked).toEqual([
      'emails live after=emails-2',
      'emails live after=emails-3',
      'meetings live after=-',
      'notes live after=-',
      'tasks live after=-',
      ...TYPES.map((type) => `${type} archived after=-`),
    ]);
    expect(second.records).toEqual([...ids('ee', 100), ...ids('eee', 5), 'meetings-1', 'notes-1', 'tasks-1']);
    expect(second.tombstones).toEqual(['n-gone']);
    expect(second.cursors[0]).toEqual({ stamp: WALK_START, id: '', walk: { phase: 'emails', after: 'emails-3' } });
    expect(second.cursors.slice(1, -1).every((c) => c.stamp === WALK_START && c.walk !== undefined)).toBe(true);
    expect(second.cursor).toEqual({ stamp: WALK_START, id: '' });
    expect(resumed.usage().calls).toBe(asked.length);
    expect(nock.isDone()).toBe(true);

    // Next run: five searches from the walk's start minus the look-back.
    const bodies: SearchBody[] = [];
    for (const type of TYPES) {
      nock(BASE_URL).post(`/crm/v3/objects/${type}/search`).reply(fakeSearch([], bodies));
      nock(BASE_URL)
        .get(`/crm/v3/objects/${type}`)
        .query((q) => q.archived === 'true')
        .reply(200, { results: [] });
    }
    const third = await runSync(connectorAt(NOW + 2 * DAY).pullActivities({ since: second.cursor }), second.cursor);
    expect(third.error).toBeNull();
    expect(bodies.map((b) => b.filterGroups[0]!.filters[0]!.value)).toEqual(TYPES.map(() => String(NOW - LOOKBACK_MS)));
    expect(nock.isDone()).toBe(true);
  });
});

describe('HubSpot full walks: a cursor never runs ahead of its page', () => {
  it('list pages held for one v4 links read yield no cursor until they are yielded themselves', async () => {
    // Three pages of calls without inline associations are held for one v4 read, which hits the quota.
    const page = (n: number) => ({
      results: Array.from({ length: 100 }, (_, i) => ({
        id: String(n * 100 + i + 1),
        properties: { hs_timestamp: '2026-11-20T10:00:00.000Z' },
        archived: false,
      })),
      ...(n < 2 ? { paging: { next: { after: `calls-${n + 2}` } } } : {}),
    });
    nock(BASE_URL)
      .get('/crm/v3/objects/calls')
      .query((q) => q.after === undefined)
      .reply(200, page(0))
      .get('/crm/v3/objects/calls')
      .query((q) => q.after === 'calls-2')
      .reply(200, page(1))
      .get('/crm/v3/objects/calls')
      .query((q) => q.after === 'calls-3')
      .reply(200, page(2))
      .post('/crm/v4/associations/calls/deals/batch/read')
      .reply(429, fixture('rate-limit-daily.json'));
    const run = await runSync(connectorAt(NOW).pullActivities({ since: null, mode: 'full' }), null);
    expect((run.error as CrmError).code).toBe('CRM.QUOTA_EXCEEDED');
    expect(run.records).toEqual([]);
    expect(run.cursors).toEqual([]);
    expect(nock.isDone()).toBe(true);
  });

  it('the history walk resumes at HubSpot’s token too', async () => {
    replyPipelines();
    nock(BASE_URL)
      .get('/crm/v3/objects/deals')
      .query((q) => q.after === undefined)
      .reply(200, fixture('deals-list-history-page1.json'))
      .get('/crm/v3/objects/deals')
      .query((q) => q.after === '23')
      .reply(429, fixture('rate-limit-daily.json'));
    const first = await connectorAt(NOW).pullHistory({ since: null, mode: 'full' })[Symbol.asyncIterator]();
    const page1 = await first.next();
    expect(page1.value?.cursor).toEqual({ stamp: WALK_START, id: '', walk: { phase: 'deal-history', after: '23' } });
    await expect(first.next()).rejects.toMatchObject({ code: 'CRM.QUOTA_EXCEEDED' });

    replyPipelines();
    nock(BASE_URL)
      .get('/crm/v3/objects/deals')
      .query((q) => q.after === '23' && q.limit === '50')
      .reply(200, fixture('deals-list-history-page2.json'));
    const cursors: (SyncCursor | null)[] = [];
    for await (const page of connectorAt(NOW + DAY).pullHistory({ since: page1.value!.cursor, mode: 'full' })) cursors.push(page.cursor);
    expect(cursors).toEqual([{ stamp: WALK_START, id: '' }]);
    expect(nock.isDone()).toBe(true);
  });
});

describe('HubSpot full walk: a kept token HubSpot refuses', () => {
  it('walks that list again from its start instead of failing or skipping it', async () => {
    replyPipelines();
    const asked: unknown[] = [];
    nock(BASE_URL)
      .get('/crm/v3/objects/deals')
      .query((q) => {
        asked.push(q.after);
        return q.archived === 'false' && q.after === 'stale';
      })
      .reply(400, { status: 'error', message: 'Invalid input', category: 'VALIDATION_ERROR' })
      .get('/crm/v3/objects/deals')
      .query((q) => {
        asked.push(q.after);
        return q.archived === 'false' && q.after === undefined;
      })
      .reply(200, dealsPage([1, 2], 'next-1'))
      .get('/crm/v3/objects/deals')
      .query((q) => {
        asked.push(q.after);
        return q.archived === 'false' && q.after === 'next-1';
      })
      .reply(200, dealsPage([3], null))
      .get('/crm/v3/objects/deals')
      .query((q) => q.archived === 'true')
      .reply(200, { results: [] });
    const since = { stamp: WALK_START, id: '', walk: { phase: 'deals-with-history', after: 'stale' } };
    const run = await runSync(connectorAt(NOW + DAY).pullDeals({ since }), since);
    expect(run.error).toBeNull();
    expect(asked).toEqual(['stale', undefined, 'next-1']);
    expect(run.records).toEqual(['1', '2', '3']);
    expect(run.cursors[0]).toEqual({ stamp: WALK_START, id: '', walk: { phase: 'deals-with-history', after: 'next-1' } });
    expect(run.cursor).toEqual({ stamp: WALK_START, id: '' });
    expect(nock.isDone()).toBe(true);
  });
});
