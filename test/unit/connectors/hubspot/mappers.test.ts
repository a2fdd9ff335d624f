import { describe, expect, it } from 'vitest';
import {
  annotationMarker,
  compareIds,
  dealProperties,
  readAnnotationKey,
  toActivity,
  toDeal,
  toFieldChanges,
  toInstant,
  toOwner,
  toStageChanges,
  toStages,
} from '../../../../connectors/hubspot/mappers.js';
import { RawObject, type RawOwner, type RawPipeline } from '../../../../connectors/hubspot/schemas.js';
import { fixture } from './support.js';

const ctx = { connectionId: 'hs-test', nowMs: Date.parse('2026-11-26T12:00:00.000Z') };
const raw = (id: string, properties: Record<string, string | null>) =>
  RawObject.parse({ id, properties, createdAt: '2026-11-01T00:00:00.000Z', updatedAt: '2026-11-02T00:00:00.000Z', archived: false });

describe('HubSpot mappers', () => {
  it('maps call and email directions', () => {
    expect(toActivity(raw('1', { hs_call_direction: 'INBOUND', hs_timestamp: '2026-11-20T10:00:00Z' }), 'calls', ['9'], ctx)).toMatchObject(
      { type: 'call', direction: 'inbound', completed: true, dealIds: ['9'] },
    );
    expect(toActivity(raw('2', { hs_call_direction: 'OUTBOUND', hs_timestamp: '2026-11-20T10:00:00Z' }), 'calls', [], ctx).direction).toBe(
      'outbound',
    );
    expect(
      toActivity(raw('3', { hs_email_direction: 'INCOMING_EMAIL', hs_timestamp: '2026-11-20T10:00:00Z' }), 'emails', [], ctx).direction,
    ).toBe('inbound');
    expect(toActivity(raw('4', { hs_email_direction: 'EMAIL', hs_timestamp: '2026-11-20T10:00:00Z' }), 'emails', [], ctx).direction).toBe(
      'outbound',
    );
    expect(toActivity(raw('5', { hs_timestamp: '2026-11-20T10:00:00Z' }), 'meetings', [], ctx).direction).toBe('unknown');
  });

  it('a future meeting has not happened; a task is complete only when COMPLETED', () => {
    expect(
      toActivity(raw('6', { hs_timestamp: '2026-12-01T10:00:00Z', hs_meeting_outcome: 'SCHEDULED' }), 'meetings', [], ctx).completed,
    ).toBe(false);
    expect(
      toActivity(raw('7', { hs_timestamp: '2026-11-01T10:00:00Z', hs_meeting_outcome: 'COMPLETED' }), 'meetings', [], ctx).completed,
    ).toBe(true);
    expect(
      toActivity(
        raw('8', { hs_timestamp: '2026-11-01T10:00:00Z', hs_task_status: 'NOT_STARTED', hs_task_subject: 'Call back' }),
        'tasks',
        [],
        ctx,
      ),
    ).toMatchObject({ completed: false, subject: 'Call back', occurredAt: '2026-11-01T10:00:00.000Z' });
    expect(toActivity(raw('9', { hs_timestamp: '1764158400000', hs_task_status: 'COMPLETED' }), 'tasks', [], ctx)).toMatchObject({
      completed: true,
      occurredAt: '2025-11-26T12:00:00.000Z',
    });
  });

  it("marks dealwatch's own notes and tasks by the key marker in the body", () => {
    const key = 'hs-test:123:stale_deal:2026-11-26T00:00:00.000Z';
    const ours = toActivity(
      raw('10', { hs_note_body: `<p>Pipeline health</p><p>${annotationMarker(key)}</p>`, hs_timestamp: '2026-11-20T10:00:00Z' }),
      'notes',
      ['123'],
      ctx,
    );
    expect(ours.origin).toBe('dealwatch');
    expect(readAnnotationKey(`<p>${annotationMarker(key)}</p>`)).toBe(key);
    const theirs = toActivity(
      raw('11', { hs_note_body: '<p>Spoke with <b>Jo</b> about dealwatch</p>', hs_timestamp: '2026-11-20T10:00:00Z' }),
      'notes',
      [],
      ctx,
    );
    expect(theirs).toMatchObject({ origin: 'crm', subject: 'Spoke with Jo about dealwatch' });
  });

  it('rebuilds stage moves from hs_date_entered_* in time order', () => {
    const deal = raw('12', {
      hs_date_entered_appointmentscheduled: '2026-10-01T00:00:00Z',
      hs_v2_date_entered_qualifiedtobuy: '2026-10-05T00:00:00Z',
      hs_date_entered_contractsent: '2026-10-20T00:00:00Z',
    });
    const moves = toStageChanges(deal, {
      connectionId: 'hs-test',
      stageIds: ['contractsent', 'qualifiedtobuy', 'appointmentscheduled', 'closedwon'],
    });
    expect(moves.map((m) => [m.fromStageId, m.toStageId, m.at])).toEqual([
      [null, 'appointmentscheduled', '2026-10-01T00:00:00.000Z'],
      ['appointmentscheduled', 'qualifiedtobuy', '2026-10-05T00:00:00.000Z'],
      ['qualifiedtobuy', 'contractsent', '2026-10-20T00:00:00.000Z'],
    ]);
  });

  it('compares ids numerically and parses both datetime encodings', () => {
    expect(compareIds('9', '10')).toBe(-1);
    expect(compareIds('100000000000000000001', '100000000000000000002')).toBe(-1);
    expect(toInstant('1764158400000')).toBe('2025-11-26T12:00:00.000Z');
    expect(toInstant('2026-11-26T12:00:00Z')).toBe('2026-11-26T12:00:00.000Z');
    expect(toInstant('')).toBeNull();
  });
});

