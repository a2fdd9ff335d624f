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

  it('reports a bad environment variable under its own name', async () => {
    const result = await runCli(['migrate'], { env: cleanEnv({ PORT: 'http', LOG_LEVEL: 'loud' }) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('  PORT: expected a port number');
    expect(result.stderr).toContain('  LOG_LEVEL: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent"');
  });

  it('exits 2 on a usage error', async () => {
    const result = await runCli(['sync']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("missing required argument 'connection'");
  });
});
