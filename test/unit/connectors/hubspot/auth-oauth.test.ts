/**
 * HubSpot OAuth (public app) in the client: the refresh token is exchanged lazily, before expiry
 * and once on a 401 (one refresh in flight per connection), the request is repeated once, and a
 * second 401 or a refused refresh is CRM.AUTH naming the connection and never a credential.
 */
import { createHmac } from 'node:crypto';
import nock from 'nock';
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CrmError } from '../../../../src/domain/errors.js';
import { HubSpotClient } from '../../../../connectors/hubspot/client.js';
import { hubspotDescriptor } from '../../../../connectors/hubspot/index.js';
import { UsageCounter } from '../../../../connectors/shared/usage.js';
import { BASE_URL, connector, fastRetry, fixture, settings } from './support.js';

const CLIENT_ID = 'hs-app-client-id';
const CLIENT_SECRET = 'hs-app-client-secret-value';
const REFRESH_TOKEN = 'na1-configured-refresh-token';
const FIRST = 'CJfirst-access-token';
const SECOND = 'CJsecond-access-token';

const oauth = {
  accessToken: undefined,
  auth: { type: 'oauth', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: REFRESH_TOKEN },
};
const oauthConnector = (retry = fastRetry) => connector(oauth, retry);

interface TokenForm {
  grant_type?: string;
  client_id?: string;
  client_secret?: string;
  refresh_token?: string;
}

/** Answers one POST /oauth/v1/token with `accessToken`; every form it received is pushed to `forms`. */
function tokenCall(accessToken: string, forms: TokenForm[], extra: Record<string, unknown> = {}): nock.Scope {
  return nock(BASE_URL)
    .post('/oauth/v1/token', (body: TokenForm) => {
      forms.push(body);
      return true;
    })
    .matchHeader('content-type', /application\/x-www-form-urlencoded/)
    .reply(200, { ...fixture('oauth-token.json'), refresh_token: REFRESH_TOKEN, access_token: accessToken, ...extra });
}

const pipelinesWith = (token: string) => nock(BASE_URL).get('/crm/v3/pipelines/deals').matchHeader('authorization', `Bearer ${token}`);

async function failure(promise: Promise<unknown>): Promise<CrmError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CrmError);
    return error as CrmError;
  }
  throw new Error('expected a failure');
}

function expectNoCredentials(error: CrmError): void {
  for (const secret of [
    CLIENT_SECRET,
    REFRESH_TOKEN,
    FIRST,
    SECOND,
    fixture<{ refresh_token: string }>('oauth-token.json').refresh_token,
  ]) {
    expect(error.message).not.toContain(secret);
  }
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  vi.useRealTimers();
  nock.cleanAll();
});

