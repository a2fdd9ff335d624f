/**
 * (salesforce) A deal with no contact role at all: the REST API answers `null` for its
 * OpportunityContactRoles subquery, which is zero contacts, so the single-threaded rule flags the
 * most single-threaded deals of all on the REST path (a first sync reads through REST queryAll).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable } from '../../support/services.js';
import { startHarness, type Harness } from './harness.js';

const redisOk = await redisAvailable();

describe.skipIf(!redisOk)('single-threaded deals through the REST path (Redis queues)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ store: 'embedded', queues: 'redis', deals: 200, writeback: 'dry-run' });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('flags a deal without any contact role', async () => {
    const outcomes = await h.sync('sf', 'incremental');
    expect(outcomes.filter((o) => o.state === 'failed')).toEqual([]);
    // Bulk API 2.0 was not used: every Opportunity row came from REST with its subquery.
    expect(h.sandbox.state.calls.some((c) => c.provider === 'salesforce' && c.path.includes('/jobs/query'))).toBe(false);
    const book = h.sandbox.state.salesforce;
    const zero = Object.entries(book.planted.deals)
      .filter(([, problems]) => problems.includes('single_threaded'))
      .map(([id]) => id)
      .filter((id) => book.deals.find((d) => d.id === id)?.contactIds.length === 0);
    expect(zero.length).toBeGreaterThan(0);
    for (const id of zero) {
      expect((await h.store.deals.get('sf', id))?.contactCount).toBe(0);
      const findings = await h.store.findings.openForDeals('sf', [id]);
      expect(
        findings.map((f) => f.ruleId),
        id,
      ).toContain('single_threaded');
    }
  }, 120_000);
});
