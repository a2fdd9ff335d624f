/**
 * dealwatch on a real Redis Cluster (REDIS_CLUSTER_NODES), through the CLI processes:
 * - three masters: `dealwatch doctor` sees the cluster, a full sync asked over HTTP, the webhooks
 *   of stage changes and their write-back all run through it, and the keys live on several masters;
 * - three masters with a replica each: the master holding the sync queue stops in the middle of a
 *   full sync; its replica takes over and the sync, the webhooks after it and their write-back
 *   finish, with every warning written exactly once and every deal stored.
 * PostgreSQL holds the store, so the test reads the ledger while the process runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { QUEUE_NAMES } from '../../../src/queue/index.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { startRedisCluster, redisServerAvailable, type LocalCluster } from '../../support/redis-topology.js';
import { postgresAvailable } from '../../support/services.js';
import { warningRecordsPerKey } from './warning-records.js';
import { apiClient, cliEnv, createDatabase, pollJob, runDealwatch, spawnDealwatch, type DealwatchProcess } from './dealwatch-process.js';
import { sandboxConnections } from './harness.js';

const TOKEN = 'cluster-test-token';
const ready = (await redisServerAvailable()) && (await postgresAvailable());

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A sandbox that posts HubSpot webhooks to a dealwatch about to listen on `port`, and its config file. */
async function sandboxFor(dir: string, port: number, deals: number): Promise<{ sandbox: Sandbox; config: string; publicUrl: string }> {
  const publicUrl = `http://127.0.0.1:${port}`;
  const sandbox = await startSandbox({
    deals,
    seed: 20,
    rateLimit: false,
    hubspotCustomProperties: ['dealwatch_score', 'dealwatch_flags'],
    webhookUrl: `${publicUrl}/webhooks/hubspot`,
    deliveryBatchDelayMs: 20,
  });
  const config = path.join(dir, 'dealwatch.json');
  // HubSpot only: the sandbox's webhooks are HubSpot's.
  writeFileSync(config, JSON.stringify({ connections: sandboxConnections(sandbox, 'on').filter((c) => c.id === 'hs') }));
  return { sandbox, config, publicUrl };
}

