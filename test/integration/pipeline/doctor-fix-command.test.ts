/**
 * `dealwatch doctor --fix --json` against a sandbox portal that has none of dealwatch's properties:
 * it creates the score, the flags as a multiple checkbox with readable labels, and the key property
 * on the record type the connection writes; Salesforce reports its Task key field.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { runDealwatch } from './dealwatch-process.js';
import { sandboxConnections } from './harness.js';

describe('dealwatch doctor --fix', () => {
  let sandbox: Sandbox;
  let dir: string;
  beforeAll(async () => {
    sandbox = await startSandbox({ deals: 20, seed: 5 });
    dir = mkdtempSync(path.join(tmpdir(), 'dw-doctor-fix-'));
    writeFileSync(path.join(dir, 'dealwatch.json'), JSON.stringify({ connections: sandboxConnections(sandbox, 'on') }));
  });
  afterAll(async () => {
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // PGlite starts inside the child: a minute or more on a busy machine.
  it('creates what write-back needs, readable where people read it', { timeout: 300_000 }, async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, DEALWATCH_CONFIG: path.join(dir, 'dealwatch.json'), DEALWATCH_DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'error' };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    const run = await runDealwatch(['doctor', '--fix', '--json'], env);
    const report = JSON.parse(run.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
    const check = (name: string) => report.checks.find((c) => c.name.includes(name));
    expect(check('dealwatch_flags')).toMatchObject({ ok: true });
    expect(check('notes.dealwatch_key')).toMatchObject({ ok: true, detail: 'dealwatch_key created on notes' });
    expect(check('Dealwatch_Key__c')).toMatchObject({ ok: true });

    const get = async (p: string) => (await fetch(`${sandbox.hubspot.baseUrl}${p}`, { headers: { authorization: `Bearer ${sandbox.hubspot.accessToken}` } })).json();
    const flags = (await get('/crm/v3/properties/deals/dealwatch_flags')) as { type: string; fieldType: string; options: { label: string; value: string }[] };
    expect(flags).toMatchObject({ type: 'enumeration', fieldType: 'checkbox' });
    expect(flags.options.find((o) => o.value === 'discount_over_limit')?.label).toBe('Discount needs approval');
    const noteProperties = (await get('/crm/v3/properties/notes')) as { results: { name: string }[] };
    expect(noteProperties.results.map((p) => p.name)).toContain('dealwatch_key');
  });
});
