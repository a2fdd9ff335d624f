/**
 * Pulls stopped midway (REQUEST_LIMIT_EXCEEDED) resume from the last yielded page's cursor on a new
 * connector: Task+Event pages merged by (SystemModstamp, Id), a full REST walk, a full Bulk API 2.0 walk.
 * No query locator or Bulk job is carried over: the resumed pull is a new query from the stored position.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SyncCursor } from '../../../../src/domain/model/index.js';
import type { Page } from '../../../../connectors/types.js';
import { API, INSTANCE, collect, connector, fixture, soqlOf } from './helpers.js';

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => nock.cleanAll());

const quotaSpent = (): [number, Record<string, unknown>[]] => [403, fixture<Record<string, unknown>[]>('request-limit-exceeded.json')];

/** Pages yielded before the pull threw, and what it threw. */
async function pullUntilError<T>(pages: AsyncIterable<Page<T>>): Promise<{ pages: Page<T>[]; error: unknown }> {
  const out: Page<T>[] = [];
  try {
    for await (const page of pages) out.push(page);
  } catch (error) {
    return { pages: out, error };
  }
  return { pages: out, error: null };
}

const task = (id: string, stamp: string) => ({
  attributes: { type: 'Task' },
  Id: id,
  WhatId: '006RO00000Aa001YAA',
  OwnerId: '005A',
  Subject: 'Call',
  ActivityDate: '2026-11-20',
  TaskSubtype: 'Call',
  Status: 'Completed',
  IsClosed: true,
  CallType: 'Outbound',
  IsDeleted: false,
  CreatedDate: stamp,
  SystemModstamp: stamp,
});
const event = (id: string, stamp: string) => ({
  attributes: { type: 'Event' },
  Id: id,
  WhatId: '006RO00000Aa001YAA',
  OwnerId: '005A',
  Subject: 'Demo',
  ActivityDateTime: '2026-11-21T15:00:00.000+0000',
  IsDeleted: false,
  CreatedDate: stamp,
  SystemModstamp: stamp,
});
const ids = (pages: Page<{ externalId: string }>[]) => pages.flatMap((p) => p.records.map((r) => r.externalId));

