/**
 * jsforce 3 against the sandbox over HTTP: queries (autoFetch, queryMore, queryAll), sObject
 * Collections updates, Task creation, OAuth2 refresh and JWT bearer flows, Bulk API 2.0, and the
 * documented errors exactly as Salesforce sends them.
 */
import { createSign } from 'node:crypto';
import jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';

const NOW = new Date('2026-11-26T12:00:00Z');
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ deals: 600, seed: 5, now: NOW });
});
afterAll(async () => {
  await sandbox.close();
});

const connect = () =>
  new jsforce.Connection({
    instanceUrl: sandbox.salesforce.instanceUrl,
    accessToken: sandbox.salesforce.accessToken,
    version: sandbox.salesforce.apiVersion,
  });
const book = () => sandbox.state.salesforce;

describe('Salesforce query through jsforce', () => {
  it('autoFetches every Opportunity across batches of 200, none missing or duplicated', async () => {
    const conn = connect();
    const result = await conn.query('SELECT Id, Name, StageName, Amount, CloseDate, Owner.Name FROM Opportunity ORDER BY Id', {
      autoFetch: true,
      maxFetch: 100_000,
      headers: { 'Sforce-Query-Options': 'batchSize=200' },
    });
    const ids = result.records.map((r) => r.Id as string);
    expect(result.totalSize).toBe(600);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(
      book()
        .deals.map((d) => d.id)
        .sort(),
    );
    const sample = result.records[0]!;
    const deal = book().deals.find((d) => d.id === sample.Id)!;
    expect(sample.attributes).toEqual({ type: 'Opportunity', url: `/services/data/v59.0/sobjects/Opportunity/${deal.id}` });
    expect((sample as unknown as { Owner: { Name: string } }).Owner.Name).toBe(
      `${book().reps[deal.owner]!.firstName} ${book().reps[deal.owner]!.lastName}`,
    );
  });

  it('pages with nextRecordsUrl and queryMore', async () => {
    const conn = connect();
    const first = await conn.request<{ totalSize: number; done: boolean; nextRecordsUrl?: string; records: { Id: string }[] }>({
      method: 'GET',
      url: `/services/data/v59.0/query?q=${encodeURIComponent('SELECT Id FROM Opportunity')}`,
      headers: { 'Sforce-Query-Options': 'batchSize=250' },
    });
    expect(first.done).toBe(false);
    expect(first.records).toHaveLength(250);
    expect(first.nextRecordsUrl).toMatch(/^\/services\/data\/v59\.0\/query\/01g[A-Za-z0-9]+-250$/);
    const second = await conn.queryMore(first.nextRecordsUrl!);
    const third = await conn.queryMore(second.nextRecordsUrl!);
    expect(third.done).toBe(true);
    const ids = [...first.records, ...second.records, ...third.records].map((r) => r.Id);
    expect(new Set(ids).size).toBe(600);
  });

  it('filters with AND/OR/NOT, IN, LIKE, date literals and COUNT()', async () => {
    const conn = connect();
    const open = book().deals.filter((d) => !d.deleted && !book().pipelines[0]!.stages[d.stage]!.isClosed);
    const count = await conn.query('SELECT COUNT() FROM Opportunity WHERE IsClosed = false');
    expect(count.totalSize).toBe(open.length);
    expect(count.records).toEqual([]);
    const res = await conn.query(
      "SELECT Id FROM Opportunity WHERE (StageName IN ('Prospecting', 'Qualification') OR NOT Name " +
        "LIKE '%Pilot%') AND CloseDate >= LAST_N_DAYS:30 AND IsClosed = false",
      { autoFetch: true, maxFetch: 100_000 },
    );
    const today = Date.UTC(2026, 10, 26);
    const expected = open.filter((d) => {
      const stage = book().pipelines[0]!.stages[d.stage]!.label;
      return (
        (stage === 'Prospecting' || stage === 'Qualification' || !d.name.includes('Pilot')) &&
        d.closeDate !== null &&
        d.closeDate >= today - 30 * 86_400_000
      );
    });
    expect(res.records.map((r) => r.Id).sort()).toEqual(expected.map((d) => d.id).sort());
  });

  it('counts contacts per deal with the OpportunityContactRoles subquery that describe advertises', async () => {
    const conn = connect();
    const describe = await conn.sobject('Opportunity').describe();
    expect(describe.childRelationships.map((c) => c.relationshipName)).toContain('OpportunityContactRoles');
    const res = await conn.query<{ Id: string; OpportunityContactRoles: { totalSize: number; records: { ContactId: string }[] } | null }>(
      'SELECT Id, (SELECT ContactId FROM OpportunityContactRoles) FROM Opportunity WHERE IsClosed = false',
      { autoFetch: true, maxFetch: 100_000 },
    );
    for (const r of res.records) {
      const deal = book().deals.find((d) => d.id === r.Id)!;
      expect(r.OpportunityContactRoles?.totalSize ?? 0).toBe(deal.contactIds.length);
    }
    expect(res.records.some((r) => r.OpportunityContactRoles?.totalSize === 1)).toBe(true);
  });

  it('answers an unsupported construct with 400 MALFORMED_QUERY, not a wrong answer', async () => {
    const q = encodeURIComponent('SELECT StageName, COUNT(Id) FROM Opportunity GROUP BY StageName');
    const res = await fetch(`${sandbox.salesforce.instanceUrl}/services/data/v59.0/query?q=${q}`, {
      headers: { authorization: `Bearer ${sandbox.salesforce.accessToken}` },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errorCode: string; message: string }[];
    expect(body).toHaveLength(1);
    expect(Object.keys(body[0]!).sort()).toEqual(['errorCode', 'message']);
    expect(body[0]!.errorCode).toBe('MALFORMED_QUERY');
  });

  it('shows deleted records only through queryAll with IsDeleted = true', async () => {
    const conn = connect();
    const victim = book().deals.find((d) => !d.deleted)!;
    sandbox.deleteDeal('salesforce', victim.id);
    const live = await conn.query(`SELECT Id FROM Opportunity WHERE Id = '${victim.id}'`);
    expect(live.totalSize).toBe(0);
    const all = await conn.query(`SELECT Id, IsDeleted FROM Opportunity WHERE Id = '${victim.id}'`, { scanAll: true });
    expect(all.records).toEqual([expect.objectContaining({ Id: victim.id, IsDeleted: true })]);
  });

  it('returns OpportunityHistory and OpportunityFieldHistory rows written on every change', async () => {
    const conn = connect();
    const deal = book().deals.find((d) => !d.deleted && !book().pipelines[0]!.stages[d.stage]!.isClosed)!;
    const before = await conn.query(`SELECT Id FROM OpportunityHistory WHERE OpportunityId = '${deal.id}'`);
    await conn.sobject('Opportunity').update({ Id: deal.id, StageName: 'Negotiation/Review', Amount: 12345 });
    const after = await conn.query(
      `SELECT StageName, Amount, CreatedDate FROM OpportunityHistory WHERE OpportunityId = ` +
        `'${deal.id}' ORDER BY CreatedDate DESC, Id DESC LIMIT 1`,
    );
    expect((await conn.query(`SELECT Id FROM OpportunityHistory WHERE OpportunityId = '${deal.id}'`)).totalSize).toBe(before.totalSize + 1);
    expect(after.records[0]).toMatchObject({ StageName: 'Negotiation/Review', Amount: 12345 });
    const fields = await conn.query(
      `SELECT Field, OldValue, NewValue FROM OpportunityFieldHistory WHERE OpportunityId = ` +
        `'${deal.id}' AND Field IN ('StageName', 'Amount') ORDER BY CreatedDate DESC LIMIT 2`,
    );
    expect(fields.records.map((r) => r['Field']).sort()).toEqual(['Amount', 'StageName']);
  });
});

describe('Salesforce writes through jsforce', () => {
  it('updates Opportunities in sObject Collections with per-record results', async () => {
    const conn = connect();
    const targets = book()
      .deals.filter((d) => !d.deleted)
      .slice(10, 15);
    const results = await conn
      .sobject('Opportunity')
      .update(targets.map((d) => ({ Id: d.id, Dealwatch_Score__c: 37, Dealwatch_Flags__c: 'stale_deal' })));
    expect(results).toEqual(targets.map((d) => ({ id: d.id, success: true, errors: [] })));
    expect(targets.every((d) => d.custom?.['Dealwatch_Score__c'] === 37)).toBe(true);
    const withBad = await conn.sobject('Opportunity').update(
      [
        { Id: targets[0]!.id, Dealwatch_Score__c: 1 },
        { Id: targets[1]!.id, No_Such_Field__c: 1 },
      ],
      { allOrNone: true },
    );
    expect(withBad.map((r) => r.success)).toEqual([false, false]);
    expect(targets[0]!.custom?.['Dealwatch_Score__c']).toBe(37);
    expect((withBad[1] as { errors: { statusCode: string }[] }).errors[0]!.statusCode).toBe('INVALID_FIELD');
  });

  it('creates a Task on an Opportunity and records it as an annotation', async () => {
    const conn = connect();
    const deal = book().deals.find((d) => !d.deleted)!;
    const res = await conn.sobject('Task').create({
      WhatId: deal.id,
      Subject: 'dealwatch: close date passed',
      ActivityDate: '2026-11-27',
      Status: 'Not Started',
      Priority: 'High',
    });
    expect(res.success).toBe(true);
    expect(res.id).toMatch(/^00T/);
    const back = await conn.sobject('Task').retrieve(res.id!);
    expect(back).toMatchObject({ WhatId: deal.id, Subject: 'dealwatch: close date passed', ActivityDate: '2026-11-27', IsClosed: false });
    expect(sandbox.state.annotations.find((a) => a.recordId === res.id)).toMatchObject({
      provider: 'salesforce',
      kind: 'task',
      dealId: deal.id,
    });
  });

  it('rejects more than 200 records in a collection with EXCEEDED_ID_LIMIT', async () => {
    const res = await fetch(`${sandbox.salesforce.instanceUrl}/services/data/v59.0/composite/sobjects`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${sandbox.salesforce.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        allOrNone: false,
        records: Array.from({ length: 201 }, () => ({ attributes: { type: 'Opportunity' }, id: book().deals[0]!.id })),
      }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errorCode: string }[])[0]!.errorCode).toBe('EXCEEDED_ID_LIMIT');
  });
});

