/** DEALWATCH_DOCS decides who reads `/docs` and `/docs/json` of `dealwatch serve`: nobody, API token holders (the default) or anyone. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable } from '../../support/services.js';
import { isolatedServices, type IsolatedServices } from './isolated-services.js';
import { cleanEnv, startCli, type RunningCli } from './run-cli.js';

const ok = await postgresAvailable();
const TOKEN = 'docs-test-token';

describe.skipIf(!ok)('DEALWATCH_DOCS', () => {
  let services: IsolatedServices;
  const servers = new Map<string, { cli: RunningCli; url: string }>();
  beforeAll(async () => {
    services = await isolatedServices({ redis: false });
    // One migrates first, so the others start on a current schema.
    for (const mode of ['default', 'off', 'public']) {
      const cli = startCli(
        ['serve'],
        cleanEnv({
          DATABASE_URL: services.databaseUrl,
          PORT: '0',
          DEALWATCH_API_TOKENS: TOKEN,
          LOG_LEVEL: 'info',
          ...(mode === 'default' ? {} : { DEALWATCH_DOCS: mode }),
        }),
      );
      servers.set(mode, { cli, url: String((await cli.waitForLog('dealwatch server listening')).url) });
    }
  }, 200_000);
  afterAll(async () => {
    for (const { cli } of servers.values()) await cli.stop('SIGKILL');
    await services?.release();
  });

  it('asks for an API token by default, serves nothing when off, anything when public', { timeout: 60_000 }, async () => {
    const get = async (mode: string, path: string, authorization?: string) =>
      (await fetch(`${servers.get(mode)!.url}${path}`, authorization === undefined ? {} : { headers: { authorization } })).status;
    const basic = `Basic ${Buffer.from(`anyone:${TOKEN}`).toString('base64')}`;
    expect(await get('default', '/docs/json')).toBe(401);
    expect(await get('default', '/docs')).toBe(401);
    expect(await get('default', '/docs/json', 'Bearer wrong')).toBe(401);
    expect(await get('default', '/docs/json', `Bearer ${TOKEN}`)).toBe(200);
    expect(await get('default', '/docs/json', basic)).toBe(200);
    expect(await get('off', '/docs/json', `Bearer ${TOKEN}`)).toBe(404);
    expect(await get('off', '/docs', `Bearer ${TOKEN}`)).toBe(404);
    expect(await get('public', '/docs/json')).toBe(200);
    const doc = (await (await fetch(`${servers.get('public')!.url}/docs/json`)).json()) as { openapi: string };
    expect(doc.openapi).toBe('3.1.0');
  });
});
