import { describe, expect, it } from 'vitest';
import { Activity, Deal, Stage } from '../../../../src/domain/model/index.js';
import {
  toActivity,
  toDeal,
  toFieldChanges,
  toForecastCategory,
  toIso,
  toMeeting,
  toOwner,
  toStageChanges,
  toStages,
} from '../../../../connectors/salesforce/mappers.js';
import { RawEvent, RawOpportunity, RawTask } from '../../../../connectors/salesforce/schemas.js';
import { fixture } from './helpers.js';

const ctx = { connectionId: 'sf1', discountField: 'Discount_Percent__c', lostReasonField: 'Loss_Reason__c', contactCountField: null };
const page1 = fixture<{ records: unknown[] }>('queryall-opportunities-page1.json');
const page2 = fixture<{ records: unknown[] }>('queryall-opportunities-page2.json');

describe('salesforce mappers', () => {
  it('normalises Salesforce datetimes to UTC ISO', () => {
    expect(toIso('2026-11-20T10:00:00.000+0000')).toBe('2026-11-20T10:00:00.000Z');
    expect(toIso('2026-11-20T12:00:00.000+0200')).toBe('2026-11-20T10:00:00.000Z');
    expect(() => toIso('yesterday')).toThrow();
  });

  it('reads a null child relationship as zero rows and only an absent one as unknown', () => {
    // The REST API answers null for a subquery with no rows (page 1's second record).
    const zero = page1.records[1] as Record<string, unknown>;
    expect(zero.OpportunityContactRoles).toBeNull();
    expect(toDeal(RawOpportunity.parse(zero), ctx).contactCount).toBe(0);
    const { OpportunityContactRoles: _omitted, ...notQueried } = zero;
    expect(toDeal(RawOpportunity.parse(notQueried), ctx).contactCount).toBeNull();
    expect(toDeal(RawOpportunity.parse(page1.records[0]), ctx).contactCount).toBe(3);
  });

  it('maps an Opportunity to a valid canonical deal', () => {
    const deal = toDeal(RawOpportunity.parse(page1.records[0]), ctx);
    expect(Deal.parse(deal)).toEqual(deal);
    expect(deal).toMatchObject({
      externalId: '006RO00000Aa001YAA',
      pipeline: 'default',
      stageId: 'Negotiation/Review',
      amount: 120000,
      currency: 'EUR',
      probability: 0.9,
      forecastCategory: 'commit',
      accountName: 'Acme Corp',
      discountPercent: 12.5,
      contactCount: 3,
      stageEnteredAt: '2026-11-02T09:30:00.000Z',
      modifiedAt: '2026-11-20T10:00:00.000Z',
      isDeleted: false,
      deletedAt: null,
    });
  });

  it('reads the mapped lost reason and marks deleted rows with their deletion time', () => {
    const lost = toDeal(RawOpportunity.parse(page2.records[0]), ctx);
    expect(lost).toMatchObject({ isClosed: true, isWon: false, lostReason: 'Price', forecastCategory: 'omitted', probability: 0 });
    const deleted = toDeal(RawOpportunity.parse(page2.records[1]), ctx);
    expect(deleted).toMatchObject({ isDeleted: true, deletedAt: '2026-11-20T10:06:00.000Z' });
  });

  it('maps forecast categories by label and API value', () => {
    expect(toForecastCategory('Best Case')).toBe('best_case');
    expect(toForecastCategory('BestCase')).toBe('best_case');
    expect(toForecastCategory('Forecast')).toBe('commit');
    expect(toForecastCategory('Closed')).toBe('closed');
    expect(toForecastCategory(null)).toBeNull();
  });

  it('accepts Bulk API CSV strings through the same raw schema', () => {
    const raw = RawOpportunity.parse({
      Id: '006RO00000Aa009YAA',
      Name: 'Bulk',
      StageName: 'Prospecting',
      Amount: '1500.5',
      Probability: '20',
      IsClosed: 'false',
      IsWon: 'false',
      IsDeleted: 'true',
      CloseDate: '',
      SystemModstamp: '2026-11-20T10:00:00.000Z',
      CreatedDate: '2026-11-01T10:00:00.000Z',
      Account: { Name: '' },
    });
    const deal = toDeal(raw, ctx);
    expect(deal).toMatchObject({ amount: 1500.5, probability: 0.2, closeDate: null, isDeleted: true, accountName: null });
  });

  it('maps Tasks: subtype, direction, deal link, completion and our own warnings', () => {
    const call = toActivity(
      RawTask.parse({
        Id: '00T1',
        WhatId: '006RO00000Aa001YAA',
        TaskSubtype: 'Call',
        CallType: 'Inbound',
        IsClosed: true,
        Subject: 'Call',
        ActivityDate: '2026-11-19',
        SystemModstamp: '2026-11-19T10:00:00.000+0000',
      }),
      'sf1',
    );
    expect(Activity.parse(call)).toEqual(call);
    expect(call).toMatchObject({
      type: 'call',
      direction: 'inbound',
      dealIds: ['006RO00000Aa001YAA'],
      completed: true,
      occurredAt: '2026-11-19T00:00:00.000Z',
      origin: 'crm',
    });
    const email = toActivity(
      RawTask.parse({
        Id: '00T2',
        WhatId: '001RO000002bbbbYAA',
        TaskSubtype: 'Email',
        Status: 'Completed',
        SystemModstamp: '2026-11-19T10:00:00.000+0000',
        CreatedDate: '2026-11-18T10:00:00.000+0000',
      }),
      'sf1',
    );
    expect(email).toMatchObject({ type: 'email', dealIds: [], completed: true, occurredAt: '2026-11-18T10:00:00.000Z' });
    const ours = toActivity(
      RawTask.parse({
        Id: '00T3',
        Subject: 'Pipeline health: Stale deal [dw:0123456789abcdef]',
        IsClosed: false,
        SystemModstamp: '2026-11-19T10:00:00.000+0000',
      }),
      'sf1',
    );
    expect(ours).toMatchObject({ type: 'task', origin: 'dealwatch', completed: false, direction: 'unknown' });
  });

  it('maps Events to meetings completed once started', () => {
    const now = '2026-11-26T12:00:00.000Z';
    const past = toMeeting(
      RawEvent.parse({
        Id: '00U1',
        WhatId: '006X',
        ActivityDateTime: '2026-11-20T15:00:00.000+0000',
        SystemModstamp: '2026-11-20T10:00:00.000+0000',
      }),
      'sf1',
      now,
    );
    const future = toMeeting(
      RawEvent.parse({ Id: '00U2', ActivityDateTime: '2026-12-01T15:00:00.000+0000', SystemModstamp: '2026-11-20T10:00:00.000+0000' }),
      'sf1',
      now,
    );
    expect(past).toMatchObject({ type: 'meeting', completed: true, dealIds: ['006X'], occurredAt: '2026-11-20T15:00:00.000Z' });
    expect(future.completed).toBe(false);
  });

  it('orders stages by SortOrder and converts probabilities', () => {
    const stages = toStages(
      [
        {
          Id: '01J2',
          ApiName: 'Closed Won',
          MasterLabel: 'Closed Won',
          SortOrder: 9,
          DefaultProbability: 100,
          IsClosed: true,
          IsWon: true,
        },
        {
          Id: '01J1',
          ApiName: 'Prospecting',
          MasterLabel: 'Prospecting',
          SortOrder: 1,
          DefaultProbability: 10,
          IsClosed: false,
          IsWon: false,
        },
      ],
      'sf1',
    );
    expect(stages.map((s) => Stage.parse(s))).toEqual([
      {
        connectionId: 'sf1',
        pipeline: 'default',
        id: 'Prospecting',
        label: 'Prospecting',
        order: 0,
        probability: 0.1,
        isClosed: false,
        isWon: false,
      },
      {
        connectionId: 'sf1',
        pipeline: 'default',
        id: 'Closed Won',
        label: 'Closed Won',
        order: 1,
        probability: 1,
        isClosed: true,
        isWon: true,
      },
    ]);
  });

  it('turns OpportunityHistory snapshots into stage moves, skipping amount-only rows and chaining pages', () => {
    const previous = new Map<string, string>([['006B', 'Qualification']]);
    const rows = [
      {
        Id: 'h1',
        OpportunityId: '006A',
        StageName: 'Prospecting',
        Amount: 100,
        CloseDate: '2026-12-01',
        CreatedDate: '2026-11-01T10:00:00.000+0000',
      },
      {
        Id: 'h2',
        OpportunityId: '006A',
        StageName: 'Prospecting',
        Amount: 200,
        CloseDate: '2026-12-01',
        CreatedDate: '2026-11-02T10:00:00.000+0000',
      },
      {
        Id: 'h3',
        OpportunityId: '006A',
        StageName: 'Proposal',
        Amount: 200,
        CloseDate: '2026-12-15',
        CreatedDate: '2026-11-03T10:00:00.000+0000',
      },
      {
        Id: 'h4',
        OpportunityId: '006B',
        StageName: 'Closed Won',
        Amount: 50,
        CloseDate: null,
        CreatedDate: '2026-11-04T10:00:00.000+0000',
      },
    ];
    const changes = toStageChanges(rows, previous, 'sf1');
    expect(changes.map((c) => [c.dealId, c.fromStageId, c.toStageId, c.amount])).toEqual([
      ['006A', null, 'Prospecting', 100],
      ['006A', 'Prospecting', 'Proposal', 200],
      ['006B', 'Qualification', 'Closed Won', 50],
    ]);
    expect(previous.get('006A')).toBe('Proposal');
  });

  it('keeps CloseDate and Amount field history only', () => {
    const changes = toFieldChanges(
      [
        {
          Id: 'f1',
          OpportunityId: '006A',
          Field: 'CloseDate',
          OldValue: '2026-12-01',
          NewValue: '2027-01-15',
          CreatedDate: '2026-11-05T10:00:00.000+0000',
        },
        { Id: 'f2', OpportunityId: '006A', Field: 'Amount', OldValue: 1000, NewValue: null, CreatedDate: '2026-11-05T10:00:00.000+0000' },
        { Id: 'f3', OpportunityId: '006A', Field: 'NextStep', OldValue: 'a', NewValue: 'b', CreatedDate: '2026-11-05T10:00:00.000+0000' },
      ],
      'sf1',
    );
    expect(changes.map((c) => [c.field, c.oldValue, c.newValue])).toEqual([
      ['closeDate', '2026-12-01', '2027-01-15'],
      ['amount', '1000', null],
    ]);
  });

  it('maps Users to owners', () => {
    expect(toOwner({ Id: '005A', Name: 'Ada Rep', Email: 'ada@acme.test', IsActive: false }, 'sf1')).toEqual({
      connectionId: 'sf1',
      externalId: '005A',
      name: 'Ada Rep',
      email: 'ada@acme.test',
      team: null,
      active: false,
      managerId: null,
    });
    expect(toOwner({ Id: '005B', Name: 'Bo Rep', ManagerId: '005M' }, 'sf1').managerId).toBe('005M');
  });
});

