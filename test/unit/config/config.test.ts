import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/domain/errors.js';
import { formatPath, loadConfig, parseConfig } from '../../../src/config.js';

const hubspot = { id: 'acme-hs', provider: 'hubspot', accessToken: 'env:HS_TOKEN', portalId: 12345, webhookSecret: 'env:HS_SECRET' };
const salesforce = {
  id: 'acme-sf',
  provider: 'salesforce',
  instanceUrl: 'https://acme.my.salesforce.com',
  auth: { type: 'refreshToken', clientId: 'env:SF_CLIENT_ID', clientSecret: 'env:SF_CLIENT_SECRET', refreshToken: 'env:SF_REFRESH' },
};
const secrets = {
  HS_TOKEN: 'pat-na1-secret-token',
  HS_SECRET: 'hs-webhook-secret',
  SF_CLIENT_ID: '3MVG9-client',
  SF_CLIENT_SECRET: 'sf-client-secret',
  SF_REFRESH: 'sf-refresh-secret',
};

function issuesOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('applies defaults with an empty file and environment', () => {
    expect(parseConfig({}, {})).toEqual({
      port: 3000,
      host: '127.0.0.1',
      logLevel: 'info',
      apiTokens: [],
      dataDir: './.dealwatch',
      docs: 'token',
      queuePrefix: '{dealwatch}',
      connections: [],
      digestFrom: 'dealwatch@localhost',
      digests: [],
    });
  });

  it('names the operations variables it refuses', () => {
    expect(() => parseConfig({}, { DEALWATCH_DOCS: 'open', DEALWATCH_METRICS_PORT: 'ninety' })).toThrow(
      expect.objectContaining({
        issues: expect.arrayContaining([
          expect.stringMatching(/^DEALWATCH_DOCS: /),
          'DEALWATCH_METRICS_PORT: expected a port number',
        ]) as unknown,
      }) as Error,
    );
    expect(parseConfig({}, { DEALWATCH_DOCS: 'off', DEALWATCH_METRICS_PORT: '9464', DEALWATCH_METRICS_TOKEN: 's3cret' })).toMatchObject({
      docs: 'off',
      metricsPort: 9464,
      metricsToken: 's3cret',
    });
  });

  it('takes the queue prefix from DEALWATCH_QUEUE_PREFIX and refuses a key separator in it', () => {
    expect(parseConfig({}, { DEALWATCH_QUEUE_PREFIX: '{acme}' }).queuePrefix).toBe('{acme}');
    expect(() => parseConfig({}, { DEALWATCH_QUEUE_PREFIX: 'a:b' })).toThrow(/DEALWATCH_QUEUE_PREFIX/);
  });

  it('reads the environment', () => {
    const config = parseConfig(
      { publicUrl: 'https://file.example.com' },
      {
        DATABASE_URL: 'postgres://u@db:5432/dw',
        REDIS_URL: 'redis://cache:6379',
        PORT: '8080',
        HOST: '0.0.0.0',
        LOG_LEVEL: 'debug',
        DEALWATCH_API_TOKENS: ' token-one , token-two,,',
        PUBLIC_URL: 'https://dealwatch.example.com',
        DEALWATCH_DATA_DIR: '/var/lib/dealwatch',
      },
    );
    expect(config).toMatchObject({
      databaseUrl: 'postgres://u@db:5432/dw',
      redisUrl: 'redis://cache:6379',
      port: 8080,
      host: '0.0.0.0',
      logLevel: 'debug',
      apiTokens: ['token-one', 'token-two'],
      publicUrl: 'https://dealwatch.example.com',
      dataDir: '/var/lib/dealwatch',
    });
  });

  it('resolves env: references and fills connection defaults', () => {
    const config = parseConfig({ connections: [hubspot, salesforce] }, secrets);
    const [hs, sf] = config.connections;
    expect(hs).toMatchObject({
      provider: 'hubspot',
      accessToken: secrets.HS_TOKEN,
      webhookSecret: secrets.HS_SECRET,
      portalId: '12345',
      baseUrl: 'https://api.hubapi.com',
      schedule: { cron: '0 2 * * *', timezone: 'UTC' },
      writeback: 'dry-run',
    });
    expect(sf).toMatchObject({
      provider: 'salesforce',
      loginUrl: 'https://login.salesforce.com',
      apiVersion: '62.0',
      auth: {
        type: 'refreshToken',
        clientId: secrets.SF_CLIENT_ID,
        clientSecret: secrets.SF_CLIENT_SECRET,
        refreshToken: secrets.SF_REFRESH,
      },
    });
  });

  it('names a missing variable and its field, and never a value', () => {
    const { HS_SECRET: _omitted, ...env } = secrets;
    const issues = issuesOf(() => parseConfig({ connections: [hubspot, salesforce] }, env));
    expect(issues).toEqual(['connections[0].webhookSecret: environment variable HS_SECRET is not set']);
    for (const value of Object.values(secrets)) expect(issues.join('\n')).not.toContain(value);
  });

  it('reports every mistake with its field path, one line each', () => {
    const issues = issuesOf(() =>
      parseConfig(
        {
          connections: [
            { ...hubspot, id: 'Bad Id' },
            { ...salesforce, auth: { type: 'refreshToken', refreshToken: 'x' } },
            { ...salesforce, provider: 'zoho' },
            { ...salesforce, schedule: { cron: 'every night', timezone: 'Mars/Olympus' } },
          ],
        },
        { ...secrets, PORT: 'eighty' },
      ),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        'connections[0].id: lowercase letters, digits, - and _ (max 63)',
        'connections[1].auth.clientId: required',
        'connections[2].provider: expected one of "hubspot", "salesforce"',
        'PORT: expected a port number',
      ]),
    );
  });

  it('reports duplicate connection ids, unknown time zones, bad cron and unknown keys', () => {
    const issues = issuesOf(() =>
      parseConfig(
        {
          conections: [],
          connections: [hubspot, { ...hubspot, schedule: { cron: 'every night', timezone: 'Mars/Olympus' } }],
        },
        secrets,
      ),
    );
    expect(issues.sort()).toEqual(
      [
        'conections: unknown setting (allowed: publicUrl, connections, digests)',
        'connections[1].id: duplicate id (also connections[0].id)',
        'connections[1].schedule.cron: invalid cron expression',
        'connections[1].schedule.timezone: unknown IANA time zone',
      ].sort(),
    );
  });

  it('still reports cross-field problems beside a fraction where an integer is due, and does not call that fraction missing', () => {
    const issues = issuesOf(() =>
      parseConfig({ connections: [hubspot, { ...hubspot, lookbackMinutes: 1.5, schedule: { cron: 'nope', timezone: 'UTC' } }] }, secrets),
    );
    expect(issues.sort()).toEqual(
      [
        'connections[1].id: duplicate id (also connections[0].id)',
        'connections[1].lookbackMinutes: expected an integer',
        'connections[1].schedule.cron: invalid cron expression',
      ].sort(),
    );
  });

  it('refuses a HubSpot portalId that is not an account id (it would route no webhook)', () => {
    for (const portalId of ['acme', '-1', -1, 1.5, '']) {
      const issues = issuesOf(() => parseConfig({ connections: [{ ...hubspot, portalId }] }, secrets));
      expect(
        issues.some((line) => line.startsWith('connections[0].portalId: ')),
        `${portalId}: ${issues.join('; ')}`,
      ).toBe(true);
    }
  });

  it('checks the shared fields of a connection whose provider is missing or unknown', () => {
    const { provider: _provider, ...noProvider } = hubspot;
    const issues = issuesOf(() => parseConfig({ connections: [{ ...noProvider, id: 'Not Valid', writeback: 'sometimes' }] }, secrets));
    expect(issues[0]).toBe('connections[0].provider: expected one of "hubspot", "salesforce"');
    expect(issues).toContain('connections[0].writeback: expected one of "on", "dry-run", "off"');
    expect(issues.some((line) => line.startsWith('connections[0].id: '))).toBe(true);
  });
});

