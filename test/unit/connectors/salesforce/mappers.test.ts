import { describe, expect, it } from 'vitest';
import { Activity, Deal, Stage } from '../../../../src/domain/model/index.js';
import {
  toActivity, toDeal, toFieldChanges, toForecastCategory, toIso, toMeeting, toOwner, toStageChanges, toStages,
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
      externalId: '006RO00000Aa001YAA', pipeline: 'default', stageId: 'Negotiation/Review', amount: 120000, currency: 'EUR',
      probability: 0.9, forecastCategory: 'commit', accountName: 'Acme Corp', discountPercent: 12.5, contactCount: 3,
      stageEnteredAt: '2026-11-02T09:30:00.000Z', modifiedAt: '2026-11-20T10:00:00.000Z', isDeleted: false, deletedAt: null,
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
      Id: '006RO00000Aa009YAA', Name: 'Bulk', StageName: 'Prospecting', Amount: '1500.5', Probability: '20', IsClosed: 'false', IsWon: 'false',
      IsDeleted: 'true', CloseDate: '', SystemModstamp: '2026-11-20T10:00:00.000Z', CreatedDate: '2026-11-01T10:00:00.000Z', Account: { Name: '' },
    });
    const deal = toDeal(raw, ctx);
    expect(deal).toMatchObject({ amount: 1500.5, probability: 0.2, closeDate: null, isDeleted: true, accountName: null });
  });

  it('maps Tasks: subtype, direction, deal link, completion and our own warnings', () => {
    const call = toActivity(
      RawTask.parse({ Id: '00T1', WhatId: '006RO00000Aa001YAA', TaskSubtype: 'Call', CallType: 'Inbound', IsClosed: true, Subject: 'Call', ActivityDate: '2026-11-19', SystemModstamp: '2026-11-19T10:00:00.000+0000' }),
      'sf1',
    );
    expect(Activity.parse(call)).toEqual(call);
    expect(call).toMatchObject({ type: 'call', direction: 'inbound', dealIds: ['006RO00000Aa001YAA'], completed: true, occurredAt: '2026-11-19T00:00:00.000Z', origin: 'crm' });
    const email = toActivity(RawTask.parse({ Id: '00T2', WhatId: '001RO000002bbbbYAA', TaskSubtype: 'Email', Status: 'Completed', SystemModstamp: '2026-11-19T10:00:00.000+0000', CreatedDate: '2026-11-18T10:00:00.000+0000' }), 'sf1');
    expect(email).toMatchObject({ type: 'email', dealIds: [], completed: true, occurredAt: '2026-11-18T10:00:00.000Z' });
    const ours = toActivity(RawTask.parse({ Id: '00T3', Subject: 'Pipeline health: Stale deal [dw:0123456789abcdef]', IsClosed: false, SystemModstamp: '2026-11-19T10:00:00.000+0000' }), 'sf1');
    expect(ours).toMatchObject({ type: 'task', origin: 'dealwatch', completed: false, direction: 'unknown' });
  });

  it('maps Events to meetings completed once started', () => {
    const now = '2026-11-26T12:00:00.000Z';
    const past = toMeeting(RawEvent.parse({ Id: '00U1', WhatId: '006X', ActivityDateTime: '2026-11-20T15:00:00.000+0000', SystemModstamp: '2026-11-20T10:00:00.000+0000' }), 'sf1', now);
    const future = toMeeting(RawEvent.parse({ Id: '00U2', ActivityDateTime: '2026-12-01T15:00:00.000+0000', SystemModstamp: '2026-11-20T10:00:00.000+0000' }), 'sf1', now);
    expect(past).toMatchObject({ type: 'meeting', completed: true, dealIds: ['006X'], occurredAt: '2026-11-20T15:00:00.000Z' });
    expect(future.completed).toBe(false);
  });

  it('orders stages by SortOrder and converts probabilities', () => {
    const stages = toStages(
      [
        { Id: '01J2', ApiName: 'Closed Won', MasterLabel: 'Closed Won', SortOrder: 9, DefaultProbability: 100, IsClosed: true, IsWon: true },
        { Id: '01J1', ApiName: 'Prospecting', MasterLabel: 'Prospecting', SortOrder: 1, DefaultProbability: 10, IsClosed: false, IsWon: false },
      ],
      'sf1',
    );
    expect(stages.map((s) => Stage.parse(s))).toEqual([
      { connectionId: 'sf1', pipeline: 'default', id: 'Prospecting', label: 'Prospecting', order: 0, probability: 0.1, isClosed: false, isWon: false },
      { connectionId: 'sf1', pipeline: 'default', id: 'Closed Won', label: 'Closed Won', order: 1, probability: 1, isClosed: true, isWon: true },
    ]);
  });

  it('turns OpportunityHistory snapshots into stage moves, skipping amount-only rows and chaining pages', () => {
    const previous = new Map<string, string>([['006B', 'Qualification']]);
    const rows = [
      { Id: 'h1', OpportunityId: '006A', StageName: 'Prospecting', Amount: 100, CloseDate: '2026-12-01', CreatedDate: '2026-11-01T10:00:00.000+0000' },
      { Id: 'h2', OpportunityId: '006A', StageName: 'Prospecting', Amount: 200, CloseDate: '2026-12-01', CreatedDate: '2026-11-02T10:00:00.000+0000' },
      { Id: 'h3', OpportunityId: '006A', StageName: 'Proposal', Amount: 200, CloseDate: '2026-12-15', CreatedDate: '2026-11-03T10:00:00.000+0000' },
      { Id: 'h4', OpportunityId: '006B', StageName: 'Closed Won', Amount: 50, CloseDate: null, CreatedDate: '2026-11-04T10:00:00.000+0000' },
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
        { Id: 'f1', OpportunityId: '006A', Field: 'CloseDate', OldValue: '2026-12-01', NewValue: '2027-01-15', CreatedDate: '2026-11-05T10:00:00.000+0000' },
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
      connectionId: 'sf1', externalId: '005A', name: 'Ada Rep', email: 'ada@acme.test', team: null, active: false, managerId: null,
    });
    expect(toOwner({ Id: '005B', Name: 'Bo Rep', ManagerId: '005M' }, 'sf1').managerId).toBe('005M');
  });
});
