/**
 * `dealwatch sync <connection> --full --wait --json` with no worker running: the command runs the
 * workers itself and prints one JSON line once the sync, scoring and write-back are done.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { runDealwatch } from './dealwatch-process.js';
import { openRecordsPerDeal, writtenRecords } from './warning-records.js';
import { sandboxConnections } from './harness.js';

describe('dealwatch sync --wait --json', () => {
  let sandbox: Sandbox;
  let dir: string;
  beforeAll(async () => {
    sandbox = await startSandbox({ deals: 60, seed: 9, hubspotCustomProperties: ['dealwatch_score', 'dealwatch_flags'] });
    dir = mkdtempSync(path.join(tmpdir(), 'dw-sync-cmd-'));
    writeFileSync(path.join(dir, 'dealwatch.json'), JSON.stringify({ connections: sandboxConnections(sandbox, 'on') }));
  });
  afterAll(async () => {
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the workers in-process and prints the outcome as one JSON line', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DEALWATCH_CONFIG: path.join(dir, 'dealwatch.json'),
      DEALWATCH_DATA_DIR: path.join(dir, 'data'),
      LOG_LEVEL: 'error',
    };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    const first = await runDealwatch(['sync', 'hs', '--full', '--wait', '--json'], env);
    expect(first.code, first.stderr.slice(-1500)).toBe(0);
    const line = JSON.parse(first.stdout.trim()) as Record<string, unknown>;
    expect(Object.keys(line).slice(0, 8)).toEqual([
      'connection',
      'status',
      'deals',
      'activities',
      'apiCalls',
      'findings',
      'annotations',
      'planned',
    ]);
    expect(line).toMatchObject({ connection: 'hs', status: 'ok', deals: 60 });
    const notes = (line.annotations as { notes: number }).notes;
    expect(notes).toBeGreaterThan(0);
    // One note per deal with findings, however many findings it has.
    expect(notes).toBeLessThanOrEqual((line.findings as { opened: number }).opened);
    expect(sandbox.state.annotations.filter((a) => a.kind === 'note')).toHaveLength(notes);
    const perDeal = openRecordsPerDeal(writtenRecords(sandbox, 'hubspot'));
    expect(perDeal.size).toBe(notes);
    expect([...perDeal.values()].filter((n) => n !== 1)).toEqual([]);

    const second = await runDealwatch(['sync', 'hs', '--wait', '--json'], env);
    expect(second.code, second.stderr.slice(-1500)).toBe(0);
    expect(JSON.parse(second.stdout.trim())).toMatchObject({ status: 'ok', annotations: { fields: 0, notes: 0, tasks: 0 } });
  }, 120_000);
});
