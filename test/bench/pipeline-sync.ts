/**
 * End-to-end nightly sync: a sandbox book of N deals per provider (about 11 activities per deal),
 * full sync of both connections through the real queues (sync -> score -> write-back, write-back
 * on), on the embedded store and the PostgreSQL-backend queues unless DATABASE_URL / REDIS_URL.
 *
 *   npx tsx test/bench/pipeline-sync.ts [dealsPerProvider=10000] [--no-rate-limit]
 *
 * With the providers' rate limits on (default), HubSpot's 100 requests / 10 s bounds the time;
 * `--no-rate-limit` lifts the sandbox's limit and the connection's gate, measuring the pipeline.
 * Prints one JSON line: seconds, API calls, records, annotations and peak RSS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openPipeline } from '../../jobs/runtime.js';
import { summarize } from '../../jobs/summary.js';
import { ConnectionSettings } from '../../src/domain/model/index.js';
import { sandboxSalesforceConnection } from '../support/sandbox-connections.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { openStore } from '../../src/store/index.js';
import { silentLogger } from '../integration/pipeline/harness.js';

const args = process.argv.slice(2);
const deals = Number(args.find((a) => /^\d+$/.test(a)) ?? 10_000);
const rateLimited = !args.includes('--no-rate-limit');

const started = Date.now();
const sandbox = await startSandbox({
  deals,
  seed: 3,
  rateLimit: rateLimited,
  hubspotCustomProperties: ['dealwatch_score', 'dealwatch_flags'],
});
const generatedSeconds = (Date.now() - started) / 1000;
const dataDir = mkdtempSync(path.join(tmpdir(), 'dw-bench-'));
const store = await openStore({ databaseUrl: process.env.DATABASE_URL || undefined, dataDir, schema: `dw_bench_${process.pid}` });
const unlimited = rateLimited ? {} : { rateLimit: { requests: 10_000, perMs: 1_000 } };
const connections = [
  ConnectionSettings.parse({
    id: 'hs',
    provider: 'hubspot',
    accessToken: sandbox.hubspot.accessToken,
    baseUrl: sandbox.hubspot.baseUrl,
    writeback: 'on',
    ...unlimited,
  }),
  sandboxSalesforceConnection(sandbox, 'sf', { writeback: 'on', ...unlimited }),
];
await store.connections.upsertFromConfig(connections);
const pipeline = await openPipeline({
  store,
  connections,
  logger: silentLogger(),
  redisUrl: process.env.REDIS_URL || undefined,
  prefix: `{dw-bench-${process.pid}}`,
});
pipeline.startWorkers();

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250);
const results: Record<string, unknown> = {};
const t0 = Date.now();
await Promise.all(
  connections.map(async (c) => {
    const c0 = Date.now();
    const job = await pipeline.queues.enqueue('sync', { connectionId: c.id, mode: 'full', trigger: 'bench' });
    const s = summarize(c.id, await pipeline.queues.waitForAll(job, { timeoutMs: 3 * 3600_000 }));
    results[c.id] = {
      seconds: (Date.now() - c0) / 1000,
      status: s.status,
      deals: s.deals,
      activities: s.activities,
      apiCalls: s.apiCalls,
      findingsOpened: s.findings.opened,
      annotations: s.annotations,
      failures: s.failures.length,
    };
  }),
);
const seconds = (Date.now() - t0) / 1000;
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);

console.log(
  JSON.stringify({
    bench: 'pipeline-sync',
    dealsPerProvider: deals,
    rateLimited,
    backend: { database: process.env.DATABASE_URL ? 'postgres' : 'embedded', queues: process.env.REDIS_URL ? 'redis' : 'postgres' },
    sandboxGenerateSeconds: generatedSeconds,
    seconds,
    connections: results,
    peakRssMb: Math.round(peakRss / 1024 / 1024),
  }),
);
await pipeline.queues.obliterate().catch(() => undefined);
await pipeline.close({ graceMs: 2_000 });
await store.close();
await sandbox.close();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