describe('salesforce Task+Event pull stopped after page 2', () => {
  it('resumes from the page cursor: both queries re-read from its stamp minus the look-back, and no Task or Event is skipped', async () => {
    const queries: string[] = [];
    nock(INSTANCE)
      .get(`${API}/queryAll`)
      .query((q) => String(q.q).includes('FROM Task'))
      .reply((uri) => {
        queries.push(soqlOf(uri));
        return [
          200,
          {
            totalSize: 3,
            done: false,
            nextRecordsUrl: `${API}/query/01gTASK-2`,
            records: [task('00T01', '2026-11-20T10:00:00.000+0000'), task('00T02', '2026-11-20T10:10:00.000+0000')],
          },
        ];
      })
      .get(`${API}/queryAll`)
      .query((q) => String(q.q).includes('FROM Event'))
      .reply((uri) => {
        queries.push(soqlOf(uri));
        return [
          200,
          {
            totalSize: 3,
            done: false,
            nextRecordsUrl: `${API}/query/01gEVENT-2`,
            records: [event('00U01', '2026-11-20T10:05:00.000+0000'), event('00U02', '2026-11-20T10:20:00.000+0000')],
          },
        ];
      })
      // Task page 2 arrives (read, not yet yielded when the quota runs out), Event page 2 does not.
      .get(`${API}/query/01gTASK-2`)
      .reply(200, { totalSize: 3, done: true, records: [task('00T03', '2026-11-20T10:30:00.000+0000')] })
      .get(`${API}/query/01gEVENT-2`)
      .reply(...quotaSpent());

    const first = await pullUntilError(connector().pullActivities({ since: { stamp: '2026-11-20T09:00:00.000Z', id: '' } }));
    expect(first.error).toMatchObject({ code: 'CRM.QUOTA_EXCEEDED' });
    expect(first.pages).toHaveLength(2);
    // Merged order; each page's cursor is its last row, before which every Task and Event was yielded.
    expect(first.pages.map((p) => p.records.map((r) => r.externalId))).toEqual([['00T01', '00U01', '00T02'], ['00U02']]);
    expect(first.pages.map((p) => p.cursor)).toEqual([
      { stamp: '2026-11-20T10:10:00.000Z', id: '00T02' },
      { stamp: '2026-11-20T10:20:00.000Z', id: '00U02' },
    ]);
    expect(queries.every((q) => q.includes('SystemModstamp >= 2026-11-20T08:50:00Z') && q.endsWith('ORDER BY SystemModstamp, Id'))).toBe(
      true,
    );

    // The sync committed page 2: a new connector resumes from its cursor.
    const stored = first.pages[1]!.cursor!;
    const resumed: string[] = [];
    const api = nock(INSTANCE)
      .get(`${API}/queryAll`)
      .query((q) => String(q.q).includes('FROM Task'))
      .reply((uri) => {
        resumed.push(soqlOf(uri));
        return [200, { totalSize: 1, done: true, records: [task('00T03', '2026-11-20T10:30:00.000+0000')] }];
      })
      .get(`${API}/queryAll`)
      .query((q) => String(q.q).includes('FROM Event'))
      .reply((uri) => {
        resumed.push(soqlOf(uri));
        return [
          200,
          {
            totalSize: 2,
            done: true,
            records: [event('00U02', '2026-11-20T10:20:00.000+0000'), event('00U03', '2026-11-20T10:40:00.000+0000')],
          },
        ];
      });
    const second = await collect(connector().pullActivities({ since: stored }));
    expect(api.isDone()).toBe(true);
    // Only from stamp - 10 min look-back (10:10), not from the start of the first pull (08:50).
    expect(resumed).toHaveLength(2);
    for (const q of resumed) expect(q).toContain('WHERE SystemModstamp >= 2026-11-20T10:10:00Z ORDER BY SystemModstamp, Id');
    // 00T03, read but never yielded before the stop, comes back; 00U02 is re-read (harmless).
    expect(new Set(ids(second))).toEqual(new Set(['00U02', '00T03', '00U03']));
    expect(second.at(-1)?.cursor).toEqual({ stamp: '2026-11-20T10:40:00.000Z', id: '00U03' });
  });

  it('an expired query locator (INVALID_QUERY_LOCATOR) is re-queried from the last stamp read instead of failing the pull', async () => {
    const queries: string[] = [];
    nock(INSTANCE)
      .get(`${API}/queryAll`)
      .query((q) => String(q.q).includes('FROM Task'))
      .times(2)
      .reply((uri) => {
        const q = soqlOf(uri);
        queries.push(q);
        return q.includes('10:30:00Z')
          ? [
              200,
              {
                totalSize: 2,
                done: true,
                records: [task('00T02', '2026-11-20T10:30:00.000+0000'), task('00T03', '2026-11-20T11:00:00.000+0000')],
              },
            ]
          : [
              200,
              {
                totalSize: 3,
                done: false,
                nextRecordsUrl: `${API}/query/01gTASK-1`,
                records: [task('00T01', '2026-11-20T10:00:00.000+0000'), task('00T02', '2026-11-20T10:30:00.000+0000')],
              },
            ];
      })
      .get(`${API}/query/01gTASK-1`)
      .reply(400, [{ message: 'invalid query locator', errorCode: 'INVALID_QUERY_LOCATOR' }])
      .get(`${API}/queryAll`)
      .query((q) => String(q.q).includes('FROM Event'))
      .reply(200, { totalSize: 0, done: true, records: [] });
    const pages = await collect(connector().pullActivities({ since: null }));
    expect(queries[1]).toContain('WHERE SystemModstamp >= 2026-11-20T10:30:00Z ORDER BY SystemModstamp, Id');
    expect(ids(pages)).toEqual(['00T01', '00T02', '00T02', '00T03']);
  });
});

