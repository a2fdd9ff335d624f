import { describe, expect, it } from 'vitest';
import { deal, input, lostDeal, settings, snapshot, wonDeal } from '../builders.js';
import { finding } from '../helpers.js';

describe('missing fields', () => {
  it('missing_amount for null or zero amounts only', () => {
    expect(finding(input({ deals: [deal('d1', { amount: null })] }), 'missing_amount')).toBeDefined();
    expect(finding(input({ deals: [deal('d1', { amount: 0 })] }), 'missing_amount')).toBeDefined();
    expect(finding(input({ deals: [deal('d1', { amount: 1 })] }), 'missing_amount')).toBeUndefined();
  });

  it('missing_next_step from 20% probability (Discovery) on, not in Qualify (10%)', () => {
    expect(finding(input({ deals: [deal('d1', { stageId: 'qualify', nextStep: null })] }), 'missing_next_step')).toBeUndefined();
    expect(finding(input({ deals: [deal('d1', { stageId: 'discovery', nextStep: '  ' })] }), 'missing_next_step')?.message).toBe(
      'No next step in Discovery (required from 20% probability).',
    );
    expect(
      finding(input({ deals: [deal('d1', { stageId: 'discovery', nextStep: 'Send pricing' })] }), 'missing_next_step'),
    ).toBeUndefined();
  });

  it('uses the deal probability when the stage is unknown', () => {
    expect(
      finding(input({ deals: [deal('d1', { stageId: 'custom', probability: 0.5, nextStep: null })] }), 'missing_next_step'),
    ).toBeDefined();
  });
});

describe('single_threaded', () => {
  it('flags one contact or fewer from 40% probability', () => {
    expect(finding(input({ deals: [deal('d1', { stageId: 'demo', contactCount: 1 })] }), 'single_threaded')?.message).toBe(
      'Only 1 contact on a deal at 40% probability: one departure loses it.',
    );
    expect(finding(input({ deals: [deal('d1', { stageId: 'demo', contactCount: 0 })] }), 'single_threaded')).toBeDefined();
    expect(finding(input({ deals: [deal('d1', { stageId: 'demo', contactCount: 2 })] }), 'single_threaded')).toBeUndefined();
    expect(finding(input({ deals: [deal('d1', { stageId: 'discovery', contactCount: 1 })] }), 'single_threaded')).toBeUndefined();
    expect(finding(input({ deals: [deal('d1', { stageId: 'demo', contactCount: null })] }), 'single_threaded')).toBeUndefined();
  });
});

describe('amount_decreased', () => {
  const dropTo = (amount: number, snapDay = '2026-11-19') =>
    input({ deals: [deal('d1', { amount })], snapshots: [snapshot('d1', snapDay, { amount: 10_000 })] });

  it('flags a drop of more than 20% since the snapshot 7 days ago', () => {
    expect(finding(dropTo(8_000), 'amount_decreased')).toBeUndefined(); // exactly 20%
    const f = finding(dropTo(7_900), 'amount_decreased');
    expect(f?.evidence).toMatchObject({ before: 10_000, after: 7_900, dropPercent: 21, thresholdPercent: 20, baselineDay: '2026-11-19' });
    expect(f?.message).toBe('Amount fell 21% since 2026-11-19, from 10,000 USD to 7,900 USD (threshold 20%).');
  });

  it('ignores snapshots newer than 7 days and uses the latest one on or before', () => {
    expect(finding(dropTo(5_000, '2026-11-20'), 'amount_decreased')).toBeUndefined();
    const inp = input({
      deals: [deal('d1', { amount: 5_000 })],
      snapshots: [snapshot('d1', '2026-11-10', { amount: 5_500 }), snapshot('d1', '2026-11-18', { amount: 10_000 })],
    });
    expect(finding(inp, 'amount_decreased')?.evidence['before']).toBe(10_000);
  });

  it('rebuilds the amount 7 days ago from amount history when there are no snapshots', () => {
    const change = (oldValue: string, newValue: string, at: string) => ({
      connectionId: 'acme',
      dealId: 'd1',
      field: 'amount' as const,
      oldValue,
      newValue,
      at,
    });
    // dropped 3 days ago from 20,000 to 11,000: the baseline is the old value
    const f = finding(
      input({ deals: [deal('d1', { amount: 11_000 })], fieldChanges: [change('20000', '11000', '2026-11-23T10:00:00.000Z')] }),
      'amount_decreased',
    );
    expect(f?.evidence).toMatchObject({ before: 20_000, after: 11_000, dropPercent: 45 });
    // dropped 10 days ago: already the baseline, nothing to flag
    expect(
      finding(
        input({ deals: [deal('d1', { amount: 11_000 })], fieldChanges: [change('20000', '11000', '2026-11-16T10:00:00.000Z')] }),
        'amount_decreased',
      ),
    ).toBeUndefined();
  });

  it('compares across currencies only with a rate', () => {
    const inp = input({
      deals: [deal('d1', { amount: 5_000, currency: 'EUR' })],
      snapshots: [snapshot('d1', '2026-11-19', { amount: 10_000, currency: 'USD' })],
    });
    expect(finding(inp, 'amount_decreased')).toBeUndefined();
    const withRate = { ...inp, settings: settings({ exchangeRates: { EUR: 1.1 } }) };
    expect(finding(withRate, 'amount_decreased')?.evidence['after']).toBeCloseTo(5_500);
  });
});

