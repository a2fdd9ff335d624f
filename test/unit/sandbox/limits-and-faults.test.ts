/** The rolling rate window, HubSpot's limiter policies, and the fault spec parser. */
import { describe, expect, it } from 'vitest';
import { FaultInjector, parseFaultSpec } from '../../../src/sandbox/faults.js';
import { HubSpotRateLimiter } from '../../../src/sandbox/hubspot/rate-limit.js';
import { SlidingWindow } from '../../../src/sandbox/rate-window.js';

describe('SlidingWindow', () => {
  it('is rolling: a slot frees exactly one window after the request that took it', () => {
    const w = new SlidingWindow(3, 10_000);
    expect([w.tryTake(0), w.tryTake(4_000), w.tryTake(9_000), w.tryTake(9_999)]).toEqual([true, true, true, false]);
    // A fixed window would reset at 10,000 and allow three more; the rolling one frees one slot.
    expect(w.tryTake(10_000)).toBe(true);
    expect(w.tryTake(10_001)).toBe(false);
    expect(w.remaining(14_000)).toBe(1);
  });
});

describe('HubSpotRateLimiter', () => {
  it('applies the burst limit to normal calls, the secondly limit to searches, and a daily cap that resets at UTC midnight', () => {
    let now = Date.UTC(2026, 10, 26, 23, 59, 0);
    const limiter = new HubSpotRateLimiter({ perTenSeconds: 2, searchPerSecond: 1, daily: 4 }, true, () => now);
    expect(limiter.take(false).allowed).toBe(true);
    expect(limiter.take(false).allowed).toBe(true);
    const burst = limiter.take(false);
    expect(burst.allowed || burst.policy).toBe('TEN_SECONDLY_ROLLING');
    expect(limiter.take(true).allowed).toBe(true);
    const secondly = limiter.take(true);
    expect(secondly.allowed || secondly.policy).toBe('SECONDLY');
    now += 1_000;
    expect(limiter.take(true).allowed).toBe(true);
    now += 1_000;
    const daily = limiter.take(true);
    expect(daily.allowed || daily.policy).toBe('DAILY');
    now = Date.UTC(2026, 10, 27, 0, 0, 30);
    expect(limiter.take(true).allowed).toBe(true);
  });

  it('counts but never refuses when rate limits are off, and reports the headers HubSpot sends', () => {
    const limiter = new HubSpotRateLimiter({ perTenSeconds: 1 }, false, () => 0);
    const results = Array.from({ length: 5 }, () => limiter.take(false));
    expect(results.every((r) => r.allowed)).toBe(true);
    const last = results[4]!;
    expect(last.allowed && last.headers['X-HubSpot-RateLimit-Daily-Remaining']).toBe(String(250_000 - 5));
  });
});

describe('fault spec', () => {
  it('parses kind:rate[:latency][@provider][~path]', () => {
    expect(parseFaultSpec('429:0.1@hubspot, 503:0.05~/query,latency:0.5:200,drop:1@salesforce~/jobs')).toEqual([
      { kind: '429', rate: 0.1, provider: 'hubspot' },
      { kind: '503', rate: 0.05, pathIncludes: '/query' },
      { kind: 'latency', rate: 0.5, latencyMs: 200 },
      { kind: 'drop', rate: 1, provider: 'salesforce', pathIncludes: '/jobs' },
    ]);
  });

  it('parses lost_response and a method filter (^METHOD), which decide() honours', () => {
    const rules = parseFaultSpec('lost_response:1@salesforce^post~/composite/sobjects');
    expect(rules).toEqual([
      { kind: 'lost_response', rate: 1, provider: 'salesforce', method: 'POST', pathIncludes: '/composite/sobjects' },
    ]);
    const f = new FaultInjector(1);
    f.set(rules);
    const path = '/services/data/v62.0/composite/sobjects';
    expect(f.decide('salesforce', path, 'POST').kind).toBe('lost_response');
    expect(f.decide('salesforce', path, 'PATCH').kind).toBeNull();
    // A rule with a method never matches a request whose method is not given.
    expect(f.decide('salesforce', path).kind).toBeNull();
    expect(f.decide('hubspot', path, 'POST').kind).toBeNull();
  });

  it.each(['boom:0.1', '429:2', '429', '429:0.1@pipedrive', 'lost_response:1^P0ST'])('rejects %s', (spec) => {
    expect(() => parseFaultSpec(spec)).toThrow(/invalid fault/);
  });

  it('holds a slow_response after the handler, and stops a limited rule after its count of faulted requests', () => {
    const f = new FaultInjector(1);
    f.set(parseFaultSpec('slow_response:1:30000~/notes/batch/create'));
    expect(f.decide('hubspot', '/hubspot/crm/v3/objects/notes/batch/create', 'POST')).toEqual({
      kind: null,
      addedLatencyMs: 0,
      heldResponseMs: 30_000,
    });
    f.set([
      { kind: '429', rate: 1, limit: 1, pathIncludes: '/deals' },
      { kind: '500', rate: 1, limit: 2 },
    ]);
    const kinds = Array.from({ length: 5 }, () => f.decide('hubspot', '/crm/v3/objects/deals').kind);
    // The first request is the 429's; the 500 counts only requests it answered.
    expect(kinds).toEqual(['429', '500', '500', null, null]);
  });

  it('draws the same decisions for the same seed and honours the fraction', () => {
    const decisions = (seed: number) => {
      const f = new FaultInjector(seed);
      f.set([{ kind: '500', rate: 0.25 }]);
      return Array.from({ length: 2000 }, () => f.decide('hubspot', '/crm/v3/objects/deals').kind);
    };
    const a = decisions(1);
    expect(decisions(1)).toEqual(a);
    expect(decisions(2)).not.toEqual(a);
    const share = a.filter((k) => k === '500').length / a.length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.3);
  });
});
