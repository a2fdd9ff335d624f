import nock from 'nock';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { API, INSTANCE, collect, connector, fixture, soqlOf } from './helpers.js';

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => nock.cleanAll());

const describeOpportunity = () =>
  nock(INSTANCE).get(`${API}/sobjects/Opportunity/describe`).reply(200, fixture('describe-opportunity.json'));

describe('salesforce pullDeals (queryAll, composite cursor)', () => {
  it('pages by nextRecordsUrl, keeps ties across the page boundary and turns deleted rows into tombstones', async () => {
    describeOpportunity();
    const queries: string[] = [];
    const api = nock(INSTANCE)
      .get(`${API}/queryAll`)
      .query(true)
      .reply(function (uri) {
        queries.push(soqlOf(uri));
        expect(this.req.headers['sforce-query-options']).toBe('batchSize=2000');
        return [200, fixture('queryall-opportunities-page1.json')];
      })
      // The first page held 2 records although the batch size is 2000: the cursor decides, not the length.
      .get(`${API}/query/01gRO0000016PIAYA2-2000`)
      .reply(200, fixture('queryall-opportunities-page2.json'));

    const pages = await collect(connector().pullDeals({ since: { stamp: '2026-11-20T10:00:00.000Z', id: '006RO00000Aa001YAA' } }));

    expect(api.isDone()).toBe(true);
    const [query] = queries;
    // Inclusive lower bound minus the 10-minute look-back, ordered by (SystemModstamp, Id).
    expect(query).toContain('WHERE SystemModstamp >= 2026-11-20T09:50:00Z');
    expect(query).toMatch(/ORDER BY SystemModstamp, Id$/);
    expect(query).toContain('(SELECT Id FROM OpportunityContactRoles)');
    expect(query).toContain('Discount_Percent__c');
    expect(query).toContain('Loss_Reason__c');

    expect(pages).toHaveLength(2);
    expect(pages[0]?.records.map((d) => d.externalId)).toEqual(['006RO00000Aa001YAA', '006RO00000Aa002YAA']);
    expect(pages[0]?.cursor).toEqual({ stamp: '2026-11-20T10:05:00.000Z', id: '006RO00000Aa002YAA' });
    // 003 shares 002's stamp on the next page: it is still read, and live.
    expect(pages[1]?.records.map((d) => d.externalId)).toEqual(['006RO00000Aa003YAA']);
    expect(pages[1]?.tombstones).toEqual(['006RO00000Aa004YAA']);
    expect(pages[1]?.cursor).toEqual({ stamp: '2026-11-20T10:06:00.000Z', id: '006RO00000Aa004YAA' });
  });

  it('resuming from a page cursor re-reads from stamp minus look-back, so a record sharing that stamp is not lost', async () => {
    describeOpportunity();
    let query = '';
    nock(INSTANCE)
      .get(`${API}/queryAll`)
      .query(true)
      .reply((uri) => {
        query = soqlOf(uri);
        return [200, { totalSize: 0, done: true, records: [] }];
      });
    const pages = await collect(
      connector({ lookbackMinutes: 0 }).pullDeals({ since: { stamp: '2026-11-20T10:05:00.000Z', id: '006RO00000Aa002YAA' } }),
    );
    // >= (not >) on the stamp: 006...003 with the same SystemModstamp is included.
    expect(query).toContain('SystemModstamp >= 2026-11-20T10:05:00Z');
    // Nothing changed: no page, so the stored cursor stays where it was.
    expect(pages).toEqual([]);
  });

  it('a full sync above bulkThreshold counts first, then reads through Bulk API 2.0', async () => {
    describeOpportunity();
    const jobId = '750RO00000Job01YAA';
    const header =
      'Id,Name,StageName,Amount,CloseDate,Probability,ForecastCategoryName,NextStep,OwnerId,AccountId,' +
      'Account.Name,LeadSource,IsClosed,IsWon,IsDeleted,CreatedDate,SystemModstamp,CurrencyIsoCode,' +
      'LastStageChangeDate,Discount_Percent__c,Loss_Reason__c';
    // Two result pages, each with its header row, joined by the Sforce-Locator of the first.
    // Ordered by (SystemModstamp, Id), as the job's query asks.
    const page1 = [
      header,
      '006RO00000Bk003YAA,Gone,Prospecting,1,2026-12-01,10,Pipeline,,005A,,,,false,false,true,' +
        '2026-10-01T10:00:00.000Z,2026-11-20T10:00:00.000Z,USD,,,',
      '006RO00000Bk002YAA,Two,Prospecting,500,2026-12-01,10,Pipeline,,005A,001A,Acme,,false,false,' +
        'false,2026-11-01T10:00:00.000Z,2026-11-21T10:00:00.000Z,USD,,,',
    ].join('\n');
    const page2 = [
      header,
      '006RO00000Bk001YAA,One,Closed Won,900,2026-11-01,100,Closed,,005A,,,,true,true,false,' +
        '2026-10-01T10:00:00.000Z,2026-11-22T10:00:00.000Z,USD,,5,',
      '',
    ].join('\n');
    let bulkQuery = '';
    const api = nock(INSTANCE)
      // https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_count.htm
      .get(`${API}/queryAll`)
      .query((q) => String(q.q).startsWith('SELECT COUNT() FROM Opportunity'))
      .reply(200, { totalSize: 25000, done: true, records: [] })
      .post(`${API}/jobs/query`, (body: { query: string; operation: string }) => {
        bulkQuery = body.query;
        return body.operation === 'queryAll';
      })
      // https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/query_create_job.htm
      .reply(200, {
        id: jobId,
        operation: 'queryAll',
        object: 'Opportunity',
        state: 'UploadComplete',
        contentType: 'CSV',
        apiVersion: 62.0,
      })
      .get(`${API}/jobs/query/${jobId}`)
      .reply(200, { id: jobId, operation: 'queryAll', object: 'Opportunity', state: 'JobComplete', numberRecordsProcessed: 3 })
      // https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/query_get_job_results.htm
      .get(`${API}/jobs/query/${jobId}/results`)
      .query({ maxRecords: '10000' })
      .reply(200, page1, { 'Content-Type': 'text/csv', 'Sforce-Locator': 'MjAwMA', 'Sforce-NumberOfRecords': '2' })
      .get(`${API}/jobs/query/${jobId}/results`)
      .query({ maxRecords: '10000', locator: 'MjAwMA' })
      .reply(200, page2, { 'Content-Type': 'text/csv', 'Sforce-Locator': 'null', 'Sforce-NumberOfRecords': '1' })
      // contact roles are counted by one more Bulk job
      .post(`${API}/jobs/query`, (body: { query: string }) => body.query.includes('OpportunityContactRole'))
      .reply(200, { id: '750RO00000Job02YAA', state: 'UploadComplete' })
      .get(`${API}/jobs/query/750RO00000Job02YAA`)
      .reply(200, { id: '750RO00000Job02YAA', state: 'JobComplete' })
      .get(`${API}/jobs/query/750RO00000Job02YAA/results`)
      .query(true)
      .reply(200, 'OpportunityId\n006RO00000Bk001YAA\n006RO00000Bk001YAA\n', { 'Content-Type': 'text/csv', 'Sforce-Locator': 'null' });

    const c = connector({}, { bulkPoll: { intervalMs: 1, timeoutMs: 5_000 } });
    const pages = await collect(c.pullDeals({ since: null, mode: 'full' }));

    // https://developer.salesforce.com/docs/platform/api-asynch/guide/queries.html: ORDER BY is accepted (it turns PK chunking off).
    expect(bulkQuery).toMatch(/^SELECT Id, Name, .* FROM Opportunity ORDER BY SystemModstamp, Id$/);
    expect(bulkQuery).not.toContain('(SELECT');
    const records = pages.flatMap((p) => p.records);
    expect(records.map((d) => d.externalId).sort()).toEqual(['006RO00000Bk001YAA', '006RO00000Bk002YAA']);
    expect(records.find((d) => d.externalId === '006RO00000Bk001YAA')).toMatchObject({
      isWon: true,
      amount: 900,
      discountPercent: 5,
      contactCount: 2,
    });
    expect(records.find((d) => d.externalId === '006RO00000Bk002YAA')).toMatchObject({ accountName: 'Acme', contactCount: 0 });
    expect(pages.flatMap((p) => p.tombstones)).toEqual(['006RO00000Bk003YAA']);
    // One page per result page, each with its last row's position and the walk marker; then the walk's end.
    const walk = { phase: 'Opportunity', after: null };
    expect(pages.map((p) => p.cursor)).toEqual([
      { stamp: '2026-11-21T10:00:00.000Z', id: '006RO00000Bk002YAA', walk },
      { stamp: '2026-11-22T10:00:00.000Z', id: '006RO00000Bk001YAA', walk },
      { stamp: '2026-11-22T10:00:00.000Z', id: '006RO00000Bk001YAA' },
    ]);
    expect(c.usage().byEndpoint['POST jobs/query']).toBe(2);
    expect(c.usage().byEndpoint['GET jobs/query/:id/results']).toBe(3);
    expect(api.isDone()).toBe(true);
  });
});

