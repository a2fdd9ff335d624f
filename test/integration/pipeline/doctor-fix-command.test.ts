/**
 * `dealwatch doctor --fix --json` against a sandbox portal that has none of dealwatch's properties:
 * it creates the score, the flags as a multiple checkbox with readable labels, and the key property
 * on the record type the connection writes (and on tasks, which discount approvals always are).
 * Against a Salesforce org lacking dealwatch's fields, it creates them through the Tooling API (the
 * flags as a multi-select picklist, values rule ids, labels rule names; the Task key on Activity),
 * after which describe shows them and a plain `dealwatch doctor` passes.
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
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DEALWATCH_CONFIG: path.join(dir, 'dealwatch.json'),
      DEALWATCH_DATA_DIR: path.join(dir, 'data'),
      LOG_LEVEL: 'error',
    };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    const run = await runDealwatch(['doctor', '--fix', '--json'], env);
    const report = JSON.parse(run.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
    const check = (name: string) => report.checks.find((c) => c.name.includes(name));
    expect(check('dealwatch_flags')).toMatchObject({ ok: true });
    expect(check('notes.dealwatch_key')).toMatchObject({ ok: true, detail: 'dealwatch_key created on notes' });
    expect(check('Dealwatch_Key__c')).toMatchObject({ ok: true });

    const get = async (p: string) =>
      (await fetch(`${sandbox.hubspot.baseUrl}${p}`, { headers: { authorization: `Bearer ${sandbox.hubspot.accessToken}` } })).json();
    const flags = (await get('/crm/v3/properties/deals/dealwatch_flags')) as {
      type: string;
      fieldType: string;
      options: { label: string; value: string }[];
    };
    expect(flags).toMatchObject({ type: 'enumeration', fieldType: 'checkbox' });
    expect(flags.options.find((o) => o.value === 'discount_over_limit')?.label).toBe('Discount needs approval');
    const noteProperties = (await get('/crm/v3/properties/notes')) as { results: { name: string }[] };
    expect(noteProperties.results.map((p) => p.name)).toContain('dealwatch_key');
    const taskProperties = (await get('/crm/v3/properties/tasks')) as { results: { name: string }[] };
    expect(taskProperties.results.map((p) => p.name)).toContain('dealwatch_key');
  });

  it('creates the Salesforce custom fields through the Tooling API, then doctor passes', { timeout: 300_000 }, async () => {
    sandbox.setSalesforceCustomFields({ remove: ['Dealwatch_Score__c', 'Dealwatch_Flags__c'], add: [] });
    sandbox.setSalesforceCustomFields({ remove: ['Dealwatch_Key__c'], add: [], object: 'Activity' });
    const config = path.join(dir, 'salesforce.json');
    writeFileSync(config, JSON.stringify({ connections: sandboxConnections(sandbox, 'on').filter((c) => c.provider === 'salesforce') }));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DEALWATCH_CONFIG: config,
      DEALWATCH_DATA_DIR: path.join(dir, 'data-sf'),
      LOG_LEVEL: 'error',
    };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;

    expect((await runDealwatch(['migrate'], env)).code).toBe(0);
    const before = await runDealwatch(['doctor', '--json'], env);
    expect(before.code).not.toBe(0);
    const missing = JSON.parse(before.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
    expect(
      missing.checks
        .filter((c) => !c.ok)
        .map((c) => c.name)
        .sort(),
    ).toEqual([
      'sf (salesforce) Opportunity.Dealwatch_Flags__c (flags)',
      'sf (salesforce) Opportunity.Dealwatch_Score__c (score)',
      'sf (salesforce) Task.Dealwatch_Key__c (warning key)',
    ]);

    const fix = await runDealwatch(['doctor', '--fix', '--json'], env);
    const fixed = JSON.parse(fix.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
    expect(fixed.checks.find((c) => c.name.endsWith('Opportunity.Dealwatch_Flags__c (flags)'))).toMatchObject({
      ok: true,
      detail: expect.stringContaining('created Opportunity.Dealwatch_Flags__c (MultiselectPicklist)'),
    });
    expect(fixed.checks.find((c) => c.name.endsWith('Task.Dealwatch_Key__c (warning key)'))).toMatchObject({
      ok: true,
      detail: expect.stringContaining('created Activity.Dealwatch_Key__c'),
    });

    const describe = async (object: string) =>
      (await (
        await fetch(`${sandbox.salesforce.instanceUrl}/services/data/v${sandbox.salesforce.apiVersion}/sobjects/${object}/describe`, {
          headers: { authorization: `Bearer ${sandbox.salesforce.accessToken}` },
        })
      ).json()) as {
        fields: { name: string; type: string; picklistValues: { value: string; label: string }[] }[];
      };
    const flags = (await describe('Opportunity')).fields.find((f) => f.name === 'Dealwatch_Flags__c');
    expect(flags?.type).toBe('multipicklist');
    expect(flags?.picklistValues.find((v) => v.value === 'stale_deal')?.label).toBe('No recent activity');
    expect((await describe('Task')).fields.map((f) => f.name)).toContain('Dealwatch_Key__c');

    const after = await runDealwatch(['doctor', '--json'], env);
    expect((JSON.parse(after.stdout) as { checks: { ok: boolean }[] }).checks.filter((c) => !c.ok)).toEqual([]);
    expect(after.code).toBe(0);
  });
});