describe('HubSpot OAuth: obtaining tokens', () => {
  it(
    'exchanges the refresh token before the first call (form-encoded refresh_token grant) and sends ' + 'the access token as bearer',
    async () => {
      const forms: TokenForm[] = [];
      tokenCall(FIRST, forms);
      pipelinesWith(FIRST).reply(200, fixture('pipelines-deals.json'));
      const c = oauthConnector();
      expect(await c.pullStages()).toHaveLength(6);
      expect(forms).toEqual([
        { grant_type: 'refresh_token', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, refresh_token: REFRESH_TOKEN },
      ]);
      expect(c.usage().byEndpoint).toEqual({ 'POST /oauth/v1/token': 1, 'GET /crm/v3/pipelines/deals': 1 });
      expect(nock.isDone()).toBe(true);
    },
  );

  it('reuses the token while it is fresh, and refreshes it shortly before expires_in without waiting for a 401', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse('2026-11-26T12:00:00Z'));
    const forms: TokenForm[] = [];
    tokenCall(FIRST, forms);
    pipelinesWith(FIRST).times(2).reply(200, fixture('pipelines-deals.json'));
    const c = oauthConnector();
    await c.pullStages();
    vi.setSystemTime(Date.parse('2026-11-26T12:20:00Z')); // 20 of 30 minutes: still fresh
    await c.pullStages();
    expect(forms).toHaveLength(1);

    tokenCall(SECOND, forms);
    pipelinesWith(SECOND).reply(200, fixture('pipelines-deals.json'));
    vi.setSystemTime(Date.parse('2026-11-26T12:27:30Z')); // inside the last tenth of the 30 minutes
    await c.pullStages();
    expect(forms).toHaveLength(2);
    expect(nock.isDone()).toBe(true);
  });

  it('concurrent first calls share one token request', async () => {
    const forms: TokenForm[] = [];
    nock(BASE_URL)
      .post('/oauth/v1/token', (body: TokenForm) => {
        forms.push(body);
        return true;
      })
      .delay(30)
      .reply(200, { ...fixture('oauth-token.json'), refresh_token: REFRESH_TOKEN, access_token: FIRST });
    pipelinesWith(FIRST).reply(200, fixture('pipelines-deals.json'));
    nock(BASE_URL).get('/crm/v3/owners/').query(true).matchHeader('authorization', `Bearer ${FIRST}`).times(2).reply(200, { results: [] });
    const c = oauthConnector();
    await Promise.all([c.pullStages(), c.pullOwners()]);
    expect(forms).toHaveLength(1);
    expect(c.usage().byEndpoint['POST /oauth/v1/token']).toBe(1);
  });

  it('uses a refresh token HubSpot sends back for the next refresh', async () => {
    const forms: TokenForm[] = [];
    tokenCall(FIRST, forms, { refresh_token: 'na1-rotated-refresh-token' });
    pipelinesWith(FIRST).reply(200, fixture('pipelines-deals.json'));
    const c = oauthConnector();
    await c.pullStages();
    pipelinesWith(FIRST).reply(401, fixture('oauth-error-401-expired.json'));
    tokenCall(SECOND, forms);
    pipelinesWith(SECOND).reply(200, fixture('pipelines-deals.json'));
    await c.pullStages();
    expect(forms.map((f) => f.refresh_token)).toEqual([REFRESH_TOKEN, 'na1-rotated-refresh-token']);
  });
});