describe('salesforce pullActivities', () => {
  it('merges Tasks and Events by (SystemModstamp, Id): every page carries its last row as the cursor', async () => {
    const task = (id: string, stamp: string, extra: Record<string, unknown> = {}) => ({
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
      ...extra,
    });
    nock(INSTANCE)
      .get(`${API}/queryAll`)
      .query((q) => String(q.q).includes('FROM Task'))
      .reply(200, {
        totalSize: 2,
        done: true,
        records: [
          task('00TRO0000000001AAA', '2026-11-20T11:00:00.000+0000'),
          task('00TRO0000000002AAA', '2026-11-20T12:00:00.000+0000', { IsDeleted: true }),
        ],
      })
      .get(`${API}/queryAll`)
      .query((q) => String(q.q).includes('FROM Event'))
      .reply(200, {
        totalSize: 1,
        done: true,
        records: [
          {
            attributes: { type: 'Event' },
            Id: '00URO0000000001AAA',
            WhatId: '006RO00000Aa001YAA',
            ActivityDateTime: '2026-11-21T15:00:00.000+0000',
            IsDeleted: false,
            SystemModstamp: '2026-11-20T13:00:00.000+0000',
          },
        ],
      });
    const pages = await collect(connector().pullActivities({ since: null }));
    expect(pages[0]).toMatchObject({
      cursor: { stamp: '2026-11-20T12:00:00.000Z', id: '00TRO0000000002AAA' },
      tombstones: ['00TRO0000000002AAA'],
    });
    expect(pages[0]?.records[0]).toMatchObject({ type: 'call', direction: 'outbound', completed: true });
    expect(pages[1]?.records[0]).toMatchObject({ type: 'meeting', completed: true });
    expect(pages[1]?.cursor).toEqual({ stamp: '2026-11-20T13:00:00.000Z', id: '00URO0000000001AAA' });
    expect(pages).toHaveLength(2);
  });
});

