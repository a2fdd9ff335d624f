import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CrmError } from '../../../../src/domain/errors.js';
import type { WarningAnnotation } from '../../../../connectors/types.js';
import { API, INSTANCE, connector, fixture, soqlOf } from './helpers.js';

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => nock.cleanAll());

const warning = (n: number, extra: Partial<WarningAnnotation> = {}): WarningAnnotation => ({
  key: `sf1:006RO00000Aa00${n}YAA:stale_deal:2026-11-26T02:00:00.000Z`,
  dealId: `006RO00000Aa00${n}YAA`,
  ownerId: '005RO000001aaaaYAA',
  externalId: null,
  open: true,
  severity: 'critical',
  title: 'Stale deal',
  body: 'No activity for 34 days (team median 9).\nSuggested action: call the champion this week.',
  dueDate: '2026-11-28',
  ...extra,
});

describe('salesforce annotate (sObject Collections, allOrNone=false)', () => {
  it('reports a partial failure per record and sends each record exactly once', async () => {
    const bodies: { allOrNone: boolean; records: Record<string, unknown>[] }[] = [];
    const api = nock(INSTANCE)
      .patch(`${API}/composite/sobjects`, (b: (typeof bodies)[number]) => (bodies.push(b), true))
      .reply(200, fixture('collections-partial.json'));
    const result = await connector().annotate({
      fields: [
        { dealId: '006RO00000Aa001YAA', score: 42, flags: ['stale_deal', 'close_date_past'] },
        { dealId: '006RO00000Aa002YAA', score: 90, flags: [] },
        { dealId: '006RO00000Aa003YAA', score: 101, flags: [] },
      ],
      warnings: [],
    });
    expect(api.isDone()).toBe(true);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]?.allOrNone).toBe(false);
    expect(bodies[0]?.records[0]).toEqual({
      attributes: { type: 'Opportunity' },
      id: '006RO00000Aa001YAA',
      Dealwatch_Score__c: 42,
      Dealwatch_Flags__c: 'stale_deal;close_date_past',
    });
    expect(bodies[0]?.records[1]).toMatchObject({ Dealwatch_Flags__c: '' });
    expect(result.fields.get('006RO00000Aa001YAA')).toEqual({ ok: true, externalId: '006RO00000Aa001YAA' });
    expect(result.fields.get('006RO00000Aa002YAA')).toMatchObject({
      ok: false,
      retryable: true,
      error: expect.stringContaining('UNABLE_TO_LOCK_ROW'),
    });
    expect(result.fields.get('006RO00000Aa003YAA')).toMatchObject({
      ok: false,
      retryable: false,
      error: expect.stringContaining('FIELD_CUSTOM_VALIDATION_EXCEPTION'),
    });
  });

  it('splits at 200 records a request and uses the mapped field names', async () => {
    const sizes: number[] = [];
    nock(INSTANCE)
      .patch(`${API}/composite/sobjects`, (b: { records: Record<string, unknown>[] }) => {
        sizes.push(b.records.length);
        return 'Health__c' in (b.records[0] ?? {});
      })
      .times(2)
      .reply(200, (_uri, b) => (b as { records: { id: string }[] }).records.map((r) => ({ id: r.id, success: true, errors: [] })));
    const fields = Array.from({ length: 250 }, (_, i) => ({ dealId: `006${String(i).padStart(15, '0')}`, score: 50, flags: [] }));
    const result = await connector({ fieldMap: { score: 'Health__c', flags: 'Health_Flags__c' } }).annotate({ fields, warnings: [] });
    expect(sizes).toEqual([200, 50]);
    expect([...result.fields.values()].every((o) => o.ok)).toBe(true);
  });

  it('creates one Task per deal with its key in Dealwatch_Key__c (plain Subject and Description), assigned to the deal owner', async () => {
    let records: Record<string, unknown>[] = [];
    nock(INSTANCE)
      .post(
        `${API}/composite/sobjects`,
        (b: { allOrNone: boolean; records: Record<string, unknown>[] }) => ((records = b.records), b.allOrNone === false),
      )
      .reply(200, fixture('collections-create-tasks.json'));
    const w1 = warning(1);
    const w2 = warning(2, { severity: 'warning', ownerId: null, dueDate: undefined as never });
    const result = await connector().annotate({ fields: [], warnings: [w1, w2] });
    expect(result.warningKind).toBe('task');
    expect(records[0]).toEqual({
      attributes: { type: 'Task' },
      WhatId: '006RO00000Aa001YAA',
      OwnerId: '005RO000001aaaaYAA',
      Dealwatch_Key__c: w1.key,
      Subject: 'Pipeline health: Stale deal',
      Description: w1.body,
      ActivityDate: '2026-11-28',
      Status: 'Not Started',
      Priority: 'High',
    });
    expect(records[1]).toMatchObject({ Priority: 'Normal' });
    expect(records[1]).not.toHaveProperty('OwnerId');
    expect(result.warnings.get(w1.key)).toEqual({ ok: true, externalId: '00TRO00000Tsk01YAA' });
    expect(result.warnings.get(w2.key)).toMatchObject({ ok: false, retryable: false });
  });

  it('updates a Task in place by its id (PATCH, idempotent), and completes it when nothing is open', async () => {
    let records: Record<string, unknown>[] = [];
    nock(INSTANCE)
      .patch(`${API}/composite/sobjects`, (b: { records: Record<string, unknown>[] }) => ((records = b.records), true))
      .reply(200, [
        { id: '00TRO00000Tsk01YAA', success: true, errors: [] },
        { id: '00TRO00000Tsk02YAA', success: true, errors: [] },
      ]);
    const open = warning(1, { externalId: '00TRO00000Tsk01YAA' });
    const closed = warning(2, { externalId: '00TRO00000Tsk02YAA', open: false, severity: 'info', title: 'Pipeline health: all clear' });
    const result = await connector().annotate({ fields: [], warnings: [open, closed] });
    expect(records).toEqual([
      {
        attributes: { type: 'Task' },
        id: '00TRO00000Tsk01YAA',
        Subject: 'Pipeline health: Stale deal',
        Description: open.body,
        Priority: 'High',
      },
      {
        attributes: { type: 'Task' },
        id: '00TRO00000Tsk02YAA',
        Subject: 'Pipeline health: all clear',
        Description: closed.body,
        Priority: 'Normal',
        Status: 'Completed',
      },
    ]);
    expect(result.warnings.get(open.key)).toEqual({ ok: true, externalId: '00TRO00000Tsk01YAA' });
  });

  it('does not retry a Task create after a 5xx (it may have been applied): the chunk fails retryable', async () => {
    const api = nock(INSTANCE).post(`${API}/composite/sobjects`).reply(503, 'unavailable');
    const again = nock(INSTANCE).post(`${API}/composite/sobjects`).reply(200, []);
    const result = await connector().annotate({ fields: [], warnings: [warning(1)] });
    expect(api.isDone()).toBe(true);
    expect(again.isDone()).toBe(false);
    expect(result.warnings.get(warning(1).key)).toMatchObject({ ok: false, retryable: true });
  });

  it('stops the write-back on REQUEST_LIMIT_EXCEEDED', async () => {
    nock(INSTANCE).patch(`${API}/composite/sobjects`).reply(403, fixture('request-limit-exceeded.json'));
    const err = await connector()
      .annotate({ fields: [{ dealId: '006A', score: 1, flags: [] }], warnings: [] })
      .catch((e: unknown) => e);
    expect((err as CrmError).code).toBe('CRM.QUOTA_EXCEEDED');
  });
});