describe('HubSpot deal mapping', () => {
  const pipelines = fixture<{ results: RawPipeline[] }>('pipelines-deals.json').results;
  const stages = toStages(pipelines, 'hs-test');
  const dealCtx = {
    connectionId: 'hs-test',
    discountProperty: 'discount_percent',
    lostReasonProperty: 'closed_lost_reason',
    stages: new Map(stages.map((s) => [s.id, s])),
  };
  const dealRaw = (properties: Record<string, string | null>, over: Record<string, unknown> = {}) =>
    RawObject.parse({
      id: '42',
      properties,
      createdAt: '2026-10-01T00:00:00.000Z',
      updatedAt: '2026-11-02T00:00:00.000Z',
      archived: false,
      ...over,
    });

  it('maps the properties a rep edits, normalising currency, dates and counts', () => {
    const deal = toDeal(
      dealRaw({
        dealname: 'Acme renewal',
        dealstage: 'contractsent',
        pipeline: 'default',
        amount: '12500.50',
        deal_currency_code: 'eur',
        closedate: '2026-12-15T00:00:00Z',
        hubspot_owner_id: '77',
        createdate: '1759276800000',
        hs_lastmodifieddate: '2026-11-20T10:00:00Z',
        hs_manual_forecast_category: 'BEST_CASE',
        hs_next_step: 'Send contract',
        hs_analytics_source: 'ORGANIC_SEARCH',
        num_associated_contacts: '3.0',
        discount_percent: '12.5',
        closed_lost_reason: 'price',
        hs_v2_date_entered_current_stage: '2026-11-10T09:00:00Z',
      }),
      dealCtx,
      { id: '900', name: 'Acme', isTarget: true },
    );
    expect(deal).toEqual({
      connectionId: 'hs-test',
      externalId: '42',
      name: 'Acme renewal',
      ownerId: '77',
      accountId: '900',
      accountName: 'Acme',
      accountIsTarget: true,
      leadSource: 'ORGANIC_SEARCH',
      pipeline: 'default',
      stageId: 'contractsent',
      amount: 12500.5,
      currency: 'EUR',
      closeDate: '2026-12-15',
      createdAt: '2025-10-01T00:00:00.000Z',
      modifiedAt: '2026-11-20T10:00:00.000Z',
      probability: 0.9,
      forecastCategory: 'best_case',
      nextStep: 'Send contract',
      isClosed: false,
      isWon: false,
      stageEnteredAt: '2026-11-10T09:00:00.000Z',
      discountPercent: 12.5,
      contactCount: 3,
      lostReason: 'price',
      isDeleted: false,
      deletedAt: null,
    });
  });

  it('falls back on the stage for probability and closed/won, and reads probabilities given in percent', () => {
    expect(toDeal(dealRaw({ dealstage: 'closedwon' }), dealCtx)).toMatchObject({ probability: 1, isClosed: true, isWon: true });
    expect(toDeal(dealRaw({ dealstage: 'closedlost' }), dealCtx)).toMatchObject({ probability: 0, isClosed: true, isWon: false });
    expect(toDeal(dealRaw({ dealstage: 'closedwon', hs_is_closed: 'false', hs_is_closed_won: 'false' }), dealCtx)).toMatchObject({
      isClosed: false,
      isWon: false,
    });
    expect(toDeal(dealRaw({ dealstage: 'qualifiedtobuy', hs_is_closed: 'true', hs_is_closed_won: 'true' }), dealCtx)).toMatchObject({
      isClosed: true,
      isWon: true,
    });
    expect(toDeal(dealRaw({ dealstage: 'qualifiedtobuy', hs_deal_stage_probability: '60' }), dealCtx).probability).toBe(0.6);
    expect(toDeal(dealRaw({ dealstage: 'qualifiedtobuy', hs_deal_stage_probability: '1' }), dealCtx).probability).toBe(1);
    expect(toDeal(dealRaw({ dealstage: 'qualifiedtobuy', hs_deal_stage_probability: '250' }), dealCtx).probability).toBe(1);
    expect(toDeal(dealRaw({ dealstage: 'qualifiedtobuy', hs_deal_stage_probability: '-0.5' }), dealCtx).probability).toBe(0);
    expect(toDeal(dealRaw({ dealstage: 'nosuchstage' }), dealCtx)).toMatchObject({
      stageId: 'nosuchstage',
      probability: null,
      isClosed: false,
      isWon: false,
    });
    expect(toDeal(dealRaw({}), dealCtx)).toMatchObject({ stageId: 'unknown', pipeline: 'default', name: '' });
  });

  it('leaves unreadable values empty rather than guessing', () => {
    const deal = toDeal(
      dealRaw({
        dealname: 'x',
        amount: '',
        deal_currency_code: 'EURO',
        closedate: 'soon',
        num_associated_contacts: '-2',
        discount_percent: 'n/a',
        hs_manual_forecast_category: 'MAYBE',
        hubspot_owner_id: '',
        closed_lost_reason: '',
      }),
      { ...dealCtx, lostReasonProperty: null },
      { id: null, name: 'ignored', isTarget: true },
    );
    expect(deal).toMatchObject({
      amount: null,
      currency: null,
      closeDate: null,
      contactCount: null,
      discountPercent: null,
      forecastCategory: null,
      ownerId: null,
      lostReason: null,
      accountId: null,
      accountName: null,
      accountIsTarget: null,
    });
    expect(toDeal(dealRaw({ closedate: '2026-12-15', amount: '  ' }), dealCtx)).toMatchObject({ closeDate: '2026-12-15', amount: null });
    expect(toDeal(dealRaw({ closedate: ' 2026-12-15 ' }), dealCtx).closeDate).toBe('2026-12-15');
    expect(toDeal(dealRaw({ closedate: '1765756800000', num_associated_contacts: '0' }), dealCtx)).toMatchObject({
      closeDate: '2025-12-15',
      contactCount: 0,
    });
    expect(toDeal(dealRaw({ closed_lost_reason: 'timing' }), { ...dealCtx, lostReasonProperty: null }).lostReason).toBeNull();
  });

  it('takes creation and modification instants from the properties, then the record, then each other', () => {
    expect(toDeal(dealRaw({}), dealCtx)).toMatchObject({ createdAt: '2026-10-01T00:00:00.000Z', modifiedAt: '2026-11-02T00:00:00.000Z' });
    const bare = RawObject.parse({ id: '43', properties: { hs_lastmodifieddate: '2026-11-03T00:00:00Z' } });
    expect(toDeal(bare, dealCtx)).toMatchObject({ createdAt: '2026-11-03T00:00:00.000Z', modifiedAt: '2026-11-03T00:00:00.000Z' });
    const nothing = RawObject.parse({ id: '44', properties: {} });
    expect(toDeal(nothing, dealCtx)).toMatchObject({ createdAt: '1970-01-01T00:00:00.000Z', modifiedAt: '1970-01-01T00:00:00.000Z' });
    const noUpdate = RawObject.parse({ id: '45', properties: { createdate: '2026-09-01T00:00:00Z' } });
    expect(toDeal(noUpdate, dealCtx).modifiedAt).toBe('2026-09-01T00:00:00.000Z');
  });

  it('reads the stage entry from the current-stage property, then the stage-named v2 and legacy ones', () => {
    const entered = (p: Record<string, string>) => toDeal(dealRaw({ dealstage: 'contractsent', ...p }), dealCtx).stageEnteredAt;
    expect(entered({ hs_v2_date_entered_contractsent: '2026-11-05T00:00:00Z', hs_date_entered_contractsent: '2026-11-04T00:00:00Z' })).toBe(
      '2026-11-05T00:00:00.000Z',
    );
    expect(entered({ hs_date_entered_contractsent: '2026-11-04T00:00:00Z' })).toBe('2026-11-04T00:00:00.000Z');
    expect(entered({})).toBeNull();
  });

  it('an archived deal is deleted at its archive instant; the company defaults to the primary inline association', () => {
    expect(toDeal(dealRaw({}, { archived: true, archivedAt: '2026-11-25T00:00:00.000Z' }), dealCtx)).toMatchObject({
      isDeleted: true,
      deletedAt: '2026-11-25T00:00:00.000Z',
    });
    expect(toDeal(dealRaw({}, { archived: true }), dealCtx)).toMatchObject({ isDeleted: true, deletedAt: null });
    expect(toDeal(dealRaw({}, { archivedAt: '2026-11-25T00:00:00.000Z' }), dealCtx)).toMatchObject({ isDeleted: false, deletedAt: null });
  });

  it('asks for the base properties, the discount and lost-reason properties and each stage entry date once', () => {
    const names = dealProperties(dealCtx);
    expect(names).toEqual(
      expect.arrayContaining([
        'dealname',
        'hs_v2_date_entered_current_stage',
        'discount_percent',
        'closed_lost_reason',
        'hs_date_entered_closedwon',
        'hs_v2_date_entered_closedwon',
      ]),
    );
    expect(new Set(names).size).toBe(names.length);
    expect(dealProperties({ ...dealCtx, lostReasonProperty: null })).not.toContain('closed_lost_reason');
  });
});

