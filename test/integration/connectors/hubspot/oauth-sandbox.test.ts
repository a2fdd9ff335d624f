/**
 * HubSpot OAuth against the sandbox over loopback HTTP, through the official SDK: full syncs that
 * span several access-token lifetimes complete with exactly the sandbox's book, whether the tokens
 * run out under the connector (a 401, one refresh, the call repeated) or are replaced before they
 * expire; a revoked refresh token is CRM.AUTH with no credential in the message.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { HubSpotConnector } from '../../../../connectors/hubspot/connector.js';
import { CrmError } from '../../../../src/domain/errors.js';
import { HubSpotConnection } from '../../../../src/domain/model/index.js';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../../../src/sandbox/index.js';

const TOKEN_PATH = '/hubspot/oauth/v1/token';
let sandbox: Sandbox | null = null;

afterEach(async () => {
  await sandbox?.close();
  sandbox = null;
});

async function oauthSandbox(options: SandboxOptions): Promise<{ sb: Sandbox; connector: HubSpotConnector; settings: HubSpotConnection }> {
  const sb = await startSandbox({ deals: 120, seed: 5, rateLimit: false, ...options });
  sandbox = sb;
  const settings = HubSpotConnection.parse({
    id: 'hs-oauth',
    provider: 'hubspot',
    baseUrl: sb.hubspot.baseUrl,
    auth: { type: 'oauth', clientId: sb.hubspot.clientId, clientSecret: sb.hubspot.clientSecret, refreshToken: sb.hubspot.refreshToken },
  });
  const connector = new HubSpotConnector(
    settings,
    { rateGate: { take: async () => {} }, logger: pino({ level: 'silent' }) },
    { now: () => sb.now() },
  );
  return { sb, connector, settings };
}

/** A full sync's pulls: deals, activities, owners, stages; returns what came back. */
async function fullSync(
  connector: HubSpotConnector,
): Promise<{ deals: Set<string>; activities: Set<string>; owners: number; stages: number }> {
  const deals = new Set<string>();
  const activities = new Set<string>();
  for await (const page of connector.pullDeals({ since: null, mode: 'full' })) for (const d of page.records) deals.add(d.externalId);
  for await (const page of connector.pullActivities({ since: null, mode: 'full' }))
    for (const a of page.records) activities.add(a.externalId);
  const owners = (await connector.pullOwners()).length;
  const stages = (await connector.pullStages()).length;
  return { deals, activities, owners, stages };
}

function expectTheBook(sb: Sandbox, got: Awaited<ReturnType<typeof fullSync>>): void {
  const book = sb.state.hubspot;
  expect([...got.deals].sort()).toEqual(
    book.deals
      .filter((d) => !d.deleted)
      .map((d) => d.id)
      .sort(),
  );
  expect([...got.activities].sort()).toEqual(
    book.activities
      .filter((a) => !a.deleted)
      .map((a) => a.id)
      .sort(),
  );
  expect(got.owners).toBe(book.reps.length);
  expect(got.stages).toBeGreaterThan(0);
}

const apiCalls = (sb: Sandbox) => sb.state.calls.filter((c) => c.provider === 'hubspot' && !c.path.startsWith(TOKEN_PATH));
const tokenCalls = (sb: Sandbox) => sb.state.calls.filter((c) => c.path.startsWith(TOKEN_PATH));

