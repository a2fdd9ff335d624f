import { describe, expect, it } from 'vitest';
import { annotationMarker, compareIds, readAnnotationKey, toActivity, toStageChanges, toInstant } from '../../../../connectors/hubspot/mappers.js';
import { RawObject } from '../../../../connectors/hubspot/schemas.js';

const ctx = { connectionId: 'hs-test', nowMs: Date.parse('2026-11-26T12:00:00.000Z') };
const raw = (id: string, properties: Record<string, string | null>) =>
  RawObject.parse({ id, properties, createdAt: '2026-11-01T00:00:00.000Z', updatedAt: '2026-11-02T00:00:00.000Z', archived: false });

describe('HubSpot mappers', () => {
  it('maps call and email directions', () => {
    expect(toActivity(raw('1', { hs_call_direction: 'INBOUND', hs_timestamp: '2026-11-20T10:00:00Z' }), 'calls', ['9'], ctx)).toMatchObject({ type: 'call', direction: 'inbound', completed: true, dealIds: ['9'] });
    expect(toActivity(raw('2', { hs_call_direction: 'OUTBOUND', hs_timestamp: '2026-11-20T10:00:00Z' }), 'calls', [], ctx).direction).toBe('outbound');
    expect(toActivity(raw('3', { hs_email_direction: 'INCOMING_EMAIL', hs_timestamp: '2026-11-20T10:00:00Z' }), 'emails', [], ctx).direction).toBe('inbound');
    expect(toActivity(raw('4', { hs_email_direction: 'EMAIL', hs_timestamp: '2026-11-20T10:00:00Z' }), 'emails', [], ctx).direction).toBe('outbound');
    expect(toActivity(raw('5', { hs_timestamp: '2026-11-20T10:00:00Z' }), 'meetings', [], ctx).direction).toBe('unknown');
  });

  it('a future meeting has not happened; a task is complete only when COMPLETED', () => {
    expect(toActivity(raw('6', { hs_timestamp: '2026-12-01T10:00:00Z', hs_meeting_outcome: 'SCHEDULED' }), 'meetings', [], ctx).completed).toBe(false);
    expect(toActivity(raw('7', { hs_timestamp: '2026-11-01T10:00:00Z', hs_meeting_outcome: 'COMPLETED' }), 'meetings', [], ctx).completed).toBe(true);
    expect(toActivity(raw('8', { hs_timestamp: '2026-11-01T10:00:00Z', hs_task_status: 'NOT_STARTED', hs_task_subject: 'Call back' }), 'tasks', [], ctx)).toMatchObject({ completed: false, subject: 'Call back', occurredAt: '2026-11-01T10:00:00.000Z' });
    expect(toActivity(raw('9', { hs_timestamp: '1764158400000', hs_task_status: 'COMPLETED' }), 'tasks', [], ctx)).toMatchObject({ completed: true, occurredAt: '2025-11-26T12:00:00.000Z' });
  });

  it("marks dealwatch's own notes and tasks by the key marker in the body", () => {
    const key = 'hs-test:123:stale_deal:2026-11-26T00:00:00.000Z';
    const ours = toActivity(raw('10', { hs_note_body: `<p>Pipeline health</p><p>${annotationMarker(key)}</p>`, hs_timestamp: '2026-11-20T10:00:00Z' }), 'notes', ['123'], ctx);
    expect(ours.origin).toBe('dealwatch');
    expect(readAnnotationKey(`<p>${annotationMarker(key)}</p>`)).toBe(key);
    const theirs = toActivity(raw('11', { hs_note_body: '<p>Spoke with <b>Jo</b> about dealwatch</p>', hs_timestamp: '2026-11-20T10:00:00Z' }), 'notes', [], ctx);
    expect(theirs).toMatchObject({ origin: 'crm', subject: 'Spoke with Jo about dealwatch' });
  });

  it('rebuilds stage moves from hs_date_entered_* in time order', () => {
    const deal = raw('12', {
      hs_date_entered_appointmentscheduled: '2026-10-01T00:00:00Z',
      hs_v2_date_entered_qualifiedtobuy: '2026-10-05T00:00:00Z',
      hs_date_entered_contractsent: '2026-10-20T00:00:00Z',
    });
    const moves = toStageChanges(deal, { connectionId: 'hs-test', stageIds: ['contractsent', 'qualifiedtobuy', 'appointmentscheduled', 'closedwon'] });
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
