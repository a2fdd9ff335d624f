import { describe, expect, it } from 'vitest';
import { buildReport, diffFindings, evaluateDeals } from '../../../../src/domain/engine.js';
import type { LedgerFinding } from '../../../../src/domain/model/index.js';
import { activity, deal, input, NOW, owner, snapshot } from '../builders.js';

const book = input({
  owners: [owner('rep1'), owner('rep2')],
  deals: [
    deal('d1', { amount: 50_000, closeDate: '2026-11-20', stageId: 'proposal' }), // close date passed: critical
    deal('d2', { ownerId: 'rep2', amount: 5_000, discountPercent: 30, stageId: 'proposal' }), // discount: critical
    deal('d3', { ownerId: 'rep2', amount: 20_000, createdAt: '2026-11-05T10:00:00.000Z', stageId: 'demo' }), // stale 21 days: warning
  ],
  activities: [activity('d1', '2026-11-25T10:00:00.000Z')],
  snapshots: [snapshot('d1', '2026-11-19', { amount: 40_000, stageId: 'proposal', closeDate: '2026-11-20' })],
});

describe('morning review', () => {
  it('lists deals with critical findings, biggest first', () => {
    const r = buildReport(book, NOW).review;
    expect(r.asOf).toBe('2026-11-26');
    expect(r.newCritical.map((x) => [x.dealId, x.findings.map((f) => f.ruleId)])).toEqual([
      ['d1', ['close_date_passed']],
      ['d2', ['discount_over_limit']],
    ]);
  });

  it('only lists critical findings opened by this run when given the diff', () => {
    const ev = evaluateDeals(book, NOW);
    const already: LedgerFinding = {
      ...ev.findings.find((f) => f.dealId === 'd1' && f.severity === 'critical')!,
      status: 'open',
      firstSeenAt: '2026-11-25T02:00:00.000Z',
      lastSeenAt: '2026-11-25T02:00:00.000Z',
      resolvedAt: null,
    };
    const diff = diffFindings({ open: [already], current: ev.findings, now: new Date(NOW).toISOString() });
    const r = buildReport(book, NOW, { evaluation: ev, diff }).review;
    expect(r.newCritical.map((x) => x.dealId)).toEqual(['d2']);
  });

  it('ranks reps by stale pipeline, then compliance', () => {
    const r = buildReport(book, NOW).review;
    expect(r.reps.map((x) => [x.ownerId, x.stalePipeline[0]!.amount, x.complianceRate])).toEqual([
      ['rep2', 20_000, 0],
      ['rep1', 0, 1],
    ]);
  });

  it('compares the forecast with last week from the snapshots', () => {
    const f = buildReport(book, NOW).review.forecast;
    // now: d1 50,000 x 0.6 + d2 5,000 x 0.6 + d3 20,000 x 0.4 = 41,000; last week: d1 40,000 x 0.6 = 24,000
    expect(f).toMatchObject({ period: 'FY2026-Q4', expectedNow: 41_000, expectedLastWeek: 24_000, change: 17_000, currency: 'USD' });
  });
});
