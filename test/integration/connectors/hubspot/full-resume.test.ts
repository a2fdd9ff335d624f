/**
 * The HubSpot connector against the sandbox (official SDK over loopback): a full activity walk
 * stopped by the sandbox's DAILY quota (429, policyName DAILY) resumes on the next day, on a new
 * connector, from the last committed page's cursor: it asks for the next page with the token the
 * sandbox returned and lists nothing it had already read, so a walk far larger than one day's quota
 * completes over several days with exactly the sandbox's activities. The sandbox resets its daily
 * count when the wall-clock day changes, so the test runs with a fake `Date` (real timers) and moves
 * it a day forward.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HubSpotConnector } from '../../../../connectors/hubspot/connector.js';
import type { Page } from '../../../../connectors/types.js';
import { CrmError } from '../../../../src/domain/errors.js';
import { type Activity, HubSpotConnection, SyncCursor } from '../../../../src/domain/model/index.js';
import { type Sandbox, startSandbox } from '../../../../src/sandbox/index.js';

/** Calls the first run may make before the day's quota is spent. */
const DAILY = 4;
let sandbox: Sandbox;

function connector(): HubSpotConnector {
  const settings = HubSpotConnection.parse({
    id: 'hs-resume',
    provider: 'hubspot',
    accessToken: sandbox.hubspot.accessToken,
    baseUrl: sandbox.hubspot.baseUrl,
  });
  return new HubSpotConnector(
    settings,
    { rateGate: { take: async () => {} }, logger: pino({ level: 'silent' }) },
    { now: () => sandbox.now() },
  );
}

/** Drains a pull as the sync engine does (commit, then persist the cursor through JSON and zod). */
async function run(pages: AsyncIterable<Page<Activity>>) {
  const records: string[] = [];
  let cursor: SyncCursor | null = null;
  let error: unknown = null;
  try {
    for await (const page of pages) {
      records.push(...page.records.map((a) => a.externalId));
      if (page.cursor) cursor = SyncCursor.parse(JSON.parse(JSON.stringify(page.cursor)));
    }
  } catch (caught) {
    error = caught;
  }
  return { records, cursor, error };
}

/** Activity list requests answered, as `<phase> <after>`, in the call log from `from` on. */
const listCalls = (from: number) =>
  sandbox.state.calls
    .slice(from)
    .filter((c) => c.provider === 'hubspot' && c.method === 'GET' && c.status === 200)
    .map((c) => new URL(c.path, 'http://sandbox'))
    .filter((u) => /\/crm\/v3\/objects\/(calls|emails|meetings|notes|tasks)$/.test(u.pathname))
    .map((u) => {
      const archived = u.searchParams.get('archived') === 'true' ? 'archived-' : '';
      return `${archived}${u.pathname.split('/').at(-1)} ${u.searchParams.get('after') ?? '-'}`;
    });

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  sandbox = await startSandbox({
    deals: 200,
    seed: 23,
    hubspotRateLimits: { daily: DAILY, perTenSeconds: 100_000, searchPerSecond: 100_000 },
  });
});

afterAll(async () => {
  await sandbox?.close();
  vi.useRealTimers();
});

describe('HubSpot full walk stopped by the DAILY quota (sandbox)', () => {
  it('resumes each next day from the returned token, lists every page once, and yields exactly the sandbox’s activities', async () => {
    const live = sandbox.state.hubspot.activities.filter((a) => !a.deleted);
    const kinds = ['call', 'email', 'meeting', 'note', 'task'] as const;
    const pagesOf = (n: number) => Math.max(1, Math.ceil(n / 100));
    const all = sandbox.state.hubspot.activities;
    const livePages = kinds.reduce((n, kind) => n + pagesOf(live.filter((a) => a.kind === kind).length), 0);
    const archivedPages = kinds.reduce((n, kind) => n + pagesOf(all.filter((a) => a.kind === kind && a.deleted).length), 0);
    expect(livePages).toBeGreaterThan(2 * DAILY); // the walk needs several days of this quota

    // Day 1: the quota is spent after DAILY list pages.
    const walkStart = new Date(sandbox.now()).toISOString();
    const first = await run(connector().pullActivities({ since: null, mode: 'full' }));
    expect(first.error).toBeInstanceOf(CrmError);
    expect((first.error as CrmError).code).toBe('CRM.QUOTA_EXCEEDED');
    expect(first.records).toHaveLength(DAILY * 100);
    expect(first.cursor).toMatchObject({ stamp: walkStart, id: '', walk: { phase: 'calls', after: expect.any(String) } });
    expect(listCalls(0)).toHaveLength(DAILY);

    // Each next day a new connector continues from the persisted cursor, as the nightly sync would
    // (a walk started over would never get past the first DAILY pages).
    const records = [...first.records];
    let cursor = first.cursor;
    let days = 1;
    for (let stopped = first.error; stopped !== null; days += 1) {
      expect((stopped as CrmError).code).toBe('CRM.QUOTA_EXCEEDED');
      expect(days).toBeLessThan(60);
      vi.setSystemTime(Date.now() + 86_400_000);
      const mark = sandbox.state.calls.length;
      const next = await run(connector().pullActivities({ since: cursor }));
      // The first request of the day is the page the cursor names, with the sandbox's own token.
      const walk = cursor!.walk!;
      expect(listCalls(mark)[0]).toBe(`${walk.phase} ${walk.after ?? '-'}`);
      records.push(...next.records);
      cursor = next.cursor;
      stopped = next.error;
    }

    const lists = listCalls(0);
    expect(new Set(lists).size).toBe(lists.length); // no page listed twice
    expect(lists).toHaveLength(livePages + archivedPages);
    expect(records).toHaveLength(live.length); // no activity read twice
    expect(new Set(records)).toEqual(new Set(live.map((a) => String(a.id))));
    // Done: the walk's original start, no walk left; the next pull searches from there.
    expect(cursor).toEqual({ stamp: walkStart, id: '' });
    expect(days).toBeGreaterThan(2);
  }, 120_000);
});
