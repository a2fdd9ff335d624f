import { describe, expect, it } from 'vitest';
import { indexInput, evaluateDeals, reportContext } from '../../../../src/domain/engine.js';
import { computeRollup } from '../../../../src/domain/reports/rollup.js';
import type { EngineInput } from '../../../../src/domain/engine.js';
import { activity, closeDateChange, deal, input, lostDeal, move, NOW, owner, settings, wonDeal } from '../builders.js';

/**
 * History: 20 deals closed on time (15 won) and 20 that went past their close date while open
 * (5 won), all through Demo; plus w1, won this quarter without stage history.
 */
function history() {
  const deals = [];
  const changes = [];
  for (let i = 0; i < 40; i++) {
    const late = i >= 20;
    const won = late ? i < 25 : i < 15;
    const over = { createdAt: '2026-03-01T10:00:00.000Z', closeDate: late ? '2026-03-05' : '2026-03-10' };
    deals.push(won ? wonDeal(`h${i}`, over) : lostDeal(`h${i}`, over));
    const closedAt = late ? '2026-03-12T10:00:00.000Z' : '2026-03-09T10:00:00.000Z';
    changes.push(move(`h${i}`, null, 'demo', '2026-03-01T10:00:00.000Z'), move(`h${i}`, 'demo', won ? 'won' : 'lost', closedAt));
  }
  return { deals, changes };
}

function book(): EngineInput {
  const h = history();
  const deals = [
    ...h.deals,
    wonDeal('w1', { amount: 10_000, closeDate: '2026-11-10' }),
    deal('o1', { stageId: 'proposal', amount: 10_000, closeDate: '2026-12-15', forecastCategory: 'commit' }),
    deal('o2', { stageId: 'demo', amount: 20_000, closeDate: '2026-12-20', forecastCategory: null }),
    deal('o3', { stageId: 'negotiation', amount: 5_000, closeDate: '2027-01-15', forecastCategory: null }),
    // overdue: close date passed 25 days ago
    deal('o4', { stageId: 'qualify', amount: 1_000, closeDate: '2026-11-01', forecastCategory: 'pipeline' }),
    // stale (no activity since creation in August) and pushed twice
    deal('o5', {
      ownerId: 'rep2',
      stageId: 'demo',
      amount: 4_000,
      closeDate: '2026-12-10',
      forecastCategory: 'best_case',
      createdAt: '2026-08-01T10:00:00.000Z',
    }),
    deal('o6', { ownerId: 'rep2', stageId: 'demo', amount: 7_000, closeDate: '2026-12-10', forecastCategory: 'omitted' }),
  ];
  const fresh = ['o1', 'o2', 'o3', 'o4', 'o6'].map((id) => activity(id, '2026-11-25T10:00:00.000Z', { ownerId: null }));
  return input({
    settings: settings({ quotas: { rep1: 100_000, rep2: { 'FY2026-Q4': 50_000, default: 40_000 } }, teams: { east: ['rep1', 'rep2'] } }),
    deals,
    stageChanges: h.changes,
    fieldChanges: [
      closeDateChange('o5', '2026-10-01', '2026-11-01', '2026-09-01T10:00:00.000Z'),
      closeDateChange('o5', '2026-11-01', '2026-12-10', '2026-10-15T10:00:00.000Z'),
    ],
    activities: fresh,
    owners: [owner('rep1'), owner('rep2')],
  });
}

function rollup(i: EngineInput) {
  const b = indexInput(i, NOW);
  return computeRollup(reportContext(b, evaluateDeals(i, NOW, { indexed: b })));
}

