import { describe, expect, it } from 'vitest';
import { indexInput } from '../../../../src/domain/engine.js';
import { runBacktest } from '../../../../src/domain/reports/backtest.js';
import { activity, closeDateChange, deal, input, lostDeal, move, NOW, wonDeal } from '../builders.js';

const at = (day: string) => `${day}T10:00:00.000Z`;

/**
 * FY2026-Q3 (2026-07-01..09-30), rebuilt as of its start (pipeline of 06-30) and middle (08-16).
 * p1 won 07-20, p2 lost 09-20, p3 created 08-01 and won 09-05, p4 overdue and stale since June,
 * p5 pushed out of the quarter on 08-10.
 */
const book = input({
  deals: [
    wonDeal('p1', { amount: 10_000, closeDate: '2026-08-01', createdAt: at('2026-06-01') }),
    lostDeal('p2', { amount: 20_000, closeDate: '2026-09-15', createdAt: at('2026-06-01') }),
    wonDeal('p3', { amount: 5_000, closeDate: '2026-09-10', createdAt: at('2026-08-01') }),
    deal('p4', { stageId: 'demo', amount: 4_000, closeDate: '2026-06-15', createdAt: at('2026-05-01') }),
    deal('p5', { stageId: 'demo', amount: 6_000, closeDate: '2026-12-20', createdAt: at('2026-06-01') }),
  ],
  stageChanges: [
    move('p1', null, 'demo', at('2026-06-01')),
    move('p1', 'demo', 'won', at('2026-07-20')),
    move('p2', null, 'proposal', at('2026-06-01')),
    move('p2', 'proposal', 'lost', at('2026-09-20')),
    move('p3', null, 'qualify', at('2026-08-01')),
    move('p3', 'qualify', 'won', at('2026-09-05')),
    move('p4', null, 'demo', at('2026-05-01')),
    move('p5', null, 'demo', at('2026-06-01')),
  ],
  fieldChanges: [
    closeDateChange('p5', '2026-07-15', '2026-08-15', at('2026-06-10')),
    closeDateChange('p5', '2026-08-15', '2026-12-20', at('2026-08-10')),
  ],
  activities: ['p1', 'p2', 'p3', 'p5'].flatMap((id) => [activity(id, at('2026-06-25')), activity(id, at('2026-08-10'))]),
});

describe('backtest', () => {
  const r = runBacktest(indexInput(book, NOW), { quarters: 1 });
  const method = (i: number, m: string) => r.points[i]!.methods.find((x) => x.method === m)!;

  it('rebuilds the pipeline at the start of the quarter from history and scores each method', () => {
    expect(r.quarters).toEqual(['FY2026-Q3']);
    expect(r.methodInUse).toBe('adjusted');
    expect(r.points[0]).toMatchObject({
      quarter: 'FY2026-Q3',
      point: 'start',
      asOf: '2026-07-01',
      actual: 15_000,
      wonBefore: 0,
      openDeals: 4,
      openPipeline: 40_000,
      learnedFrom: 0,
    });
    // 10,000 x 0.4 + 20,000 x 0.6 + 4,000 x 0.4 + 6,000 x 0.4 (p5 was due in July then)
    expect(method(0, 'crm_probability')).toEqual({
      method: 'crm_probability',
      forecast: 20_000,
      error: 5_000,
      absPercentError: 0.3333,
      bias: 0.3333,
    });
    expect(method(0, 'stage_conversion').forecast).toBe(20_000);
    // p4 is overdue and stale: 0.4 x the configured 0.5 (no history yet)
    expect(method(0, 'adjusted')).toEqual({ method: 'adjusted', forecast: 19_200, error: 4_200, absPercentError: 0.28, bias: 0.28 });
  });

  it('at mid-quarter, counts what was already won and drops the deal pushed out', () => {
    expect(r.points[1]).toMatchObject({
      point: 'middle',
      asOf: '2026-08-16',
      actual: 15_000,
      wonBefore: 10_000,
      openDeals: 3,
      openPipeline: 29_000,
      learnedFrom: 1,
    });
    // 10,000 won + 20,000 x 0.6 + 5,000 x 0.1 + 4,000 x 0.4 (x 0.5 adjusted)
    expect(method(1, 'crm_probability')).toMatchObject({ forecast: 24_100, error: 9_100, absPercentError: 0.6067 });
    expect(method(1, 'adjusted')).toMatchObject({ forecast: 23_300, error: 8_300, absPercentError: 0.5533 });
  });

  it('summarises mean absolute percentage error and bias per method', () => {
    const crm = r.summary.find((s) => s.method === 'crm_probability')!;
    expect(crm.points).toBe(2);
    expect(crm.meanAbsPercentError).toBeCloseTo((0.3333 + 0.6067) / 2, 4);
    expect(crm.meanBias).toBeCloseTo((0.3333 + 0.6067) / 2, 4);
    expect(r.summary.find((s) => s.method === 'adjusted')!.meanAbsPercentError).toBeCloseTo((0.28 + 0.5533) / 2, 4);
  });
});