const describeOpportunity = () =>
  nock(INSTANCE).get(`${API}/sobjects/Opportunity/describe`).reply(200, fixture('describe-opportunity.json'));
const walk = { phase: 'Opportunity', after: null };

describe('salesforce full REST walk interrupted by REQUEST_LIMIT_EXCEEDED', () => {
  it('marks its pages with the walk, and a new connector given the stored cursor continues the walk from it (full or not)', async () => {
    describeOpportunity();
    nock(INSTANCE)
      .get(`${API}/queryAll`)
      .query((q) => String(q.q).startsWith('SELECT COUNT() FROM Opportunity'))
      .reply(200, { totalSize: 4, done: true, records: [] })
      .get(`${API}/queryAll`)
      .query((q) => !String(q.q).includes('WHERE'))
      .reply(200, fixture('queryall-opportunities-page1.json'))
      .get(`${API}/query/01gRO0000016PIAYA2-2000`)
      .reply(...quotaSpent());
    const first = await pullUntilError(connector().pullDeals({ since: null, mode: 'full' }));
    expect(first.error).toMatchObject({ code: 'CRM.QUOTA_EXCEEDED' });
    expect(first.pages.map((p) => p.cursor)).toEqual([{ stamp: '2026-11-20T10:05:00.000Z', id: '006RO00000Aa002YAA', walk }]);
    const stored: SyncCursor = first.pages[0]!.cursor!;

    for (const mode of ['full', 'incremental'] as const) {
      describeOpportunity();
      const queries: string[] = [];
      const api = nock(INSTANCE)
        .get(`${API}/queryAll`)
        .query(true)
        .times(2)
        .reply((uri) => {
          const q = soqlOf(uri);
          queries.push(q);
          return q.startsWith('SELECT COUNT()')
            ? [200, { totalSize: 2, done: true, records: [] }]
            : [200, fixture('queryall-opportunities-page2.json')];
        });
      const pages = await collect(connector().pullDeals({ since: stored, mode }));
      expect(api.isDone()).toBe(true);
      // The walk continues from its position minus the look-back: a new query, no locator kept.
      expect(queries[0]).toBe('SELECT COUNT() FROM Opportunity WHERE SystemModstamp >= 2026-11-20T09:55:00Z');
      expect(queries[1]).toMatch(/FROM Opportunity WHERE SystemModstamp >= 2026-11-20T09:55:00Z ORDER BY SystemModstamp, Id$/);
      expect(pages.flatMap((p) => p.records.map((d) => d.externalId))).toEqual(['006RO00000Aa003YAA']);
      expect(pages.flatMap((p) => p.tombstones)).toEqual(['006RO00000Aa004YAA']);
      // The walk's pages keep the marker; the last page drops it: later pulls go incremental from there.
      expect(pages.map((p) => p.cursor)).toEqual([
        { stamp: '2026-11-20T10:06:00.000Z', id: '006RO00000Aa004YAA', walk },
        { stamp: '2026-11-20T10:06:00.000Z', id: '006RO00000Aa004YAA' },
      ]);
    }
  });

  it('a walk with nothing left still ends: one page with the stored position and no walk', async () => {
    describeOpportunity();
    nock(INSTANCE)
      .get(`${API}/queryAll`)
      .query(true)
      .times(2)
      .reply((uri) =>
        soqlOf(uri).startsWith('SELECT COUNT()')
          ? [200, { totalSize: 0, done: true, records: [] }]
          : [200, { totalSize: 0, done: true, records: [] }],
      );
    const pages = await collect(connector().pullDeals({ since: { stamp: '2026-11-20T10:05:00.000Z', id: '006A', walk }, mode: 'full' }));
    expect(pages).toEqual([{ records: [], tombstones: [], cursor: { stamp: '2026-11-20T10:05:00.000Z', id: '006A' } }]);
  });
});

