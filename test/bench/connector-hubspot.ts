/**
 * HubSpot connector benchmark on the sandbox (in process, loopback HTTP, the official SDK):
 *
 *   npx tsx test/bench/connector-hubspot.ts [--deals 20000] [--no-limits] [--limits-only] [--gate 9/1000]
 *
 * 1. Full sync as jobs/sync.ts runs it (owners, stages, deals, activities, history, then the
 *    reconciliation of live deal ids) with rate limits off: API calls against the true lower bound
 *    (records / largest page each endpoint allows for what is asked, plus metadata calls; see
 *    lowerBound), wall time, 429s, peak RSS.
 * 2. The same full sync with HubSpot's default limits on in the sandbox (100 requests / 10 s,
 *    5 searches / s) and the production RateGate (src/queue/rate-gate.ts on Redis at
 *    TEST_REDIS_URL, default redis://127.0.0.1:6379): wall time against the floor those limits
 *    impose (calls / allowed rate), 429s received.
 *    `--gate N/MS` sizes the gate's default bucket differently (e.g. 9/1000: a fixed 1 s window of 9
 *    never exceeds 100 in any rolling 10 s, where 100/10000 can let 200 through across a boundary).
 * 3. An incremental sync (deals, activities, history) after 1% of deals changed stage: calls against
 *    its lower bound (incrementalLowerBound) and time.
 *
 * The sandbox runs as a child process (`dealwatch sandbox --json`), so the peak RSS is the
 * connector's process alone; mutations go through the sandbox's admin surface. Prints one JSON line
 * per phase.
 */
import pino from 'pino';
import { HubSpotConnector } from '../../connectors/hubspot/connector.js';
import type { RateGate } from '../../connectors/types.js';
import { HubSpotConnection, type SyncCursor } from '../../src/domain/model/index.js';
import { connectBackend } from '../../src/queue/backend.js';
import { RateGateFactory } from '../../src/queue/rate-gate.js';
import { hubspotDescriptor } from '../../connectors/hubspot/index.js';
import { sandboxAdmin, spawnSandbox, stopSandbox, type RunningSandbox } from './sandbox-cli.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback;
};
const DEALS = option('--deals', 20_000);
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const mb = (bytes: number) => Math.round(bytes / 1_048_576);

/** Peak RSS while `work` runs (sampled every 25 ms). */
async function measured<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; peakRssMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 25);
  const started = performance.now();
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, ms: Math.round(performance.now() - started), peakRssMb: mb(peak) };
  } finally {
    clearInterval(timer);
  }
}

interface Counts {
  deals: number;
  tombstones: number;
  activities: number;
  byType: Record<string, number>;
  stageChanges: number;
  fieldChanges: number;
  /** Distinct accounts (primary companies) of the deals: what the companies batch read must cover. */
  companies: number;
  /** Ids the reconciliation (`listDealIds`) saw. */
  liveIds: number;
  cursor: { deals: SyncCursor | null; activities: SyncCursor | null; history: SyncCursor | null };
}

async function fullSync(connector: HubSpotConnector): Promise<Counts> {
  const counts: Counts = {
    deals: 0,
    tombstones: 0,
    activities: 0,
    byType: {},
    stageChanges: 0,
    fieldChanges: 0,
    companies: 0,
    liveIds: 0,
    cursor: { deals: null, activities: null, history: null },
  };
  const companies = new Set<string>();
  await connector.pullStages();
  await connector.pullOwners();
  const historyOnDealPages = { stageChanges: 0, fieldChanges: 0 };
  for await (const page of connector.pullDeals({ since: null, mode: 'full' })) {
    counts.deals += page.records.length;
    counts.tombstones += page.tombstones.length;
    const carried = (page as { history?: { stageChanges: unknown[]; fieldChanges: unknown[] } }).history;
    historyOnDealPages.stageChanges += carried?.stageChanges.length ?? 0;
    historyOnDealPages.fieldChanges += carried?.fieldChanges.length ?? 0;
    for (const d of page.records) if (d.accountId !== null) companies.add(d.accountId);
    if (page.cursor) counts.cursor.deals = page.cursor;
  }
  counts.companies = companies.size;
  for await (const page of connector.pullActivities({ since: null, mode: 'full' })) {
    counts.activities += page.records.length;
    for (const a of page.records) counts.byType[a.type] = (counts.byType[a.type] ?? 0) + 1;
    if (page.cursor) counts.cursor.activities = page.cursor;
  }
  for await (const page of connector.pullHistory({ since: null, mode: 'full' })) {
    counts.stageChanges += page.stageChanges.length;
    counts.fieldChanges += page.fieldChanges.length;
    if (page.cursor) counts.cursor.history = page.cursor;
  }
  // Deal pages may carry their history (one walk for both); count it wherever it comes from.
  counts.stageChanges += historyOnDealPages.stageChanges;
  counts.fieldChanges += historyOnDealPages.fieldChanges;
  // A full sync ends with the reconciliation of live deal ids (jobs/sync.ts).
  for await (const ids of connector.listDealIds()) counts.liveIds += ids.length;
  return counts;
}