describe('HubSpot stages, owners and field history', () => {
  it('orders stages by displayOrder with archived ones last; won is closed at probability 1', () => {
    const stages = toStages(
      [
        {
          id: 'p1',
          stages: [
            { id: 'b', label: 'B', displayOrder: 2, metadata: { isClosed: 'false', probability: '40' } },
            { id: 'old', displayOrder: 0, archived: true, metadata: { isClosed: 'false', probability: '0.1' } },
            { id: 'a', label: 'A', displayOrder: 1, metadata: { isClosed: 'false', probability: '0.2' } },
            { id: 'won', label: 'Won', displayOrder: 3, metadata: { isClosed: 'true', probability: '1.0' } },
            { id: 'lost', label: 'Lost', displayOrder: 4, metadata: { isClosed: 'true', probability: 'x' } },
          ],
        } as RawPipeline,
      ],
      'hs-test',
    );
    expect(stages.map((s) => [s.id, s.label, s.order, s.probability, s.isClosed, s.isWon])).toEqual([
      ['a', 'A', 0, 0.2, false, false],
      ['b', 'B', 1, 0.4, false, false],
      ['won', 'Won', 2, 1, true, true],
      ['lost', 'Lost', 3, 0, true, false],
      ['old', 'old', 4, 0.1, false, false],
    ]);
    expect(stages[0]).toMatchObject({ connectionId: 'hs-test', pipeline: 'p1' });
  });

  it('names an owner by first and last name, else email, else id; the primary team first', () => {
    expect(
      toOwner(
        {
          id: '1',
          firstName: 'Ada',
          lastName: ' ',
          email: 'ada@x.io',
          teams: [
            { id: 't1', name: 'East', primary: false },
            { id: 't2', name: 'West', primary: true },
          ],
        } as RawOwner,
        'hs-test',
      ),
    ).toEqual({
      connectionId: 'hs-test',
      externalId: '1',
      name: 'Ada',
      email: 'ada@x.io',
      team: 'West',
      active: true,
    });
    expect(toOwner({ id: '2', email: 'bo@x.io', teams: [{ id: 't1', name: 'East' }] } as RawOwner, 'hs-test')).toMatchObject({
      name: 'bo@x.io',
      team: 'East',
    });
    expect(toOwner({ id: '3', archived: true } as RawOwner, 'hs-test')).toMatchObject({
      name: '3',
      email: null,
      team: null,
      active: false,
    });
  });

  it('turns close-date and amount history into changes of value, oldest first', () => {
    const deal = RawObject.parse({
      id: '7',
      properties: {},
      propertiesWithHistory: {
        amount: [
          { value: '6000', timestamp: '2026-11-03T00:00:00Z' },
          { value: '5000.00', timestamp: '2026-11-02T00:00:00Z' },
          { value: '5000', timestamp: '2026-11-01T00:00:00Z' },
        ],
        closedate: [
          { value: '2026-12-31T00:00:00Z', timestamp: '2026-11-04T00:00:00Z' },
          { value: '1764547200000', timestamp: 'not a time' },
          { value: '2026-12-01', timestamp: '2026-10-01T00:00:00Z' },
        ],
      },
    });
    expect(toFieldChanges(deal, 'hs-test').map((c) => [c.field, c.oldValue, c.newValue, c.at])).toEqual([
      ['amount', '5000', '6000', '2026-11-03T00:00:00.000Z'],
      ['closeDate', '2026-12-01', '2026-12-31', '2026-11-04T00:00:00.000Z'],
    ]);
    expect(toFieldChanges(RawObject.parse({ id: '8', properties: {} }), 'hs-test')).toEqual([]);
  });
});

