import { generateKeyPairSync, createVerify } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CrmError } from '../../../../src/domain/errors.js';
import { API, INSTANCE, LOGIN, connector, fixture } from './helpers.js';

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => nock.cleanAll());

const stages = {
  totalSize: 1,
  done: true,
  records: [
    { Id: '01J1', ApiName: 'Prospecting', MasterLabel: 'Prospecting', SortOrder: 1, DefaultProbability: 10, IsClosed: false, IsWon: false },
  ],
};
const refreshAuth = { auth: { type: 'refreshToken', clientId: 'cid', clientSecret: 'csecret', refreshToken: 'rt-1' } };

describe('salesforce auth', () => {
  it('refreshes an expired session once (refresh token flow) and replays the call', async () => {
    const authHeaders: string[] = [];
    const api = nock(INSTANCE)
      .get(`${API}/query`)
      .query(true)
      .reply(function () {
        authHeaders.push(String(this.req.headers.authorization));
        return [401, fixture('invalid-session.json')];
      })
      .get(`${API}/query`)
      .query(true)
      .reply(function () {
        authHeaders.push(String(this.req.headers.authorization));
        return [200, stages];
      });
    let tokenBody = '';
    // First token up front (no 401 spent on it), then the refresh after the 401.
    const login = nock(LOGIN)
      .post('/services/oauth2/token', (b: string | Record<string, string>) => {
        tokenBody = typeof b === 'string' ? b : new URLSearchParams(b).toString();
        return true;
      })
      .times(2)
      .reply(200, fixture('token-response.json'));

    const c = connector({ ...refreshAuth });
    expect(await c.pullStages()).toHaveLength(1);
    expect(api.isDone() && login.isDone()).toBe(true);
    expect(tokenBody).toContain('grant_type=refresh_token');
    expect(tokenBody).toContain('refresh_token=rt-1');
    expect(authHeaders[1]).toBe('Bearer 00DRO000000abcd!AQ0AQFreshTokenValue');
  });

  it('fails with CRM.AUTH when the refreshed token is refused too (second 401), without looping', async () => {
    const api = nock(INSTANCE).get(`${API}/query`).query(true).times(2).reply(401, fixture('invalid-session.json'));
    const login = nock(LOGIN).post('/services/oauth2/token').times(2).reply(200, fixture('token-response.json'));
    const third = nock(LOGIN).post('/services/oauth2/token').reply(200, fixture('token-response.json'));
    const err = await connector({ ...refreshAuth })
      .pullStages()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CrmError);
    expect((err as CrmError).code).toBe('CRM.AUTH');
    expect(JSON.stringify(err)).not.toContain('csecret');
    expect((err as Error).message).not.toContain('rt-1');
    expect(api.isDone() && login.isDone()).toBe(true);
    expect(third.isDone()).toBe(false);
  });

  it('a plain access token that expires fails as CRM.AUTH (nothing to refresh with)', async () => {
    nock(INSTANCE).get(`${API}/query`).query(true).reply(401, fixture('invalid-session.json'));
    const err = await connector()
      .pullStages()
      .catch((e: unknown) => e);
    expect((err as CrmError).code).toBe('CRM.AUTH');
  });

  it('JWT bearer: posts an RS256 assertion (iss, sub, aud, exp <= 3 min) before the first call', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    let params = new URLSearchParams();
    nock(LOGIN)
      .post('/services/oauth2/token', (b: string | Record<string, string>) => {
        params = new URLSearchParams(typeof b === 'string' ? b : b);
        return true;
      })
      .reply(200, fixture('token-response.json'));
    nock(INSTANCE)
      .get(`${API}/query`)
      .query(true)
      .matchHeader('authorization', 'Bearer 00DRO000000abcd!AQ0AQFreshTokenValue')
      .reply(200, stages);

    const c = connector({ auth: { type: 'jwt', clientId: 'consumer-key', username: 'int@acme.test', privateKey: pem } });
    expect(await c.pullStages()).toHaveLength(1);
    expect(params.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const [h, p, s] = String(params.get('assertion')).split('.');
    const claims = JSON.parse(Buffer.from(String(p), 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: 'consumer-key', sub: 'int@acme.test', aud: LOGIN });
    expect(Number(claims.exp) - Date.parse('2026-11-26T12:00:00Z') / 1000).toBeLessThanOrEqual(180);
    expect(
      createVerify('RSA-SHA256')
        .update(`${h}.${p}`)
        .verify(publicKey, Buffer.from(String(s), 'base64url')),
    ).toBe(true);
  });

  it('client credentials: grant_type=client_credentials with the client id and secret', async () => {
    let body = '';
    nock(LOGIN)
      .post('/services/oauth2/token', (b: string | Record<string, string>) => {
        body = typeof b === 'string' ? b : new URLSearchParams(b).toString();
        return true;
      })
      .reply(200, fixture('token-response.json'));
    nock(INSTANCE).get(`${API}/query`).query(true).reply(200, stages);
    await connector({ auth: { type: 'clientCredentials', clientId: 'cid', clientSecret: 'csecret' } }).pullStages();
    expect(body).toContain('grant_type=client_credentials');
    expect(body).toContain('client_id=cid');
  });
});

