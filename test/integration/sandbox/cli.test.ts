/** `dealwatch sandbox --json`: one JSON line on stdout once ready, logs on stderr, clean stop on SIGTERM. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../../src/cli.ts', import.meta.url));

describe('dealwatch sandbox --json', () => {
  it('prints exactly one ready line with URLs and credentials, serves them, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'sandbox', '--json', '--deals', '30', '--seed', 'demo', '--no-rate-limit'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (stdout.includes('\n')) resolve(stdout.split('\n')[0]!);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    const ready = JSON.parse(line) as {
      hubspot: Record<string, unknown>;
      salesforce: Record<string, unknown>;
      admin: string;
    };
    expect(Object.keys(ready)).toEqual(['hubspot', 'salesforce', 'admin']);
    expect(Object.keys(ready.hubspot).sort()).toEqual(['accessToken', 'appId', 'baseUrl', 'portalId', 'webhookSecret']);
    expect(Object.keys(ready.salesforce).sort()).toEqual(['accessToken', 'apiVersion', 'clientId', 'clientSecret', 'instanceUrl', 'loginUrl', 'organizationId', 'refreshToken', 'username']);
    const owners = await fetch(`${String(ready.hubspot['baseUrl'])}/crm/v3/owners`, { headers: { authorization: `Bearer ${String(ready.hubspot['accessToken'])}` } });
    expect(owners.status).toBe(200);
    const planted = (await (await fetch(`${ready.admin}/planted`)).json()) as { hubspot: { deals: Record<string, string[]> } };
    expect(Object.keys(planted.hubspot.deals)).toHaveLength(9);
    expect(stderr).toContain('sandbox ready');
    expect(stderr).not.toContain(String(ready.hubspot['accessToken']));
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
  });
});
