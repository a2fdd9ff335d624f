/**
 * Salesforce connector benchmark on the sandbox: a full sync of a 20,000-deal / ~200,000-activity
 * org, through REST (queryAll + nextRecordsUrl) and through Bulk API 2.0, measured in API calls
 * against the lower bound (rows / 2,000 per query batch, per stream, plus metadata calls), wall
 * time, 429s received and peak RSS of the connector's process. The sandbox runs in a child process
 * so its memory is not counted.
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
import { SalesforceConnection, type ApiUsage } from '../../src/domain/model/index.js';
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
  process.stdout.write(`${JSON.stringify({ salesforce: sandbox.salesforce, counts })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void sandbox.close().then(() => process.exit(0)));
}

function startChild(deals: number): Promise<{ info: SandboxInfo; counts: Record<string, number>; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', String(deals)], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`sandbox exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      const parsed = JSON.parse(line) as { salesforce: SandboxInfo; counts: Record<string, number> };
      resolve({ info: parsed.salesforce, counts: parsed.counts, stop: () => child.stdin!.end() });
    });
  });
}

function connectorFor(info: SandboxInfo): SalesforceConnector {
  const settings = SalesforceConnection.parse({
    id: 'bench', provider: 'salesforce', instanceUrl: info.instanceUrl, loginUrl: info.loginUrl, apiVersion: info.apiVersion,
    auth: { type: 'refreshToken', clientId: info.clientId, clientSecret: info.clientSecret, refreshToken: info.refreshToken },
  });
  return new SalesforceConnector(settings, { rateGate: { take: () => Promise.resolve() }, logger: pino({ level: 'silent' }) }, { bulkPoll: { intervalMs: 100, timeoutMs: 600_000 } });
}

async function fullSync(c: SalesforceConnector, options: PullOptions): Promise<{ rows: Record<string, number>; ms: number; usage: ApiUsage }> {
  c.resetUsage();
  const started = performance.now();
  const rows = { deals: 0, tombstones: 0, activities: 0, stageChanges: 0, fieldChanges: 0, owners: 0, stages: 0 };
  rows.owners = (await c.pullOwners()).length;
  rows.stages = (await c.pullStages()).length;
  for await (const p of c.pullDeals(options)) {
    rows.deals += p.records.length;
    rows.tombstones += p.tombstones.length;
  }
  for await (const p of c.pullActivities(options)) rows.activities += p.records.length + p.tombstones.length;
  for await (const p of c.pullHistory(options)) {
    rows.stageChanges += p.stageChanges.length;
    rows.fieldChanges += p.fieldChanges.length;
  }
  return { rows, ms: Math.round(performance.now() - started), usage: c.usage() };
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
    const restLowerBound = 3 + pages(n.deals ?? 0) + pages(n.tasks ?? 0) + pages(n.events ?? 0) + pages(n.opportunityHistory ?? 0) + pages(n.fieldHistory ?? 0);
    const which = process.argv[3] ?? 'both';
    const rest = which === 'bulk' ? null : await fullSync(connectorFor(child.info), { since: null });
    const bulk = which === 'rest' ? null : await fullSync(connectorFor(child.info), { since: null, mode: 'full' });
    clearInterval(sampler);
    const result = {
      bench: 'connector-salesforce',
      org: n,
      rest: rest && { ...rest.rows, ms: rest.ms, calls: rest.usage.calls, lowerBound: restLowerBound, ratio: +(rest.usage.calls / restLowerBound).toFixed(3), rateLimited: rest.usage.rateLimited, byEndpoint: rest.usage.byEndpoint },
      bulk: bulk && { ...bulk.rows, ms: bulk.ms, calls: bulk.usage.calls, rateLimited: bulk.usage.rateLimited, byEndpoint: bulk.usage.byEndpoint },
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
