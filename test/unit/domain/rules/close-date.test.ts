import { describe, expect, it } from 'vitest';
import { closeDateChange, deal, input, settings, snapshot } from '../builders.js';
import { finding } from '../helpers.js';

describe('close_date_passed', () => {
  const withClose = (closeDate: string, timezone = 'UTC') =>
    input({ deals: [deal('d1', { closeDate })], settings: settings({ timezone }) });

  it('is not flagged for today or later, is flagged for yesterday', () => {
    expect(finding(withClose('2026-11-26'), 'close_date_passed')).toBeUndefined();
    expect(finding(withClose('2026-11-27'), 'close_date_passed')).toBeUndefined();
    const f = finding(withClose('2026-11-25'), 'close_date_passed');
    expect(f?.severity).toBe('critical');
    expect(f?.message).toBe('Close date 2026-11-25 passed 1 day ago and the deal is still open.');
  });

  it('uses "today" in the connection time zone (15:00 UTC is already tomorrow in Auckland)', () => {
    expect(finding(withClose('2026-11-26', 'Pacific/Auckland'), 'close_date_passed')?.evidence['daysOverdue']).toBe(1);
    expect(finding(withClose('2026-11-26', 'America/Los_Angeles'), 'close_date_passed')).toBeUndefined();
  });

  it('does not flag deals without close date (missing_close_date does)', () => {
    expect(finding(input({ deals: [deal('d1', { closeDate: null })] }), 'close_date_passed')).toBeUndefined();
    expect(finding(input({ deals: [deal('d1', { closeDate: null })] }), 'missing_close_date')).toBeDefined();
  });
});

describe('close_date_pushed', () => {
  const pushes = (...c: ReturnType<typeof closeDateChange>[]) =>
    input({ deals: [deal('d1', { closeDate: '2026-12-20' })], fieldChanges: c });

  it('one push within the quarter is fine; two pushes in 90 days are flagged with the moves', () => {
    expect(
      finding(pushes(closeDateChange('d1', '2026-12-10', '2026-12-20', '2026-11-20T10:00:00.000Z')), 'close_date_pushed'),
    ).toBeUndefined();
    const f = finding(
      pushes(
        closeDateChange('d1', '2026-12-01', '2026-12-10', '2026-10-01T10:00:00.000Z'),
        closeDateChange('d1', '2026-12-10', '2026-12-20', '2026-11-20T10:00:00.000Z'),
      ),
      'close_date_pushed',
    );
    expect(f?.message).toBe('Close date pushed 2 times in the last 90 days (threshold 2).');
    expect(f?.evidence['moves']).toHaveLength(2);
  });

  it('does not count pushes older than 90 days or moves earlier', () => {
    expect(
      finding(
        pushes(
          closeDateChange('d1', '2026-12-01', '2026-12-10', '2026-08-01T10:00:00.000Z'),
          closeDateChange('d1', '2026-12-10', '2026-12-20', '2026-11-20T10:00:00.000Z'),
        ),
        'close_date_pushed',
      ),
    ).toBeUndefined();
    expect(
      finding(
        pushes(
          closeDateChange('d1', '2026-12-25', '2026-12-10', '2026-10-01T10:00:00.000Z'),
          closeDateChange('d1', '2026-12-10', '2026-12-20', '2026-11-20T10:00:00.000Z'),
        ),
        'close_date_pushed',
      ),
    ).toBeUndefined();
  });

  it('reads pushes from daily snapshots when the CRM gives no close-date history', () => {
    const snaps = [
      snapshot('d1', '2026-10-01', { closeDate: '2026-11-15' }),
      snapshot('d1', '2026-10-02', { closeDate: '2026-11-15' }),
      snapshot('d1', '2026-10-20', { closeDate: '2026-12-01' }),
      snapshot('d1', '2026-11-20', { closeDate: '2026-12-20' }),
    ];
    const f = finding(input({ deals: [deal('d1', { closeDate: '2026-12-20' })], snapshots: snaps }), 'close_date_pushed');
    expect(f?.evidence['pushes']).toBe(2);
    expect(f?.evidence['moves']).toEqual([
      { from: '2026-11-15', to: '2026-12-01', at: '2026-10-20T00:00:00.000Z', days: 16 },
      { from: '2026-12-01', to: '2026-12-20', at: '2026-11-20T00:00:00.000Z', days: 19 },
    ]);
    // field history, when present, is the only source
    const withHistory = input({
      deals: [deal('d1', { closeDate: '2026-12-20' })],
      snapshots: snaps,
      fieldChanges: [closeDateChange('d2', '2026-12-01', '2026-12-02', '2026-11-20T10:00:00.000Z')],
    });
    expect(finding(withHistory, 'close_date_pushed')).toBeUndefined();
  });

  it('flags a single push across a fiscal quarter boundary', () => {
    const f = finding(pushes(closeDateChange('d1', '2026-12-20', '2027-01-10', '2026-11-20T10:00:00.000Z')), 'close_date_pushed');
    expect(f?.message).toBe('Close date moved from FY2026-Q4 to FY2027-Q1.');
    // with a fiscal year starting in November, Dec and Jan are the same quarter
    const fy = {
      ...pushes(closeDateChange('d1', '2026-12-20', '2027-01-10', '2026-11-20T10:00:00.000Z')),
      settings: settings({ fiscalYearStartMonth: 11 }),
    };
    expect(finding(fy, 'close_date_pushed')).toBeUndefined();
  });
});
