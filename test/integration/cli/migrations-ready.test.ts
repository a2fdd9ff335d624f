/**
 * Ready means ready: `dealwatch migrate`, `dealwatch doctor` and `/readyz` judge the recorded
 * migrations by one comparison. Two `migrate` processes racing migrate once and the loser says it
 * found them applied; a migration whose recorded checksum differs is refused by `migrate` and
 * fails `doctor` and `/readyz`. On a PostgreSQL database of its own.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable } from '../../support/services.js';
import { isolatedServices, type IsolatedServices } from './isolated-services.js';
import { cleanEnv, runCli, startCli } from './run-cli.js';

const ok = await postgresAvailable();
const LOCK_KEY = 'dealwatch:migrate:dealwatch';

describe.skipIf(!ok)('migrations: one judgement for migrate, doctor and /readyz', () => {
  let services: IsolatedServices;
  let client: pg.Client;
  beforeAll(async () => {
    services = await isolatedServices({ redis: false });
    client = new pg.Client({ connectionString: services.databaseUrl });
    await client.connect();
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    await services?.release();
  });
  const env = () => cleanEnv({ DATABASE_URL: services.databaseUrl });

  it('two migrate processes started together migrate once; the loser says it found them applied', { timeout: 120_000 }, async () => {
    // Hold the migration lock so that both processes are inside the race when it opens.
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [LOCK_KEY]);
    const runs = [runCli(['migrate'], { env: env() }), runCli(['migrate'], { env: env() })];
    const waiting = async () =>
      (await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")).rows[0]!.n;
    const deadline = Date.now() + 90_000;
    while ((await waiting()) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await waiting()).toBe(2);
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [LOCK_KEY]);
    const [a, b] = await Promise.all(runs);
    expect([a!.code, b!.code], `${a!.stderr}\n${b!.stderr}`).toEqual([0, 0]);
    const outputs = [a!.stdout, b!.stdout].sort();
    expect(outputs[0]).toMatch(/^applied 001_initial, .* \(database, schema dealwatch\)\n$/);
    expect(outputs[1]).toMatch(
      /^migrations current: found 001_initial, .* applied by another process meanwhile; \d+ applied, none pending/,
    );
    const rows = (await client.query<{ name: string }>('SELECT name FROM dealwatch.schema_migrations')).rows;
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
  });

  it('a recorded checksum that differs: migrate refuses, doctor fails, /readyz answers 503', { timeout: 150_000 }, async () => {
    const healthy = await runCli(['doctor', '--json'], { env: env() });
    expect(healthy.code, healthy.stdout + healthy.stderr).toBe(0);

    const server = startCli(['serve'], { ...env(), PORT: '0', LOG_LEVEL: 'info' });
    try {
      const url = String((await server.waitForLog('dealwatch server listening')).url);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);

      await client.query("UPDATE dealwatch.schema_migrations SET checksum = 'edited-elsewhere' WHERE name = '001_initial'");

      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { checks: { name: string; ok: boolean; error?: string }[] };
      expect(body.checks.find((c) => c.name === 'migrations')).toMatchObject({
        ok: false,
        error: expect.stringContaining('001_initial was edited after it was applied') as string,
      });
    } finally {
      await server.stop();
    }

    const migrate = await runCli(['migrate'], { env: env() });
    expect(migrate.code).toBe(1);
    expect(migrate.stderr).toContain('001_initial was edited after it was applied');

    const doctor = await runCli(['doctor', '--json'], { env: env() });
    expect(doctor.code).toBe(1);
    const report = JSON.parse(doctor.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
    expect(report.checks.find((c) => c.name === 'migrations')).toMatchObject({
      ok: false,
      detail: expect.stringContaining('001_initial was edited after it was applied') as string,
    });
  });
});
