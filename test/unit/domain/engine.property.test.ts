import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildReport, evaluateDeals, waterfallBalances } from '../../../src/domain/engine.js';
import { DealScore, Finding } from '../../../src/domain/model/index.js';
import { DAY, engineInput, nowArb } from './arbitraries.js';

describe('engine properties', () => {
  it('never throws on valid canonical input; findings and scores are valid, scores in 0-100', () => {
    fc.assert(
      fc.property(engineInput, nowArb, (inp, now) => {
        const ev = evaluateDeals(inp, now);
        for (const f of ev.findings) expect(Finding.safeParse(f).success).toBe(true);
        for (const s of ev.scores) {
          expect(DealScore.safeParse(s).success).toBe(true);
          expect(s.score).toBeGreaterThanOrEqual(0);
          expect(s.score).toBeLessThanOrEqual(100);
          expect(s.reasons.filter((r) => r.impact > 0).length).toBeLessThanOrEqual(3);
          expect(s.reasons.filter((r) => r.impact < 0).length).toBeLessThanOrEqual(3);
        }
        const openIds = inp.deals
          .filter((d) => !d.isDeleted && !d.isClosed)
          .map((d) => d.externalId)
          .sort();
        expect(ev.scores.map((s) => s.dealId).sort()).toEqual(openIds);
      }),
      { numRuns: 150 },
    );
  });

  it('builds the full report without throwing, and every waterfall adds up', () => {
    fc.assert(
      fc.property(engineInput, nowArb, fc.integer({ min: 1, max: 60 }), fc.boolean(), (inp, now, span, allOpen) => {
        const to = new Date(now).toISOString().slice(0, 10);
        const from = new Date(now - span * DAY).toISOString().slice(0, 10);
        const r = buildReport(inp, now, { changes: allOpen ? { from, to, closeWithin: null } : { from, to } });
        for (const w of r.changes.waterfalls) expect(waterfallBalances(w)).toBe(true);
        for (const rep of r.changes.byRep) for (const w of rep.waterfalls) expect(waterfallBalances(w)).toBe(true);
        // The review survives JSON as it is (what the API and the page send): no NaN, Infinity or Date.
        expect(JSON.parse(JSON.stringify(r.review))).toEqual(r.review);
      }),
      { numRuns: 150 },
    );
  });
});