/** Moves `count` open deals back to their pipeline's first stage (a regression: a new finding each), as reps would. */
async function regressDeals(sandbox: Sandbox, store: Store, count: number): Promise<{ id: string; stageId: string }[]> {
  const stages = (await store.stages.list('hs')).filter((s) => !s.isClosed);
  const deals = (await store.deals.loadOpen('hs')).filter((d) => (stages.find((s) => s.id === d.stageId)?.order ?? 0) >= 2).slice(0, count);
  sandbox.advance(60_000);
  const moved = deals.map((deal) => ({
    id: deal.externalId,
    stageId: stages.filter((s) => s.pipeline === deal.pipeline).sort((a, b) => a.order - b.order)[0]!.id,
  }));
  for (const { id, stageId } of moved) sandbox.changeStage('hubspot', id, stageId);
  await sandbox.drainDeliveries();
  return moved;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Each moved deal's webhook was refetched into the store, rescored, and its findings written back. */
async function webhooksHandled(store: Store, moved: readonly { id: string; stageId: string }[]): Promise<void> {
  await until(
    async () => {
      const stored = await Promise.all(moved.map((m) => store.deals.get('hs', m.id)));
      return stored.every((d, i) => d?.stageId === moved[i]!.stageId) && (await store.findings.unwritten('hs')).length === 0;
    },
    60_000,
    'the webhooks’ deals stored and their findings written back',
  );
}

/** Every warning record in the sandbox carries one ledger key, and each key is on exactly one record. */
async function expectExactlyOnce(sandbox: Sandbox, store: Store): Promise<void> {
  // Open and resolved: a webhook that moves a deal on resolves findings whose warnings stay in the CRM.
  const records = (await store.findings.warningRecords('hs')).filter((r) => r.externalId !== null);
  expect(records.length).toBeGreaterThan(0);
  const { perKey, strays } = warningRecordsPerKey(sandbox, 'hubspot', new Set(records.map((r) => r.recordKey)));
  expect([...perKey].filter(([, n]) => n !== 1)).toEqual([]);
  expect(strays).toBe(0);
}

describe.skipIf(!ready)('dealwatch on a Redis Cluster', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dw-cluster-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('syncs, takes webhooks and writes back through three masters, its keys spread over them', async () => {
    const cluster = await startRedisCluster({ basePort: 7100, masters: 3 });
    const db = await createDatabase();
    const port = await freePort();
    const { sandbox, config, publicUrl } = await sandboxFor(dir, port, 60);
    const env = cliEnv({
      DEALWATCH_CONFIG: config,
      DATABASE_URL: db.url,
      REDIS_CLUSTER_NODES: cluster.nodes,
      DEALWATCH_API_TOKENS: TOKEN,
      PUBLIC_URL: publicUrl,
      PORT: String(port),
    });
    let start: DealwatchProcess | undefined;
    let store: Store | undefined;
    let exitCode: number | null | undefined;
    try {
      const doctor = await runDealwatch(['doctor', '--json'], env);
      const redisCheck = (JSON.parse(doctor.stdout) as { checks: { name: string; ok: boolean; detail: string }[] }).checks.find(
        (c) => c.name === 'redis',
      );
      expect(redisCheck).toMatchObject({ ok: true });
      expect(redisCheck?.detail).toContain('cluster ok, 3 masters');

      start = await spawnDealwatch(['start'], env, 'dealwatch started');
      const api = apiClient(start.url!, TOKEN);
      const asked = await api<{ jobId: string }>('POST', '/api/v1/connections/hs/sync', { mode: 'full' });
      const job = await pollJob(api, asked.body.jobId);
      expect(job.state, JSON.stringify(job)).toBe('completed');
      expect(job.result).toMatchObject({ connectionId: 'hs', deals: 60 });

      store = await openStore({ databaseUrl: db.url, migrate: false });
      await until(
        async () => (await store!.findings.unwritten('hs')).length === 0 && sandbox.state.annotations.length > 0,
        60_000,
        'the sync’s write-back',
      );

      const moved = await regressDeals(sandbox, store, 3);
      expect(moved).toHaveLength(3);
      await webhooksHandled(store, moved);
      await expectExactlyOnce(sandbox, store);

      // The queue dashboard and /metrics read the queues through the cluster too.
      const board = await fetch(`${start.url}/admin/queues/api/queues`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(board.status).toBe(200);
      expect(await board.text()).toContain('writeback');
      const metrics = await (await fetch(`${start.url}/metrics`)).text();
      expect(metrics).toMatch(/dealwatch_queue_jobs\{queue="score",state="completed"\} [1-9]/);

      const masters = await cluster.masterPorts();
      const keysPerMaster = await Promise.all(masters.map((p) => cluster.keysOn(p)));
      // The install's keys spread over the masters: each queue under its own tag, the rest untagged.
      expect(keysPerMaster.filter((keys) => keys.length > 0).length, JSON.stringify(keysPerMaster.map((k) => k.length))).toBeGreaterThan(1);
      const all = keysPerMaster.flat();
      const tags = new Set(all.map((k) => /^\{([^}]+)\}/.exec(k)?.[1]).filter((t) => t !== undefined));
      for (const queue of QUEUE_NAMES)
        expect(
          [...tags].some((t) => t.endsWith(`:${queue}`)),
          queue,
        ).toBe(true);
      // Rate-gate keys (one per connection, bucket and sub-window; the live ones) carry no hash tag, so each hashes by itself.
      const rateGateKeys = all.filter((k) => k.includes(':rl:'));
      expect(rateGateKeys.length).toBeGreaterThan(0);
      expect(rateGateKeys.filter((k) => k.includes('{'))).toEqual([]);
      // Each queue's keys share one hash tag, so they sit together on one master.
      for (const queue of ['sync', 'events', 'score', 'writeback']) {
        const owners = keysPerMaster.filter((keys) =>
          keys.some((k) => k.endsWith(`:${queue}}:${queue}:meta`) || k.includes(`:${queue}}:${queue}:`)),
        );
        expect(owners, queue).toHaveLength(1);
      }
    } finally {
      exitCode = await start?.stop();
      await store?.close();
      await sandbox.close();
      await db.drop();
      await cluster.close();
    }
    expect(exitCode).toBe(0);
  }, 120_000);

  it('keeps going when a master stops mid-sync: its replica takes over, nothing is lost or written twice', async () => {
    const cluster = await startRedisCluster({ basePort: 7110, masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
    const db = await createDatabase();
    const port = await freePort();
    const { sandbox, config, publicUrl } = await sandboxFor(dir, port, 250);
    const env = cliEnv({
      DEALWATCH_CONFIG: config,
      DATABASE_URL: db.url,
      REDIS_CLUSTER_NODES: cluster.nodes,
      DEALWATCH_API_TOKENS: TOKEN,
      PUBLIC_URL: publicUrl,
      PORT: String(port),
    });
    let start: DealwatchProcess | undefined;
    let store: Store | undefined;
    let exitCode: number | null | undefined;
    try {
      start = await spawnDealwatch(['start'], env, 'dealwatch started');
      const api = apiClient(start.url!, TOKEN);
      // Slow deal pages (HubSpot lists 100 a page), so the stop lands between two of them.
      sandbox.injectFaults([
        { kind: 'latency', rate: 1, provider: 'hubspot', method: 'GET', pathIncludes: '/crm/v3/objects/deals?', latencyMs: 1500 },
      ]);
      const asked = await api<{ jobId: string }>('POST', '/api/v1/connections/hs/sync', { mode: 'full' });
      store = await openStore({ databaseUrl: db.url, migrate: false });
      // A committed page shows as the walk's cursor or as stored deals (whichever the poll sees first).
      await until(
        async () => (await store!.cursors.get('hs', 'deals'))?.walk != null || (await store!.deals.count('hs')).open > 0,
        60_000,
        'the first committed deal page',
      );

      // Stop the master that holds the sync queue (its active job, lock and events).
      const masters = await cluster.masterPorts();
      const syncMaster = (await Promise.all(masters.map(async (p) => ({ p, keys: await cluster.keysOn(p) })))).find((m) =>
        m.keys.some((k) => k.includes(':sync}:sync:')),
      )!.p;
      await cluster.stopNode(syncMaster);
      sandbox.injectFaults([]);
      await cluster.waitHealthy(30_000);
      expect(await cluster.masterPorts()).not.toContain(syncMaster);

      const job = await pollJob(api, asked.body.jobId, 90_000);
      expect(job.state, JSON.stringify(job)).toBe('completed');
      expect(job.result).toMatchObject({ connectionId: 'hs', deals: 250 });
      await until(
        async () => (await store!.findings.unwritten('hs')).length === 0 && sandbox.state.annotations.length > 0,
        60_000,
        'the sync’s write-back',
      );

      // After the failover, webhooks still flow.
      const moved = await regressDeals(sandbox, store, 3);
      await webhooksHandled(store, moved);
      const stored = await store.deals.count('hs');
      expect(stored.open + stored.closed).toBe(sandbox.state.hubspot.deals.filter((d) => !d.deleted).length);
      await expectExactlyOnce(sandbox, store);
    } finally {
      exitCode = await start?.stop();
      await store?.close();
      await sandbox.close();
      await db.drop();
      await cluster.close();
    }
    expect(exitCode).toBe(0);
  }, 180_000);
});
