import { describe, expect, it } from 'vitest';
import { activity, deal, input, move, settings } from '../builders.js';
import { finding } from '../helpers.js';

// NOW = 2026-11-26T15:00Z. Deals created long ago so that only activity decides.
const old = { createdAt: '2026-09-01T12:00:00.000Z' };

describe('stale_deal', () => {
  const at = (iso: string, over = {}) => input({ deals: [deal('d1', old)], activities: [activity('d1', iso, over)] });

  it('is not flagged 13 days after the last activity (below threshold)', () => {
    expect(finding(at('2026-11-13T10:00:00.000Z'), 'stale_deal')).toBeUndefined();
  });

  it('is flagged at exactly 14 days, with the numbers in the message', () => {
    const f = finding(at('2026-11-12T10:00:00.000Z'), 'stale_deal');
    expect(f?.severity).toBe('warning');
    expect(f?.message).toBe('No logged activity in 14 days (team threshold 14).');
    expect(f?.evidence).toMatchObject({ idleDays: 14, thresholdDays: 14, countedFrom: 'last_activity' });
  });

  it('is flagged above threshold and critical at twice the threshold', () => {
    expect(finding(at('2026-11-03T10:00:00.000Z'), 'stale_deal')?.evidence['idleDays']).toBe(23);
    expect(finding(at('2026-11-03T10:00:00.000Z'), 'stale_deal')?.message).toContain('23 days (team threshold 14)');
    expect(finding(at('2026-10-29T10:00:00.000Z'), 'stale_deal')?.severity).toBe('critical');
  });

  it('counts calendar days in the connection time zone', () => {
    // 2026-11-12T07:30Z is still Nov 11 in Los Angeles: 15 local days, but 14 in UTC.
    const inp = at('2026-11-12T07:30:00.000Z');
    expect(finding(inp, 'stale_deal')?.evidence['idleDays']).toBe(14);
    const la = { ...inp, settings: settings({ timezone: 'America/Los_Angeles' }) };
    expect(finding(la, 'stale_deal')?.evidence['idleDays']).toBe(15);
    // 2026-11-13T11:30Z is already Nov 14 in Auckland (UTC+13): 13 local days there -> not stale
    const nz = { ...at('2026-11-13T11:30:00.000Z'), settings: settings({ timezone: 'Pacific/Auckland' }) };
    expect(finding(nz, 'stale_deal')).toBeUndefined();
  });

  it('ignores future-dated activities, dealwatch notes, open tasks and deleted activities', () => {
    const inp = input({
      deals: [deal('d1', old)],
      activities: [
        activity('d1', '2026-11-01T10:00:00.000Z'),
        activity('d1', '2026-11-30T10:00:00.000Z', { type: 'meeting', completed: false }),
        activity('d1', '2026-11-25T10:00:00.000Z', { type: 'note', origin: 'dealwatch' }),
        activity('d1', '2026-11-25T10:00:00.000Z', { type: 'task', completed: false }),
        activity('d1', '2026-11-25T10:00:00.000Z', { isDeleted: true }),
      ],
    });
    expect(finding(inp, 'stale_deal')?.evidence['idleDays']).toBe(25);
  });

  it('counts a completed task as activity', () => {
    const inp = at('2026-11-25T10:00:00.000Z', { type: 'task', completed: true });
    expect(finding(inp, 'stale_deal')).toBeUndefined();
  });

  it('counts from creation for a deal with no activity at all', () => {
    expect(finding(input({ deals: [deal('d1', { createdAt: '2026-11-20T12:00:00.000Z' })] }), 'stale_deal')).toBeUndefined();
    const f = finding(input({ deals: [deal('d1', { createdAt: '2026-11-01T12:00:00.000Z' })] }), 'stale_deal');
    expect(f?.evidence).toMatchObject({ idleDays: 25, lastActivityAt: null, countedFrom: 'created' });
    expect(f?.message).toContain('since the deal was created 25 days ago');
  });

  it('uses the later of last activity and creation', () => {
    // activity before creation (imported history) does not make a new deal stale
    const inp = input({
      deals: [deal('d1', { createdAt: '2026-11-20T12:00:00.000Z' })],
      activities: [activity('d1', '2026-10-01T10:00:00.000Z')],
    });
    expect(finding(inp, 'stale_deal')).toBeUndefined();
  });

  it('takes per-pipeline days from config and can be disabled', () => {
    const inp = at('2026-11-16T10:00:00.000Z'); // 10 days
    expect(finding(inp, 'stale_deal')).toBeUndefined();
    const strict = { ...inp, settings: settings({ rules: { stale_deal: { byPipeline: { default: { days: 10 } } } } }) };
    expect(finding(strict, 'stale_deal')?.evidence['thresholdDays']).toBe(10);
    const off = { ...at('2026-10-01T10:00:00.000Z'), settings: settings({ rules: { stale_deal: { enabled: false } } }) };
    expect(finding(off, 'stale_deal')).toBeUndefined();
  });

  it('does not apply to closed deals', () => {
    expect(finding(input({ deals: [deal('d1', { ...old, isClosed: true, isWon: true, stageId: 'won' })] }), 'stale_deal')).toBeUndefined();
  });
});

