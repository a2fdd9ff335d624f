/**
 * What the two fast-path benches share: the sandbox in its own process sending signed HubSpot
 * webhooks to a dealwatch server and workers in this process (queues on Redis when REDIS_URL is
 * set, else BullMQ's PostgreSQL backend in the embedded store), an initial sync so events land on a
 * scored book, stage moves through the sandbox's admin surface, and the figures read back from the
 * completed `events` jobs. Latency = the job finished (deal refreshed, scored, written back) minus
 * the change's occurredAt.
 *
 * The sandbox's HubSpot rate limit and the connection's gate are lifted: the fast path refetches a
 * deal with its activities (about ten calls), so 20 stage changes a second need more than HubSpot's
 * 10 requests a second on their own. 429s are still counted from the sandbox's call log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { concurrencyFromEnv, openPipeline } from '../../jobs/runtime.js';
import { parseConfig } from '../../src/config.js';
import { serverDepsFrom } from '../../src/commands/http-server.js';
import { ConnectionSettings, type Deal, type Stage } from '../../src/domain/model/index.js';
import { startServer } from '../../src/server/server.js';
import { openStore } from '../../src/store/index.js';
import { silentLogger } from '../integration/pipeline/harness.js';
import { sandboxHubSpotConnection } from '../support/sandbox-connections.js';
import { spawnSandboxProcess } from './sandbox-process.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function openFastPath(options: { deals: number }) {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const sandbox = await spawnSandboxProcess({
    deals: options.deals,
    seed: 5,
    rateLimit: false,
    webhookUrl: `${publicUrl}/webhooks/hubspot`,
    deliveryBatchDelayMs: 20,
    hubspotCustomProperties: ['dealwatch_score', 'dealwatch_flags'],
  });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dw-bench-wh-'));
  const store = await openStore({ databaseUrl: process.env.DATABASE_URL || undefined, dataDir, schema: `dw_bench_wh_${process.pid}` });
  const settings = [sandboxHubSpotConnection(sandbox.hubspot, 'hs', { writeback: 'on', rateLimit: { requests: 10_000, perMs: 1_000 } })];
  await store.connections.upsertFromConfig(settings);
  const logger = silentLogger();
  const pipeline = await openPipeline({
    store,
    connections: settings,
    logger,
    redisUrl: process.env.REDIS_URL || undefined,
    prefix: `{dw-bench-wh-${process.pid}}`,
  });
  // What an install gets: the default concurrency, or DEALWATCH_CONCURRENCY as `start` and `worker` read it.
  pipeline.startWorkers({ concurrency: concurrencyFromEnv(process.env.DEALWATCH_CONCURRENCY) });
  const config = { ...parseConfig({ publicUrl, connections: [] }, { PORT: String(port) }), connections: settings, configPath: null };
  const server = await startServer(serverDepsFrom(config, { store, queues: pipeline.queues, logger: pino({ level: 'silent' }) }), {
    host: '127.0.0.1',
    port,
  });

  const initial = await pipeline.queues.enqueue('sync', { connectionId: 'hs', mode: 'full', trigger: 'bench' });
  await pipeline.queues.waitForAll(initial, { timeoutMs: 600_000 });
  const stages = (await store.stages.list('hs')).filter((s) => !s.isClosed);
  const open = await store.deals.loadOpen('hs');
  const current = new Map(open.map((d) => [d.externalId, d.stageId]));

  /** Moves a deal to another open stage of its pipeline (always a real move: a no-op sends no webhook). */
  const move = (deal: Deal, n: number): Promise<unknown> => {
    const choices: Stage[] = stages.filter((s) => s.pipeline === deal.pipeline && s.id !== current.get(deal.externalId));
    const next = choices[n % choices.length]!;
    current.set(deal.externalId, next.id);
    return sandbox.post(`/hubspot/deals/${deal.externalId}/stage`, { stage: next.id });
  };

  /** Waits until the sandbox delivered everything and the events queue is empty (or `timeoutMs`). */
  const settle = async (timeoutMs: number) => {
    await sandbox.post('/flush');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const c = (await pipeline.queues.counts()).events;
      if ((c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0) === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  const results = async () => {
    const jobs = await pipeline.queues.queue('events').getJobs(['completed'], 0, -1);
    const occurred = (j: (typeof jobs)[number]) => Date.parse((j.data as { occurredAt: string }).occurredAt);
    const latencies = jobs.map((j) => (j.finishedOn ?? 0) - occurred(j)).filter((ms) => Number.isFinite(ms));
    const phases = {
      delivery: jobs.map((j) => j.timestamp - occurred(j)),
      queued: jobs.map((j) => (j.processedOn ?? 0) - j.timestamp),
      processing: jobs.map((j) => (j.finishedOn ?? 0) - (j.processedOn ?? 0)),
    };
    const deliveries = await sandbox.get<{ ok: boolean; events: number }[]>('/deliveries');
    const calls = await sandbox.get<{ calls: { status: number; method: string; endpoint: string }[] }>(
      '/calls?provider=hubspot&limit=1000000',
    );
    // What dealwatch stored for each deal against the stage the sandbox holds last: a lost event shows here.
    let staleDeals = 0;
    for (const [dealId, stageId] of current) {
      const stored = await store.deals.get('hs', dealId);
      if (stored && stored.stageId !== stageId) staleDeals += 1;
    }
    return {
      /** Events in deliveries the server acknowledged in time (a late answer counts as failed by the sandbox, and is retried). */
      eventsDelivered: deliveries.filter((d) => d.ok).reduce((n, d) => n + d.events, 0),
      deliveriesFailed: deliveries.filter((d) => !d.ok).length,
      eventsHandled: jobs.length,
      eventsCoalesced: jobs.filter((j) => (j.returnvalue as { coalesced?: boolean } | null)?.coalesced === true).length,
      eventsFailed: (await pipeline.queues.counts()).events.failed ?? 0,
      staleDeals,
      crm: {
        calls: calls.calls.length,
        status429: calls.calls.filter((c) => c.status === 429).length,
        /** Write-back requests (field updates, notes, tasks): every non-GET call that is not a read or a search. */
        writeCalls: calls.calls.filter((c) => c.method !== 'GET' && !/read|search/.test(c.endpoint)).length,
      },
      backend: { database: process.env.DATABASE_URL ? 'postgres' : 'embedded', queues: process.env.REDIS_URL ? 'redis' : 'postgres' },
      latencyMs: percentiles(latencies),
      phaseMs: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, percentiles(v)])),
    };
  };

  const close = async () => {
    await server.close();
    await pipeline.queues.obliterate().catch(() => undefined);
    await pipeline.close({ graceMs: 2_000 });
    await store.close();
    await sandbox.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { open, move, settle, results, close };
}

export function percentiles(values: number[]): { p50: number | null; p95: number | null; p99: number | null; max: number | null } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? null;
  return { p50: at(50), p95: at(95), p99: at(99), max: sorted.at(-1) ?? null };
}
