/**
 * A sync's progress, seen where people look: `GET /api/v1/jobs/:id` while `dealwatch start` runs
 * the sync, and `dealwatch sync --wait` on a terminal (a pseudo-terminal from util-linux `script`),
 * which redraws one progress line on stderr; without a terminal, `--json` leaves one clean line on
 * stdout and stderr has no redraws. Every HubSpot answer of the sandbox is held (a `latency`
 * fault), so the sync lasts long enough to be watched.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { apiClient, cliEnv, runDealwatch, spawnDealwatch } from './dealwatch-process.js';
import { sandboxConnections } from './harness.js';

const TOKEN = 'sync-progress-token';
const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

interface ProgressView {
  phase: string;
  records: { deals: number; activities: number };
  pages: number;
  apiCalls: number;
  rateLimitWaits: { count: number; seconds: number };
  rateFloor: { requestsPerSecond: number; secondsForCallsSoFar: number } | null;
}

describe('sync progress', () => {
  let sandbox: Sandbox;
  let dir: string;
  let config: string;
  beforeAll(async () => {
    sandbox = await startSandbox({
      deals: 40,
      seed: 12,
      hubspotCustomProperties: ['dealwatch_score', 'dealwatch_flags'],
      faults: 'latency:1:150@hubspot',
    });
    dir = mkdtempSync(path.join(tmpdir(), 'dw-sync-progress-'));
    config = path.join(dir, 'dealwatch.json');
    writeFileSync(config, JSON.stringify({ connections: sandboxConnections(sandbox, 'dry-run').filter((c) => c.id === 'hs') }));
  });
  afterAll(async () => {
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is read over HTTP while the sync runs, and ends at "done" with the run\'s figures', async () => {
    const start = await spawnDealwatch(
      ['start'],
      cliEnv({ DEALWATCH_CONFIG: config, DEALWATCH_DATA_DIR: path.join(dir, 'http'), DEALWATCH_API_TOKENS: TOKEN }),
      'dealwatch started',
    );
    try {
      const api = apiClient(start.url!, TOKEN);
      const asked = await api<{ jobId: string }>('POST', '/api/v1/connections/hs/sync', { mode: 'full' });
      const seen: { state: string; progress: ProgressView | number | null }[] = [];
      const deadline = Date.now() + 120_000;
      for (;;) {
        const { body } = await api<{ state: string; progress: ProgressView | number | null; result: { apiCalls: number } | null }>(
          'GET',
          `/api/v1/jobs/${encodeURIComponent(asked.body.jobId)}`,
        );
        seen.push(body);
        if (body.state === 'completed' || body.state === 'failed' || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const last = seen.at(-1)!;
      expect(last.state).toBe('completed');
      const whileRunning = seen
        .filter((s) => s.state === 'active' && typeof s.progress === 'object' && s.progress !== null)
        .map((s) => s.progress as ProgressView);
      // Seen mid-sync: a phase before the end, with calls made and (once deals are in) records counted.
      expect(whileRunning.some((p) => p.phase !== 'done' && p.apiCalls > 0)).toBe(true);
      const done = last.progress as ProgressView;
      expect(done.phase).toBe('done');
      expect(done.records.deals).toBe(40);
      expect(done.pages).toBeGreaterThan(0);
      expect(done.apiCalls).toBeGreaterThan(0);
      // HubSpot's 100 requests / 10 s less the gate's margin: 93 per 10 s sustained.
      expect(done.rateFloor?.requestsPerSecond).toBe(9.3);
      expect(done.rateFloor?.secondsForCallsSoFar).toBeCloseTo(done.apiCalls / 9.3, 0);
    } finally {
      expect(await start.stop()).toBe(0);
    }
  }, 180_000);

  it.skipIf(!hasScript)(
    "shows a live progress line on a terminal, and stays out of --json's stdout without one",
    async () => {
      const env = cliEnv({ DEALWATCH_CONFIG: config, DEALWATCH_DATA_DIR: path.join(dir, 'cli'), LOG_LEVEL: 'warn' });
      const onTerminal = await underPseudoTerminal(`${process.execPath} --import tsx src/cli.ts sync hs --full --wait`, env);
      expect(onTerminal.code).toBe(0);
      // The line is redrawn in place (carriage return, erase line) with the figures so far.
      const redraws = onTerminal.output.split('\r\x1b[K').slice(1);
      expect(redraws.length).toBeGreaterThan(1);
      expect(
        redraws.some((l) =>
          /^sync hs: (metadata|deals|activities|history|reconcile|snapshot) \| .*API calls \| .*rate-limit waits/.test(l),
        ),
      ).toBe(true);
      expect(onTerminal.output).toMatch(/calls need >= [\d.]+ s at 9\.3\/s/);
      expect(onTerminal.output).toMatch(/hs: ok; 40 deals/);

      const piped = await runDealwatch(['sync', 'hs', '--full', '--wait', '--json'], env);
      expect(piped.code).toBe(0);
      expect(piped.stdout.trim().split('\n')).toHaveLength(1);
      expect(JSON.parse(piped.stdout)).toMatchObject({ connection: 'hs', status: 'ok', deals: 40 });
      // Not a terminal: no redraws, one plain line per phase.
      expect(piped.stderr).not.toContain('\x1b[');
      expect(piped.stderr).toMatch(/^sync hs: [a-z;, ]+ \| .*API calls/m);
    },
    180_000,
  );
});

/** Runs `command` with a pseudo-terminal as its stdin, stdout and stderr (util-linux `script`); output is everything written to it. */
function underPseudoTerminal(command: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
