import { Client } from '@hubspot/api-client';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CrmError } from '../../../../src/domain/errors.js';
import { BASE_URL, connector, fixture } from './support.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
});

const pipelines = () => fixture('pipelines-deals.json');

async function failure(promise: Promise<unknown>): Promise<CrmError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CrmError);
    return error as CrmError;
  }
  throw new Error('expected a failure');
}

describe('HubSpot errors, retries and usage', () => {
  it('an expired token (401) is CRM.AUTH, not retried, and the token never appears in the message', async () => {
    nock(BASE_URL).get('/crm/v3/pipelines/deals').reply(401, fixture('error-401.json'));
    const c = connector();
    const error = await failure(c.pullStages());
    expect(error.code).toBe('CRM.AUTH');
    expect(error.retryable).toBe(false);
    expect(error.message).not.toContain('pat-na1-test-token');
    expect(c.usage().calls).toBe(1);
  });

  it('a 429 with Retry-After waits that long, then succeeds; the 429 is counted', async () => {
    nock(BASE_URL)
      .get('/crm/v3/pipelines/deals')
      .reply(429, fixture('rate-limit-ten-secondly.json'), { 'Retry-After': '1' })
      .get('/crm/v3/pipelines/deals')
      .reply(200, pipelines(), { 'X-HubSpot-RateLimit-Daily': '250000', 'X-HubSpot-RateLimit-Daily-Remaining': '249000' });
    const c = connector();
    const started = Date.now();
    const stages = await c.pullStages();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(stages).toHaveLength(6);
    expect(c.usage()).toMatchObject({ calls: 2, rateLimited: 1, quota: { limit: 250000, remaining: 249000, used: 1000 } });
  });

  it('a 429 without Retry-After or rate-limit headers backs off exponentially (fast in tests) and succeeds', async () => {
    nock(BASE_URL)
      .get('/crm/v3/pipelines/deals')
      .times(2)
      .reply(429, fixture('rate-limit-ten-secondly.json'))
      .get('/crm/v3/pipelines/deals')
      .reply(200, pipelines());
    const c = connector();
    const started = Date.now();
    await c.pullStages();
    expect(Date.now() - started).toBeLessThan(900);
    expect(c.usage()).toMatchObject({ calls: 3, rateLimited: 2 });
  });

  it('a 429 past the retries fails as CRM.RATE_LIMITED (retryable)', async () => {
    nock(BASE_URL).get('/crm/v3/pipelines/deals').times(4).reply(429, fixture('rate-limit-ten-secondly.json'));
    const c = connector();
    const error = await failure(c.pullStages());
    expect(error.code).toBe('CRM.RATE_LIMITED');
    expect(error.retryable).toBe(true);
    expect(c.usage().calls).toBe(4);
  });

  it('a 423 (locked) and a SECONDLY search 429 wait the time HubSpot asks for, then succeed', async () => {
    nock(BASE_URL)
      .get('/crm/v3/pipelines/deals')
      .reply(423, { status: 'error', message: 'locked', category: 'LOCKED' })
      .get('/crm/v3/pipelines/deals')
      .reply(200, pipelines())
      .post('/crm/v3/objects/notes/search')
      .reply(429, { status: 'error', message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT', policyName: 'SECONDLY' })
      .post('/crm/v3/objects/notes/search')
      .reply(200, { total: 0, results: [] });
    const waits: number[] = [];
    const c = connector({}, { retries: 2, minTimeoutMs: 1, maxTimeoutMs: 1, maxRetryAfterMs: 50 });
    const started = Date.now();
    await c.pullStages();
    waits.push(Date.now() - started);
    await c.findWarnings(['k']);
    expect(waits[0]).toBeGreaterThanOrEqual(45); // 2 s asked for, capped at 50 ms by this test's policy
    expect(c.usage()).toMatchObject({ calls: 4, rateLimited: 1 });
  });

  it('a DAILY 429 is CRM.QUOTA_EXCEEDED at once, never retried (the sync stops as partial)', async () => {
    nock(BASE_URL)
      .get('/crm/v3/pipelines/deals')
      .reply(429, fixture('rate-limit-daily.json'), { 'X-HubSpot-RateLimit-Daily-Remaining': '0' });
    const c = connector();
    const error = await failure(c.pullStages());
    expect(error.code).toBe('CRM.QUOTA_EXCEEDED');
    expect(error.retryable).toBe(false);
    expect(c.usage()).toMatchObject({ calls: 1, rateLimited: 1 });
  });

  it('the DAILY policy is recognised from the body alone (the SDK error model drops policyName; we keep it)', async () => {
    nock(BASE_URL)
      .get('/crm/v3/pipelines/deals')
      .reply(429, { ...fixture('rate-limit-daily.json'), message: 'Limit reached.' });
    const error = await failure(connector().pullStages());
    expect(error.code).toBe('CRM.QUOTA_EXCEEDED');
  });

  it('502 and a connection reset are retried; a 400 is not', async () => {
    nock(BASE_URL)
      .get('/crm/v3/pipelines/deals')
      .reply(502, 'Bad Gateway', { 'Content-Type': 'text/html' })
      .get('/crm/v3/pipelines/deals')
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
      .get('/crm/v3/pipelines/deals')
      .reply(200, pipelines());
    const c = connector();
    expect(await c.pullStages()).toHaveLength(6);
    expect(c.usage().calls).toBe(3);

    nock(BASE_URL).get('/crm/v3/pipelines/deals').reply(400, { status: 'error', message: 'bad', category: 'VALIDATION_ERROR' });
    const error = await failure(c.pullStages());
    expect(error.code).toBe('CRM.BAD_REQUEST');
    expect(c.usage().calls).toBe(4);
  });

  it("the SDK's own retries stay off even when another Client with retries is built later in the process", async () => {
    const c = connector({}, { retries: 0, minTimeoutMs: 1, maxTimeoutMs: 1, maxRetryAfterMs: 1 });
    // Decorators are process-wide in @hubspot/api-client: the last Client constructed wins.
    new Client({ accessToken: 'other', numberOfApiCallRetries: 6 });
    const scope = nock(BASE_URL)
      .get('/crm/v3/pipelines/deals')
      .times(3)
      .reply(500, { status: 'error', message: 'boom', category: 'INTERNAL_ERROR' });
    const error = await failure(c.pullStages());
    expect(error.code).toBe('CRM.TRANSIENT');
    expect(c.usage().calls).toBe(1);
    expect(scope.pendingMocks()).toHaveLength(1); // only one of the three replies was consumed
  });
});
