/**
 * The provider's daily quota runs out in the middle of a sync: the run is `partial`, the pages
 * already committed stay (with their cursor), and the next run resumes from that cursor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrmError } from '../../../src/domain/errors.js';
import type { SyncCursor } from '../../../src/domain/model/index.js';
import type { CrmConnector, PullOptions } from '../../../connectors/types.js';
import { redisAvailable } from '../../support/services.js';
import { startHarness, type Harness } from './harness.js';

const redisOk = await redisAvailable();

describe.skipIf(!redisOk)('daily quota exhausted mid-sync', () => {
  let h: Harness;
  let quotaLeftInPages = 1;
  const dealPullsSince: (SyncCursor | null)[] = [];

  /** The real connector, except that after `quotaLeftInPages` deal pages the provider says the day's quota is spent. */
  function quotaLimited(connector: CrmConnector): CrmConnector {
    return Object.assign(Object.create(connector) as CrmConnector, {
      async *pullDeals(options: PullOptions) {
        dealPullsSince.push(options.since);
        for await (const page of connector.pullDeals(options)) {
          if (quotaLeftInPages <= 0) {
            throw new CrmError('CRM.QUOTA_EXCEEDED', 'daily API limit reached', { provider: connector.provider, status: 429 });
          }
          quotaLeftInPages -= 1;
          yield page;
        }
      },
    });
  }

  beforeAll(async () => {
    h = await startHarness({ store: 'embedded', queues: 'redis', deals: 800, wrapConnector: quotaLimited });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('records a partial run, keeps the committed page and its cursor, and resumes from it', async () => {
    // A first full sync sets the cursors; then most deals change, so the next pull spans pages.
    quotaLeftInPages = Number.POSITIVE_INFINITY;
    await h.sync('hs', 'full');
    const startCursor = await h.store.cursors.get('hs', 'deals');
    const stages = (await h.store.stages.list('hs')).filter((s) => !s.isClosed);
    const open = await h.store.deals.loadOpen('hs');
    h.sandbox.advance(3_600_000);
    const target = new Map<string, string>();
    for (const deal of open) {
      const other = stages.find((s) => s.pipeline === deal.pipeline && s.id !== deal.stageId);
      if (other) {
        h.sandbox.changeStage('hubspot', deal.externalId, other.id);
        target.set(deal.externalId, other.id);
      }
    }
    expect(target.size).toBeGreaterThan(200); // more than one search page of 200
    h.sandbox.advance(60_000);

    quotaLeftInPages = 1;
    const first = await h.sync('hs', 'incremental');
    const run1 = first.find((o) => o.ref.queue === 'sync');
    expect(run1?.state).toBe('completed');
    expect((run1 as { result: { status: string } }).result.status).toBe('partial');
    const [latest] = await h.store.syncRuns.latest('hs', 1);
    expect(latest?.status).toBe('partial');
    expect(latest?.error).toContain('CRM.QUOTA_EXCEEDED');

    // The committed page's cursor moved past the start; the deals of the next page are still stale.
    const cursor = await h.store.cursors.get('hs', 'deals');
    expect(cursor).not.toBeNull();
    expect(cursor!.stamp > startCursor!.stamp).toBe(true);
    const stale = async () => {
      let n = 0;
      for (const [dealId, stageId] of target) if ((await h.store.deals.get('hs', dealId))?.stageId !== stageId) n += 1;
      return n;
    };
    expect(await stale()).toBeGreaterThan(0);

    quotaLeftInPages = Number.POSITIVE_INFINITY; // a new day
    const second = await h.sync('hs', 'incremental');
    const run2 = second.find((o) => o.ref.queue === 'sync');
    expect((run2 as { result: { status: string } }).result.status).toBe('ok');
    expect(dealPullsSince.at(-1)).toEqual(cursor);
    expect(await stale()).toBe(0);
  }, 120_000);
});
