import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from './run-cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'dealwatch-cli-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRET = 'sf-refresh-token-do-not-print';

// Each test spawns the CLI through tsx: about a second idle, more on a busy machine.
describe('dealwatch with an invalid configuration', { timeout: 90_000 }, () => {
  it('names every problem by field path, exits 2, prints no stack and no secret', async () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        connections: [
          { id: 'acme-hs', provider: 'hubspot', accessToken: 'env:ACME_HS_TOKEN' },
          { id: 'acme-sf', provider: 'salesforce', auth: { type: 'refreshToken', refreshToken: SECRET } },
          { id: 'acme-sf', provider: 'salesforce', auth: { type: 'accessToken', accessToken: 'env:SF_TOKEN' } },
        ],
      }),
    );
    const result = await runCli(['--config', file, 'migrate'], { env: cleanEnv({ SF_TOKEN: 'another-secret-value' }) });

    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      'invalid configuration:',
      '  connections[0].accessToken: environment variable ACME_HS_TOKEN is not set',
      '  connections[1].auth.clientId: required',
      '  connections[2].id: duplicate id (also connections[1].id)',
    ]);
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr + result.stdout).not.toContain(SECRET);
    expect(result.stderr + result.stdout).not.toContain('another-secret-value');
  });

  it('checks digests like connections: each problem by field, SMTP_URL by its name, no secret printed', async () => {
    const file = path.join(dir, 'digests.json');
    const smtpPassword = 'smtp-password-do-not-print';
    writeFileSync(
      file,
      JSON.stringify({
        connections: [{ id: 'acme-hs', provider: 'hubspot', accessToken: 'x', teams: { East: ['1'] } }],
        digests: [
          {
            connection: 'acme-hs',
            cron: '30 7 * * 1-5',
            timezone: 'Europe/Berlin',
            email: { to: ['manager@example.com'] },
            slack: { webhookUrl: 'env:ACME_SLACK_WEBHOOK' },
          },
          { connection: 'acme-sf', cron: '30 7 * * 1-5', email: { to: ['manager@example.com'] } },
          { connection: 'acme-hs', team: 'West', cron: 'every morning', timezone: 'Europe/Atlantis', email: { to: ['not-an-address'] } },
          { connection: 'acme-hs', cron: '0 8 * * *' },
        ],
      }),
    );
    const result = await runCli(['--config', file, 'migrate'], {
      env: cleanEnv({ SMTP_URL: `http://digest:${smtpPassword}@mail.example.com` }),
    });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      'invalid configuration:',
      '  digests[0].slack.webhookUrl: environment variable ACME_SLACK_WEBHOOK is not set',
      '  SMTP_URL: expected an smtp:// or smtps:// URL',
      '  digests[2].email.to[0]: invalid email address',
      '  digests[3].email: set email ({ "to": [...] }), slack ({ "webhookUrl": "env:NAME" }) or both',
      '  digests[1].connection: no connection "acme-sf" is configured',
      '  digests[2].team: not a team of connection "acme-hs" (teams: East)',
      '  digests[2].cron: invalid cron expression',
      '  digests[2].timezone: unknown IANA time zone',
      '  digests[3].id: two digests go by "acme-hs" (also digests[0]): give each an id',
    ]);
    expect(result.stderr + result.stdout).not.toContain(smtpPassword);
  });

  it('names a discount approver whose tier does not exist, or without a user id, by field', async () => {
    const file = path.join(dir, 'approvers.json');
    writeFileSync(
      file,
      JSON.stringify({
        connections: [
          {
            id: 'acme-hs',
            provider: 'hubspot',
            accessToken: 'x',
            rules: { discount_over_limit: { approvers: { 'Head of Sales': '101', CFO: '' } } },
          },
        ],
      }),
    );
    const result = await runCli(['--config', file, 'migrate'], { env: cleanEnv({}) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('  connections[0].rules.discount_over_limit.approvers.CFO: expected a CRM user id');
    expect(result.stderr).toContain(
      '  connections[0].rules.discount_over_limit.approvers["Head of Sales"]: no approval tier has ' +
        'approver "Head of Sales" (tiers: sales manager, VP Sales, CFO)',
    );
  });

  it('reports a bad environment variable under its own name', async () => {
    const result = await runCli(['migrate'], { env: cleanEnv({ PORT: 'http', LOG_LEVEL: 'loud' }) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('  PORT: expected a port number');
    expect(result.stderr).toContain('  LOG_LEVEL: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent"');
  });

  it('names the Redis settings that conflict or are missing, and never prints a password', async () => {
    const both = await runCli(['migrate'], {
      env: cleanEnv({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: '127.0.0.1:7000,redis://:cluster-secret@127.0.0.1' }),
    });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('  REDIS_CLUSTER_NODES: set only one of REDIS_URL, REDIS_CLUSTER_NODES (one Redis mode at a time)');
    expect(both.stderr).toContain('  REDIS_CLUSTER_NODES[1]: expected host:port or redis[s]://[user:password@]host:port');
    expect(both.stderr).not.toContain('cluster-secret');
    const sentinel = await runCli(['migrate'], { env: cleanEnv({ REDIS_SENTINELS: '127.0.0.1:26379' }) });
    expect(sentinel.code).toBe(2);
    expect(sentinel.stderr).toContain('  REDIS_SENTINELS: needs REDIS_SENTINEL_NAME (the name of the master the Sentinels watch)');
  });

  it('exits 2 on a usage error', async () => {
    const result = await runCli(['sync']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("missing required argument 'connection'");
  });
});