const pages = (n: number, size = 100) => Math.max(1, Math.ceil(n / size));

/**
 * The true floor of a full sync: records / the largest page the endpoint allows for what is asked,
 * plus metadata calls. Deals are asked with their property history, so they page at 50 (the most
 * HubSpot serves with propertiesWithHistory); that one walk also carries their properties, inline
 * companies and every live id (the reconciliation needs no second listing). Then: one archived-list
 * call per stream (deals' archived pages as the tombstones seen), company names at 100 a batch read
 * (distinct companies / 100), each activity type's list at 100 a page, pipelines once, owners twice
 * (active, archived).
 */
function lowerBound(counts: Counts, archivedDeals: number): number {
  const activityPages = Object.values(counts.byType).reduce((sum, n) => sum + pages(n), 0) + (5 - Object.keys(counts.byType).length);
  const companyReads = counts.companies === 0 ? 0 : pages(counts.companies);
  return 1 + 2 + pages(counts.deals, 50) + pages(archivedDeals) + companyReads + activityPages + 5;
}

/**
 * The floor of an incremental sync that read `deals` changed deals (their `companies` distinct
 * companies) and `activitiesByType` changed activities: the deal search (200 a page), their history
 * by batch read (50 a call), their company links (v4, 1,000 a call) and company names (100 a call);
 * each activity type's search (200 a page, at least one call) and one v4 link read per 1,000
 * activities of a type; one archived-list call per stream (deals and five activity types: archived
 * records never match a search).
 */
function incrementalLowerBound(deals: number, companies: number, activitiesByType: Record<string, number>): number {
  const types = ['call', 'email', 'meeting', 'note', 'task'];
  const activitySearches = types.reduce((sum, t) => sum + pages(activitiesByType[t] ?? 0, 200), 0);
  const activityLinks = types.reduce((sum, t) => sum + ((activitiesByType[t] ?? 0) === 0 ? 0 : pages(activitiesByType[t] ?? 0, 1000)), 0);
  const dealCalls = deals === 0 ? 1 : pages(deals, 200) + pages(deals, 50) + pages(deals, 1000) + (companies === 0 ? 0 : pages(companies));
  return dealCalls + activitySearches + activityLinks + 6;
}

let clock = Date.now();
function connectorFor(sandbox: RunningSandbox, rateGate: RateGate): HubSpotConnector {
  const settings = HubSpotConnection.parse({
    id: 'bench',
    provider: 'hubspot',
    accessToken: sandbox.hubspot.accessToken,
    baseUrl: sandbox.hubspot.baseUrl,
  });
  return new HubSpotConnector(settings, { rateGate, logger: pino({ level: 'error' }) }, { now: () => clock });
}

const noGate: RateGate = { take: async () => {} };