describe('HubSpot OAuth: a 401 refreshes once and repeats the call', () => {
  it('an expired token: exactly one refresh, then the repeated request succeeds', async () => {
    const forms: TokenForm[] = [];
    tokenCall(FIRST, forms);
    pipelinesWith(FIRST).reply(200, fixture('pipelines-deals.json'));
    const c = oauthConnector();
    await c.pullStages();

    forms.length = 0;
    pipelinesWith(FIRST).reply(401, fixture('oauth-error-401-expired.json'));
    const refresh = tokenCall(SECOND, forms);
    pipelinesWith(SECOND).reply(200, fixture('pipelines-deals.json'));
    expect(await c.pullStages()).toHaveLength(6);
    expect(refresh.isDone()).toBe(true);
    expect(forms).toHaveLength(1);
    expect(forms[0]).toMatchObject({ grant_type: 'refresh_token', refresh_token: REFRESH_TOKEN });
    expect(c.usage().byEndpoint).toEqual({ 'POST /oauth/v1/token': 2, 'GET /crm/v3/pipelines/deals': 3 });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('two concurrent requests refused with 401 trigger one refresh and both succeed', async () => {
    const forms: TokenForm[] = [];
    tokenCall(FIRST, forms);
    pipelinesWith(FIRST).reply(200, fixture('pipelines-deals.json'));
    const c = oauthConnector();
    await c.pullStages();

    forms.length = 0;
    pipelinesWith(FIRST).reply(401, fixture('error-401.json'));
    nock(BASE_URL).get('/crm/v3/owners/').query(true).matchHeader('authorization', `Bearer ${FIRST}`).reply(401, fixture('error-401.json'));
    nock(BASE_URL)
      .post('/oauth/v1/token', (body: TokenForm) => {
        forms.push(body);
        return true;
      })
      .delay(30) // both 401s arrive while the refresh is in flight
      .reply(200, { ...fixture('oauth-token.json'), refresh_token: REFRESH_TOKEN, access_token: SECOND });
    pipelinesWith(SECOND).reply(200, fixture('pipelines-deals.json'));
    nock(BASE_URL).get('/crm/v3/owners/').query(true).matchHeader('authorization', `Bearer ${SECOND}`).times(2).reply(200, { results: [] });
    const [stages] = await Promise.all([c.pullStages(), c.pullOwners()]);
    expect(stages).toHaveLength(6);
    expect(forms).toHaveLength(1);
    expect(c.usage().byEndpoint['POST /oauth/v1/token']).toBe(2); // the first token, then one refresh
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a 401 arriving after another call already refreshed uses the new token without refreshing again', async () => {
    const forms: TokenForm[] = [];
    tokenCall(FIRST, forms);
    pipelinesWith(FIRST).reply(200, fixture('pipelines-deals.json'));
    const c = oauthConnector();
    await c.pullStages();

    forms.length = 0;
    // The owners call holds FIRST and is answered 401 only after the pipelines call has refreshed.
    nock(BASE_URL)
      .get('/crm/v3/owners/')
      .query(true)
      .matchHeader('authorization', `Bearer ${FIRST}`)
      .delay(80)
      .reply(401, fixture('error-401.json'));
    pipelinesWith(FIRST).reply(401, fixture('error-401.json'));
    tokenCall(SECOND, forms);
    pipelinesWith(SECOND).reply(200, fixture('pipelines-deals.json'));
    nock(BASE_URL).get('/crm/v3/owners/').query(true).matchHeader('authorization', `Bearer ${SECOND}`).times(2).reply(200, { results: [] });
    await Promise.all([c.pullOwners(), c.pullStages()]);
    expect(forms).toHaveLength(1);
    expect(c.usage().byEndpoint['POST /oauth/v1/token']).toBe(2); // the first token, then one refresh
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a second 401 right after the refresh is CRM.AUTH naming the connection, not retried, free of tokens and secrets', async () => {
    const forms: TokenForm[] = [];
    tokenCall(FIRST, forms);
    pipelinesWith(FIRST).reply(401, fixture('error-401.json'));
    tokenCall(SECOND, forms);
    pipelinesWith(SECOND).reply(401, fixture('error-401.json'));
    const c = oauthConnector();
    const error = await failure(c.pullStages());
    expect(error.code).toBe('CRM.AUTH');
    expect(error.retryable).toBe(false);
    expect(error.status).toBe(401);
    expect(error.message).toContain('"hs-test"');
    expect(error.message).toMatch(/again right after a refresh/);
    expectNoCredentials(error);
    expect(forms).toHaveLength(2);
    expect(c.usage().byEndpoint).toEqual({ 'POST /oauth/v1/token': 2, 'GET /crm/v3/pipelines/deals': 2 });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a 401 after a transient failure that followed the refresh is still the second 401 of the call', async () => {
    const forms: TokenForm[] = [];
    tokenCall(FIRST, forms);
    pipelinesWith(FIRST).reply(401, fixture('error-401.json'));
    tokenCall(SECOND, forms);
    pipelinesWith(SECOND).reply(503, { status: 'error', message: 'Service Unavailable', category: 'SERVICE_UNAVAILABLE' });
    pipelinesWith(SECOND).reply(401, fixture('error-401.json'));
    const error = await failure(oauthConnector().pullStages());
    expect(error.code).toBe('CRM.AUTH');
    expect(forms).toHaveLength(2);
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('HubSpot OAuth: a refused refresh', () => {
  it.each([
    ['BAD_REFRESH_TOKEN', 'oauth-token-bad-refresh-token.json'],
    ['invalid_grant', 'oauth-token-invalid-grant.json'],
  ])('400 %s before the first call is CRM.AUTH at once: no API call, no retry, no credential in the message', async (code, file) => {
    const token = nock(BASE_URL).post('/oauth/v1/token').reply(400, fixture(file));
    const c = oauthConnector();
    const error = await failure(c.pullStages());
    expect(error.code).toBe('CRM.AUTH');
    expect(error.retryable).toBe(false);
    expect(error.status).toBe(400);
    expect(error.message).toContain('"hs-test"');
    expect(error.message).toContain(code);
    expectNoCredentials(error);
    expect(token.isDone()).toBe(true);
    expect(c.usage().byEndpoint).toEqual({ 'POST /oauth/v1/token': 1 });
  });

  it('a refresh refused after a 401 (app uninstalled mid-sync) is CRM.AUTH', async () => {
    const forms: TokenForm[] = [];
    tokenCall(FIRST, forms);
    pipelinesWith(FIRST).reply(401, fixture('oauth-error-401-expired.json'));
    nock(BASE_URL).post('/oauth/v1/token').reply(400, fixture('oauth-token-bad-refresh-token.json'));
    const error = await failure(oauthConnector().pullStages());
    expect(error.code).toBe('CRM.AUTH');
    expect(error.message).toMatch(/refused to refresh the access token of connection "hs-test" \(400 BAD_REFRESH_TOKEN\)/);
    expectNoCredentials(error);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a token endpoint 503 is retried by the one retry layer (policy retries, no more), then the call proceeds', async () => {
    nock(BASE_URL).post('/oauth/v1/token').times(2).reply(503, { status: 'error', message: 'Service Unavailable' });
    tokenCall(FIRST, []);
    pipelinesWith(FIRST).reply(200, fixture('pipelines-deals.json'));
    const c = oauthConnector();
    expect(await c.pullStages()).toHaveLength(6);
    expect(c.usage().byEndpoint).toEqual({ 'POST /oauth/v1/token': 3, 'GET /crm/v3/pipelines/deals': 1 });

    const d = oauthConnector({ ...fastRetry, retries: 2 });
    nock(BASE_URL).post('/oauth/v1/token').times(3).reply(503, { status: 'error', message: 'Service Unavailable' });
    const error = await failure(d.pullStages());
    expect(error.code).toBe('CRM.TRANSIENT');
    expect(d.usage().byEndpoint).toEqual({ 'POST /oauth/v1/token': 3 });
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('HubSpot private app token', () => {
  it('a 401 is CRM.AUTH at once: no token request, the connection named, the token absent from the message', async () => {
    nock(BASE_URL)
      .get('/crm/v3/pipelines/deals')
      .matchHeader('authorization', 'Bearer pat-na1-test-token')
      .reply(401, fixture('error-401.json'));
    const c = connector();
    const error = await failure(c.pullStages());
    expect(error.code).toBe('CRM.AUTH');
    expect(error.message).toContain('"hs-test"');
    expect(error.message).not.toContain('pat-na1-test-token');
    expect(c.usage().byEndpoint).toEqual({ 'GET /crm/v3/pipelines/deals': 1 });
  });
});

describe('HubSpot doctor: the token check says which credentials it used', () => {
  it('OAuth: the refresh token is exchanged and the access token reads deal properties', async () => {
    tokenCall(FIRST, []);
    nock(BASE_URL)
      .get('/crm/v3/properties/deals')
      .query(true)
      .matchHeader('authorization', `Bearer ${FIRST}`)
      .reply(200, fixture('properties-deals.json'));
    const report = await oauthConnector().doctor();
    expect(report.checks.find((c) => c.name === 'token')).toEqual({
      name: 'token',
      ok: true,
      detail: 'OAuth (public app; refresh token exchanged for an access token): the access token can read deal properties',
    });
  });

  it('OAuth: a refused refresh fails the check with the CRM.AUTH message and no credential', async () => {
    nock(BASE_URL).post('/oauth/v1/token').reply(400, fixture('oauth-token-bad-refresh-token.json'));
    const report = await oauthConnector().doctor();
    const check = report.checks.find((c) => c.name === 'token');
    expect(report.ok).toBe(false);
    expect(check?.ok).toBe(false);
    expect(check?.detail).toMatch(
      /^OAuth \(public app; .*refused to refresh the access token of connection "hs-test" \(400 BAD_REFRESH_TOKEN\)/,
    );
    for (const secret of [CLIENT_SECRET, REFRESH_TOKEN]) expect(check?.detail).not.toContain(secret);
  });

  it('private app: named as such', async () => {
    nock(BASE_URL).get('/crm/v3/properties/deals').query(true).reply(200, fixture('properties-deals.json'));
    const report = await connector().doctor();
    expect(report.checks.find((c) => c.name === 'token')?.detail).toBe('private app token: the access token can read deal properties');
  });
});

describe('HubSpot webhooks of an OAuth app', () => {
  const body = JSON.stringify([
    {
      eventId: 1,
      subscriptionId: 2,
      portalId: 7,
      appId: 3,
      occurredAt: 1,
      subscriptionType: 'deal.propertyChange',
      attemptNumber: 0,
      objectId: 42,
      propertyName: 'dealstage',
      propertyValue: 'closedwon',
      changeSource: 'CRM',
    },
  ]);
  const url = 'https://dealwatch.example.com/webhooks/hubspot';
  const signed = (secret: string, nowMs: number) => ({
    method: 'POST',
    url,
    rawBody: Buffer.from(body),
    headers: {
      'x-hubspot-signature-v3': createHmac('sha256', secret).update(`POST${url}${body}${nowMs}`).digest('base64'),
      'x-hubspot-request-timestamp': String(nowMs),
    },
  });

  it('are verified with auth.clientSecret when webhookSecret is unset, and with webhookSecret when set', () => {
    const now = Date.now();
    const oauthOnly = settings({ ...oauth, webhookSecret: undefined });
    expect(hubspotDescriptor.webhookVerifier(oauthOnly).verify(signed(CLIENT_SECRET, now), now)).toEqual({ ok: true });
    expect(hubspotDescriptor.webhookVerifier(oauthOnly).verify(signed('another-secret', now), now).ok).toBe(false);
    const both = settings({ ...oauth, webhookSecret: 'separate-webhook-secret' });
    expect(hubspotDescriptor.webhookVerifier(both).verify(signed('separate-webhook-secret', now), now)).toEqual({ ok: true });
    expect(hubspotDescriptor.webhookVerifier(both).verify(signed(CLIENT_SECRET, now), now).ok).toBe(false);
    const privateApp = settings({ webhookSecret: undefined });
    expect(hubspotDescriptor.webhookVerifier(privateApp).verify(signed(CLIENT_SECRET, now), now).ok).toBe(false);
  });
});

describe('HubSpot OAuth and creates (not retried once sent)', () => {
  const client = (retry = fastRetry) =>
    new HubSpotClient({
      baseUrl: BASE_URL,
      connection: { id: 'hs-test', auth: { type: 'oauth', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: REFRESH_TOKEN } },
      rateGate: { take: async () => {} },
      usage: new UsageCounter(),
      retry,
      logger: pino({ level: 'silent' }),
    });
  const note = { properties: { hs_note_body: 'x', hs_timestamp: '2026-11-26T12:00:00.000Z' }, associations: [] };

  it('a token request that fails before the create was sent is retried; the create goes out once', async () => {
    const creates: unknown[] = [];
    nock(BASE_URL).post('/oauth/v1/token').reply(503, { status: 'error', message: 'Service Unavailable' });
    tokenCall(FIRST, []);
    nock(BASE_URL)
      .post('/crm/v3/objects/notes/batch/create', (body) => {
        creates.push(body);
        return true;
      })
      .matchHeader('authorization', `Bearer ${FIRST}`)
      .reply(201, fixture('notes-batch-create-201.json'));
    const response = await client().batchCreate('notes', [note]);
    expect(response.status).toBe(201);
    expect(creates).toHaveLength(1);
  });

  it('a create refused with 401 is sent again once with the refreshed token (a 401 wrote nothing)', async () => {
    const creates: unknown[] = [];
    const record = (body: unknown) => {
      creates.push(body);
      return true;
    };
    tokenCall(FIRST, []);
    nock(BASE_URL)
      .post('/crm/v3/objects/notes/batch/create', record)
      .matchHeader('authorization', `Bearer ${FIRST}`)
      .reply(401, fixture('oauth-error-401-expired.json'));
    tokenCall(SECOND, []);
    nock(BASE_URL)
      .post('/crm/v3/objects/notes/batch/create', record)
      .matchHeader('authorization', `Bearer ${SECOND}`)
      .reply(201, fixture('notes-batch-create-201.json'));
    expect((await client().batchCreate('notes', [note])).status).toBe(201);
    expect(creates).toHaveLength(2);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a create that fails with 503 after being sent is not retried, even with OAuth', async () => {
    tokenCall(FIRST, []);
    nock(BASE_URL).post('/crm/v3/objects/notes/batch/create').reply(503, { status: 'error', message: 'Service Unavailable' });
    const error = await failure(client().batchCreate('notes', [note]));
    expect(error.code).toBe('CRM.TRANSIENT');
    expect(nock.pendingMocks()).toEqual([]);
  });
});