describe('HubSpot auth: a private app token or OAuth', () => {
  const { accessToken: _token, ...noToken } = hubspot;
  const oauth = { type: 'oauth', clientId: 'hs-client-id', clientSecret: 'env:HS_SECRET', refreshToken: 'env:HS_REFRESH' };
  const env = { ...secrets, HS_REFRESH: 'na1-refresh-secret' };

  it('keeps a private app accessToken valid, and accepts OAuth with env: secrets resolved', () => {
    const config = parseConfig({ connections: [hubspot, { ...noToken, id: 'acme-hs-oauth', auth: oauth }] }, env);
    expect(config.connections[0]).toMatchObject({ accessToken: secrets.HS_TOKEN });
    expect(config.connections[0]).not.toHaveProperty('auth');
    expect(config.connections[1]).toMatchObject({
      auth: { type: 'oauth', clientId: 'hs-client-id', clientSecret: secrets.HS_SECRET, refreshToken: 'na1-refresh-secret' },
    });
    expect(config.connections[1]).not.toHaveProperty('accessToken');
  });

  it('requires exactly one of accessToken and auth, naming the field', () => {
    expect(issuesOf(() => parseConfig({ connections: [noToken] }, env))).toEqual([
      'connections[0].accessToken: required (a private app token), or set auth ({ "type": "oauth", ' +
        'clientId, clientSecret, refreshToken }) for a public app',
    ]);
    const both = issuesOf(() => parseConfig({ connections: [{ ...hubspot, auth: oauth }] }, env));
    expect(both).toEqual(['connections[0].auth: set either accessToken (private app) or auth (OAuth public app), not both']);
    for (const value of Object.values(env)) expect(both.join('\n')).not.toContain(value);
  });

  it('names each missing or wrong OAuth field, its missing variable, and never a value', () => {
    const { HS_REFRESH: _omitted, ...withoutRefresh } = env;
    const issues = issuesOf(() =>
      parseConfig(
        {
          connections: [
            { ...noToken, id: 'a', auth: { type: 'oauth', clientSecret: 'env:HS_SECRET', refreshToken: 'env:HS_REFRESH' } },
            { ...noToken, id: 'b', auth: { ...oauth, type: 'password' } },
            { ...noToken, id: 'c', auth: { ...oauth, clientSecret: '' } },
          ],
        },
        withoutRefresh,
      ),
    );
    expect(issues.sort()).toEqual(
      [
        'connections[0].auth.clientId: required',
        'connections[0].auth.refreshToken: environment variable HS_REFRESH is not set',
        'connections[1].auth.refreshToken: environment variable HS_REFRESH is not set',
        'connections[1].auth.type: expected one of "oauth"',
        'connections[2].auth.clientSecret: too small: expected string to have >=1 characters',
        'connections[2].auth.refreshToken: environment variable HS_REFRESH is not set',
      ].sort(),
    );
    for (const value of Object.values(env)) expect(issues.join('\n')).not.toContain(value);
  });

  it('reports the missing credentials together with the other mistakes of the connection', () => {
    const issues = issuesOf(() => parseConfig({ connections: [{ ...noToken, id: 'Bad Id' }] }, env));
    expect(issues.sort()).toEqual(
      [
        'connections[0].accessToken: required (a private app token), or set auth ({ "type": "oauth", ' +
          'clientId, clientSecret, refreshToken }) for a public app',
        'connections[0].id: lowercase letters, digits, - and _ (max 63)',
      ].sort(),
    );
  });
});