async function main(): Promise<void> {
  if (!flag('--limits-only')) {
    const sandbox = await spawnSandbox({ deals: DEALS, seed: 42, rateLimit: false });
    try {
      const rssBaselineMb = mb(process.memoryUsage().rss);
      const connector = connectorFor(sandbox, noGate);
      clock = Date.now();
      const full = await measured(() => fullSync(connector));
      const usage = connector.usage();
      const bound = lowerBound(full.result, full.result.tombstones);
      console.log(
        JSON.stringify({
          phase: 'full, rate limits off',
          deals: full.result.deals,
          activities: full.result.activities,
          stageChanges: full.result.stageChanges,
          fieldChanges: full.result.fieldChanges,
          companies: full.result.companies,
          liveIds: full.result.liveIds,
          calls: usage.calls,
          lowerBound: bound,
          callsOverBound: Number((usage.calls / bound).toFixed(3)),
          byEndpoint: usage.byEndpoint,
          rateLimited: usage.rateLimited,
          wallMs: full.ms,
          rssBaselineMb,
          peakRssMb: full.peakRssMb,
        }),
      );

      // An hour later, 1% of open deals change stage and get one new call each.
      const stages = await connector.pullStages();
      const openStages = new Map(stages.filter((s) => !s.isClosed).map((s) => [s.id, s]));
      const openDeals: { id: string; stageId: string; pipeline: string }[] = [];
      for await (const page of connector.pullDeals({ since: null, mode: 'full' })) {
        for (const d of page.records)
          if (openStages.has(d.stageId)) openDeals.push({ id: d.externalId, stageId: d.stageId, pipeline: d.pipeline });
      }
      await sandboxAdmin(sandbox, '/clock', { advanceMs: 60 * 60_000 });
      clock += 60 * 60_000;
      const changed = openDeals.slice(0, Math.max(1, Math.round(DEALS / 100)));
      for (const d of changed) {
        const next = stages.find((s) => s.pipeline === d.pipeline && s.id !== d.stageId && !s.isClosed)!;
        await sandboxAdmin(sandbox, `/hubspot/deals/${d.id}/stage`, { stage: next.id });
        await sandboxAdmin(sandbox, `/hubspot/deals/${d.id}/activities`, { kind: 'call', direction: 'outbound', subject: 'bench' });
      }
      connector.resetUsage();
      const incremental = await measured(async () => {
        let deals = 0;
        let activities = 0;
        let stageChanges = 0;
        const companies = new Set<string>();
        for await (const page of connector.pullDeals({ since: full.result.cursor.deals })) {
          deals += page.records.length;
          for (const d of page.records) if (d.accountId !== null) companies.add(d.accountId);
          stageChanges += (page as { history?: { stageChanges: unknown[] } }).history?.stageChanges.length ?? 0;
        }
        const activitiesByType: Record<string, number> = {};
        for await (const page of connector.pullActivities({ since: full.result.cursor.activities })) {
          activities += page.records.length;
          for (const a of page.records) activitiesByType[a.type] = (activitiesByType[a.type] ?? 0) + 1;
        }
        for await (const page of connector.pullHistory({ since: full.result.cursor.history })) stageChanges += page.stageChanges.length;
        return { deals, activities, stageChanges, companies: companies.size, activitiesByType };
      });
      const incrementalBound = incrementalLowerBound(
        incremental.result.deals,
        incremental.result.companies,
        incremental.result.activitiesByType,
      );
      console.log(
        JSON.stringify({
          phase: 'incremental after 1% changed, rate limits off',
          changedDeals: changed.length,
          fetchedDeals: incremental.result.deals,
          fetchedActivities: incremental.result.activities,
          historyStageChanges: incremental.result.stageChanges,
          calls: connector.usage().calls,
          lowerBound: incrementalBound,
          callsOverBound: Number((connector.usage().calls / incrementalBound).toFixed(3)),
          byEndpoint: connector.usage().byEndpoint,
          rateLimited: connector.usage().rateLimited,
          wallMs: incremental.ms,
        }),
      );
    } finally {
      await stopSandbox(sandbox);
    }
  }

  if (!flag('--no-limits')) {
    const sandbox = await spawnSandbox({ deals: DEALS, seed: 42, rateLimit: true });
    const backend = await connectBackend({ kind: 'redis', url: REDIS_URL });
    try {
      const prefix = `bench_${process.pid}_${Date.now()}`;
      const gateOption = args[args.indexOf('--gate') + 1];
      const override =
        args.includes('--gate') && gateOption
          ? { requests: Number(gateOption.split('/')[0]), perMs: Number(gateOption.split('/')[1]) }
          : undefined;
      const gate = new RateGateFactory(backend, prefix).gateFor(
        'bench',
        override ? { ...hubspotDescriptor.rateLimits, default: override } : hubspotDescriptor.rateLimits,
      );
      const connector = connectorFor(sandbox, gate);
      clock = Date.now();
      const full = await measured(() => fullSync(connector));
      const usage = connector.usage();
      const searchCalls = Object.entries(usage.byEndpoint)
        .filter(([endpoint]) => endpoint.endsWith('/search'))
        .reduce((n, [, c]) => n + c, 0);
      // Calls run one after another: default-bucket calls at 100 / 10 s, searches at 5 / s.
      const floorMs = ((usage.calls - searchCalls) / 100) * 10_000 + (searchCalls / 5) * 1_000;
      console.log(
        JSON.stringify({
          phase: 'full, default rate limits on (sandbox enforces, RateGate on Redis)',
          gate: override ?? 'provider default (100 / 10 s, search 5 / s)',
          deals: full.result.deals,
          activities: full.result.activities,
          calls: usage.calls,
          lowerBound: lowerBound(full.result, full.result.tombstones),
          rateLimited: usage.rateLimited,
          wallMs: full.ms,
          floorMs: Math.round(floorMs),
          // The floor of the true lower bound of calls at the provider's full rate.
          boundFloorMs: Math.round((lowerBound(full.result, full.result.tombstones) / 100) * 10_000),
          overBoundFloor: Number((full.ms / ((lowerBound(full.result, full.result.tombstones) / 100) * 10_000)).toFixed(3)),
          overFloor: Number((full.ms / floorMs).toFixed(3)),
          peakRssMb: full.peakRssMb,
        }),
      );
    } finally {
      await backend.close();
      await stopSandbox(sandbox);
    }
  }
}

await main();