describe('salesforce pullHistory', () => {
  it('looks up the stage before an incremental window so a move is not mistaken for a first stage', async () => {
    const queries: string[] = [];
    nock(INSTANCE)
      .get(`${API}/query`)
      .query(true)
      .times(3)
      .reply((uri) => {
        const q = soqlOf(uri);
        queries.push(q);
        if (q.includes('OpportunityId IN')) {
          return [
            200,
            {
              totalSize: 1,
              done: true,
              records: [{ Id: 'h0', OpportunityId: '006A', StageName: 'Qualification', CreatedDate: '2026-11-01T10:00:00.000+0000' }],
            },
          ];
        }
        if (q.includes('FROM OpportunityHistory')) {
          return [
            200,
            {
              totalSize: 1,
              done: true,
              records: [
                {
                  Id: 'h1',
                  OpportunityId: '006A',
                  StageName: 'Proposal',
                  Amount: 10,
                  CloseDate: '2026-12-01',
                  CreatedDate: '2026-11-20T10:00:00.000+0000',
                },
              ],
            },
          ];
        }
        return [
          200,
          {
            totalSize: 1,
            done: true,
            records: [
              { Id: 'f1', OpportunityId: '006A', Field: 'Amount', OldValue: 5, NewValue: 10, CreatedDate: '2026-11-20T10:00:00.000+0000' },
            ],
          },
        ];
      });
    const pages = await collect(connector().pullHistory({ since: { stamp: '2026-11-20T09:00:00.000Z', id: 'h' } }));
    expect(pages.flatMap((p) => p.stageChanges)).toMatchObject([{ dealId: '006A', fromStageId: 'Qualification', toStageId: 'Proposal' }]);
    expect(pages.flatMap((p) => p.fieldChanges)).toMatchObject([{ field: 'amount', oldValue: '5', newValue: '10' }]);
    // Merged by (CreatedDate, Id): f1 then h1, each page with its last row as the cursor.
    expect(pages.map((p) => p.cursor)).toEqual([
      { stamp: '2026-11-20T10:00:00.000Z', id: 'f1' },
      { stamp: '2026-11-20T10:00:00.000Z', id: 'h1' },
    ]);
    expect(queries[0]).toContain('FROM OpportunityHistory WHERE CreatedDate >= 2026-11-20T08:50:00Z ORDER BY CreatedDate, Id');
    expect(queries[1]).toContain("Field IN ('CloseDate', 'Amount')");
    expect(queries[2]).toContain("OpportunityId IN ('006A') AND CreatedDate < 2026-11-20T08:50:00Z");
  });
});

