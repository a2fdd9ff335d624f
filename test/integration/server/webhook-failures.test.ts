/** When a backend fails, webhooks are not acknowledged (the provider retries) and dedupe claims are freed. */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisDeduper } from '../../../src/server/webhooks/redis-deduper.js';
import { redisAvailable } from '../../support/services.js';
import { buildTestApp, HUBSPOT_SECRET, PUBLIC_URL, SF_ORG, SF_TOKEN, type TestApp } from './support/app.js';
import { hubspotEvent, hubspotV3Headers, outboundMessage } from './support/signing.js';

const ok = await redisAvailable();

const NOW = new Date('2026-11-26T09:00:00.000Z');
const PATH = '/webhooks/hubspot';

describe.skipIf(!ok)('when the queue backend refuses', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ clock: () => NOW });
    // The queues' Redis connection is gone: every enqueue fails.
    await t.queues.close();
  });
  afterAll(async () => t?.close());

  const dedupeKeys = async () => (await t.redis.keys('*:dedupe:*')).filter((k) => k.startsWith(`${t.deps.options.redisKeyPrefix}`));

  it('Salesforce gets a SOAP fault, no Ack (it will retry), and the dedupe claim is released', async () => {
    const body = outboundMessage({
      organizationId: SF_ORG,
      notifications: [
        { id: '04l5g0000FAIL0001', opportunityId: '0065g00000FAIL01', stage: 'Prospecting', modstamp: '2026-11-26T08:00:00.000Z' },
      ],
    });
    const res = await t.app.inject({
      method: 'POST',
      url: `/webhooks/salesforce/sf-main/${SF_TOKEN}`,
      headers: { 'content-type': 'text/xml' },
      payload: body,
    });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('<faultcode>soapenv:Server</faultcode>');
    expect(res.body).not.toContain('<Ack>');
    expect(await dedupeKeys()).toEqual([]);
  });

  it('HubSpot gets 503 (it will retry) and the dedupe claim is released', async () => {
    const b = JSON.stringify([hubspotEvent()]);
    const headers = hubspotV3Headers({ secret: HUBSPOT_SECRET, decodedUri: PUBLIC_URL + PATH, body: b, timestampMs: NOW.getTime() });
    const res = await t.app.inject({ method: 'POST', url: PATH, headers, payload: b });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('QUEUE.UNAVAILABLE');
    expect(await dedupeKeys()).toEqual([]);
  });
});

describe.skipIf(!ok)('when the dedupe store does not answer', () => {
  let t: TestApp;
  // A real Redis client aimed at a port nobody listens on.
  const deadRedis = new Redis('redis://127.0.0.1:1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  deadRedis.on('error', () => undefined);
  beforeAll(async () => {
    t = await buildTestApp({ clock: () => NOW, dedupe: createRedisDeduper(deadRedis) });
  });
  afterAll(async () => {
    await t?.close();
    deadRedis.disconnect();
  });

  it('answers 503 (the provider retries) and queues nothing', async () => {
    const b = JSON.stringify([hubspotEvent()]);
    const headers = hubspotV3Headers({ secret: HUBSPOT_SECRET, decodedUri: PUBLIC_URL + PATH, body: b, timestampMs: NOW.getTime() });
    const res = await t.app.inject({ method: 'POST', url: PATH, headers, payload: b });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('QUEUE.UNAVAILABLE');
    expect(await t.totalJobs()).toBe(0);
  });
});