describe('rule thresholds', () => {
  it("validates each connection's rules with the engine's schema, naming the field", () => {
    const issues = issuesOf(() =>
      parseConfig({ connections: [{ ...hubspot, rules: { stale_deal: { days: -3 }, stale_deals: {} } }] }, secrets),
    );
    expect(issues).toHaveLength(2);
    expect(issues.some((line) => line.startsWith('connections[0].rules.stale_deal.days: '))).toBe(true);
    expect(issues.some((line) => line.startsWith('connections[0].rules: ') && line.includes('stale_deals'))).toBe(true);
  });

  it('accepts valid overrides', () => {
    const config = parseConfig({ connections: [{ ...hubspot, rules: { stale_deal: { days: 21 } } }] }, secrets);
    expect(config.connections[0]?.rules).toEqual({ stale_deal: { days: 21 } });
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dealwatch-config-'));

  it('reads --config, else DEALWATCH_CONFIG, relative to cwd', () => {
    writeFileSync(path.join(dir, 'a.json'), JSON.stringify({ connections: [hubspot] }));
    const fromFlag = loadConfig({ configPath: 'a.json', cwd: dir, env: secrets });
    expect(fromFlag.configPath).toBe(path.join(dir, 'a.json'));
    expect(fromFlag.connections.map((c) => c.id)).toEqual(['acme-hs']);
    const fromEnv = loadConfig({ env: { ...secrets, DEALWATCH_CONFIG: path.join(dir, 'a.json') } });
    expect(fromEnv.connections).toHaveLength(1);
    expect(loadConfig({ env: {} }).configPath).toBeNull();
  });

  it('reports an unreadable file and invalid JSON as config errors', () => {
    writeFileSync(path.join(dir, 'broken.json'), '{ "connections": [ ');
    expect(issuesOf(() => loadConfig({ configPath: path.join(dir, 'missing.json'), env: {} }))[0]).toMatch(
      /cannot read .*missing\.json \(ENOENT\)/,
    );
    expect(issuesOf(() => loadConfig({ configPath: path.join(dir, 'broken.json'), env: {} }))[0]).toMatch(/is not valid JSON/);
  });
});

describe('formatPath', () => {
  it('writes indices in brackets and odd keys quoted', () => {
    expect(formatPath(['connections', 1, 'auth', 'clientId'])).toBe('connections[1].auth.clientId');
    expect(formatPath(['connections', 0, 'exchangeRates', 'e-u'])).toBe('connections[0].exchangeRates["e-u"]');
    expect(formatPath([])).toBe('config');
  });
});

describe('the example configuration of the README', () => {
  it('is valid once its secrets are in the environment', () => {
    const file = JSON.parse(readFileSync(new URL('../../../docs/examples/dealwatch.json', import.meta.url), 'utf8')) as unknown;
    const env = {
      ACME_HUBSPOT_TOKEN: 'a',
      ACME_HUBSPOT_CLIENT_SECRET: 'b',
      ACME_SF_CONSUMER_KEY: 'c',
      ACME_SF_PRIVATE_KEY: 'd',
      ACME_SF_OUTBOUND_TOKEN: 'e',
    };
    expect(parseConfig(file, env).connections.map((c) => c.id)).toEqual(['acme-hubspot', 'acme-salesforce']);
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(readFileSync(new URL('../../../docs/examples/dealwatch.json', import.meta.url), 'utf8'));
  });
});

describe('quotas and forecast categories', () => {
  it('accepts a quota per quarter or for every quarter, per rep and per team', () => {
    const config = parseConfig(
      {
        connections: [
          {
            ...hubspot,
            quotas: { u1: 100_000, u2: { 'FY2026-Q4': 50_000, default: 40_000 } },
            teamQuotas: { east: 200_000 },
            forecastCategories: { appointmentscheduled: 'pipeline' },
          },
        ],
      },
      secrets,
    );
    expect(config.connections[0]?.quotas).toEqual({ u1: 100_000, u2: { 'FY2026-Q4': 50_000, default: 40_000 } });
    expect(config.connections[0]?.teamQuotas).toEqual({ east: 200_000 });
  });

  it('names the field of a bad quarter, a negative quota and an unknown category', () => {
    const issues = issuesOf(() =>
      parseConfig(
        { connections: [{ ...hubspot, quotas: { u1: { '2026-Q4': 5 } }, teamQuotas: { east: -1 }, forecastCategories: { s1: 'maybe' } }] },
        secrets,
      ),
    );
    expect(issues).toContain(
      'connections[0].quotas.u1: an amount >= 0, or amounts per fiscal quarter like { "FY2026-Q4": 250000, "default": 200000 }',
    );
    expect(issues.some((line) => line.startsWith('connections[0].teamQuotas.east'))).toBe(true);
    expect(issues.some((line) => line.startsWith('connections[0].forecastCategories.s1'))).toBe(true);
  });
});