describe('salesforce query plan from describe', () => {
  it('leaves out optional fields and the contact-roles subquery that the org does not have', async () => {
    const described = fixture<{ fields: { name: string }[] }>('describe-opportunity.json');
    nock(INSTANCE)
      .get(`${API}/sobjects/Opportunity/describe`)
      .reply(200, {
        name: 'Opportunity',
        fields: described.fields.filter((f) => !['CurrencyIsoCode', 'Discount_Percent__c', 'LastStageChangeDate'].includes(f.name)),
      });
    let query = '';
    nock(INSTANCE)
      .get(`${API}/queryAll`)
      .query(true)
      .reply((uri) => {
        query = soqlOf(uri);
        return [200, { totalSize: 0, done: true, records: [] }];
      });
    await collect(connector().pullDeals({ since: null }));
    expect(query).not.toContain('CurrencyIsoCode');
    expect(query).not.toContain('Discount_Percent__c');
    expect(query).not.toContain('OpportunityContactRoles');
    expect(query).toContain('Loss_Reason__c');
    expect(query).not.toContain('WHERE');
  });
});

describe('salesforce fetchDeal (webhook fast path)', () => {
  it('reads a deal, its activities and histories in five queries (a batch of one), a deleted deal is null', async () => {
    describeOpportunity();
    const seen: string[] = [];
    const answer = (q: string) => {
      seen.push(q);
      if (q.includes('FROM Opportunity '))
        return { totalSize: 1, done: true, records: [fixture<{ records: unknown[] }>('queryall-opportunities-page2.json').records[1]] };
      if (q.includes('FROM Task'))
        return {
          totalSize: 1,
          done: true,
          records: [
            {
              Id: '00T1',
              WhatId: '006RO00000Aa004YAA',
              TaskSubtype: 'Email',
              IsClosed: true,
              SystemModstamp: '2026-11-20T10:00:00.000+0000',
              CreatedDate: '2026-11-20T10:00:00.000+0000',
            },
          ],
        };
      if (q.includes('FROM OpportunityHistory'))
        return {
          totalSize: 2,
          done: true,
          records: [
            { Id: 'h1', OpportunityId: '006RO00000Aa004YAA', StageName: 'Prospecting', CreatedDate: '2026-11-01T10:00:00.000+0000' },
            { Id: 'h2', OpportunityId: '006RO00000Aa004YAA', StageName: 'Proposal', CreatedDate: '2026-11-02T10:00:00.000+0000' },
          ],
        };
      return { totalSize: 0, done: true, records: [] };
    };
    const api = nock(INSTANCE)
      .get(`${API}/queryAll`)
      .query(true)
      .reply((uri) => [200, answer(soqlOf(uri))])
      .get(`${API}/query`)
      .query(true)
      .times(4)
      .reply((uri) => [200, answer(soqlOf(uri))]);
    const bundle = await connector().fetchDeal('006RO00000Aa004YAA');
    expect(api.isDone()).toBe(true);
    expect(seen).toHaveLength(5);
    expect(seen[0]).toContain("WHERE Id IN ('006RO00000Aa004YAA')");
    expect(bundle.deal).toBeNull();
    expect(bundle.activities).toMatchObject([{ type: 'email', dealIds: ['006RO00000Aa004YAA'] }]);
    expect(bundle.stageChanges.map((c) => [c.fromStageId, c.toStageId])).toEqual([
      [null, 'Prospecting'],
      ['Prospecting', 'Proposal'],
    ]);
  });

  it('escapes the id it puts in SOQL', async () => {
    describeOpportunity();
    const seen: string[] = [];
    nock(INSTANCE)
      .get(/\/services\/data\/v62\.0\/query(All)?/)
      .query(true)
      .times(5)
      .reply((uri) => {
        seen.push(soqlOf(uri));
        return [200, { totalSize: 0, done: true, records: [] }];
      });
    await connector().fetchDeal("006' OR Name != '");
    expect(seen.every((q) => q.includes("'006\\' OR Name != \\''"))).toBe(true);
  });
});