describe('Salesforce auth, limits and bulk', () => {
  it('refreshes an expired session with the OAuth2 refresh token and retries the call', async () => {
    const conn = new jsforce.Connection({
      oauth2: {
        clientId: sandbox.salesforce.clientId,
        clientSecret: sandbox.salesforce.clientSecret,
        loginUrl: sandbox.salesforce.loginUrl,
        redirectUri: 'http://localhost/callback',
      },
      instanceUrl: sandbox.salesforce.instanceUrl,
      accessToken: sandbox.salesforce.accessToken,
      refreshToken: sandbox.salesforce.refreshToken,
      version: sandbox.salesforce.apiVersion,
    });
    let refreshed = 0;
    conn.on('refresh', () => refreshed++);
    sandbox.expireSalesforceTokens();
    const res = await conn.query("SELECT Id FROM User WHERE UserType = 'Standard'");
    // The reps and the integration user (the org's other users are not Standard).
    expect(res.totalSize).toBe(book().reps.length + 1);
    expect(refreshed).toBe(1);
    expect(conn.accessToken).not.toBe(sandbox.salesforce.accessToken);
  });

  it('answers an expired token with 401 INVALID_SESSION_ID exactly', async () => {
    const res = await fetch(`${sandbox.salesforce.instanceUrl}/services/data/v59.0/limits`, {
      headers: { authorization: `Bearer ${sandbox.salesforce.accessToken}` },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
  });

  it('issues a token for a JWT bearer assertion signed with the configured key (RS256)', async () => {
    const conn = new jsforce.Connection({
      oauth2: { clientId: sandbox.salesforce.clientId, loginUrl: sandbox.salesforce.loginUrl },
      version: sandbox.salesforce.apiVersion,
    });
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const sf = sandbox.salesforce;
    const claims = { iss: sf.clientId, sub: sf.username, aud: sf.loginUrl, exp: Math.floor(NOW.getTime() / 1000) + 180 };
    const unsigned = `${b64({ alg: 'RS256' })}.${b64(claims)}`;
    const signature = createSign('RSA-SHA256').update(unsigned).sign(sandbox.salesforce.privateKeyPem).toString('base64url');
    await conn.authorize({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: `${unsigned}.${signature}` });
    expect(conn.instanceUrl).toBe(sandbox.salesforce.instanceUrl);
    expect((await conn.query('SELECT COUNT() FROM OpportunityStage')).totalSize).toBe(book().pipelines[0]!.stages.length);

    const forged = `${unsigned}.${Buffer.from('not a signature').toString('base64url')}`;
    const err = await conn
      .authorize({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: forged })
      .catch((e: Error) => e);
    expect(String(err)).toMatch(/invalid_grant/);
  });

  it('runs a Bulk API 2.0 query whose CSV pages (Sforce-Locator) hold every Task once', async () => {
    const conn = new jsforce.Connection({
      oauth2: {
        clientId: sandbox.salesforce.clientId,
        clientSecret: sandbox.salesforce.clientSecret,
        loginUrl: sandbox.salesforce.loginUrl,
      },
      version: sandbox.salesforce.apiVersion,
    });
    await conn.authorize({ grant_type: 'client_credentials' });
    const records = await (await conn.bulk2.query('SELECT Id, WhatId, ActivityDate FROM Task')).toArray();
    const expected = book()
      .activities.filter((a) => a.kind !== 'meeting' && !a.deleted)
      .map((a) => a.id);
    const ids = records.map((r) => r['Id'] as string);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(expected.sort());
  });

  it('pages Bulk API results by maxRecords and Sforce-Locator', async () => {
    const auth = { authorization: `Bearer ${await freshToken()}`, 'content-type': 'application/json' };
    const base = `${sandbox.salesforce.instanceUrl}/services/data/v59.0/jobs/query`;
    const job = (await (
      await fetch(base, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ operation: 'query', query: 'SELECT Id FROM Opportunity' }),
      })
    ).json()) as { id: string };
    const ids: string[] = [];
    let locator: string | null = null;
    let pages = 0;
    do {
      const res: Response = await fetch(`${base}/${job.id}/results?maxRecords=250${locator ? `&locator=${locator}` : ''}`, {
        headers: auth,
      });
      expect(res.headers.get('content-type')).toMatch(/text\/csv/);
      ids.push(...(await res.text()).trim().split('\n').slice(1));
      locator = res.headers.get('sforce-locator');
      pages++;
    } while (locator && locator !== 'null');
    expect(pages).toBe(3);
    expect(new Set(ids).size).toBe(book().deals.filter((d) => !d.deleted).length);
  });
});