describe('salesforce full Bulk API 2.0 walk interrupted by REQUEST_LIMIT_EXCEEDED', () => {
  const header =
    'Id,Name,StageName,Amount,CloseDate,Probability,ForecastCategoryName,NextStep,OwnerId,AccountId,' +
    'Account.Name,LeadSource,IsClosed,IsWon,IsDeleted,CreatedDate,SystemModstamp,CurrencyIsoCode,' +
    'LastStageChangeDate,Discount_Percent__c,Loss_Reason__c';
  const row = (id: string, stamp: string) =>
    `${id},Deal ${id},Prospecting,100,2026-12-01,10,Pipeline,,005A,,,,false,false,false,2026-10-01T10:00:00.000Z,${stamp},USD,,,`;

  it(
    'gives each result page its last row as cursor with the walk; the next run queries from there ' +
      '(REST below the threshold), never reusing the job or its locator',
    async () => {
      describeOpportunity();
      const jobId = '750RO00000Job11YAA';
      let bulkQuery = '';
      nock(INSTANCE)
        .get(`${API}/queryAll`)
        .query((q) => String(q.q).startsWith('SELECT COUNT() FROM Opportunity'))
        .reply(200, { totalSize: 25_000, done: true, records: [] })
        .post(`${API}/jobs/query`, (body: { query: string }) => body.query.includes('OpportunityContactRole'))
        .reply(200, { id: '750RO00000Job12YAA', state: 'UploadComplete' })
        .get(`${API}/jobs/query/750RO00000Job12YAA`)
        .reply(200, { id: '750RO00000Job12YAA', state: 'JobComplete' })
        .get(`${API}/jobs/query/750RO00000Job12YAA/results`)
        .query(true)
        .reply(200, 'OpportunityId\n', { 'Content-Type': 'text/csv', 'Sforce-Locator': 'null' })
        .post(`${API}/jobs/query`, (body: { query: string }) => {
          if (body.query.includes('OpportunityContactRole')) return false;
          bulkQuery = body.query;
          return true;
        })
        .reply(200, { id: jobId, state: 'UploadComplete' })
        .get(`${API}/jobs/query/${jobId}`)
        .reply(200, { id: jobId, state: 'JobComplete' })
        .get(`${API}/jobs/query/${jobId}/results`)
        .query({ maxRecords: '10000' })
        .reply(200, [header, row('006B01', '2026-11-20T10:00:00.000Z'), row('006B02', '2026-11-20T11:00:00.000Z'), ''].join('\n'), {
          'Content-Type': 'text/csv',
          'Sforce-Locator': 'MTAwMDA',
        })
        .get(`${API}/jobs/query/${jobId}/results`)
        .query({ maxRecords: '10000', locator: 'MTAwMDA' })
        .reply(...quotaSpent());
      const first = await pullUntilError(
        connector({}, { bulkPoll: { intervalMs: 1, timeoutMs: 5_000 } }).pullDeals({ since: null, mode: 'full' }),
      );
      expect(first.error).toMatchObject({ code: 'CRM.QUOTA_EXCEEDED' });
      expect(bulkQuery).toMatch(/FROM Opportunity ORDER BY SystemModstamp, Id$/);
      expect(first.pages.map((p) => p.cursor)).toEqual([{ stamp: '2026-11-20T11:00:00.000Z', id: '006B02', walk }]);

      describeOpportunity();
      const queries: string[] = [];
      const api = nock(INSTANCE)
        .get(`${API}/queryAll`)
        .query(true)
        .times(2)
        .reply((uri) => {
          const q = soqlOf(uri);
          queries.push(q);
          if (q.startsWith('SELECT COUNT()')) return [200, { totalSize: 1, done: true, records: [] }];
          return [
            200,
            {
              totalSize: 1,
              done: true,
              records: [
                {
                  ...fixture<{ records: Record<string, unknown>[] }>('queryall-opportunities-page2.json').records[0],
                  Id: '006B03',
                  SystemModstamp: '2026-11-20T12:00:00.000+0000',
                },
              ],
            },
          ];
        });
      const pages = await collect(connector().pullDeals({ since: first.pages[0]!.cursor, mode: 'full' }));
      expect(api.isDone()).toBe(true);
      expect(queries[0]).toBe('SELECT COUNT() FROM Opportunity WHERE SystemModstamp >= 2026-11-20T10:50:00Z');
      expect(queries[1]).toMatch(/WHERE SystemModstamp >= 2026-11-20T10:50:00Z ORDER BY SystemModstamp, Id$/);
      expect(pages.flatMap((p) => p.records.map((d) => d.externalId))).toEqual(['006B03']);
      expect(pages.at(-1)?.cursor).toEqual({ stamp: '2026-11-20T12:00:00.000Z', id: '006B03' });
    },
  );

  it('a resumed walk still above the threshold runs a new Bulk job from the stored position', async () => {
    describeOpportunity();
    let bulkQuery = '';
    const jobId = '750RO00000Job21YAA';
    nock(INSTANCE)
      .get(`${API}/queryAll`)
      .query((q) => String(q.q).startsWith('SELECT COUNT() FROM Opportunity WHERE SystemModstamp >= 2026-11-20T10:50:00Z'))
      .reply(200, { totalSize: 20_000, done: true, records: [] })
      .post(`${API}/jobs/query`, (body: { query: string }) => body.query.includes('OpportunityContactRole'))
      .reply(200, { id: '750RO00000Job22YAA', state: 'UploadComplete' })
      .get(`${API}/jobs/query/750RO00000Job22YAA`)
      .reply(200, { id: '750RO00000Job22YAA', state: 'JobComplete' })
      .get(`${API}/jobs/query/750RO00000Job22YAA/results`)
      .query(true)
      .reply(200, 'OpportunityId\n', { 'Content-Type': 'text/csv', 'Sforce-Locator': 'null' })
      .post(`${API}/jobs/query`, (body: { query: string }) => {
        if (body.query.includes('OpportunityContactRole')) return false;
        bulkQuery = body.query;
        return true;
      })
      .reply(200, { id: jobId, state: 'UploadComplete' })
      .get(`${API}/jobs/query/${jobId}`)
      .reply(200, { id: jobId, state: 'JobComplete' })
      .get(`${API}/jobs/query/${jobId}/results`)
      .query({ maxRecords: '10000' })
      .reply(200, [header, row('006B03', '2026-11-20T12:00:00.000Z'), ''].join('\n'), {
        'Content-Type': 'text/csv',
        'Sforce-Locator': 'null',
      });
    const pages = await collect(
      connector({}, { bulkPoll: { intervalMs: 1, timeoutMs: 5_000 } }).pullDeals({
        since: { stamp: '2026-11-20T11:00:00.000Z', id: '006B02', walk },
        mode: 'full',
      }),
    );
    expect(bulkQuery).toMatch(/FROM Opportunity WHERE SystemModstamp >= 2026-11-20T10:50:00Z ORDER BY SystemModstamp, Id$/);
    expect(pages.map((p) => p.cursor)).toEqual([
      { stamp: '2026-11-20T12:00:00.000Z', id: '006B03', walk },
      { stamp: '2026-11-20T12:00:00.000Z', id: '006B03' },
    ]);
  });
});

