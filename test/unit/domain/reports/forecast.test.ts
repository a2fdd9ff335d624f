import { describe, expect, it } from 'vitest';
import { buildReport } from '../../../../src/domain/engine.js';
import { deal, input, lostDeal, move, NOW, wonDeal } from '../builders.js';

// Q4 2026 = 2026-10-01..2026-12-31 (fiscal year from January).
const deals = [
  wonDeal('w1', { amount: 10_000, closeDate: '2026-11-10' }),
  wonDeal('w0', { amount: 99_000, closeDate: '2026-09-10' }), // last quarter
  deal('o1', { stageId: 'proposal', amount: 10_000, closeDate: '2026-12-15', forecastCategory: 'commit' }),
  deal('o2', { stageId: 'demo', amount: 20_000, closeDate: '2026-12-20', forecastCategory: 'best_case' }),
  deal('o3', { stageId: 'negotiation', amount: 5_000, closeDate: '2027-01-15', forecastCategory: 'commit' }), // next quarter
  deal('o4', { stageId: 'qualify', amount: 1_000, closeDate: '2026-11-01' }), // passed: critical finding
];

describe('forecast', () => {
  it('adds closed won, weights open deals, rolls up categories and discounts critical deals (no history)', () => {
    const f = buildReport(input({ deals }), NOW).forecast;
    expect(f.period.label).toBe('FY2026-Q4');
    expect(f.closedWon.total).toEqual([{ currency: 'USD', amount: 10_000 }]);
    expect(f.closedWon.deals.map((d) => d.dealId)).toEqual(['w1']);
    // 10,000 x 0.6 + 20,000 x 0.4 + 1,000 x 0.1
    expect(f.crmWeighted.total).toEqual([{ currency: 'USD', amount: 14_100 }]);
    expect(f.crmWeighted.deals.map((d) => d.dealId).sort()).toEqual(['o1', 'o2', 'o4']);
    // without 20 closed deals per stage, historical falls back to the CRM probability and says so
    expect(f.historicalWeighted.total).toEqual([{ currency: 'USD', amount: 14_100 }]);
    expect(f.conversions.every((c) => c.source === 'crm_probability')).toBe(true);
    expect(f.expected).toEqual([{ currency: 'USD', amount: 24_100 }]);
    expect(f.commit.total).toEqual([{ currency: 'USD', amount: 20_000 }]);
    expect(f.bestCase.total).toEqual([{ currency: 'USD', amount: 40_000 }]);
    // o4 has close_date_passed (critical): 1,000 x 0.1 x 0.5
    expect(f.staleAdjusted.discountedDeals).toBe(1);
    expect(f.staleAdjusted.total).toEqual([{ currency: 'USD', amount: 24_050 }]);
    expect(f.staleAdjusted.deals.find((d) => d.dealId === 'o4')!.basis).toContain('open critical findings');
  });

  it('uses historical stage-to-won conversion with 20+ closed samples, showing the sample size', () => {
    const history = [];
    const changes = [];
    for (let i = 0; i < 20; i++) {
      const won = i < 15;
      history.push(won ? wonDeal(`h${i}`, { closeDate: '2026-03-01' }) : lostDeal(`h${i}`, { closeDate: '2026-03-01' }));
      changes.push(
        move(`h${i}`, 'discovery', 'demo', '2026-02-01T10:00:00.000Z'),
        move(`h${i}`, 'demo', won ? 'won' : 'lost', '2026-02-20T10:00:00.000Z'),
      );
    }
    const f = buildReport(input({ deals: [...deals, ...history], stageChanges: changes }), NOW).forecast;
    const demo = f.conversions.find((c) => c.stageId === 'demo')!;
    expect(demo).toMatchObject({ rate: 0.75, samples: 20, source: 'historical' });
    expect(f.historicalWeighted.deals.find((d) => d.dealId === 'o2')).toMatchObject({
      weight: 0.75,
      weighted: { amount: 15_000, currency: 'USD' },
      basis: 'historical 0.75 (n=20)',
    });
    // 6,000 + 15,000 + 100
    expect(f.historicalWeighted.total).toEqual([{ currency: 'USD', amount: 21_100 }]);
  });
});
