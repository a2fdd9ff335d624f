import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { rateLimitsFor, subWindowPlan } from '../../../src/queue/index.js';

describe('rate limits', () => {
  it('uses provider defaults: HubSpot 100 per 10 s and 5 searches per second', () => {
    expect(rateLimitsFor('hubspot')).toEqual({ default: { requests: 100, perMs: 10_000 }, search: { requests: 5, perMs: 1_000 } });
  });

  it('lets a connection override the default bucket and keeps the search bucket', () => {
    expect(rateLimitsFor('hubspot', { requests: 190, perMs: 10_000 })).toEqual({
      default: { requests: 190, perMs: 10_000 },
      search: { requests: 5, perMs: 1_000 },
    });
  });
});

describe('sub-window sizing (a rolling-window limit from fixed windows)', () => {
  it('gives HubSpot 100 / 10 s as 5 per 526 ms (95 per 10 s) and search 5 / s as 1 per 250 ms', () => {
    const burst = subWindowPlan({ requests: 100, perMs: 10_000 });
    expect(burst).toMatchObject({ subWindows: 19, perSubWindow: 5 });
    expect(burst.subWindowMs).toBeCloseTo(526.3, 1);
    expect(subWindowPlan({ requests: 5, perMs: 1_000 })).toEqual({ subWindows: 4, subWindowMs: 250, perSubWindow: 1 });
  });

  it('never lets more than the limit through in any rolling window, and keeps most of the throughput', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5_000 }), fc.integer({ min: 100, max: 60_000 }), (requests, perMs) => {
        const plan = subWindowPlan({ requests, perMs });
        // A rolling window of perMs overlaps at most k+1 sub-windows.
        expect((plan.subWindows + 1) * plan.perSubWindow).toBeLessThanOrEqual(requests);
        expect(plan.subWindowMs * plan.subWindows).toBeCloseTo(perMs, 6);
        // The best a split can do is (L-1)/L (one per sub-window, k = L-1); above 20 it reaches 95%.
        const share = (plan.subWindows * plan.perSubWindow) / requests;
        expect(share).toBeGreaterThanOrEqual(Math.min(0.95, (requests - 1) / requests) - 1e-9);
      }),
    );
  });
});