describe('salesforce findWarnings', () => {
  it('queries Dealwatch_Key__c and maps the Tasks back to keys', async () => {
    const w1 = warning(1);
    const w2 = warning(2);
    let query = '';
    nock(INSTANCE)
      .get(`${API}/query`)
      .query(true)
      .reply((uri) => {
        query = soqlOf(uri);
        return [
          200,
          { totalSize: 1, done: true, records: [{ attributes: { type: 'Task' }, Id: '00TRO00000Tsk09YAA', Dealwatch_Key__c: w2.key }] },
        ];
      });
    const found = await connector().findWarnings([w1.key, w2.key]);
    expect(query).toBe(`SELECT Id, Dealwatch_Key__c FROM Task WHERE Dealwatch_Key__c IN ('${w1.key}', '${w2.key}')`);
    expect([...found]).toEqual([[w2.key, '00TRO00000Tsk09YAA']]);
  });
});

describe('salesforce doctor', () => {
  it('checks that the score and flags fields exist and are writable', async () => {
    nock(INSTANCE)
      .get(`${API}/sobjects/Opportunity/describe`)
      .reply(200, fixture('describe-opportunity.json'))
      .get(`${API}/sobjects/Task/describe`)
      .reply(200, fixture('describe-task.json'));
    const report = await connector({ fieldMap: { lostReason: 'Missing__c' } }).doctor();
    expect(report.ok).toBe(false);
    expect(report.checks).toEqual([
      { name: 'Opportunity.Dealwatch_Score__c (score)', ok: true, detail: 'exists and is writable' },
      { name: 'Opportunity.Dealwatch_Flags__c (flags)', ok: false, detail: 'exists but the integration user cannot edit it' },
      { name: 'Opportunity.Missing__c (lostReason)', ok: false, detail: 'missing: fix fieldMap' },
      { name: 'Task create', ok: true, detail: 'allowed' },
      {
        name: 'Task.Dealwatch_Key__c (warning key)',
        ok: false,
        detail: 'missing: a Text(80) custom field Dealwatch_Key__c on Activity; run doctor with --fix to create it',
      },
    ]);
  });
});
