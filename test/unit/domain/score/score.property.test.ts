/**
 * The score agrees with the findings, on generated books: a deal with an open critical finding is
 * never in the healthy band, and adding a finding to a deal never raises its score.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { learnBenchmarks } from '../../../../src/domain/benchmarks.js';
import { indexInput } from '../../../../src/domain/indexed-input.js';
import { evaluateDeals } from '../../../../src/domain/engine.js';
import type { Finding } from '../../../../src/domain/model/index.js';
import { activeRules, evaluateRules } from '../../../../src/domain/rules/index.js';
import { dealFacts, ruleContext } from '../../../../src/domain/rules/types.js';
import { bandOf, scoreDeal } from '../../../../src/domain/score/score.js';
import { engineInput, nowArb, wellRunBook } from '../arbitraries.js';

describe('score properties', () => {
  it('no deal with an open critical finding scores in the healthy band', () => {
    const books = fc.oneof(
      fc.tuple(engineInput, nowArb).map(([input, now]) => ({ input, now })),
      wellRunBook,
    );
    let criticalSeen = 0;
    fc.assert(
      fc.property(books, ({ input: inp, now }) => {
        const ev = evaluateDeals(inp, now);
        for (const s of ev.scores) {
          const critical = (ev.findingsByDeal.get(s.dealId) ?? []).some((f) => f.severity === 'critical');
          if (critical) {
            criticalSeen += 1;
            expect(s.score).toBeLessThan(70);
            expect(bandOf(s.score)).not.toBe('healthy');
          }
        }
      }),
      { numRuns: 300 },
    );
    expect(criticalSeen).toBeGreaterThan(0);
  });

  it('adding a finding to a deal never raises its score', () => {
    fc.assert(
      fc.property(engineInput, nowArb, fc.nat(), (inp, now, pick) => {
        const indexed = indexInput(inp, now);
        const ctx = ruleContext(indexed, learnBenchmarks(inp, inp.settings.rules.stuck_in_stage.minSamples));
        const active = activeRules(indexed.cfg);
        const open = inp.deals.filter((d) => !d.isDeleted && !d.isClosed);
        const all = open.flatMap((d) => evaluateRules(dealFacts(d, indexed), ctx, active));
        for (const deal of open) {
          const facts = dealFacts(deal, indexed);
          const own = evaluateRules(facts, ctx, active);
          // Another deal's finding (or one of its own again, re-raised at another severity) added to it.
          const extra = all.length > 0 ? all[pick % all.length]! : null;
          const added: Finding[] = extra ? [...own, { ...extra, dealId: deal.externalId }] : own;
          const without = scoreDeal(facts, own, ctx).score;
          expect(scoreDeal(facts, added, ctx).score).toBeLessThanOrEqual(without);
          // And each of its own findings lowers (or keeps) what the others leave.
          own.forEach((_, i) =>
            expect(without).toBeLessThanOrEqual(
              scoreDeal(
                facts,
                own.filter((__, j) => j !== i),
                ctx,
              ).score,
            ),
          );
        }
      }),
      { numRuns: 150 },
    );
  });
});
