/**
 * Salesforce connector benchmark on the sandbox: syncs of a 20,000-deal / ~200,000-activity org as
 * jobs/sync.ts runs them: a first sync through REST (queryAll + nextRecordsUrl), a full sync
 * (COUNT, then Bulk API 2.0 above bulkThreshold, and the reconciliation of live ids), and an
 * incremental sync after 1% of deals changed, measured in API calls against the lower bound (rows /
 * 2,000 per query batch, per stream, plus metadata calls), wall time, 429s received and peak RSS of
 * the connector's process. The sandbox runs in a child process so its memory is not counted.
 *
 *   npx tsx test/bench/connector-salesforce.ts [deals] [rest|bulk|both]   # default 20000 both
 *
 * Salesforce has no per-second request limit (a rolling daily quota and a cap of 25 concurrent
 * long-running calls), so the "rate-limit floor" is the daily quota share the sync uses.
 * Prints one JSON line.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { SalesforceConnection, type ApiUsage, type SyncCursor } from '../../src/domain/model/index.js';
import { SalesforceConnector } from '../../connectors/salesforce/connector.js';
import type { PullOptions } from '../../connectors/types.js';

const BATCH = 2000;

interface SandboxInfo {
  instanceUrl: string;
  loginUrl: string;
  apiVersion: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

async function serve(deals: number): Promise<void> {
  const { startSandbox } = await import('../../src/sandbox/index.js');
  const sandbox = await startSandbox({ deals, seed: 3, rateLimit: false });
  const book = sandbox.state.salesforce;
  const counts = {
    deals: book.deals.length,
    tasks: book.activities.filter((a) => a.kind !== 'meeting').length,
    events: book.activities.filter((a) => a.kind === 'meeting').length,
    opportunityHistory: book.stageHistory.length,
    fieldHistory: book.fieldHistory.filter((f) => f.field !== 'StageName').length,
    users: book.reps.length,
  };
  process.stdout.write(`${JSON.stringify({ salesforce: sandbox.salesforce, admin: sandbox.adminUrl, counts })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void sandbox.close().then(() => process.exit(0)));
}

function startChild(deals: number): Promise<{ info: SandboxInfo; admin: string; counts: Record<string, number>; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', String(deals)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`sandbox exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      const parsed = JSON.parse(line) as { salesforce: SandboxInfo; admin: string; counts: Record<string, number> };
      resolve({ info: parsed.salesforce, admin: parsed.admin, counts: parsed.counts, stop: () => child.stdin!.end() });
    });
  });
}

function connectorFor(info: SandboxInfo): SalesforceConnector {
  const settings = SalesforceConnection.parse({
    id: 'bench',
    provider: 'salesforce',
    instanceUrl: info.instanceUrl,
    loginUrl: info.loginUrl,
    apiVersion: info.apiVersion,
    auth: { type: 'refreshToken', clientId: info.clientId, clientSecret: info.clientSecret, refreshToken: info.refreshToken },
  });
  return new SalesforceConnector(
    settings,
    { rateGate: { take: () => Promise.resolve() }, logger: pino({ level: 'silent' }) },
    { bulkPoll: { intervalMs: 100, timeoutMs: 600_000 } },
  );
}

interface Cursors {
  deals: SyncCursor | null;
  activities: SyncCursor | null;
  history: SyncCursor | null;
}

/**
 * One sync as jobs/sync.ts runs it: owners, stages, deals, activities, history, and after a full
 * sync the reconciliation of live deal ids. `since` holds each stream's cursor (null: from nothing).
 */
async function sync(
  c: SalesforceConnector,
  mode: 'full' | 'incremental',
  since: Cursors,
): Promise<{ rows: Record<string, number>; ms: number; usage: ApiUsage; cursors: Cursors; openDeals: string[] }> {
  c.resetUsage();
  const started = performance.now();
  const rows = { deals: 0, tombstones: 0, activities: 0, stageChanges: 0, fieldChanges: 0, owners: 0, stages: 0, liveIds: 0 };
  const cursors: Cursors = { ...since };
  const openDeals: string[] = [];
  rows.owners = (await c.pullOwners()).length;
  rows.stages = (await c.pullStages()).length;
  const options = (cursor: SyncCursor | null): PullOptions => ({ since: mode === 'full' ? null : cursor, mode });
  for await (const p of c.pullDeals(options(since.deals))) {
    rows.deals += p.records.length;
    rows.tombstones += p.tombstones.length;
    for (const d of p.records) if (!d.isClosed) openDeals.push(d.externalId);
    if (p.cursor) cursors.deals = p.cursor;
  }
  for await (const p of c.pullActivities(options(since.activities))) {
    rows.activities += p.records.length + p.tombstones.length;
    if (p.cursor) cursors.activities = p.cursor;
  }
  for await (const p of c.pullHistory(options(since.history))) {
    rows.stageChanges += p.stageChanges.length;
    rows.fieldChanges += p.fieldChanges.length;
    if (p.cursor) cursors.history = p.cursor;
  }
  if (mode === 'full') for await (const ids of c.listDealIds()) rows.liveIds += ids.length;
  return { rows, ms: Math.round(performance.now() - started), usage: c.usage(), cursors, openDeals };
}