describe('discount_over_limit', () => {
  const disc = (amount: number, discountPercent: number | null) => input({ deals: [deal('d1', { amount, discountPercent })] });

  it('applies the default matrix: 10% under 10,000, 15% under 50,000, 20% above', () => {
    expect(finding(disc(9_999, 10), 'discount_over_limit')).toBeUndefined();
    expect(finding(disc(9_999, 10.5), 'discount_over_limit')?.evidence['approver']).toBe('sales manager');
    expect(finding(disc(10_000, 15), 'discount_over_limit')).toBeUndefined();
    const f = finding(disc(42_000, 18), 'discount_over_limit');
    expect(f?.severity).toBe('critical');
    expect(f?.message).toBe(
      'Discount 18% on a 42,000 USD deal exceeds the 15% limit for deals under 50,000 USD; needs approval from the VP Sales.',
    );
    expect(finding(disc(50_000, 20), 'discount_over_limit')).toBeUndefined();
    expect(finding(disc(500_000, 25), 'discount_over_limit')?.evidence['approver']).toBe('CFO');
    expect(finding(disc(500_000, null), 'discount_over_limit')).toBeUndefined();
  });

  it('takes a configured matrix', () => {
    const inp = {
      ...disc(5_000, 6),
      settings: settings({ rules: { discount_over_limit: { tiers: [{ belowAmount: null, maxPercent: 5, approver: 'Head of Sales' }] } } }),
    };
    expect(finding(inp, 'discount_over_limit')?.message).toContain('needs approval from the Head of Sales');
  });
});

describe('closed deals', () => {
  it('closed_won_missing_amount on recent wins only', () => {
    expect(
      finding(input({ deals: [wonDeal('d1', { amount: null, closeDate: '2026-11-01' })] }), 'closed_won_missing_amount'),
    ).toBeDefined();
    expect(
      finding(input({ deals: [wonDeal('d1', { amount: null, closeDate: '2026-01-01' })] }), 'closed_won_missing_amount'),
    ).toBeUndefined();
    expect(finding(input({ deals: [wonDeal('d1', { amount: 5, closeDate: '2026-11-01' })] }), 'closed_won_missing_amount')).toBeUndefined();
  });

  it('closed_lost_missing_reason only when the field is mapped', () => {
    const lost = [lostDeal('d1', { closeDate: '2026-11-01', lostReason: null })];
    expect(finding(input({ deals: lost }), 'closed_lost_missing_reason')).toBeDefined();
    expect(finding(input({ deals: lost, settings: settings({ lostReasonMapped: false }) }), 'closed_lost_missing_reason')).toBeUndefined();
    expect(
      finding(input({ deals: [lostDeal('d1', { closeDate: '2026-11-01', lostReason: 'price' })] }), 'closed_lost_missing_reason'),
    ).toBeUndefined();
  });

  it('open-deal rules never fire on closed deals', () => {
    expect(finding(input({ deals: [wonDeal('d1', { closeDate: '2020-01-01', nextStep: null })] }), 'close_date_passed')).toBeUndefined();
  });
});
