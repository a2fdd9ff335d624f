/**
 * Webhook-to-annotation latency: the sandbox moves deals at a steady rate and sends its signed
 * HubSpot webhooks to the dealwatch server; each event is refetched, upserted, scored and written
 * back by an `events` job. Latency = job finished (score and write-back done) minus the change's
 * occurredAt. Queues on Redis when REDIS_URL is set, else the PostgreSQL backend (embedded store).
 *
 *   npx tsx test/bench/webhook-latency.ts [eventsPerSecond=20] [seconds=60] [deals=500]
 *
 * The sandbox's HubSpot rate limit and the connection's gate are lifted: at 20 stage changes a
 * second the fast path needs more than HubSpot's 10-19 requests a second on its own.
 * Prints one JSON line with p50/p95/p99 (ms); exits 1 when an event was not handled.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { openPipeline } from '../../jobs/runtime.js';
import { parseConfig } from '../../src/config.js';
import { serverDepsFrom } from '../../src/commands/serve.js';
import { ConnectionSettings } from '../../src/domain/model/index.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { startServer } from '../../src/server/server.js';
import { openStore } from '../../src/store/index.js';
import { silentLogger } from '../integration/pipeline/harness.js';

const [rate = 20, seconds = 60, deals = 500] = process.argv.slice(2).map(Number);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const port = await freePort();
const publicUrl = `http://127.0.0.1:${port}`;
const sandbox = await startSandbox({ deals, seed: 5, rateLimit: false, webhookUrl: `${publicUrl}/webhooks/hubspot`, deliveryBatchDelayMs: 20, hubspotCustomProperties: ['dealwatch_score', 'dealwatch_flags'] });
const dataDir = mkdtempSync(path.join(tmpdir(), 'dw-bench-wh-'));
const store = await openStore({ databaseUrl: process.env.DATABASE_URL || undefined, dataDir, schema: `dw_bench_wh_${process.pid}` });
const settings = [
  ConnectionSettings.parse({
    id: 'hs',
    provider: 'hubspot',
    accessToken: sandbox.hubspot.accessToken,
    baseUrl: sandbox.hubspot.baseUrl,
    portalId: sandbox.hubspot.portalId,
    webhookSecret: sandbox.hubspot.webhookSecret,
    writeback: 'on',
    rateLimit: { requests: 10_000, perMs: 1_000 },
  }),
];
await store.connections.upsertFromConfig(settings);
const logger = silentLogger();
const pipeline = await openPipeline({ store, connections: settings, logger, redisUrl: process.env.REDIS_URL || undefined, prefix: `{dw-bench-wh-${process.pid}}` });
pipeline.startWorkers({ concurrency: { events: 16 } });
const config = { ...parseConfig({ publicUrl, connections: [] }, { PORT: String(port) }), connections: settings, configPath: null };
const server = await startServer(serverDepsFrom(config, { store, queues: pipeline.queues, logger: pino({ level: 'silent' }) }), { host: '127.0.0.1', port });

// The initial sync, so events land on a scored book.
const initial = await pipeline.queues.enqueue('sync', { connectionId: 'hs', mode: 'full', trigger: 'bench' });
await pipeline.queues.waitForAll(initial, { timeoutMs: 600_000 });

const stages = (await store.stages.list('hs')).filter((s) => !s.isClosed);
const open = await store.deals.loadOpen('hs');
const current = new Map(open.map((d) => [d.externalId, d.stageId]));
const total = rate * seconds;
let fired = 0;
const t0 = Date.now();
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * rate));
    while (fired < due) {
      const deal = open[fired % open.length]!;
      // Always a real move (a no-op change sends no webhook).
      const choices = stages.filter((s) => s.pipeline === deal.pipeline && s.id !== current.get(deal.externalId));
      const next = choices[fired % choices.length]!;
      sandbox.changeStage('hubspot', deal.externalId, next.id);
      current.set(deal.externalId, next.id);
      fired += 1;
    }
    if (fired >= total) {
      clearInterval(timer);
      resolve();
    }
  }, 10);
});
await sandbox.drainDeliveries();
const deadline = Date.now() + 120_000;
for (;;) {
  const c = (await pipeline.queues.counts()).events;
  if ((c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0) === 0 || Date.now() > deadline) break;
  await new Promise((r) => setTimeout(r, 200));
}
const jobs = await pipeline.queues.queue('events').getJobs(['completed'], 0, -1);
const latencies = jobs
  .map((j) => (j.finishedOn ?? 0) - Date.parse((j.data as { occurredAt: string }).occurredAt))
  .filter((ms) => Number.isFinite(ms))
  .sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? null;
/** Where the time goes: change -> enqueued (webhook delivery), enqueued -> picked up (queue), picked up -> done (processing). */
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? null;
const p95Of = (values: number[]) => values.sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(0.95 * values.length))] ?? null;
const phases = {
  delivery: jobs.map((j) => j.timestamp - Date.parse((j.data as { occurredAt: string }).occurredAt)),
  queued: jobs.map((j) => (j.processedOn ?? 0) - j.timestamp),
  processing: jobs.map((j) => (j.finishedOn ?? 0) - (j.processedOn ?? 0)),
};
const phaseMs = Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, { p50: median(v), p95: p95Of(v) }]));
const failed = (await pipeline.queues.counts()).events.failed ?? 0;
console.log(
  JSON.stringify({
    bench: 'webhook-latency',
    eventsPerSecond: rate,
    seconds,
    stageChanges: fired,
    eventsDelivered: sandbox.state.deliveries.filter((d) => d.ok).reduce((n, d) => n + d.events, 0),
    deliveriesFailed: sandbox.state.deliveries.filter((d) => !d.ok).length,
    eventsHandled: jobs.length,
    eventsFailed: failed,
    backend: { database: process.env.DATABASE_URL ? 'postgres' : 'embedded', queues: process.env.REDIS_URL ? 'redis' : 'postgres' },
    latencyMs: { p50: pct(50), p95: pct(95), p99: pct(99), max: latencies.at(-1) ?? null },
    phaseMs,
  }),
);
await server.close();
await pipeline.queues.obliterate().catch(() => undefined);
await pipeline.close({ graceMs: 2_000 });
await store.close();
await sandbox.close();
rmSync(dataDir, { recursive: true, force: true });
process.exit(failed > 0 || jobs.length === 0 ? 1 : 0);
