/**
 * `dealwatch backtest <connection>` as a child process, on a store filled by a real sync of the
 * sandbox: the JSON carries each method's forecast and error per quarter and point, the tables
 * print whole amounts with grouping, and bad usage exits 2.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BacktestReport } from '../../../src/domain/engine.js';
import { redisAvailable } from '../../support/services.js';
import { startHarness, type Harness } from '../pipeline/harness.js';
import { cleanEnv, runCli } from './run-cli.js';

const ok = await redisAvailable();

describe.skipIf(!ok)('dealwatch backtest', { timeout: 240_000 }, () => {
  let h: Harness;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    h = await startHarness({ store: 'embedded', queues: 'redis', deals: 400 });
    const outcomes = await h.sync('hs', 'full');
    expect(outcomes.filter((o) => o.state === 'failed')).toEqual([]);
    await h.store.close(); // the CLI opens the same data directory
    const configPath = path.join(h.dataDir, '..', `${path.basename(h.dataDir)}.json`);
    writeFileSync(configPath, JSON.stringify({ connections: h.settings }));
    env = cleanEnv({ DEALWATCH_CONFIG: configPath, DEALWATCH_DATA_DIR: h.dataDir, LOG_LEVEL: 'silent' });
  }, 240_000);

  afterAll(async () => {
    await h?.close();
  });

  it('--json: every method, quarter and point, with error = forecast - won', async () => {
    const res = await runCli(['backtest', 'hs', '--quarters', '2', '--json'], { env, timeoutMs: 120_000 });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout) as BacktestReport;
    expect(report.quarters).toHaveLength(2);
    expect(report.points.map((p) => p.point)).toEqual(['start', 'middle', 'start', 'middle']);
    expect(report.methodInUse).toBe('adjusted');
    expect(report.points.some((p) => p.actual > 0 && p.openDeals > 0)).toBe(true);
    for (const p of report.points) {
      expect(p.methods.map((m) => m.method)).toEqual(['crm_probability', 'stage_conversion', 'adjusted']);
      for (const m of p.methods) {
        expect(m.error).toBeCloseTo(m.forecast - p.actual, 1);
        if (p.actual > 0) expect(m.absPercentError).toBeCloseTo(Math.abs(m.error) / p.actual, 3);
        expect(m.forecast).toBeGreaterThanOrEqual(p.wonBefore - 0.01);
      }
    }
    for (const s of report.summary) {
      const apes = report.points
        .map((p) => p.methods.find((m) => m.method === s.method)!.absPercentError)
        .filter((x): x is number => x !== null);
      expect(s.points).toBe(apes.length);
      if (apes.length > 0) expect(s.meanAbsPercentError).toBeCloseTo(apes.reduce((a, b) => a + b, 0) / apes.length, 3);
    }
  });

  it('prints tables with whole, grouped amounts', async () => {
    const res = await runCli(['backtest', 'hs', '--quarters', '2'], { env, timeoutMs: 120_000 });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Forecast backtest: hs, 2 quarters');
    expect(res.stdout).toContain('Mean abs. % error');
    expect(res.stdout).toContain('Adjusted (in use)');
    expect(res.stdout).toMatch(/\d{1,3},\d{3}/);
    expect(res.stdout).not.toMatch(/\d,\d{3}\.\d/);
  });

  it('exits 2 on a bad --quarters and names the unknown connection', async () => {
    const bad = await runCli(['backtest', 'hs', '--quarters', '40'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected 1 to 12');
    const unknown = await runCli(['backtest', 'nope'], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no connection "nope"');
  });
});
