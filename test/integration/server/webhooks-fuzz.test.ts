/** Any body, any signature headers: the webhook routes answer 4xx, never 5xx, and queue nothing. */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzz } from '../../support/fuzz.js';
import { redisAvailable } from '../../support/services.js';
import { buildTestApp, SF_TOKEN, type TestApp } from './support/app.js';

const ok = await redisAvailable();

const eventLike = fc.record(
  {
    portalId: fc.oneof(fc.constant(62515), fc.integer(), fc.string()),
    objectId: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
    occurredAt: fc.oneof(fc.integer(), fc.string(), fc.double()),
    eventId: fc.oneof(fc.integer(), fc.string()),
    subscriptionType: fc.oneof(fc.constant('deal.propertyChange'), fc.string()),
    propertyName: fc.string(),
    propertyValue: fc.oneof(fc.string(), fc.integer()),
  },
  { requiredKeys: [] },
);

const body = fc.oneof(
  fc.string(),
  fc.json(),
  fc.array(eventLike, { maxLength: 120 }).map((a) => JSON.stringify(a)),
  fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b).toString('latin1')),
);
const headers = fc.record(
  {
    'content-type': fc.constantFrom('application/json', 'text/xml', 'text/plain', 'application/octet-stream'),
    'x-hubspot-signature-v3': fc.base64String({ maxLength: 64 }),
    'x-hubspot-request-timestamp': fc.oneof(fc.string(), fc.integer().map(String)),
    'x-hubspot-signature': fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 64 }),
    'x-hubspot-signature-version': fc.constantFrom('v1', 'v2', 'v3', 'x'),
  },
  { requiredKeys: ['content-type'] },
);

describe.skipIf(!ok)('webhook routes under arbitrary input', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ options: { webhookRateLimit: { max: 100_000, timeWindowMs: 60_000 } } });
  });
  afterAll(async () => t?.close());

  it('never fail with 5xx and never queue an unsigned event', async () => {
    await fuzz(
      'arbitrary webhook bodies and headers',
      fc.asyncProperty(
        body,
        headers,
        fc.constantFrom('/webhooks/hubspot', `/webhooks/salesforce/sf-main/${SF_TOKEN}`, '/webhooks/salesforce/sf-main/wrong'),
        async (payload, h, url) => {
          const res = await t.app.inject({ method: 'POST', url, headers: h, payload });
          expect(res.statusCode, `${url} ${res.body}`).toBeGreaterThanOrEqual(400);
          expect(res.statusCode, `${url} ${res.body}`).toBeLessThan(500);
        },
      ),
      300,
    );
    expect(await t.totalJobs()).toBe(0);
  });
});