describe('no_next_activity', () => {
  it('is not checked below 40% probability', () => {
    expect(finding(input({ deals: [deal('d1', { stageId: 'discovery' })] }), 'no_next_activity')).toBeUndefined();
  });

  it('is flagged at 40% with nothing scheduled', () => {
    const f = finding(input({ deals: [deal('d1', { stageId: 'demo' })] }), 'no_next_activity');
    expect(f?.message).toContain('40% probability (required from 40%)');
  });

  it('is cleared by an open task or a future meeting, not by a past meeting', () => {
    const d = [deal('d1', { stageId: 'proposal' })];
    expect(
      finding(
        input({ deals: d, activities: [activity('d1', '2026-12-01T10:00:00.000Z', { type: 'task', completed: false })] }),
        'no_next_activity',
      ),
    ).toBeUndefined();
    expect(
      finding(
        input({ deals: d, activities: [activity('d1', '2026-11-27T10:00:00.000Z', { type: 'meeting', completed: false })] }),
        'no_next_activity',
      ),
    ).toBeUndefined();
    expect(
      finding(input({ deals: d, activities: [activity('d1', '2026-11-25T10:00:00.000Z', { type: 'meeting' })] }), 'no_next_activity'),
    ).toBeDefined();
    // our own reminder task does not count as the rep's next step
    expect(
      finding(
        input({
          deals: d,
          activities: [activity('d1', '2026-12-01T10:00:00.000Z', { type: 'task', completed: false, origin: 'dealwatch' })],
        }),
        'no_next_activity',
      ),
    ).toBeDefined();
  });
});

describe('activity_not_logged', () => {
  const base = (acts: ReturnType<typeof activity>[], at = '2026-11-20T10:00:00.000Z') =>
    input({
      deals: [deal('d1', { stageId: 'demo', createdAt: '2026-10-01T10:00:00.000Z' })],
      stageChanges: [move('d1', 'discovery', 'demo', at)],
      activities: acts,
    });

  it('is flagged when the stage advanced with no activity in the 7 days before', () => {
    const f = finding(base([activity('d1', '2026-11-12T10:00:00.000Z')]), 'activity_not_logged');
    expect(f?.message).toBe('Moved to Demo on 2026-11-20 with no activity logged in the 7 days before.');
  });

  it('is not flagged with an activity exactly 7 days before the move, or inside the window', () => {
    expect(finding(base([activity('d1', '2026-11-13T10:00:00.000Z')]), 'activity_not_logged')).toBeUndefined();
    expect(finding(base([activity('d1', '2026-11-19T10:00:00.000Z')]), 'activity_not_logged')).toBeUndefined();
  });

  it('ignores a stage set within a day of creation (data entry, not an advance)', () => {
    const inp = input({
      deals: [deal('d1', { stageId: 'demo', createdAt: '2026-11-20T09:00:00.000Z' })],
      stageChanges: [move('d1', 'discovery', 'demo', '2026-11-20T10:00:00.000Z')],
    });
    expect(finding(inp, 'activity_not_logged')).toBeUndefined();
  });

  it('ignores moves backwards and moves older than withinDays', () => {
    const back = input({
      deals: [deal('d1', { stageId: 'demo' })],
      stageChanges: [move('d1', 'proposal', 'demo', '2026-11-20T10:00:00.000Z')],
    });
    expect(finding(back, 'activity_not_logged')).toBeUndefined();
    expect(finding(base([], '2026-10-20T10:00:00.000Z'), 'activity_not_logged')).toBeUndefined();
  });
});