async function admin(base: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`sandbox admin ${path}: ${response.status} ${await response.text()}`);
}

async function main(): Promise<void> {
  const deals = Number(process.argv[2] ?? 20_000);
  const child = await startChild(deals);
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 25);
  try {
    const n = child.counts;
    const pages = (rows: number) => Math.max(1, Math.ceil(rows / BATCH));
    // describe + User + OpportunityStage, then one query batch per 2,000 rows of each stream.
    const restLowerBound =
      3 + pages(n.deals ?? 0) + pages(n.tasks ?? 0) + pages(n.events ?? 0) + pages(n.opportunityHistory ?? 0) + pages(n.fieldHistory ?? 0);
    // A full sync counts first (SELECT COUNT()) to choose REST or Bulk, which is one more call.
    const fullLowerBound = restLowerBound + 1;
    const which = process.argv[3] ?? 'both';
    const none: Cursors = { deals: null, activities: null, history: null };
    // `rest`: a first sync with no cursor (REST queryAll); `bulk`: a full sync (COUNT, then Bulk
    // API 2.0 above bulkThreshold, else REST), as `dealwatch sync --full` runs it.
    const rest = which === 'bulk' ? null : await sync(connectorFor(child.info), 'incremental', none);
    const connector = connectorFor(child.info);
    const bulk = which === 'rest' ? null : await sync(connector, 'full', none);

    // An hour later, 1% of open deals change stage and get one new Task each; then an incremental sync.
    const base = rest ?? bulk!;
    const changed = base.openDeals.slice(0, Math.max(1, Math.round(deals / 100)));
    await admin(child.admin, '/clock', { advanceMs: 60 * 60_000 });
    for (const id of changed) {
      await admin(child.admin, `/salesforce/deals/${id}/stage`, { stage: 'Negotiation/Review' });
      await admin(child.admin, `/salesforce/deals/${id}/activities`, { kind: 'call', direction: 'outbound', subject: 'bench' });
    }
    const incremental = await sync(connector, 'incremental', base.cursors);
    // users, stages, then one query each: Opportunity, Task, Event, OpportunityHistory, OpportunityFieldHistory,
    // and the stage each changed deal was in before the window (OpportunityHistory, 200 deals an IN list).
    const incrementalLowerBound = 2 + pages(changed.length) * 5 + Math.ceil(changed.length / 200);
    clearInterval(sampler);
    const result = {
      bench: 'connector-salesforce',
      org: n,
      rest: rest && {
        ...rest.rows,
        ms: rest.ms,
        calls: rest.usage.calls,
        lowerBound: restLowerBound,
        ratio: +(rest.usage.calls / restLowerBound).toFixed(3),
        rateLimited: rest.usage.rateLimited,
        byEndpoint: rest.usage.byEndpoint,
      },
      full: bulk && {
        ...bulk.rows,
        ms: bulk.ms,
        calls: bulk.usage.calls,
        lowerBound: fullLowerBound,
        ratio: +(bulk.usage.calls / fullLowerBound).toFixed(3),
        rateLimited: bulk.usage.rateLimited,
        byEndpoint: bulk.usage.byEndpoint,
      },
      incremental: {
        changedDeals: changed.length,
        ...incremental.rows,
        ms: incremental.ms,
        calls: incremental.usage.calls,
        lowerBound: incrementalLowerBound,
        ratio: +(incremental.usage.calls / incrementalLowerBound).toFixed(3),
        rateLimited: incremental.usage.rateLimited,
        byEndpoint: incremental.usage.byEndpoint,
      },
      dailyQuotaShare: rest?.usage.quota?.limit ? +(rest.usage.calls / rest.usage.quota.limit).toFixed(5) : null,
      peakRssMb: Math.round(peakRss / 1024 / 1024),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    clearInterval(sampler);
    child.stop();
  }
}

if (process.argv[2] === '--serve') await serve(Number(process.argv[3] ?? 20_000));
else await main();
