/**
 * (HubSpot, OAuth) The whole pipeline on a HubSpot connection configured as a public app: a full
 * sync whose access tokens expire under it completes (deals stored, annotations written), and a
 * revoked refresh token fails the next sync with CRM.AUTH and pauses the connection with a reason
 * that names it and carries no credential.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionSettings } from '../../../src/domain/model/index.js';
import { postgresAvailable, redisAvailable } from '../../support/services.js';
import { startHarness, type Harness } from './harness.js';

const TOKEN_PATH = '/hubspot/oauth/v1/token';
const servicesOk = (await redisAvailable()) && (await postgresAvailable());

describe('a HubSpot public-app (OAuth) connection through the pipeline', () => {
  let h: Harness;
  let oauthSettings: ConnectionSettings;

  beforeAll(async () => {
    h = await startHarness({
      store: servicesOk ? 'postgres' : 'embedded',
      queues: servicesOk ? 'redis' : 'pglite',
      deals: 60,
      // 600 ms tokens announced as expires_in 1 s: they run out under the connector (401, refresh).
      sandbox: { hubspotOAuth: { tokenTtlMs: 600 }, latencyMs: 15 },
    });
    const index = h.settings.findIndex((s) => s.id === 'hs');
    const { accessToken: _privateAppToken, ...rest } = h.settings[index] as Extract<ConnectionSettings, { provider: 'hubspot' }>;
    oauthSettings = ConnectionSettings.parse({
      ...rest,
      auth: {
        type: 'oauth',
        clientId: h.sandbox.hubspot.clientId,
        clientSecret: h.sandbox.hubspot.clientSecret,
        refreshToken: h.sandbox.hubspot.refreshToken,
      },
    });
    // The processors read the connections through `deps.connections()`, i.e. this array.
    h.settings[index] = oauthSettings;
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it('a full sync spanning several token lifetimes completes: deals stored, annotations written', async () => {
    const started = Date.now();
    const outcomes = await h.sync('hs', 'full');
    expect(outcomes.filter((o) => o.state === 'failed')).toEqual([]);
    const sync = outcomes.find((o) => o.ref.queue === 'sync');
    expect(sync?.state === 'completed' && (sync.result as { status: string }).status).toBe('ok');
    expect(Date.now() - started).toBeGreaterThan(2 * 600);

    const stored = await h.store.deals.count('hs');
    expect(stored.open + stored.closed).toBe(h.sandbox.state.hubspot.deals.length);
    expect(h.sandbox.state.annotations.filter((a) => a.provider === 'hubspot').length).toBeGreaterThan(0);

    const calls = h.sandbox.state.calls.filter((c) => c.provider === 'hubspot');
    const tokenCalls = calls.filter((c) => c.path.startsWith(TOKEN_PATH));
    expect(tokenCalls.length).toBeGreaterThanOrEqual(2);
    expect(tokenCalls.every((c) => c.status === 200)).toBe(true);
    expect(calls.some((c) => c.status === 401)).toBe(true);
    expect(calls.filter((c) => c.status >= 400 && c.status !== 401 && c.status !== 429)).toEqual([]);
    expect((await h.store.connectionState.get('hs')).pausedReason).toBeNull();
  }, 150_000);

  it('a revoked refresh token fails the next sync with CRM.AUTH and pauses the connection, naming it and no credential', async () => {
    const index = h.settings.findIndex((s) => s.id === 'hs');
    const revoked = 'na1-revoked-0000-0000-0000-000000000000';
    h.settings[index] = ConnectionSettings.parse({
      ...oauthSettings,
      auth: { ...(oauthSettings as { auth: object }).auth, refreshToken: revoked },
    });
    const outcomes = await h.sync('hs', 'incremental');
    const failed = outcomes.filter((o) => o.state === 'failed');
    expect(failed.map((o) => o.ref.queue)).toEqual(['sync']);
    const state = await h.store.connectionState.get('hs');
    expect(state.pausedReason).toMatch(/refused to refresh the access token of connection "hs" \(400 BAD_REFRESH_TOKEN\)/);
    for (const secret of [revoked, h.sandbox.hubspot.refreshToken, h.sandbox.hubspot.clientSecret, h.sandbox.hubspot.accessToken]) {
      expect(state.pausedReason).not.toContain(secret);
      expect(failed[0]?.state === 'failed' && failed[0].reason).not.toContain(secret);
    }
  }, 150_000);
});
