import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from './run-cli.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'dealwatch-cli-db-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const env = cleanEnv({ DEALWATCH_DATA_DIR: dataDir });

describe('dealwatch migrate and doctor on the embedded database', () => {
  // Each run starts PGlite (the first one initialises the database): seconds, more on a busy machine.
  it('migrate applies the migrations once, then finds them current', { timeout: 120_000 }, async () => {
    const first = await runCli(['migrate'], { env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^applied 001_initial/);
    const second = await runCli(['migrate'], { env });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^migrations current: \d+ applied, none pending/);
  });

  it('doctor passes with a reachable database and no Redis, and fails on an unreachable Redis', { timeout: 120_000 }, async () => {
    const healthy = await runCli(['doctor', '--json'], { env });
    expect(healthy.code).toBe(0);
    const report = JSON.parse(healthy.stdout) as { ok: boolean; checks: { name: string; ok: boolean }[] };
    expect(report.ok).toBe(true);
    expect(report.checks.map((check) => check.name)).toEqual(['config', 'database', 'migrations', 'redis']);

    const broken = await runCli(['doctor'], { env: { ...env, REDIS_URL: 'redis://:hunter2@127.0.0.1:1' } });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^FAIL {2}redis +redis:\/\/\*\*\*@127\.0\.0\.1:1 does not answer/m);
    expect(broken.stdout).not.toContain('hunter2');
  });
});

describe('dealwatch beside a running process on the same embedded database', () => {
  it("joins that process's database: resume clears the pause it recorded", { timeout: 120_000 }, async () => {
    const { openStore } = await import('../../../src/store/index.js');
    const { writeFileSync } = await import('node:fs');
    const configPath = path.join(dataDir, 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({ connections: [{ id: 'acme', provider: 'hubspot', accessToken: 'env:ACME_TOKEN', baseUrl: 'http://127.0.0.1:1' }] }),
    );
    const running = await openStore({ dataDir });
    try {
      await running.connectionState.pause('acme', 'auth revoked', '2026-11-26T03:00:00.000Z');
      const withConfig = { ...env, DEALWATCH_CONFIG: configPath, ACME_TOKEN: 'pat-test' };

      const resumed = await runCli(['resume', 'acme'], { env: withConfig });
      expect(resumed.stderr).toBe('');
      expect(resumed.stdout).toBe('acme resumed (was paused since 2026-11-26T03:00:00.000Z: auth revoked)\n');
      expect(resumed.code).toBe(0);
      expect(await running.connectionState.get('acme')).toMatchObject({ pausedReason: null });

      const unknown = await runCli(['resume', 'nope'], { env: withConfig });
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toBe('error [NOT_FOUND]: no connection "nope" in the configuration\n');
    } finally {
      await running.close();
    }
  });
});
