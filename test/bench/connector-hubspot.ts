/**
 * HubSpot connector benchmark on the sandbox (in process, loopback HTTP, the official SDK):
 *
 *   npx tsx test/bench/connector-hubspot.ts [--deals 20000] [--no-limits] [--limits-only]
 *
 * 1. Full sync with rate limits off: API calls against the lower bound (records / largest page of
 *    each endpoint, plus metadata calls), wall time, 429s, peak RSS.
 * 2. The same full sync with HubSpot's default limits on in the sandbox (100 requests / 10 s,
 *    5 searches / s) and the production RateGate (src/queue/rate-gate.ts on Redis at
 *    TEST_REDIS_URL, default redis://127.0.0.1:6379): wall time against the floor those limits
 *    impose (calls / allowed rate), 429s received.
 * 3. An incremental sync after 1% of deals changed stage: calls and time.
 *
 * Prints one JSON line per phase. RSS includes the in-process sandbox; `rssBaselineMb` is measured
 * after the sandbox generated its book, so the connector's share is the difference.
 */
import pino from 'pino';
import { HubSpotConnector } from '../../connectors/hubspot/connector.js';
import type { RateGate } from '../../connectors/types.js';
import { HubSpotConnection, type SyncCursor } from '../../src/domain/model/index.js';
import { connectBackend } from '../../src/queue/backend.js';
import { RateGateFactory, rateLimitsFor } from '../../src/queue/rate-gate.js';
import { startSandbox } from '../../src/sandbox/index.js';

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
  cursor: { deals: SyncCursor | null; activities: SyncCursor | null };
}

async function fullSync(connector: HubSpotConnector): Promise<Counts> {
  const counts: Counts = { deals: 0, tombstones: 0, activities: 0, byType: {}, stageChanges: 0, cursor: { deals: null, activities: null } };
  await connector.pullStages();
  await connector.pullOwners();
  for await (const page of connector.pullDeals({ since: null, mode: 'full' })) {
    counts.deals += page.records.length;
    counts.tombstones += page.tombstones.length;
    if (page.cursor) counts.cursor.deals = page.cursor;
  }
  for await (const page of connector.pullActivities({ since: null, mode: 'full' })) {
    counts.activities += page.records.length;
    for (const a of page.records) counts.byType[a.type] = (counts.byType[a.type] ?? 0) + 1;
    if (page.cursor) counts.cursor.activities = page.cursor;
  }
  for await (const page of connector.pullHistory({ since: null, mode: 'full' })) counts.stageChanges += page.stageChanges.length;
  return counts;
}

/**
 * Fewest calls a full sync can make: every list stream at 100 a page (deals twice: records and
 * stage history), one archived-list call per stream, pipelines once, owners twice (active, archived).
 */
function lowerBound(counts: Counts, archivedDeals: number): number {
  const pages = (n: number) => Math.max(1, Math.ceil(n / 100));
  const activityPages = Object.values(counts.byType).reduce((sum, n) => sum + pages(n), 0) + (5 - Object.keys(counts.byType).length);
  return 1 + 2 + 2 * pages(counts.deals) + 2 * pages(archivedDeals) + activityPages + 5;
}

function connectorFor(sandbox: Awaited<ReturnType<typeof startSandbox>>, rateGate: RateGate): HubSpotConnector {
  const settings = HubSpotConnection.parse({ id: 'bench', provider: 'hubspot', accessToken: sandbox.hubspot.accessToken, baseUrl: sandbox.hubspot.baseUrl });
  return new HubSpotConnector(settings, { rateGate, logger: pino({ level: 'warn' }) }, { now: () => sandbox.now() });
}

const noGate: RateGate = { take: async () => {} };

async function main(): Promise<void> {
  if (!flag('--limits-only')) {
    const sandbox = await startSandbox({ deals: DEALS, seed: 42, rateLimit: false });
    try {
      const rssBaselineMb = mb(process.memoryUsage().rss);
      const archivedDeals = sandbox.state.hubspot.deals.filter((d) => d.deleted).length;
      const connector = connectorFor(sandbox, noGate);
      const full = await measured(() => fullSync(connector));
      const usage = connector.usage();
      const bound = lowerBound(full.result, archivedDeals);
      console.log(
        JSON.stringify({
          phase: 'full, rate limits off',
          deals: full.result.deals,
          activities: full.result.activities,
          stageChanges: full.result.stageChanges,
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

      // 1% of deals change stage an hour later; one activity is logged on each of them.
      sandbox.advance(60 * 60_000);
      const book = sandbox.state.hubspot;
      const open = book.deals.filter((d) => !d.deleted && !book.pipelines[d.pipeline]!.stages[d.stage]!.isClosed);
      const changed = open.slice(0, Math.max(1, Math.round(DEALS / 100)));
      for (const d of changed) {
        const stages = book.pipelines[d.pipeline]!.stages;
        const next = stages.find((s, i) => i > d.stage && !s.isClosed) ?? stages.find((s, i) => i !== d.stage && !s.isClosed)!;
        sandbox.changeStage('hubspot', d.id, next.id);
        sandbox.addActivity('hubspot', d.id, { kind: 'call', direction: 'outbound', subject: 'bench' });
      }
      connector.resetUsage();
      const incremental = await measured(async () => {
        let deals = 0;
        let activities = 0;
        for await (const page of connector.pullDeals({ since: full.result.cursor.deals })) deals += page.records.length;
        for await (const page of connector.pullActivities({ since: full.result.cursor.activities })) activities += page.records.length;
        return { deals, activities };
      });
      console.log(
        JSON.stringify({
          phase: 'incremental after 1% changed, rate limits off',
          changedDeals: changed.length,
          fetchedDeals: incremental.result.deals,
          fetchedActivities: incremental.result.activities,
          calls: connector.usage().calls,
          byEndpoint: connector.usage().byEndpoint,
          wallMs: incremental.ms,
        }),
      );
    } finally {
      await sandbox.close();
    }
  }

  if (!flag('--no-limits')) {
    const sandbox = await startSandbox({ deals: DEALS, seed: 42, rateLimit: true });
    const backend = await connectBackend({ kind: 'redis', url: REDIS_URL });
    try {
      const prefix = `bench_${process.pid}_${Date.now()}`;
      const gate = new RateGateFactory(backend, prefix).gateFor('bench', rateLimitsFor('hubspot'));
      const connector = connectorFor(sandbox, gate);
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
          deals: full.result.deals,
          activities: full.result.activities,
          calls: usage.calls,
          rateLimited: usage.rateLimited,
          wallMs: full.ms,
          floorMs: Math.round(floorMs),
          overFloor: Number((full.ms / floorMs).toFixed(3)),
          peakRssMb: full.peakRssMb,
        }),
      );
    } finally {
      await backend.close();
      await sandbox.close();
    }
  }
}

await main();