describe('salesforce owners and stages', () => {
  it('maps standard users and stage metadata', async () => {
    nock(INSTANCE)
      .get(`${API}/query`)
      .query((q) => String(q.q).includes('FROM User'))
      .reply(200, {
        totalSize: 1,
        done: true,
        records: [{ attributes: { type: 'User' }, Id: '005A', Name: 'Ada Rep', Email: 'ada@acme.test', IsActive: true }],
      })
      .get(`${API}/query`)
      .query((q) => String(q.q).includes('FROM OpportunityStage'))
      .reply(200, {
        totalSize: 1,
        done: true,
        records: [
          {
            attributes: { type: 'OpportunityStage' },
            Id: '01J1',
            ApiName: 'Prospecting',
            MasterLabel: 'Prospecting',
            SortOrder: 1,
            DefaultProbability: 10,
            IsClosed: false,
            IsWon: false,
            IsActive: true,
          },
        ],
      });
    const c = connector();
    expect(await c.pullOwners()).toMatchObject([{ externalId: '005A', name: 'Ada Rep', active: true }]);
    expect(await c.pullStages()).toMatchObject([{ id: 'Prospecting', order: 0, probability: 0.1 }]);
  });

  it('refuses an access token without an instance URL with a clear error', async () => {
    const err = await connector({ instanceUrl: undefined })
      .pullStages()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CRM.MISCONFIGURED' });
  });
});

describe('salesforce quota exhausted mid-pull', () => {
  it('yields the committed pages with their cursors, then stops with CRM.QUOTA_EXCEEDED (sync partial, resumable)', async () => {
    describeOpportunity();
    nock(INSTANCE)
      .get(`${API}/queryAll`)
      .query(true)
      .reply(200, fixture('queryall-opportunities-page1.json'))
      .get(`${API}/query/01gRO0000016PIAYA2-2000`)
      .reply(403, fixture('request-limit-exceeded.json'));
    const pages: unknown[] = [];
    const err = await (async () => {
      for await (const page of connector().pullDeals({ since: null })) pages.push(page);
    })().catch((e: unknown) => e);
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatchObject({ cursor: { stamp: '2026-11-20T10:05:00.000Z', id: '006RO00000Aa002YAA' } });
    expect(err).toMatchObject({ code: 'CRM.QUOTA_EXCEEDED', retryable: false });
  });
});