describe('forecast roll-up', () => {
  const r = rollup(book());
  const factor = Math.round((0.25 / (21 / 41)) * 1000) / 1000;

  it('learns stage conversion and what overdue deals do from closed history, with sample sizes', () => {
    expect(r.method).toBe('adjusted');
    expect(r.model.closedDeals).toBe(41);
    expect(r.model.stageRates.find((s) => s.stageId === 'demo')).toMatchObject({ rate: 0.5, samples: 40, source: 'history' });
    expect(r.model.stageRates.find((s) => s.stageId === 'proposal')).toMatchObject({ rate: 0.6, source: 'crm_probability' });
    expect(r.model.risks.find((x) => x.signal === 'overdue')).toEqual({
      signal: 'overdue',
      factor,
      samples: 20,
      winRate: 0.25,
      source: 'history',
    });
    // too few stale or pushed deals in history: the configured discount, and it says so
    expect(r.model.risks.find((x) => x.signal === 'stale')).toMatchObject({ factor: 0.5, samples: 0, source: 'config' });
  });

  it('weights overdue, stale and pushed deals below their stage rate, and says why', () => {
    const q4 = r.quarters[0]!;
    expect(q4.period.label).toBe('FY2026-Q4');
    const o4 = q4.deals.find((d) => d.dealId === 'o4')!;
    expect(o4.signals).toEqual(['overdue']);
    expect(o4.weight).toBe(Math.round(0.1 * factor * 10_000) / 10_000);
    expect(o4.basis).toContain('overdue deals won 0.25');
    expect(o4.basis).toContain('n=20');
    const o5 = q4.deals.find((d) => d.dealId === 'o5')!;
    expect(o5.signals).toEqual(['stale', 'pushed']);
    expect(o5).toMatchObject({ weight: 0.25, expected: 1_000 });
    expect(q4.deals.find((d) => d.dealId === 'o2')).toMatchObject({
      weight: 0.5,
      category: 'pipeline',
      categorySource: 'probability',
      signals: [],
    });
    expect(q4.deals.find((d) => d.dealId === 'o6')).toBeUndefined();
  });

  it('rolls up closed, commit, best case, pipeline, expected and quota per rep, team and total', () => {
    const q4 = r.quarters[0]!;
    const o4 = Math.round(((1_000 * Math.round(0.1 * factor * 10_000)) / 10_000) * 100) / 100;
    expect(q4.total).toEqual({
      closedWon: 10_000,
      commit: 20_000,
      bestCase: 24_000,
      openPipeline: 35_000,
      expected: Math.round((10_000 + 6_000 + 10_000 + o4 + 1_000) * 100) / 100,
      quota: 150_000,
      attainment: Math.round((10_000 / 150_000) * 10_000) / 10_000,
      expectedAttainment: Math.round(((27_000 + o4) / 150_000) * 10_000) / 10_000,
      gap: 140_000,
      openDeals: 4,
      overdueDeals: 1,
      staleDeals: 1,
      pushedDeals: 1,
    });
    const rep2 = q4.reps.find((x) => x.ownerId === 'rep2')!;
    expect(rep2).toMatchObject({
      closedWon: 0,
      commit: 0,
      bestCase: 4_000,
      openPipeline: 4_000,
      expected: 1_000,
      quota: 50_000,
      gap: 50_000,
    });
    expect(q4.teams).toHaveLength(1);
    expect(q4.teams[0]).toMatchObject({ team: 'east', quota: 150_000, bestCase: 24_000 });
    // next quarter: the negotiation deal is commit by its stage probability; rep2's default quota applies
    const q1 = r.quarters[1]!;
    expect(q1.period.label).toBe('FY2027-Q1');
    expect(q1.total).toMatchObject({ closedWon: 0, commit: 5_000, bestCase: 5_000, openPipeline: 5_000, expected: 4_000, quota: 140_000 });
  });

  it('holds closed <= commit <= best case <= closed + open on every line', () => {
    for (const q of r.quarters) {
      for (const l of [q.total, ...q.teams, ...q.reps]) {
        expect(l.closedWon).toBeLessThanOrEqual(l.commit);
        expect(l.commit).toBeLessThanOrEqual(l.bestCase);
        expect(l.bestCase).toBeLessThanOrEqual(l.closedWon + l.openPipeline);
      }
    }
  });

  it('takes the category from the configured stage mapping when the CRM sets none', () => {
    const i = book();
    const r2 = rollup({ ...i, settings: { ...i.settings, forecastCategories: { demo: 'commit' } } });
    expect(r2.quarters[0]!.deals.find((d) => d.dealId === 'o2')).toMatchObject({ category: 'commit', categorySource: 'config' });
  });
});