describe('HubSpot activity mapping', () => {
  const at = { hs_timestamp: '2026-11-20T10:00:00Z' };

  it('a call, email or meeting not yet held is not completed, whatever the status that says so', () => {
    for (const status of ['SCHEDULED', 'CANCELED', 'QUEUED', 'CALLING_CRM_USER', 'RINGING', 'IN_PROGRESS']) {
      expect(toActivity(raw('c', { ...at, hs_call_status: status }), 'calls', [], ctx).completed, status).toBe(false);
    }
    expect(toActivity(raw('c', { ...at, hs_call_status: 'COMPLETED' }), 'calls', [], ctx).completed).toBe(true);
    expect(toActivity(raw('c', { hs_timestamp: '2026-12-20T10:00:00Z', hs_call_status: 'COMPLETED' }), 'calls', [], ctx).completed).toBe(
      false,
    );
    for (const outcome of ['SCHEDULED', 'RESCHEDULED', 'CANCELED', 'NO_SHOW']) {
      expect(toActivity(raw('m', { ...at, hs_meeting_outcome: outcome }), 'meetings', [], ctx).completed, outcome).toBe(false);
    }
    expect(toActivity(raw('m', at), 'meetings', [], ctx).completed).toBe(true);
    expect(toActivity(raw('e', { ...at, hs_email_status: 'SCHEDULED' }), 'emails', [], ctx).completed).toBe(false);
    expect(
      toActivity(
        raw('e', { ...at, hs_email_status: 'SENT', hs_email_direction: 'FORWARDED_EMAIL', hs_email_subject: 'Re: terms' }),
        'emails',
        [],
        ctx,
      ),
    ).toMatchObject({ completed: true, direction: 'outbound', subject: 'Re: terms', type: 'email' });
    expect(toActivity(raw('n', { hs_timestamp: '2026-12-20T10:00:00Z', hs_note_body: 'later' }), 'notes', [], ctx).completed).toBe(false);
    expect(toActivity(raw('c', { ...at, hs_call_title: 'Intro call', hs_call_direction: 'SIDEWAYS' }), 'calls', [], ctx)).toMatchObject({
      subject: 'Intro call',
      direction: 'unknown',
      type: 'call',
    });
    expect(toActivity(raw('m', { ...at, hs_meeting_title: 'Demo' }), 'meetings', [], ctx)).toMatchObject({
      subject: 'Demo',
      type: 'meeting',
    });
    expect(toActivity(raw('t', { ...at, hs_task_status: 'COMPLETED', hs_task_body: 'done' }), 'tasks', [], ctx)).toMatchObject({
      type: 'task',
      subject: null,
      origin: 'crm',
    });
  });

  it("a note's subject is its text: tags dropped, entities decoded once, spaces collapsed, 120 characters at most", () => {
    const note = (body: string) => toActivity(raw('n', { ...at, hs_note_body: body }), 'notes', [], ctx).subject;
    expect(note('<p>Tom&nbsp;&amp;&nbsp;Jerry &lt;3&gt; &quot;x&quot; &#39;y&#39;</p>\n\n  <b>z</b>')).toBe('Tom & Jerry <3> "x" \'y\' z');
    expect(note('&amp;lt;')).toBe('&lt;');
    expect(note(`<p>${'a'.repeat(130)}</p>`)).toBe('a'.repeat(120));
    expect(note('<p> </p>')).toBeNull();
  });

  it('takes the first instant it can read for occurredAt and modifiedAt, and lists each deal once', () => {
    const meeting = toActivity(
      raw('m', { hs_meeting_start_time: '2026-11-19T09:00:00Z', hs_createdate: '2026-11-18T09:00:00Z' }),
      'meetings',
      ['1', '1', '2'],
      ctx,
    );
    expect(meeting).toMatchObject({ occurredAt: '2026-11-19T09:00:00.000Z', dealIds: ['1', '2'], modifiedAt: '2026-11-02T00:00:00.000Z' });
    expect(
      toActivity(raw('c', { hs_createdate: '2026-11-18T09:00:00Z', hs_lastmodifieddate: '2026-11-21T00:00:00Z' }), 'calls', [], ctx),
    ).toMatchObject({ occurredAt: '2026-11-18T09:00:00.000Z', modifiedAt: '2026-11-21T00:00:00.000Z' });
    expect(toActivity(raw('c', {}), 'calls', [], ctx).occurredAt).toBe('2026-11-01T00:00:00.000Z');
    const bare = RawObject.parse({ id: 'b', properties: { hs_lastmodifieddate: '2026-11-03T00:00:00Z' } });
    expect(toActivity(bare, 'calls', [], ctx).occurredAt).toBe('2026-11-03T00:00:00.000Z');
    const nothing = RawObject.parse({ id: 'x', properties: {}, archived: true });
    expect(toActivity(nothing, 'calls', [], ctx)).toMatchObject({
      occurredAt: '1970-01-01T00:00:00.000Z',
      modifiedAt: '1970-01-01T00:00:00.000Z',
      isDeleted: true,
      ownerId: null,
    });
  });

  // A tag between words leaves a space; a meeting held at this very instant has happened; a note
  // without a body has no subject; a task carrying our marker is ours; a live activity is not deleted.
  it('activity edge cases: tags, now, empty bodies, our marker, live records', () => {
    expect(toActivity(raw('n', { ...at, hs_note_body: '<p>Call</p><p>back</p>' }), 'notes', [], ctx).subject).toBe('Call back');
    const now = new Date(ctx.nowMs).toISOString();
    expect(toActivity(raw('m', { hs_timestamp: now }), 'meetings', [], ctx).completed).toBe(true);
    expect(toActivity(raw('n', { hs_timestamp: now }), 'notes', [], ctx).completed).toBe(true);
    expect(toActivity(raw('e', { hs_timestamp: now }), 'emails', [], ctx).completed).toBe(true);
    expect(toActivity(raw('c', { hs_timestamp: now }), 'calls', [], ctx).completed).toBe(true);
    expect(toActivity(raw('n', at), 'notes', [], ctx)).toMatchObject({ subject: null, completed: true, origin: 'crm', isDeleted: false });
    expect(toActivity(raw('t', { ...at, hs_task_body: `Follow up ${annotationMarker('hs:9:rule')}` }), 'tasks', [], ctx).origin).toBe(
      'dealwatch',
    );
    // Each type reads only its own direction property.
    expect(toActivity(raw('e', { ...at, hs_call_direction: 'INBOUND', hs_email_direction: 'EMAIL' }), 'emails', [], ctx).direction).toBe(
      'outbound',
    );
    expect(
      toActivity(raw('c', { ...at, hs_email_direction: 'INCOMING_EMAIL', hs_call_direction: 'OUTBOUND' }), 'calls', [], ctx).direction,
    ).toBe('outbound');
    expect(
      toActivity(raw('m', { ...at, hs_call_direction: 'INBOUND', hs_email_direction: 'INCOMING_EMAIL' }), 'meetings', [], ctx).direction,
    ).toBe('unknown');
  });

  it('reads our key back from the marker, and no key from a marker that does not decode', () => {
    expect(annotationMarker('hs:1 2/3')).toBe('[dealwatch-key: hs:1%202%2F3]');
    expect(readAnnotationKey('x [dealwatch-key: hs:1%202%2F3] y')).toBe('hs:1 2/3');
    expect(readAnnotationKey('[dealwatch-key: %E0%A4%A]')).toBeNull();
    expect(readAnnotationKey('[dealwatch-key: ]')).toBeNull();
    expect(readAnnotationKey(null)).toBeNull();
  });

  it('compares non-numeric ids as strings, and equal ids as equal', () => {
    expect(compareIds('b', 'a')).toBe(1);
    expect(compareIds('a', 'b')).toBe(-1);
    expect(compareIds('a', 'a')).toBe(0);
    expect(compareIds('10', '9')).toBe(1);
    expect(compareIds('10', '10')).toBe(0);
    expect(compareIds('10', 'a')).toBe(-1);
  });

  it('reads datetimes with spaces, and not unreadable ones', () => {
    expect(toInstant(' 1764158400000 ')).toBe('2025-11-26T12:00:00.000Z');
    expect(toInstant('-1000')).toBe('1969-12-31T23:59:59.000Z');
    expect(toInstant('not a date')).toBeNull();
    expect(toInstant('   ')).toBeNull();
    expect(toInstant(undefined)).toBeNull();
  });
});