describe('HubSpot OAuth on the sandbox', () => {
  it('tokens expiring under the sync (401s): each is refreshed once, the call repeated, and the sync is complete', async () => {
    // 400 ms tokens announced as expires_in 1 s: the connector believes them longer than they last.
    const { sb, connector } = await oauthSandbox({ hubspotOAuth: { tokenTtlMs: 400 }, latencyMs: 25 });
    const got = await fullSync(connector);
    expectTheBook(sb, got);

    // tokens did run out under the sync (a 401 was answered), however fast the host ran it
    const refused = apiCalls(sb).filter((c) => c.status === 401);
    expect(refused.length).toBeGreaterThan(0);
    expect(apiCalls(sb).filter((c) => c.status !== 200 && c.status !== 401)).toEqual([]);
    expect(tokenCalls(sb).every((c) => c.status === 200)).toBe(true);
    // Every 401 costs at most one refresh (the first token is fetched before any call).
    expect(tokenCalls(sb).length).toBeLessThanOrEqual(refused.length + 1);
    expect(tokenCalls(sb).length).toBeGreaterThanOrEqual(2);
    const usage = connector.usage();
    expect(usage.byEndpoint['POST /oauth/v1/token']).toBe(tokenCalls(sb).length);
    expect(usage.calls).toBe(sb.state.calls.filter((c) => c.provider === 'hubspot').length);
  }, 60_000);

  it('tokens replaced before they expire: no 401 at all over a sync longer than a token lifetime', async () => {
    // 3 s tokens (expires_in 3): the connector replaces each after 2.7 s, well before a slow call
    // (150 ms of latency) could carry one past its end.
    const { sb, connector } = await oauthSandbox({ hubspotOAuth: { tokenTtlMs: 3_000 }, latencyMs: 150 });
    const started = Date.now();
    const got = await fullSync(connector);
    expect(Date.now() - started).toBeGreaterThan(3_000);
    expectTheBook(sb, got);
    expect(apiCalls(sb).filter((c) => c.status !== 200)).toEqual([]);
    expect(tokenCalls(sb).length).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('tokens expired early by HubSpot (admin expire-tokens) between two pulls: one 401, one refresh, the sync completes', async () => {
    const { sb, connector } = await oauthSandbox({});
    expect((await connector.pullStages()).length).toBeGreaterThan(0);
    const res = await fetch(`${sb.adminUrl}/hubspot/expire-tokens`, { method: 'POST' });
    expect(res.status).toBe(200);
    const deals = new Set<string>();
    for await (const page of connector.pullDeals({ since: null, mode: 'full' })) for (const d of page.records) deals.add(d.externalId);
    expect(deals.size).toBe(sb.state.hubspot.deals.filter((d) => !d.deleted).length);
    expect(apiCalls(sb).filter((c) => c.status === 401)).toHaveLength(1);
    expect(tokenCalls(sb)).toHaveLength(2);
  }, 60_000);

  it('the private app token keeps working on a sandbox that issues OAuth tokens', async () => {
    const sb = await startSandbox({ deals: 30, seed: 5, rateLimit: false, hubspotOAuth: { tokenTtlMs: 1 } });
    sandbox = sb;
    const settings = HubSpotConnection.parse({
      id: 'hs-pat',
      provider: 'hubspot',
      baseUrl: sb.hubspot.baseUrl,
      accessToken: sb.hubspot.accessToken,
    });
    const connector = new HubSpotConnector(settings, { rateGate: { take: async () => {} }, logger: pino({ level: 'silent' }) });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await connector.pullStages()).length).toBeGreaterThan(0);
    expect(tokenCalls(sb)).toEqual([]);
  });

  it('a wrong refresh token is CRM.AUTH naming the connection, with no credential in the message, and no CRM call', async () => {
    const { sb, settings } = await oauthSandbox({});
    const revoked = HubSpotConnection.parse({ ...settings, auth: { ...settings.auth!, refreshToken: 'na1-revoked-refresh-token' } });
    const connector = new HubSpotConnector(revoked, { rateGate: { take: async () => {} }, logger: pino({ level: 'silent' }) });
    let error: unknown;
    try {
      await connector.pullStages();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CrmError);
    expect((error as CrmError).code).toBe('CRM.AUTH');
    expect((error as CrmError).message).toContain('"hs-oauth"');
    expect((error as CrmError).message).toContain('400 BAD_REFRESH_TOKEN');
    for (const secret of ['na1-revoked-refresh-token', sb.hubspot.refreshToken, sb.hubspot.clientSecret])
      expect((error as CrmError).message).not.toContain(secret);
    expect(apiCalls(sb)).toEqual([]);
    expect(tokenCalls(sb).map((c) => c.status)).toEqual([400]);
  });
});