async function freshToken(): Promise<string> {
  const res = await fetch(`${sandbox.salesforce.loginUrl}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: sandbox.salesforce.clientId,
      client_secret: sandbox.salesforce.clientSecret,
    }).toString(),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

describe('Salesforce daily API limit', () => {
  let small: Sandbox;
  beforeAll(async () => {
    small = await startSandbox({ deals: 20, seed: 2, now: NOW, salesforce: { dailyApiRequests: 3 } });
  });
  afterAll(async () => {
    await small.close();
  });

  it('carries Sforce-Limit-Info on every response and answers 403 REQUEST_LIMIT_EXCEEDED past the limit', async () => {
    const conn = new jsforce.Connection({
      instanceUrl: small.salesforce.instanceUrl,
      accessToken: small.salesforce.accessToken,
      version: small.salesforce.apiVersion,
    });
    for (let i = 0; i < 3; i++) await conn.query('SELECT Id FROM User LIMIT 1');
    expect(conn.limitInfo?.apiUsage).toEqual({ used: 3, limit: 3 });
    const res = await fetch(`${small.salesforce.instanceUrl}/services/data/v59.0/query?q=SELECT+Id+FROM+User`, {
      headers: { authorization: `Bearer ${small.salesforce.accessToken}` },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('sforce-limit-info')).toBe('api-usage=3/3');
    expect(await res.json()).toEqual([{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
  });
});
