/**
 * Write-back on a HubSpot portal without dealwatch's deal properties (every new portal), through
 * the real CLI on the embedded default: with the schema scope the first write-back creates them
 * (in a `dealwatch` group) and says so; without it the run is `partial`, `sync --json` counts the
 * failed writes and names the properties and the fix, and so do the logs and /api/v1/connections.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { cliEnv, connectionOverHttp, runDealwatch } from './dealwatch-process.js';
import { sandboxConnections } from './harness.js';

interface SyncLine {
  status: string;
  annotations: { fields: number; notes: number };
  failedWrites: number;
  writeErrors: string[];
}

describe('write-back to HubSpot deal properties that do not exist yet', () => {
  const sandboxes: Sandbox[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const s of sandboxes) await s.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function install(scopes: string[] | undefined) {
    const sandbox = await startSandbox({ deals: 30, seed: 5, ...(scopes ? { hubspotScopes: scopes } : {}) });
    sandboxes.push(sandbox);
    const dir = mkdtempSync(path.join(tmpdir(), 'dw-wb-fail-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'dealwatch.json'), JSON.stringify({ connections: sandboxConnections(sandbox, 'on') }));
    const env = cliEnv({
      DEALWATCH_CONFIG: path.join(dir, 'dealwatch.json'),
      DEALWATCH_DATA_DIR: path.join(dir, 'data'),
      DEALWATCH_API_TOKENS: 'wb-token',
    });
    return { sandbox, env };
  }

  it('creates them in a dealwatch group at the first write-back, logs it, and writes the scores', async () => {
    const { sandbox, env } = await install(undefined);
    const run = await runDealwatch(['sync', 'hs', '--full', '--wait', '--json'], env);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const line = JSON.parse(run.stdout.trim()) as SyncLine;
    expect(line).toMatchObject({ status: 'ok', failedWrites: 0, writeErrors: [] });
    expect(line.annotations.fields).toBeGreaterThan(0);
    expect(run.stderr).toContain('created the HubSpot deal properties dealwatch writes');
    const admin = await (
      await fetch(`${sandbox.hubspot.baseUrl}/crm/v3/properties/deals/dealwatch_score`, {
        headers: { authorization: `Bearer ${sandbox.hubspot.accessToken}` },
      })
    ).json();
    expect(admin).toMatchObject({ name: 'dealwatch_score', groupName: 'dealwatch' });
  }, 180_000);

  it(
    'without crm.schemas.deals.write: the run is partial and sync --json, the logs and the API say ' + 'which properties and how to fix it',
    async () => {
      const { env } = await install(['crm.objects.deals.read', 'crm.objects.deals.write', 'crm.schemas.deals.read']);
      const run = await runDealwatch(['sync', 'hs', '--full', '--wait', '--json'], env);
      expect(run.code).toBe(1);
      const line = JSON.parse(run.stdout.trim()) as SyncLine;
      expect(line.status).toBe('partial');
      expect(line.annotations.fields).toBe(0);
      expect(line.failedWrites).toBeGreaterThan(0);
      const reason = line.writeErrors.join('\n');
      for (const words of ['dealwatch_score', 'dealwatch_flags', 'crm.schemas.deals.write', 'dealwatch doctor --fix'])
        expect(reason).toContain(words);
      const warned = run.stderr.split('\n').filter((l) => l.includes('"level":40') && l.includes('write-back: some writes failed'));
      expect(warned.join('\n')).toContain('dealwatch doctor --fix');

      const hs = (await connectionOverHttp(env, 'wb-token', 'hs'))!;
      expect(hs.status).toBe('partial');
      expect(hs.lastSyncRun.counts.failedWrites).toBe(line.failedWrites);
      expect(hs.lastSyncRun.error).toContain('dealwatch doctor --fix');
    },
    240_000,
  );
});