describe('salesforce history walk', () => {
  const stage = (id: string, opp: string, name: string, at: string) => ({
    Id: id,
    OpportunityId: opp,
    StageName: name,
    Amount: 10,
    CloseDate: '2026-12-01',
    CreatedDate: at,
  });
  const change = (id: string, opp: string, at: string) => ({
    Id: id,
    OpportunityId: opp,
    Field: 'Amount',
    OldValue: 5,
    NewValue: 10,
    CreatedDate: at,
  });
  const phase = { phase: 'OpportunityHistory+OpportunityFieldHistory', after: null };

  it(
    'merges both histories by (CreatedDate, Id) with the walk marker, and resumes both from the ' +
      'stored stamp minus the look-back, with the stage before it',
    async () => {
      nock(INSTANCE)
        .get(`${API}/query`)
        .query((q) => String(q.q).includes('FROM OpportunityHistory'))
        .reply(200, {
          totalSize: 2,
          done: false,
          nextRecordsUrl: `${API}/query/01gSTAGE-1`,
          records: [
            stage('008a', '006A', 'Prospecting', '2026-11-01T10:00:00.000+0000'),
            stage('008b', '006A', 'Proposal', '2026-11-03T10:00:00.000+0000'),
          ],
        })
        .get(`${API}/query`)
        .query((q) => String(q.q).includes('FROM OpportunityFieldHistory'))
        .reply(200, { totalSize: 1, done: true, records: [change('017a', '006A', '2026-11-02T10:00:00.000+0000')] })
        .get(`${API}/query/01gSTAGE-1`)
        .reply(...quotaSpent());
      const pages: { cursor: SyncCursor | null }[] = [];
      const err = await (async () => {
        for await (const page of connector().pullHistory({ since: null, mode: 'full' })) pages.push(page);
      })().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CRM.QUOTA_EXCEEDED' });
      // 008a, 017a (field history is exhausted: page out), then 008b waits for its query's next page.
      expect(pages.map((p) => p.cursor)).toEqual([
        { stamp: '2026-11-02T10:00:00.000Z', id: '017a', walk: phase },
        { stamp: '2026-11-03T10:00:00.000Z', id: '008b', walk: phase },
      ]);

      const queries: string[] = [];
      nock(INSTANCE)
        .get(`${API}/query`)
        .query(true)
        .times(3)
        .reply((uri) => {
          const q = soqlOf(uri);
          queries.push(q);
          if (q.includes('OpportunityId IN'))
            return [200, { totalSize: 1, done: true, records: [stage('008a', '006A', 'Prospecting', '2026-11-01T10:00:00.000+0000')] }];
          if (q.includes('FROM OpportunityHistory'))
            return [
              200,
              {
                totalSize: 2,
                done: true,
                records: [
                  stage('008b', '006A', 'Proposal', '2026-11-03T10:00:00.000+0000'),
                  stage('008c', '006A', 'Negotiation', '2026-11-04T10:00:00.000+0000'),
                ],
              },
            ];
          return [200, { totalSize: 0, done: true, records: [] }];
        });
      const resumed = await collect(connector().pullHistory({ since: pages[1]!.cursor, mode: 'full' }));
      expect(queries[0]).toContain('WHERE CreatedDate >= 2026-11-03T09:50:00Z ORDER BY CreatedDate, Id');
      expect(queries[1]).toContain(
        "WHERE CreatedDate >= 2026-11-03T09:50:00Z AND Field IN ('CloseDate', 'Amount') ORDER BY CreatedDate, Id",
      );
      // The move to Proposal is known as one (from Prospecting, read before the window), then Negotiation.
      expect(resumed.flatMap((p) => p.stageChanges).map((c) => [c.fromStageId, c.toStageId])).toEqual([
        ['Prospecting', 'Proposal'],
        ['Proposal', 'Negotiation'],
      ]);
      expect(resumed.map((p) => p.cursor)).toEqual([
        { stamp: '2026-11-04T10:00:00.000Z', id: '008c', walk: phase },
        { stamp: '2026-11-04T10:00:00.000Z', id: '008c' },
      ]);
    },
  );
});
