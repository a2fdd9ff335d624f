/** Per-source rate limits: webhooks per sender (forged forwarding headers do not help), the API per token. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable } from '../../support/services.js';
import { API_TOKEN, buildTestApp, HUBSPOT_SECRET, PUBLIC_URL, type TestApp } from './support/app.js';
import { hubspotEvent, hubspotV3Headers } from './support/signing.js';

const ok = await redisAvailable();

const NOW = new Date('2026-11-26T09:00:00.000Z');
const PATH = '/webhooks/hubspot';

describe.skipIf(!ok)('webhook rate limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ clock: () => NOW, options: { webhookRateLimit: { max: 2, timeWindowMs: 60_000 } } });
  });
  afterAll(async () => t?.close());

  it('answers 429 past the per-source limit and queues nothing for it; the API is not affected', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const b = JSON.stringify([hubspotEvent()]);
      const headers = hubspotV3Headers({ secret: HUBSPOT_SECRET, decodedUri: PUBLIC_URL + PATH, body: b, timestampMs: NOW.getTime() });
      statuses.push((await t.app.inject({ method: 'POST', url: PATH, headers, payload: b })).statusCode);
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(await t.totalJobs()).toBe(2);
    // Another sender keeps its own budget while the first is limited.
    const other: number[] = [];
    for (let i = 0; i < 3; i++) {
      const b = JSON.stringify([hubspotEvent()]);
      const headers = hubspotV3Headers({ secret: HUBSPOT_SECRET, decodedUri: PUBLIC_URL + PATH, body: b, timestampMs: NOW.getTime() });
      other.push((await t.app.inject({ method: 'POST', url: PATH, headers, payload: b, remoteAddress: '198.51.100.7' })).statusCode);
    }
    expect(other).toEqual([200, 200, 429]);
    expect(await t.totalJobs()).toBe(4);
    const api = await t.app.inject({ method: 'GET', url: '/api/v1/jobs/none', headers: { authorization: `Bearer ${API_TOKEN}` } });
    expect(api.statusCode).toBe(404);
  });
});

describe.skipIf(!ok)('webhook rate limit with an untrusted peer', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ clock: () => NOW, options: { trustProxy: false, webhookRateLimit: { max: 2, timeWindowMs: 60_000 } } });
  });
  afterAll(async () => t?.close());

  it('does not let a forged X-Forwarded-For open a new budget', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const b = JSON.stringify([hubspotEvent()]);
      const headers = {
        ...hubspotV3Headers({ secret: HUBSPOT_SECRET, decodedUri: PUBLIC_URL + PATH, body: b, timestampMs: NOW.getTime() }),
        'x-forwarded-for': `203.0.113.${i}`,
      };
      statuses.push((await t.app.inject({ method: 'POST', url: PATH, headers, payload: b })).statusCode);
    }
    expect(statuses).toEqual([200, 200, 429]);
  });
});

describe.skipIf(!ok)('manager API rate limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ options: { apiTokens: [API_TOKEN, 'second-token'], apiRateLimit: { max: 2, timeWindowMs: 60_000 } } });
  });
  afterAll(async () => t?.close());

  it('limits each token on its own', async () => {
    const call = (token: string) =>
      t.app.inject({ method: 'GET', url: '/api/v1/jobs/none', headers: { authorization: `Bearer ${token}` } });
    const first = [await call(API_TOKEN), await call(API_TOKEN), await call(API_TOKEN)];
    expect(first.map((r) => r.statusCode)).toEqual([404, 404, 429]);
    expect(first[2]!.json().error.code).toBe('REQUEST.RATE_LIMITED');
    expect((await call('second-token')).statusCode).toBe(404);
  });
});
