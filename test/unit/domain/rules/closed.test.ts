/** The closed-deal rules as a rep reads them: the whole finding, and the 90-day window's edge. */
import { describe, expect, it } from 'vitest';
import { input, lostDeal, wonDeal } from '../builders.js';
import { finding } from '../helpers.js';

const pick = (f: ReturnType<typeof finding>) => f && { message: f.message, evidence: f.evidence, suggestedAction: f.suggestedAction };

describe('closed_won_missing_amount', () => {
  it('flags a recent win without an amount, in words a rep can act on', () => {
    expect(
      pick(finding(input({ deals: [wonDeal('d1', { amount: null, closeDate: '2026-11-20' })] }), 'closed_won_missing_amount')),
    ).toEqual({
      message: 'Closed won without an amount: the win is missing from bookings and quota attainment.',
      evidence: { amount: null, closeDate: '2026-11-20' },
      suggestedAction: 'Enter the signed amount.',
    });
    expect(
      finding(input({ deals: [wonDeal('d1', { amount: 0, closeDate: '2026-11-20' })] }), 'closed_won_missing_amount')?.evidence,
    ).toEqual({ amount: 0, closeDate: '2026-11-20' });
    expect(finding(input({ deals: [wonDeal('d1', { amount: 5, closeDate: '2026-11-20' })] }), 'closed_won_missing_amount')).toBeUndefined();
  });

  it('looks at wins closed within 90 days, counting the 90th day', () => {
    expect(
      finding(input({ deals: [wonDeal('d1', { amount: null, closeDate: '2026-08-28' })] }), 'closed_won_missing_amount'),
    ).toBeDefined();
    expect(
      finding(input({ deals: [wonDeal('d1', { amount: null, closeDate: '2026-08-27' })] }), 'closed_won_missing_amount'),
    ).toBeUndefined();
  });
});

describe('closed_lost_missing_reason', () => {
  it('flags a recent loss without a reason, or with a blank one', () => {
    expect(
      pick(finding(input({ deals: [lostDeal('d1', { lostReason: null, closeDate: '2026-11-20' })] }), 'closed_lost_missing_reason')),
    ).toEqual({
      message: 'Closed lost without a reason: the team cannot learn from this loss.',
      evidence: { lostReason: null, closeDate: '2026-11-20' },
      suggestedAction: 'Pick the loss reason (price, competitor, no decision, timing...).',
    });
    expect(
      finding(input({ deals: [lostDeal('d1', { lostReason: '  ', closeDate: '2026-11-20' })] }), 'closed_lost_missing_reason')?.evidence[
        'lostReason'
      ],
    ).toBe('  ');
    expect(
      finding(input({ deals: [lostDeal('d1', { lostReason: 'price', closeDate: '2026-11-20' })] }), 'closed_lost_missing_reason'),
    ).toBeUndefined();
  });

  it('leaves losses older than 90 days alone', () => {
    expect(
      finding(input({ deals: [lostDeal('d1', { lostReason: null, closeDate: '2026-08-28' })] }), 'closed_lost_missing_reason'),
    ).toBeDefined();
    expect(
      finding(input({ deals: [lostDeal('d1', { lostReason: null, closeDate: '2026-08-27' })] }), 'closed_lost_missing_reason'),
    ).toBeUndefined();
  });
});
