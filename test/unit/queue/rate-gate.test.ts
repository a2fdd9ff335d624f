import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { plannedCapacity, subWindowPlan } from '../../../src/queue/index.js';

describe('sub-window sizing (a rolling-window limit from fixed windows)', () => {
  it(
    'plans HubSpot 100 / 10 s for 97 (a margin for late arrivals): 3 per 323 ms, at most 96 in any ' +
      'rolling 10 s; search 5 / s as 1 per 250 ms',
    () => {
      expect(plannedCapacity(100)).toBe(97);
      const burst = subWindowPlan({ requests: 100, perMs: 10_000 });
      expect(burst).toMatchObject({ subWindows: 31, perSubWindow: 3 });
      expect(burst.subWindowMs).toBeCloseTo(322.6, 1);
      expect((burst.subWindows + 1) * burst.perSubWindow).toBe(96);
      expect(subWindowPlan({ requests: 5, perMs: 1_000 })).toEqual({ subWindows: 4, subWindowMs: 250, perSubWindow: 1 });
    },
  );

  it('never lets more than the limit through in any rolling window, and keeps most of the throughput', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5_000 }), fc.integer({ min: 100, max: 60_000 }), (requests, perMs) => {
        const plan = subWindowPlan({ requests, perMs });
        // A rolling window of perMs overlaps at most k+1 sub-windows: never more than the limit less its margin.
        const capacity = plannedCapacity(requests);
        expect(capacity).toBeLessThanOrEqual(requests - Math.round(requests * 0.03));
        expect((plan.subWindows + 1) * plan.perSubWindow).toBeLessThanOrEqual(capacity);
        expect(plan.subWindowMs * plan.subWindows).toBeCloseTo(perMs, 6);
        // The best a split can do is (C-1)/C of the capacity (one per sub-window); above 20 it reaches 95%.
        const share = (plan.subWindows * plan.perSubWindow) / capacity;
        expect(share).toBeGreaterThanOrEqual(Math.min(0.95, (capacity - 1) / capacity) - 1e-9);
      }),
    );
  });
});
