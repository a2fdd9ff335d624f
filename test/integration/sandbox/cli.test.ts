/**
 * `dealwatch sandbox --json`: one JSON line on stdout once ready, logs on stderr, clean stop on
 * SIGTERM; `--sales-floor N` moves deals in the background, seen as dealstage webhooks.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../../src/cli.ts', import.meta.url));

describe('dealwatch sandbox --json', () => {
  it('prints exactly one ready line with URLs and credentials, serves them, runs the sales floor, and stops on SIGTERM', async () => {
    const webhooks: { subscriptionType: string; propertyName?: string }[] = [];
    let sawStageWebhook: () => void = () => undefined;
    const stageWebhook = new Promise<void>((resolve) => (sawStageWebhook = resolve));
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        webhooks.push(...(JSON.parse(body) as { subscriptionType: string; propertyName?: string }[]));
        if (webhooks.some((w) => w.subscriptionType === 'deal.propertyChange' && w.propertyName === 'dealstage')) sawStageWebhook();
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const args = [
      'sandbox',
      '--json',
      '--deals',
      '30',
      '--seed',
      'demo',
      '--no-rate-limit',
      '--sales-floor',
      '1200',
      '--webhook-url',
      webhookUrl,
    ];
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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
    expect(Object.keys(ready.salesforce).sort()).toEqual([
      'accessToken',
      'apiVersion',
      'clientId',
      'clientSecret',
      'instanceUrl',
      'loginUrl',
      'organizationId',
      'refreshToken',
      'username',
    ]);
    const owners = await fetch(`${String(ready.hubspot['baseUrl'])}/crm/v3/owners`, {
      headers: { authorization: `Bearer ${String(ready.hubspot['accessToken'])}` },
    });
    expect(owners.status).toBe(200);
    const planted = (await (await fetch(`${ready.admin}/planted`)).json()) as { hubspot: { deals: Record<string, string[]> } };
    expect(Object.keys(planted.hubspot.deals)).toHaveLength(9);
    expect(stderr).toContain('sandbox ready');
    // 1,200 moves a minute = one every 50 ms: a stage-change webhook arrives within seconds
    await Promise.race([
      stageWebhook,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no dealstage webhook; got ${JSON.stringify(webhooks)}`)), 10_000)),
    ]);
    expect(stderr).toContain('sales floor');
    expect(stderr).not.toContain(String(ready.hubspot['accessToken']));
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    await new Promise((r) => receiver.close(r));
  });
});
