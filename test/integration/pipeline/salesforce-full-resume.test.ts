/**
 * A Salesforce full sync stopped midway by the daily quota (CRM.QUOTA_EXCEEDED after a few committed
 * pages of the Task+Event walk) completes on the next full run: the activities walk continues from its
 * stored (stamp, id) position with `walk`, the deals (walked by the stopped sync) go on incrementally,
 * the history (not reached) walks, and the store ends with exactly the sandbox's deals and activities,
 * for fewer calls than a full sync from the start. No query locator is stored: the cursor is a position.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrmError } from '../../../src/domain/errors.js';
import { redisAvailable } from '../../support/services.js';
import { startHarness, type Harness } from './harness.js';
import { quotaLimited, type QuotaScript } from './quota-limited.js';

const redisOk = await redisAvailable();
/** 300 deals give ~3,500 Tasks and Events: several merged pages of 2,000 rows or fewer. */
const DEALS = 300;

describe.skipIf(!redisOk)('Salesforce full sync stopped by the daily quota', () => {
  let h: Harness;
  /** Salesforce activity pages spend the quota (REQUEST_LIMIT_EXCEEDED once it is out). */
  const quota: QuotaScript = {
    limited: 'pullActivities',
    pagesLeft: Number.POSITIVE_INFINITY,
    pulls: [],
    error: () =>
      new CrmError('CRM.QUOTA_EXCEEDED', 'Salesforce API request limit exceeded (REQUEST_LIMIT_EXCEEDED)', {
        provider: 'salesforce',
        status: 403,
      }),
  };
  const pulls = quota.pulls;

  beforeAll(async () => {
    h = await startHarness({
      store: 'embedded',
      queues: 'redis',
      deals: DEALS,
      writeback: 'off',
      wrapConnector: (connector, settings) => (settings.provider === 'salesforce' ? quotaLimited(connector, quota) : connector),
    });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  const statusOf = (outcomes: Awaited<ReturnType<Harness['sync']>>) =>
    (outcomes.find((o) => o.ref.queue === 'sync') as { result: { status: string } }).result.status;
  /** Task and Event queries (REST first pages) since `from` in the call log, as SOQL. */
  const activityQueries = (from: number): string[] =>
    h.sandbox.state.calls
      .slice(from)
      .filter((c) => c.provider === 'salesforce' && c.method === 'GET')
      .map((c) => new URL(c.path, 'http://sandbox').searchParams.get('q') ?? '')
      .filter((q) => /FROM (Task|Event)\b/.test(q) && !q.startsWith('SELECT COUNT()'));

  it(
    'continues the Task+Event walk from its stored position and ends with exactly the sandbox’s ' +
      'deals and activities, for fewer calls than a restart',
    async () => {
      const book = h.sandbox.state.salesforce;
      const liveActivities = new Set(book.activities.filter((a) => !a.deleted).map((a) => a.id));

      // Run 1: deals walk completes, the activities walk stops after one committed page.
      quota.pagesLeft = 1;
      const first = await h.sync('sf', 'full');
      expect(statusOf(first)).toBe('partial');
      const dealsCursor = await h.store.cursors.get('sf', 'deals');
      const activitiesCursor = await h.store.cursors.get('sf', 'activities');
      expect(dealsCursor?.walk).toBeUndefined();
      // A position in (SystemModstamp, Id) order, never a query locator.
      expect(activitiesCursor?.walk).toEqual({ phase: 'Task+Event', after: null });
      expect(activitiesCursor?.id).toMatch(/^00[TU]/);
      const storedAfterStop = await h.store.activities.forDeals(
        'sf',
        book.deals.map((d) => d.id),
      );
      expect(storedAfterStop.length).toBeGreaterThan(0);
      expect(storedAfterStop.length).toBeLessThan(liveActivities.size);

      // Run 2 (full again, as the retry would be): activities continue from their position, deals go on
      // incrementally, the history (never reached) walks.
      quota.pagesLeft = Number.POSITIVE_INFINITY;
      h.sandbox.advance(60_000);
      pulls.length = 0;
      const mark = h.sandbox.state.calls.length;
      const second = await h.sync('sf', 'full');
      expect(statusOf(second)).toBe('ok');
      expect(pulls.map((p) => [p.pull, p.options.mode, p.options.since])).toEqual([
        ['pullDeals', 'incremental', dealsCursor],
        ['pullActivities', 'full', activitiesCursor],
        ['pullHistory', 'full', null],
      ]);
      const lowerBound = new Date(Date.parse(activitiesCursor!.stamp) - 10 * 60_000).toISOString().slice(0, 19);
      const resumed = activityQueries(mark);
      expect(resumed).toHaveLength(2);
      for (const q of resumed) expect(q).toContain(`WHERE SystemModstamp >= ${lowerBound}Z ORDER BY SystemModstamp, Id`);

      const stored = await h.store.activities.forDeals(
        'sf',
        book.deals.map((d) => d.id),
      );
      expect(new Set(stored.map((a) => a.externalId))).toEqual(liveActivities);
      const deals = await h.store.deals.list('sf', { state: 'all', limit: 1000, cursor: null });
      expect(
        deals.items
          .filter((i) => !i.deal.isDeleted)
          .map((i) => i.deal.externalId)
          .sort(),
      ).toEqual(
        book.deals
          .filter((d) => !d.deleted)
          .map((d) => d.id)
          .sort(),
      );
      const activitiesDone = await h.store.cursors.get('sf', 'activities');
      expect(activitiesDone?.walk).toBeUndefined();
      expect(Date.parse(activitiesDone!.stamp)).toBeGreaterThanOrEqual(Date.parse(activitiesCursor!.stamp));

      // Run 3: a full sync after the completed walk starts over, reading every Task and Event again.
      const mark3 = h.sandbox.state.calls.length;
      await h.sync('sf', 'full');
      expect(activityQueries(mark3).every((q) => !q.includes('WHERE'))).toBe(true);
      const [run3, run2] = await h.store.syncRuns.latest('sf', 2);
      expect(run2!.apiUsage!.calls).toBeLessThan(run3!.apiUsage!.calls);
    },
    240_000,
  );
});