describe('salesforce retries and limits (one retry layer)', () => {
  it('retries a 503 that carries Retry-After, waiting at least that long', async () => {
    const api = nock(INSTANCE)
      .get(`${API}/query`)
      .query(true)
      .reply(503, 'Service Unavailable', { 'Retry-After': '1' })
      .get(`${API}/query`)
      .query(true)
      .reply(200, stages, { 'Sforce-Limit-Info': 'api-usage=120/15000' });
    const c = connector();
    const started = Date.now();
    expect(await c.pullStages()).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(api.isDone()).toBe(true);
    expect(c.usage()).toMatchObject({ calls: 2, byEndpoint: { 'GET query': 2 }, quota: { used: 120, limit: 15000, remaining: 14880 } });
  });

  it('retries 429 and 503 without Retry-After on backoff, exactly once each (jsforce does not retry on its own)', async () => {
    const api = nock(INSTANCE)
      .get(`${API}/query`)
      .query(true)
      .reply(429, [{ message: 'rate', errorCode: 'REQUEST_LIMIT_EXCEEDED_RATE' }])
      .get(`${API}/query`)
      .query(true)
      .reply(503, 'unavailable')
      .get(`${API}/query`)
      .query(true)
      .reply(200, stages);
    const c = connector();
    expect(await c.pullStages()).toHaveLength(1);
    expect(api.isDone()).toBe(true);
    expect(c.usage()).toMatchObject({ calls: 3, rateLimited: 1 });
  });

  it('retries a connection reset (real socket destroyed by a loopback server)', async () => {
    // nock's replyWithError never settles node-fetch v2 (jsforce's HTTP client), so a real server resets the socket.
    let hits = 0;
    const server = createServer((req, res) => {
      hits += 1;
      if (hits === 1) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stages));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    nock.enableNetConnect('127.0.0.1');
    try {
      const { port } = server.address() as AddressInfo;
      expect(await connector({ instanceUrl: `http://127.0.0.1:${port}` }).pullStages()).toHaveLength(1);
      expect(hits).toBe(2);
    } finally {
      nock.disableNetConnect();
      await new Promise((r) => server.close(r));
    }
  });

  it('gives up after the policy retries with a retryable CRM.TRANSIENT', async () => {
    const api = nock(INSTANCE).get(`${API}/query`).query(true).times(4).reply(500, 'boom');
    const err = await connector()
      .pullStages()
      .catch((e: unknown) => e);
    expect((err as CrmError).code).toBe('CRM.TRANSIENT');
    expect((err as CrmError).retryable).toBe(true);
    expect(api.isDone()).toBe(true);
  });

  it('REQUEST_LIMIT_EXCEEDED stops at once with CRM.QUOTA_EXCEEDED (no retry)', async () => {
    const api = nock(INSTANCE).get(`${API}/query`).query(true).reply(403, fixture('request-limit-exceeded.json'));
    const extra = nock(INSTANCE).get(`${API}/query`).query(true).reply(200, stages);
    const c = connector();
    const err = await c.pullStages().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CrmError);
    expect((err as CrmError).code).toBe('CRM.QUOTA_EXCEEDED');
    expect((err as CrmError).retryable).toBe(false);
    expect(api.isDone()).toBe(true);
    expect(extra.isDone()).toBe(false);
    expect(c.usage().calls).toBe(1);
  });

  it('REQUEST_LIMIT_EXCEEDED for concurrent requests backs off and retries within the run', async () => {
    const api = nock(INSTANCE)
      .get(`${API}/query`)
      .query(true)
      .reply(403, fixture('request-limit-exceeded-concurrent.json'))
      .get(`${API}/query`)
      .query(true)
      .reply(200, stages);
    // The first wait (5 s in production) is capped at 1 s here.
    const c = connector({}, { retryPolicy: { retries: 3, minTimeoutMs: 1, maxTimeoutMs: 5, maxRetryAfterMs: 1_000 } });
    const started = Date.now();
    await expect(c.pullStages()).resolves.toHaveLength(stages.records.length);
    expect(api.isDone()).toBe(true);
    // The refusal counts as a rate limit, and the retry waited for the concurrent calls to drain.
    expect(c.usage()).toMatchObject({ calls: 2, rateLimited: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('takes a rate-gate permit before every request, nextRecordsUrl pages included', async () => {
    let permits = 0;
    const gate = {
      take: () => {
        permits += 1;
        return Promise.resolve();
      },
    };
    const { SalesforceConnector } = await import('../../../../connectors/salesforce/connector.js');
    const { settings, deps } = await import('./helpers.js');
    nock(INSTANCE)
      .get(`${API}/query`)
      .query(true)
      .reply(200, { totalSize: 2, done: false, nextRecordsUrl: `${API}/query/01gX-1`, records: [{ Id: 'a' }] })
      .get(`${API}/query/01gX-1`)
      .reply(200, { totalSize: 2, done: true, records: [{ Id: 'b' }] });
    const ids = [];
    for await (const page of new SalesforceConnector(settings(), deps(gate)).listDealIds()) ids.push(...page);
    expect(ids).toEqual(['a', 'b']);
    expect(permits).toBe(2);
  });
});

describe('salesforce token endpoint failures', () => {
  it('a refused grant is CRM.AUTH; a token endpoint outage is retried', async () => {
    nock(LOGIN).post('/services/oauth2/token').reply(400, { error: 'invalid_grant', error_description: 'expired access/refresh token' });
    const refused = await connector({ ...refreshAuth })
      .pullStages()
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'CRM.AUTH', message: expect.stringContaining('invalid_grant') });

    nock(LOGIN).post('/services/oauth2/token').reply(503, 'down').post('/services/oauth2/token').reply(200, fixture('token-response.json'));
    nock(INSTANCE).get(`${API}/query`).query(true).reply(200, stages);
    expect(await connector({ ...refreshAuth }).pullStages()).toHaveLength(1);
  });
});

describe('salesforce token requests are serialized per connection', () => {
  it('two connectors of one connection starting together share one token request', async () => {
    const login = nock(LOGIN).post('/services/oauth2/token').once().delay(50).reply(200, fixture('token-response.json'));
    const extra = nock(LOGIN).post('/services/oauth2/token').reply(200, fixture('token-response.json'));
    nock(INSTANCE).get(`${API}/query`).query(true).times(2).reply(200, stages);
    const [a, b] = await Promise.all([connector({ ...refreshAuth }).pullStages(), connector({ ...refreshAuth }).pullStages()]);
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    expect(login.isDone()).toBe(true);
    expect(extra.isDone()).toBe(false);
  });
});
