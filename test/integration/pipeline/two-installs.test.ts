/**
 * Two installs (two PostgreSQL databases, two CRMs) on one Redis, through the real CLI: each runs
 * its own jobs only and writes its own annotations, whether they share the queue key prefix
 * (DEALWATCH_QUEUE_PREFIX) or not. Their run ids are equal (both databases are new), which is what
 * made the second install's jobs collapse into the first one's completed ones.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { postgresAvailable, REDIS_URL, redisAvailable, uniqueName } from '../../support/services.js';
import { cliEnv, createDatabase, runDealwatch, spawnDealwatch, type DealwatchProcess } from './dealwatch-process.js';
import { sandboxConnections } from './harness.js';

const servicesUp = (await redisAvailable()) && (await postgresAvailable());

const notes = (sandbox: Sandbox) => sandbox.state.annotations.filter((a) => a.kind === 'note').length;

interface Install {
  sandbox: Sandbox;
  /** Notes already in its CRM (the other scenario wrote some). */
  notesBefore: number;
  env: NodeJS.ProcessEnv;
  drop(): Promise<void>;
}

describe.skipIf(!servicesUp)('two installs on one Redis', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-two-installs-'));
  const sandboxes: Sandbox[] = [];
  beforeAll(async () => {
    for (const seed of [21, 22])
      sandboxes.push(await startSandbox({ deals: 40, seed, hubspotCustomProperties: ['dealwatch_score', 'dealwatch_flags'] }));
  });
  afterAll(async () => {
    for (const s of sandboxes) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function install(index: number, prefix: string): Promise<Install> {
    const sandbox = sandboxes[index]!;
    const config = path.join(dir, `${uniqueName('install')}.json`);
    writeFileSync(config, JSON.stringify({ connections: sandboxConnections(sandbox, 'on') }));
    const db = await createDatabase();
    return {
      sandbox,
      notesBefore: notes(sandbox),
      env: cliEnv({ DEALWATCH_CONFIG: config, DATABASE_URL: db.url, REDIS_URL, DEALWATCH_QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn' }),
      drop: db.drop,
    };
  }

  async function bothSync(installs: Install[], withWorkers: boolean) {
    const workers: DealwatchProcess[] = [];
    try {
      // Workers of both installs listen at once: each must take its own install's jobs only.
      if (withWorkers)
        for (const i of installs)
          workers.push(await spawnDealwatch(['worker'], { ...i.env, LOG_LEVEL: 'info' }, 'dealwatch workers running'));
      for (const i of installs) {
        const run = await runDealwatch(['sync', 'hs', '--full', '--wait', '--json'], i.env);
        expect(run.code, run.stderr.slice(-2000)).toBe(0);
        const line = JSON.parse(run.stdout.trim()) as {
          status: string;
          deals: number;
          findings: { opened: number };
          annotations: { notes: number };
        };
        expect(line).toMatchObject({ status: 'ok', deals: 40 });
        expect(line.findings.opened).toBeGreaterThan(0);
        // One note per deal with findings (not per finding), written into this install's CRM only.
        expect(line.annotations.notes).toBeGreaterThan(0);
        expect(line.annotations.notes).toBeLessThanOrEqual(line.findings.opened);
        expect(notes(i.sandbox) - i.notesBefore).toBe(line.annotations.notes);
      }
    } finally {
      for (const w of workers) expect(await w.stop()).toBe(0);
      for (const i of installs) await i.drop();
    }
  }

  it("sharing one queue prefix, with both installs' workers running", async () => {
    const shared = uniqueName('{dwtwo}');
    await bothSync([await install(0, shared), await install(1, shared)], true);
  }, 300_000);

  it('with a prefix each', async () => {
    await bothSync([await install(0, uniqueName('{dwa}')), await install(1, uniqueName('{dwb}'))], false);
  }, 300_000);
});
