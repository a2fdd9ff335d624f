import { describe, expect, it } from 'vitest';
import { diffFindings, evaluateDeals, learnBenchmarks } from '../../../src/domain/engine.js';
import type { LedgerFinding } from '../../../src/domain/model/index.js';
import { deal, input, lostDeal, move, NOW, wonDeal } from './builders.js';

describe('evaluateDeals', () => {
  const book = input({
    deals: [
      deal('d1', { amount: null }),
      deal('d2', { closeDate: '2026-11-01' }),
      deal('gone', { amount: null, isDeleted: true, deletedAt: '2026-11-25T00:00:00.000Z' }),
      wonDeal('w1', { amount: null, closeDate: '2026-11-20' }),
    ],
  });

  it('finds on open and recently closed deals, scores open ones only, skips deleted deals', () => {
    const ev = evaluateDeals(book, NOW);
    expect(ev.findings.map((f) => [f.dealId, f.ruleId])).toEqual([
      ['d1', 'missing_amount'],
      ['d2', 'close_date_passed'],
      ['w1', 'closed_won_missing_amount'],
    ]);
    expect(ev.scores.map((s) => s.dealId)).toEqual(['d1', 'd2']);
    // deleted deals are "evaluated" so that their ledger findings resolve
    expect(ev.evaluatedDealIds).toEqual(['d1', 'd2', 'gone', 'w1']);
  });

  it('evaluates only the deals asked for (webhook path), with cached benchmarks', () => {
    const benchmarks = learnBenchmarks(book);
    const ev = evaluateDeals(book, NOW, { dealIds: ['d2'], benchmarks });
    expect(ev.findings.map((f) => f.dealId)).toEqual(['d2']);
    expect(ev.benchmarks).toBe(benchmarks);
    const ledger: LedgerFinding[] = [
      {
        connectionId: 'acme',
        dealId: 'd1',
        ruleId: 'missing_amount',
        severity: 'warning',
        message: 'm',
        evidence: { amount: null },
        suggestedAction: 'a',
        status: 'open',
        firstSeenAt: '2026-11-20T00:00:00.000Z',
        lastSeenAt: '2026-11-20T00:00:00.000Z',
        resolvedAt: null,
      },
    ];
    // d1 was not evaluated, so its open finding is left alone
    expect(
      diffFindings({ open: ledger, current: ev.findings, evaluatedDealIds: ev.evaluatedDealIds, now: '2026-11-26T15:00:00.000Z' }).resolved,
    ).toEqual([]);
  });

  it('is deterministic', () => {
    expect(JSON.stringify(evaluateDeals(book, NOW).findings)).toBe(JSON.stringify(evaluateDeals(book, NOW).findings));
  });
});

describe('learnBenchmarks', () => {
  it('learns medians from won deals and stage-to-won conversion from closed ones', () => {
    const deals = [wonDeal('w1'), wonDeal('w2'), wonDeal('w3'), lostDeal('l1')];
    const at = (d: number) => new Date(Date.parse('2026-06-01T00:00:00.000Z') + d * 86_400_000).toISOString();
    const changes = [
      move('w1', 'qualify', 'demo', at(0)),
      move('w1', 'demo', 'won', at(4)),
      move('w2', 'qualify', 'demo', at(0)),
      move('w2', 'demo', 'won', at(10)),
      move('w3', 'qualify', 'demo', at(0)),
      move('w3', 'demo', 'won', at(6)),
      move('l1', 'qualify', 'demo', at(0)),
      move('l1', 'demo', 'lost', at(30)),
    ];
    const b = learnBenchmarks({ deals, stageChanges: changes }, 3);
    expect(b).toMatchObject({ wonDeals: 3, lostDeals: 1, winRate: 0.75, usedDefaults: false });
    expect(b.stages['default/demo']).toMatchObject({ medianDaysWon: 6, wonSamples: 3, stageToWon: 0.75, closedSamples: 4 });
    expect(learnBenchmarks({ deals, stageChanges: changes }).usedDefaults).toBe(true);
  });
});
