/**
 * A sync asked for over HTTP runs to the end, through the real CLI processes: `dealwatch start` on
 * the embedded default (PGlite, queues on BullMQ's PostgreSQL backend in it), and `dealwatch serve`
 * + `dealwatch worker` on PostgreSQL + Redis. The nightly scheduler's delayed job sits in the sync
 * queue in both, as in production.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { postgresAvailable, REDIS_URL, redisAvailable, uniqueName } from '../../support/services.js';
import { apiClient, cliEnv, createDatabase, pollJob, spawnDealwatch, type DealwatchProcess } from './dealwatch-process.js';
import { sandboxConnections } from './harness.js';

const TOKEN = 'http-sync-token';
const servicesUp = (await redisAvailable()) && (await postgresAvailable());

async function syncOverHttp(base: string, sandbox: Sandbox) {
  const api = apiClient(base, TOKEN);
  const asked = await api<{ jobId: string }>('POST', '/api/v1/connections/hs/sync', { mode: 'full' });
  expect(asked.status).toBe(202);
  const job = await pollJob(api, asked.body.jobId);
  expect(job.state, JSON.stringify(job)).toBe('completed');
  expect(job.result).toMatchObject({ connectionId: 'hs', deals: 40 });
  const review = await api<{ newCritical: unknown[]; reps: unknown[] }>('GET', '/api/v1/connections/hs/review');
  expect(review.body.reps.length).toBeGreaterThan(0);
  const deals = await api<{ items?: unknown[]; deals?: unknown[] }>('GET', '/api/v1/connections/hs/deals');
  expect((deals.body.items ?? deals.body.deals ?? []).length).toBeGreaterThan(0);
  return sandbox;
}

describe('a sync requested over HTTP', () => {
  let sandbox: Sandbox;
  let dir: string;
  let config: string;
  beforeAll(async () => {
    sandbox = await startSandbox({ deals: 40, seed: 11, hubspotCustomProperties: ['dealwatch_score', 'dealwatch_flags'] });
    dir = mkdtempSync(path.join(tmpdir(), 'dw-http-sync-'));
    config = path.join(dir, 'dealwatch.json');
    writeFileSync(config, JSON.stringify({ connections: sandboxConnections(sandbox, 'on') }));
  });
  afterAll(async () => {
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs in `dealwatch start` on the embedded default', async () => {
    const start = await spawnDealwatch(
      ['start'],
      cliEnv({ DEALWATCH_CONFIG: config, DEALWATCH_DATA_DIR: path.join(dir, 'embedded'), DEALWATCH_API_TOKENS: TOKEN }),
      'dealwatch started',
    );
    try {
      expect(start.lines.join('\n')).toContain('"backend":"postgres"');
      await syncOverHttp(start.url!, sandbox);
      await expect.poll(() => sandbox.state.annotations.length, { timeout: 60_000, interval: 500 }).toBeGreaterThan(0);
    } finally {
      expect(await start.stop()).toBe(0);
    }
  }, 180_000);

  it.skipIf(!servicesUp)(
    'runs in `dealwatch worker` when `dealwatch serve` takes it (PostgreSQL + Redis)',
    async () => {
      const db = await createDatabase();
      const env = cliEnv({
        DEALWATCH_CONFIG: config,
        DATABASE_URL: db.url,
        REDIS_URL,
        DEALWATCH_QUEUE_PREFIX: uniqueName('{dwhttp}'),
        DEALWATCH_API_TOKENS: TOKEN,
      });
      const running: DealwatchProcess[] = [];
      try {
        running.push(await spawnDealwatch(['serve'], env, 'dealwatch server listening'));
        running.push(await spawnDealwatch(['worker'], env, 'dealwatch workers running'));
        const before = sandbox.state.annotations.length;
        await syncOverHttp(running[0]!.url!, sandbox);
        await expect.poll(() => sandbox.state.annotations.length, { timeout: 60_000, interval: 500 }).toBeGreaterThan(before);
      } finally {
        for (const p of running) expect(await p.stop()).toBe(0);
        await db.drop();
      }
    },
    180_000,
  );
});