describe('salesforce mappers: fallbacks and edges', () => {
  const stamp = '2026-11-20T10:00:00.000+0000';

  it('a bare Opportunity: no name, unknown stage, created when modified, open, nothing guessed', () => {
    const deal = toDeal(RawOpportunity.parse({ Id: '006Z', SystemModstamp: stamp }), { ...ctx, targetAccountField: 'Target__c' });
    expect(deal).toEqual({
      connectionId: 'sf1',
      externalId: '006Z',
      name: '',
      ownerId: null,
      accountId: null,
      accountName: null,
      accountIsTarget: null,
      leadSource: null,
      pipeline: 'default',
      stageId: 'unknown',
      amount: null,
      currency: null,
      closeDate: null,
      createdAt: '2026-11-20T10:00:00.000Z',
      modifiedAt: '2026-11-20T10:00:00.000Z',
      probability: null,
      forecastCategory: null,
      nextStep: null,
      isClosed: false,
      isWon: false,
      stageEnteredAt: null,
      discountPercent: null,
      contactCount: null,
      lostReason: null,
      isDeleted: false,
      deletedAt: null,
    });
  });

  it('clamps probabilities, accepts only ISO currency codes, reads a counted contact field and the target-account checkbox', () => {
    const base = { Id: '006Y', SystemModstamp: stamp, CloseDate: '2026-12-31T00:00:00.000Z', LeadSource: 'Web', NextStep: 'Send quote' };
    const fieldCtx = { ...ctx, contactCountField: 'Contacts__c', targetAccountField: 'Target__c', lostReasonField: 'Loss_Code__c' };
    const deal = (extra: Record<string, unknown>) => toDeal(RawOpportunity.parse({ ...base, ...extra }), fieldCtx);
    expect(deal({ Probability: 150 }).probability).toBe(1);
    expect(deal({ Probability: -5 }).probability).toBe(0);
    expect(deal({ CurrencyIsoCode: 'usd' }).currency).toBeNull();
    expect(deal({ CurrencyIsoCode: 'USDX' }).currency).toBeNull();
    expect(deal({ CurrencyIsoCode: 'XUSD' }).currency).toBeNull();
    expect(deal({}).closeDate).toBe('2026-12-31');
    expect(deal({}).leadSource).toBe('Web');
    expect(deal({}).nextStep).toBe('Send quote');
    expect(deal({ Contacts__c: '2.7' }).contactCount).toBe(2);
    expect(deal({ Contacts__c: -3 }).contactCount).toBe(0);
    expect(deal({ Contacts__c: ' ' }).contactCount).toBeNull();
    expect(deal({ Contacts__c: 'many' }).contactCount).toBeNull();
    expect(deal({ Contacts__c: Number.POSITIVE_INFINITY }).contactCount).toBeNull();
    expect(deal({ Contacts__c: true }).contactCount).toBeNull();
    expect(deal({ Discount_Percent__c: '7.5' }).discountPercent).toBe(7.5);
    expect(deal({ Loss_Code__c: 42 }).lostReason).toBe('42');
    expect(deal({ Loss_Code__c: '' }).lostReason).toBeNull();
    expect(deal({ Loss_Code__c: false }).lostReason).toBeNull();
    expect(deal({ AccountId: '001A', Account: { Name: 'Acme', Target__c: 'true' } }).accountIsTarget).toBe(true);
    expect(deal({ AccountId: '001A', Account: { Name: 'Acme', Target__c: false } }).accountIsTarget).toBe(false);
    expect(deal({ AccountId: '001A', Account: { Name: 'Acme' } }).accountIsTarget).toBeNull();
    expect(deal({ Account: { Name: 'Acme', Target__c: true } }).accountIsTarget).toBeNull();
    expect(
      toDeal(RawOpportunity.parse({ ...base, AccountId: '001A', Account: { Name: 'Acme', Target__c: true } }), ctx).accountIsTarget,
    ).toBeNull();
    expect(deal({ IsDeleted: false }).deletedAt).toBeNull();
  });

  it('maps forecast categories written with spaces or underscores, and nothing for an unknown or empty one', () => {
    expect(toForecastCategory('best_case')).toBe('best_case');
    expect(toForecastCategory('Pipeline')).toBe('pipeline');
    expect(toForecastCategory('Commit')).toBe('commit');
    expect(toForecastCategory('Omitted')).toBe('omitted');
    expect(toForecastCategory('Upside')).toBeNull();
    expect(toForecastCategory('')).toBeNull();
  });

  it('Tasks: list emails, outbound calls, completion by Status without IsClosed, our key in the description', () => {
    const task = (extra: Record<string, unknown>) => toActivity(RawTask.parse({ Id: '00T9', SystemModstamp: stamp, ...extra }), 'sf1');
    expect(task({ TaskSubtype: 'ListEmail' }).type).toBe('email');
    expect(task({ TaskSubtype: 'Task' }).type).toBe('task');
    expect(task({ CallType: 'Outbound' }).direction).toBe('outbound');
    expect(task({ CallType: 'Internal' }).direction).toBe('unknown');
    expect(task({ Status: 'Completed' }).completed).toBe(true);
    expect(task({ Status: 'Not Started' }).completed).toBe(false);
    expect(task({ Status: 'Completed', IsClosed: false }).completed).toBe(false);
    expect(task({ Description: 'see [dw:0123456789abcdef]' }).origin).toBe('dealwatch');
    expect(task({ Subject: 'Re: Pipeline health: numbers', Description: 'dw:' }).origin).toBe('crm');
    expect(task({})).toMatchObject({
      subject: null,
      ownerId: null,
      dealIds: [],
      isDeleted: false,
      occurredAt: '2026-11-20T10:00:00.000Z',
      modifiedAt: '2026-11-20T10:00:00.000Z',
    });
    expect(task({ OwnerId: '005A', IsDeleted: true, WhatId: '0060000' })).toMatchObject({
      ownerId: '005A',
      isDeleted: true,
      dealIds: ['0060000'],
    });
    expect(task({ WhatId: '001006' }).dealIds).toEqual([]);
  });

  it('Events: the start time, else the day, else the creation; started exactly now is held', () => {
    const now = '2026-11-26T12:00:00.000Z';
    const meeting = (extra: Record<string, unknown>) =>
      toMeeting(RawEvent.parse({ Id: '00U9', SystemModstamp: stamp, ...extra }), 'sf1', now);
    expect(meeting({ StartDateTime: '2026-11-21T08:00:00.000+0000' }).occurredAt).toBe('2026-11-21T08:00:00.000Z');
    expect(meeting({ ActivityDateTime: '2026-11-22T08:00:00.000+0000', StartDateTime: '2026-11-21T08:00:00.000+0000' }).occurredAt).toBe(
      '2026-11-22T08:00:00.000Z',
    );
    expect(meeting({ ActivityDate: '2026-11-23' }).occurredAt).toBe('2026-11-23T00:00:00.000Z');
    expect(meeting({ CreatedDate: '2026-11-19T08:00:00.000+0000' }).occurredAt).toBe('2026-11-19T08:00:00.000Z');
    expect(meeting({}).occurredAt).toBe('2026-11-20T10:00:00.000Z');
    expect(meeting({ StartDateTime: '2026-11-26T12:00:00.000+0000' }).completed).toBe(true);
    expect(meeting({ StartDateTime: '2026-11-26T12:00:01.000+0000' }).completed).toBe(false);
    expect(meeting({}).direction).toBe('unknown');
    expect(meeting({ ActivityDate: '2026-11-23T00:00:00.000Z' }).occurredAt).toBe('2026-11-23T00:00:00.000Z');
    expect(() => toIso('2026-13-45T99:00:00.000+0000')).toThrow(/^not a Salesforce datetime: 2026-13-45/);
  });

  // The id falls back from the API name to the label to the record id.
  it('stages: no SortOrder goes last, the id falls back, no probability is 0', () => {
    const stages = toStages(
      [
        { Id: '01J9', ApiName: null, MasterLabel: null, SortOrder: null, DefaultProbability: null },
        { Id: '01J8', ApiName: null, MasterLabel: 'Label Only', SortOrder: 5, DefaultProbability: 250 },
        { Id: '01J7', ApiName: 'Api Only', MasterLabel: null, SortOrder: 2, DefaultProbability: -10 },
      ],
      'sf1',
    );
    expect(stages.map((s) => [s.id, s.label, s.order, s.probability, s.isClosed, s.isWon])).toEqual([
      ['Api Only', 'Api Only', 0, 0, false, false],
      ['Label Only', 'Label Only', 1, 1, false, false],
      ['01J9', '01J9', 2, 0, false, false],
    ]);
    expect(toOwner({ Id: '005C' }, 'sf1')).toEqual({
      connectionId: 'sf1',
      externalId: '005C',
      name: '005C',
      email: null,
      team: null,
      active: true,
      managerId: null,
    });
  });

  it('history: a row without a stage is no move and changes nothing; close dates are cut to the day; field values absent are null', () => {
    const previous = new Map<string, string>();
    const changes = toStageChanges(
      [
        {
          Id: 'h1',
          OpportunityId: '006A',
          StageName: 'Prospecting',
          Amount: null,
          CloseDate: '2026-12-01T00:00:00.000Z',
          CreatedDate: stamp,
        },
        { Id: 'h2', OpportunityId: '006A', StageName: null, Amount: 5, CloseDate: null, CreatedDate: stamp },
        { Id: 'h3', OpportunityId: '006A', StageName: 'Proposal', Amount: 5, CloseDate: null, CreatedDate: stamp },
      ],
      previous,
      'sf1',
    );
    expect(changes).toEqual([
      {
        connectionId: 'sf1',
        dealId: '006A',
        fromStageId: null,
        toStageId: 'Prospecting',
        at: '2026-11-20T10:00:00.000Z',
        amount: null,
        closeDate: '2026-12-01',
      },
      {
        connectionId: 'sf1',
        dealId: '006A',
        fromStageId: 'Prospecting',
        toStageId: 'Proposal',
        at: '2026-11-20T10:00:00.000Z',
        amount: 5,
        closeDate: null,
      },
    ]);
    expect(
      toFieldChanges(
        [{ Id: 'e', OpportunityId: '006A', Field: 'CloseDate', OldValue: null, NewValue: '2026-12-01', CreatedDate: stamp }],
        'sf1',
      )[0]?.oldValue,
    ).toBeNull();
    expect(
      toFieldChanges(
        [
          { Id: 'f', OpportunityId: '006A', Field: 'Amount', CreatedDate: stamp },
          { Id: 'g', OpportunityId: '006A', Field: null, CreatedDate: stamp },
        ],
        'sf1',
      ),
    ).toEqual([{ connectionId: 'sf1', dealId: '006A', field: 'amount', oldValue: null, newValue: null, at: '2026-11-20T10:00:00.000Z' }]);
  });
});
