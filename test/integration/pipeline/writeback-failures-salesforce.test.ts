/**
 * Write-back to Salesforce when the score or flags field is missing on Opportunity or not editable by
 * the integration user (field-level security), through the real CLI on the embedded default: the run
 * is `partial`, and `sync --json`, the logs and /api/v1/connections name the field and what to do.
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

describe('write-back to Salesforce score/flags fields that are missing or read-only', () => {
  const sandboxes: Sandbox[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const s of sandboxes) await s.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function install(salesforceFields: { missing?: string[]; readOnly?: string[] }) {
    const sandbox = await startSandbox({ deals: 30, seed: 5, salesforceFields });
    sandboxes.push(sandbox);
    const dir = mkdtempSync(path.join(tmpdir(), 'dw-wb-sf-'));
    dirs.push(dir);
    writeFileSync(
      path.join(dir, 'dealwatch.json'),
      JSON.stringify({ connections: sandboxConnections(sandbox, 'on').filter((c) => c.id === 'sf') }),
    );
    const env = cliEnv({
      DEALWATCH_CONFIG: path.join(dir, 'dealwatch.json'),
      DEALWATCH_DATA_DIR: path.join(dir, 'data'),
      DEALWATCH_API_TOKENS: 'wb-token',
    });
    return { sandbox, env };
  }

  async function syncJson(env: NodeJS.ProcessEnv): Promise<{ line: SyncLine; stderr: string }> {
    const run = await runDealwatch(['sync', 'sf', '--full', '--wait', '--json'], env);
    expect(run.code, run.stderr.slice(-2000)).toBe(1);
    return { line: JSON.parse(run.stdout.trim()) as SyncLine, stderr: run.stderr };
  }

  it(
    'a score field the integration user cannot edit: partial, naming the field and the grant, in ' + 'sync --json, the logs and the API',
    async () => {
      const { env } = await install({ readOnly: ['Dealwatch_Score__c'] });
      const { line, stderr } = await syncJson(env);
      expect(line.status).toBe('partial');
      expect(line.annotations.fields).toBe(0);
      expect(line.failedWrites).toBeGreaterThan(0);
      const reason = line.writeErrors.join('\n');
      for (const words of [
        'Opportunity.Dealwatch_Score__c is not writable by the integration user',
        'grant Edit field-level security',
        'profile or permission set',
      ]) {
        expect(reason).toContain(words);
      }
      const warned = stderr.split('\n').filter((l) => l.includes('"level":40') && l.includes('write-back: some writes failed'));
      expect(warned.join('\n')).toContain('Opportunity.Dealwatch_Score__c');

      const sf = (await connectionOverHttp(env, 'wb-token', 'sf'))!;
      expect(sf.status).toBe('partial');
      expect(sf.lastSyncRun.counts.failedWrites).toBe(line.failedWrites);
      expect(sf.lastSyncRun.error).toContain('grant Edit field-level security');
    },
    240_000,
  );

  it('a flags field that does not exist: partial, naming the field and how to create it', async () => {
    const { env } = await install({ missing: ['Dealwatch_Flags__c'] });
    const { line } = await syncJson(env);
    expect(line.status).toBe('partial');
    expect(line.annotations.fields).toBe(0);
    expect(line.failedWrites).toBeGreaterThan(0);
    const reason = line.writeErrors.join('\n');
    for (const words of ['Opportunity.Dealwatch_Flags__c does not exist: create it', 'dealwatch doctor --fix', 'fieldMap.flags'])
      expect(reason).toContain(words);
  }, 180_000);
});
