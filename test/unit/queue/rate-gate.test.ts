import { describe, expect, it } from 'vitest';
import { rateLimitsFor } from '../../../src/queue/index.js';

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
