/**
 * A HubSpot full sync stopped midway by the daily quota resumes where it stopped: the committed
 * list pages' cursor (walk start + list + HubSpot's `paging.next.after`) survives the store, the
 * next sync (full or not) continues the walk from that token instead of listing from the start,
 * and ends with exactly the sandbox's deals. A full sync after a completed walk starts over.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrmError } from '../../../src/domain/errors.js';
import type { CallLogEntry } from '../../../src/sandbox/call-log.js';
import { redisAvailable } from '../../support/services.js';
import { startHarness, type Harness } from './harness.js';
import { quotaLimited, type QuotaScript } from './quota-limited.js';

const redisOk = await redisAvailable();
const DEALS = 750;
/** Deal list pages committed before the quota runs out. */
const COMMITTED = 3;

describe.skipIf(!redisOk)('HubSpot full sync stopped by the daily quota', () => {
  let h: Harness;
  /** The deal pull's pages spend the quota until a test says otherwise. */
  const quota: QuotaScript = {
    limited: 'pullDeals',
    pagesLeft: Number.POSITIVE_INFINITY,
    pulls: [],
    error: (connector) => new CrmError('CRM.QUOTA_EXCEEDED', 'daily API limit reached', { provider: connector.provider, status: 429 }),
  };
  const pulls = quota.pulls;

  beforeAll(async () => {
    h = await startHarness({
      store: 'embedded',
      queues: 'redis',
      deals: DEALS,
      writeback: 'off',
      wrapConnector: (connector) => quotaLimited(connector, quota),
    });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  /** Live deal list requests (the full walk's, with companies inline) since `from` in the call log. */
  const dealListCalls = (from: number): URL[] =>
    h.sandbox.state.calls
      .slice(from)
      .filter((c: CallLogEntry) => c.provider === 'hubspot' && c.method === 'GET')
      .map((c) => new URL(c.path, 'http://sandbox'))
      .filter(
        (u) =>
          u.pathname.endsWith('/crm/v3/objects/deals') &&
          u.searchParams.get('archived') !== 'true' &&
          u.searchParams.get('associations') === 'companies',
      );

  async function storedDeals(): Promise<{ live: string[]; all: string[] }> {
    const live: string[] = [];
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await h.store.deals.list('hs', { state: 'all', limit: 1000, cursor });
      for (const item of page.items) {
        all.push(item.deal.externalId);
        if (!item.deal.isDeleted) live.push(item.deal.externalId);
      }
      cursor = page.nextCursor;
    } while (cursor);
    return { live: live.sort(), all: all.sort() };
  }

  it(
    'keeps the committed pages and their walk cursor, continues from HubSpot’s token, and ends with ' + 'exactly the sandbox’s deals',
    async () => {
      const book = h.sandbox.state.hubspot;
      // Deals are listed with their property history: 50 a page.
      const livePages = Math.ceil(book.deals.filter((d) => !d.deleted).length / 50);
      expect(livePages).toBeGreaterThan(COMMITTED + 1);

      // Run 1: the first full sync stops after three committed pages.
      quota.pagesLeft = COMMITTED;
      const mark1 = h.sandbox.state.calls.length;
      const first = await h.sync('hs', 'full');
      expect((first.find((o) => o.ref.queue === 'sync') as { result: { status: string } }).result.status).toBe('partial');
      const cursor = await h.store.cursors.get('hs', 'deals');
      const run1Lists = dealListCalls(mark1);
      // The cursor round-trips through the store: the walk start, and the token HubSpot returned for page 4.
      expect(cursor?.walk?.phase).toBe('deals-with-history');
      expect(cursor?.walk?.after).toBeTruthy();
      expect(cursor?.id).toBe('');
      expect((await storedDeals()).live).toHaveLength(COMMITTED * 50);

      // Run 2 (a full sync, e.g. the retry): the walk continues at that token, pages 1-3 are not listed again.
      quota.pagesLeft = Number.POSITIVE_INFINITY;
      h.sandbox.advance(60_000);
      const mark2 = h.sandbox.state.calls.length;
      const second = await h.sync('hs', 'full');
      expect((second.find((o) => o.ref.queue === 'sync') as { result: { status: string } }).result.status).toBe('ok');
      const run2Lists = dealListCalls(mark2);
      expect(run2Lists[0]?.searchParams.get('after')).toBe(cursor!.walk!.after);
      expect(run2Lists.every((u) => u.searchParams.has('after'))).toBe(true);
      expect(run2Lists).toHaveLength(livePages - COMMITTED);
      // Run 1 may have listed ahead of what it committed (pages wait for their companies' names, up
      // to 1,000 deals), never less than it committed.
      expect(run1Lists.length).toBeGreaterThanOrEqual(COMMITTED);

      const stored = await storedDeals();
      expect(stored.live).toEqual(
        book.deals
          .filter((d) => !d.deleted)
          .map((d) => String(d.id))
          .sort(),
      );
      expect(stored.all).toEqual(book.deals.map((d) => String(d.id)).sort());
      // Done: the cursor is the walk's start, with no walk left, for the next incremental pull.
      expect(await h.store.cursors.get('hs', 'deals')).toEqual({ stamp: cursor!.stamp, id: '' });
      for (const stream of ['activities', 'history'] as const) expect((await h.store.cursors.get('hs', stream))?.walk).toBeUndefined();

      // Run 3: a full sync after a completed walk starts over from the first page.
      const mark3 = h.sandbox.state.calls.length;
      await h.sync('hs', 'full');
      const run3Lists = dealListCalls(mark3);
      expect(run3Lists[0]?.searchParams.has('after')).toBe(false);
      expect(run3Lists).toHaveLength(livePages);
      // The resumed walk listed fewer deal pages than this full walk from the start. (The resumed run as a
      // whole may cost more: its reconciliation lists every id, since the walk it finished began in an
      // earlier run, while a walk from the start hands its ids to the reconciliation.)
      expect(run2Lists.length).toBeLessThan(run3Lists.length);
      const [run3] = await h.store.syncRuns.latest('hs', 1);
      const reconciliation = h.sandbox.state.calls
        .slice(mark3)
        .filter(
          (c) =>
            c.provider === 'hubspot' &&
            c.path.includes('/crm/v3/objects/deals?') &&
            !c.path.includes('associations=') &&
            !c.path.includes('archived=true'),
        );
      expect(reconciliation).toEqual([]);
      expect(run3!.apiUsage!.calls).toBeGreaterThan(0);
      expect(Date.parse((await h.store.cursors.get('hs', 'deals'))!.stamp)).toBeGreaterThan(Date.parse(cursor!.stamp));
    },
    240_000,
  );

  it('a full sync stopped in the activities continues them, does not walk the deals again, and walks the history', async () => {
    // Run 1: the deals walk completes, the activities walk stops after two pages.
    quota.limited = 'pullActivities';
    quota.pagesLeft = 2;
    h.sandbox.advance(60_000);
    const first = await h.sync('hs', 'full');
    expect((first.find((o) => o.ref.queue === 'sync') as { result: { status: string } }).result.status).toBe('partial');
    const dealsCursor = await h.store.cursors.get('hs', 'deals');
    const activitiesCursor = await h.store.cursors.get('hs', 'activities');
    expect(dealsCursor?.walk).toBeUndefined();
    expect(activitiesCursor?.walk?.phase).toBe('calls');

    // Run 2 (full again, as a retry would be): the activities continue from their token; the deals,
    // walked by the stopped sync, are searched from their cursor instead of listed again; the history,
    // which the stopped sync never reached, is walked.
    quota.pagesLeft = Number.POSITIVE_INFINITY;
    pulls.length = 0;
    const mark = h.sandbox.state.calls.length;
    const second = await h.sync('hs', 'full');
    expect((second.find((o) => o.ref.queue === 'sync') as { result: { status: string } }).result.status).toBe('ok');
    expect(pulls.map((p) => [p.pull, p.options.mode, p.options.since])).toEqual([
      ['pullDeals', 'incremental', dealsCursor],
      ['pullActivities', 'full', activitiesCursor],
      ['pullHistory', 'full', null],
    ]);
    expect(dealListCalls(mark)).toEqual([]);
    const callLists = h.sandbox.state.calls
      .slice(mark)
      .map((c) => new URL(c.path, 'http://sandbox'))
      .filter((u) => u.pathname.endsWith('/crm/v3/objects/calls') && u.searchParams.get('archived') !== 'true');
    expect(callLists[0]?.searchParams.get('after')).toBe(activitiesCursor!.walk!.after);

    const book = h.sandbox.state.hubspot;
    const stored = await h.store.activities.forDeals(
      'hs',
      book.deals.map((d) => String(d.id)),
    );
    expect(new Set(stored.map((a) => a.externalId))).toEqual(new Set(book.activities.filter((a) => !a.deleted).map((a) => String(a.id))));
    expect((await h.store.cursors.get('hs', 'activities'))?.walk).toBeUndefined();
  }, 240_000);
});
