/**
 * dealwatch on a Sentinel-watched Redis (REDIS_SENTINELS + REDIS_SENTINEL_NAME, REDIS_PASSWORD),
 * through the CLI: one master, one replica and one Sentinel on loopback, the master behind a
 * password (the store on PostgreSQL). `dealwatch doctor` finds the master through the Sentinel, and a full sync with its
 * scoring and write-back runs on it. A wrong password is reported without being printed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { onNode, redisServerAvailable, startRedisSentinel, type LocalSentinel } from '../../support/redis-topology.js';
import { postgresAvailable } from '../../support/services.js';
import { cliEnv, createDatabase, runDealwatch } from './dealwatch-process.js';
import { sandboxConnections } from './harness.js';

const PASSWORD = 'sentinel-test-password-9f3';
const ready = (await redisServerAvailable()) && (await postgresAvailable());

interface DoctorReport {
  checks: { name: string; ok: boolean; detail: string }[];
}

describe.skipIf(!ready)('dealwatch on a Sentinel-watched Redis', () => {
  let sentinel: LocalSentinel;
  let sandbox: Sandbox;
  let dir: string;
  let config: string;
  let db: Awaited<ReturnType<typeof createDatabase>>;
  beforeAll(async () => {
    db = await createDatabase();
    sentinel = await startRedisSentinel({ basePort: 7130, password: PASSWORD });
    sandbox = await startSandbox({
      deals: 40,
      seed: 21,
      rateLimit: false,
      hubspotCustomProperties: ['dealwatch_score', 'dealwatch_flags'],
    });
    dir = mkdtempSync(path.join(tmpdir(), 'dw-sentinel-'));
    config = path.join(dir, 'dealwatch.json');
    writeFileSync(config, JSON.stringify({ connections: sandboxConnections(sandbox, 'on').filter((c) => c.id === 'hs') }));
  }, 60_000);
  afterAll(async () => {
    await sandbox?.close();
    await sentinel?.close();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const envWith = (password: string) =>
    cliEnv({
      DEALWATCH_CONFIG: config,
      DATABASE_URL: db.url,
      REDIS_SENTINELS: sentinel.sentinels,
      REDIS_SENTINEL_NAME: sentinel.name,
      REDIS_PASSWORD: password,
    });

  it('finds the master through the Sentinel and runs a full sync, scoring and write-back on it', async () => {
    const doctor = await runDealwatch(['doctor', '--json'], envWith(PASSWORD));
    const redis = (JSON.parse(doctor.stdout) as DoctorReport).checks.find((c) => c.name === 'redis');
    expect(redis).toMatchObject({ ok: true });
    expect(redis?.detail).toContain(`master "${sentinel.name}" reachable through Sentinel`);

    const sync = await runDealwatch(['sync', 'hs', '--full', '--wait', '--json'], envWith(PASSWORD));
    expect(sync.code, sync.stderr.slice(-2000)).toBe(0);
    expect(JSON.parse(sync.stdout)).toMatchObject({ connection: 'hs', status: 'ok', deals: 40 });
    expect(sandbox.state.annotations.length).toBeGreaterThan(0);
    // The queues' keys are on the master (and replicated), under the one-server names.
    const keys = await onNode(sentinel.masterPort, (c) => c.keys('{dealwatch}:*:sync:*'), PASSWORD);
    expect(keys.length).toBeGreaterThan(0);
  }, 90_000);

  it('reports a wrong password without printing it', async () => {
    const wrong = 'wrong-password-do-not-print';
    const doctor = await runDealwatch(['doctor', '--json'], envWith(wrong));
    expect(doctor.code).toBe(1);
    const redis = (JSON.parse(doctor.stdout) as DoctorReport).checks.find((c) => c.name === 'redis');
    expect(redis?.ok).toBe(false);
    expect(redis?.detail).toMatch(/WRONGPASS|NOAUTH|password/i);
    expect(doctor.stdout + doctor.stderr).not.toContain(wrong);
  }, 60_000);
});
