/**
 * Webhook ingestion on the real queue backend (BullMQ on Redis, unique prefix): signatures computed
 * here from the documented algorithms; every refused request must leave the queues untouched.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { redisAvailable } from '../../support/services.js';
import {
  buildTestApp,
  HUBSPOT_SECRET,
  hubspotConnection,
  PUBLIC_URL,
  salesforceConnection,
  SF_ORG,
  SF_TOKEN,
  type TestApp,
} from './support/app.js';
import { hubspotEvent, hubspotV1Headers, hubspotV2Headers, hubspotV3Headers, outboundMessage } from './support/signing.js';

const ok = await redisAvailable();

const NOW = new Date('2026-11-26T09:00:00.000Z');
const PATH = '/webhooks/hubspot';

describe.skipIf(!ok)('POST /webhooks/hubspot', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ clock: () => NOW });
  });
  afterAll(async () => t?.close());

  let before: number;
  beforeEach(async () => {
    before = await t.totalJobs();
  });
  const jobsAdded = async () => (await t.totalJobs()) - before;

  function signed(body: string, options: { secret?: string; timestampMs?: number; url?: string; decodedUri?: string } = {}) {
    const url = options.url ?? PATH;
    return hubspotV3Headers({
      secret: options.secret ?? HUBSPOT_SECRET,
      decodedUri: options.decodedUri ?? PUBLIC_URL + url,
      body,
      timestampMs: options.timestampMs ?? NOW.getTime(),
    });
  }

  it('accepts a v3-signed delivery and enqueues each event once', async () => {
    const events = [hubspotEvent(), hubspotEvent({ propertyName: 'amount', propertyValue: '1200' })];
    const body = JSON.stringify(events);
    const res = await t.app.inject({ method: 'POST', url: PATH, headers: signed(body), payload: body });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accepted: 2, duplicates: 0, ignored: 0 });
    const waiting = await t.queues.queue('events').getJobs(['waiting']);
    const dealIds = waiting.map((j) => (j.data as { dealId: string }).dealId);
    expect(dealIds).toEqual(expect.arrayContaining(events.map((e) => String(e.objectId))));
    expect(await jobsAdded()).toBe(2);
  });

  it('enqueues a redelivered event once (same event id), and a new id for the same deal and instant once', async () => {
    const event = hubspotEvent();
    const body = JSON.stringify([event]);
    const first = await t.app.inject({ method: 'POST', url: PATH, headers: signed(body), payload: body });
    const again = await t.app.inject({ method: 'POST', url: PATH, headers: signed(body), payload: body });
    const sameDealSameInstant = JSON.stringify([{ ...event, eventId: Number(event.eventId) + 5_000_000, attemptNumber: 1 }]);
    const third = await t.app.inject({ method: 'POST', url: PATH, headers: signed(sameDealSameInstant), payload: sameDealSameInstant });
    expect([first.statusCode, again.statusCode, third.statusCode]).toEqual([200, 200, 200]);
    expect(first.json()).toMatchObject({ accepted: 1 });
    expect(again.json()).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(third.json()).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(await jobsAdded()).toBe(1);
  });

  it('takes a full delivery of 100 events, counting repeats inside it once', async () => {
    const events = Array.from({ length: 98 }, () => hubspotEvent());
    const body = JSON.stringify([...events, events[0], { ...events[1], eventId: 1 }]);
    const res = await t.app.inject({ method: 'POST', url: PATH, headers: signed(body), payload: body });
    expect(res.json()).toEqual({ accepted: 98, duplicates: 2, ignored: 0 });
    expect(await jobsAdded()).toBe(98);
  });

  it("drops events of dealwatch's own writes", async () => {
    const body = JSON.stringify([hubspotEvent({ propertyName: 'dealwatch_score', propertyValue: '42', changeSource: 'INTEGRATION' })]);
    const res = await t.app.inject({ method: 'POST', url: PATH, headers: signed(body), payload: body });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accepted: 0, duplicates: 0, ignored: 1 });
    expect(await jobsAdded()).toBe(0);
  });

  it(
    'accepts the generic format (object.* with objectTypeId 0-3) like deal.*, and counts the events ' + 'it does not act on by reason',
    async () => {
      const fixture = JSON.parse(readFileSync(new URL('../../fixtures/hubspot/webhook-generic-events.json', import.meta.url), 'utf8')) as {
        body: Record<string, unknown>[];
      };
      // The documented events, re-addressed to this app's portal and made unique to this test.
      const events = fixture.body.map((e) => ({
        ...e,
        portalId: 62_515,
        eventId: Number(e.eventId) + 7_000_000,
        occurredAt: Number(e.occurredAt) + 7_000,
      }));
      const body = JSON.stringify(events);
      const res = await t.app.inject({ method: 'POST', url: PATH, headers: signed(body), payload: body });
      expect(res.statusCode).toBe(200);
      // 8 deal events (the merge twice: survivor and merged-away) of which our own score write is
      // ignored; the contact event and the event without an objectTypeId are ignored too.
      expect(res.json()).toEqual({ accepted: 7, duplicates: 0, ignored: 3 });
      const waiting = await t.queues.queue('events').getJobs(['waiting']);
      const dealIds = waiting.map((j) => (j.data as { dealId: string }).dealId);
      expect(dealIds).toEqual(expect.arrayContaining(['123', '124', '125', '126', '127', '128', '130']));
      expect(await jobsAdded()).toBe(7);
      const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/dealwatch_webhook_events_total\{provider="hubspot",outcome="ignored",reason="other_object"\} 1/);
      expect(metrics).toMatch(/dealwatch_webhook_events_total\{provider="hubspot",outcome="ignored",reason="missing_object_type"\} 1/);
    },
  );

  it('verifies against the public URL with its encoded characters decoded as HubSpot does', async () => {
    const body = JSON.stringify([hubspotEvent()]);
    const url = `${PATH}?source=crm%3Amain&next=%2Fdeals%3Fx%3D1&space=a%20b`;
    const decodedUri = `${PUBLIC_URL}${PATH}?source=crm:main&next=/deals?x%3D1&space=a%20b`;
    const res = await t.app.inject({ method: 'POST', url, headers: signed(body, { url, decodedUri }), payload: body });
    expect(res.statusCode).toBe(200);
    expect(await jobsAdded()).toBe(1);
  });

  it('accepts v1 and v2 signatures of private apps', async () => {
    const b1 = JSON.stringify([hubspotEvent()]);
    const b2 = JSON.stringify([hubspotEvent()]);
    const r1 = await t.app.inject({ method: 'POST', url: PATH, headers: hubspotV1Headers(HUBSPOT_SECRET, b1), payload: b1 });
    const r2 = await t.app.inject({
      method: 'POST',
      url: PATH,
      headers: hubspotV2Headers(HUBSPOT_SECRET, PUBLIC_URL + PATH, b2),
      payload: b2,
    });
    expect([r1.statusCode, r2.statusCode]).toEqual([200, 200]);
    expect(await jobsAdded()).toBe(2);
  });

  describe('refusals leave the queues untouched', () => {
    const body = () => JSON.stringify([hubspotEvent()]);

    it('wrong secret: 401', async () => {
      const b = body();
      const res = await t.app.inject({ method: 'POST', url: PATH, headers: signed(b, { secret: 'not-the-secret' }), payload: b });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('WEBHOOK.BAD_SIGNATURE');
      expect(await jobsAdded()).toBe(0);
    });

    it('tampered body: 401', async () => {
      const b = body();
      const tampered = b.replace('contractsent', 'closedwon');
      const res = await t.app.inject({ method: 'POST', url: PATH, headers: signed(b), payload: tampered });
      expect(res.statusCode).toBe(401);
      expect(await jobsAdded()).toBe(0);
    });

    it('timestamp 6 minutes old: 401 stale, even with a valid signature', async () => {
      const b = body();
      const res = await t.app.inject({
        method: 'POST',
        url: PATH,
        headers: signed(b, { timestampMs: NOW.getTime() - 6 * 60_000 }),
        payload: b,
      });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('WEBHOOK.STALE');
      expect(await jobsAdded()).toBe(0);
    });

    it('signed for another URL (the internal one instead of the public one): 401', async () => {
      const b = body();
      const res = await t.app.inject({
        method: 'POST',
        url: PATH,
        headers: signed(b, { decodedUri: `http://127.0.0.1:3000${PATH}` }),
        payload: b,
      });
      expect(res.statusCode).toBe(401);
      expect(await jobsAdded()).toBe(0);
    });

    it('no signature: 401', async () => {
      const b = body();
      const res = await t.app.inject({ method: 'POST', url: PATH, headers: { 'content-type': 'application/json' }, payload: b });
      expect(res.statusCode).toBe(401);
      expect(await jobsAdded()).toBe(0);
    });

    it('malformed JSON: 400', async () => {
      const b = '[{"portalId": 62515,';
      const res = await t.app.inject({ method: 'POST', url: PATH, headers: signed(b), payload: b });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('WEBHOOK.MALFORMED');
      expect(await jobsAdded()).toBe(0);
    });

    it('wrong shape: 400', async () => {
      const b = JSON.stringify({ portalId: 62515, objectId: 1 });
      const res = await t.app.inject({ method: 'POST', url: PATH, headers: signed(b), payload: b });
      expect(res.statusCode).toBe(400);
      expect(await jobsAdded()).toBe(0);
    });

    it('body over 1 MiB: 413', async () => {
      const big = JSON.stringify([hubspotEvent({ propertyValue: 'x'.repeat(1024 * 1024) })]);
      const res = await t.app.inject({ method: 'POST', url: PATH, headers: signed(big), payload: big });
      expect(res.statusCode).toBe(413);
      expect(await jobsAdded()).toBe(0);
    });

    it('unknown portal: 404', async () => {
      const b = JSON.stringify([hubspotEvent({ portalId: 1 })]);
      const res = await t.app.inject({ method: 'POST', url: PATH, headers: signed(b), payload: b });
      expect(res.statusCode).toBe(404);
      expect(await jobsAdded()).toBe(0);
    });
  });

  it('counts refusals by reason in /metrics', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/dealwatch_webhook_events_total\{provider="hubspot",outcome="rejected",reason="bad_signature"\} [1-9]/);
    expect(res.body).toMatch(/dealwatch_webhook_events_total\{provider="hubspot",outcome="rejected",reason="too_large"\} 1/);
    expect(res.body).toMatch(/dealwatch_webhook_events_total\{provider="hubspot",outcome="accepted",reason="none"\} [1-9]/);
    expect(res.body).toMatch(/dealwatch_queue_jobs\{queue="events",state="waiting"\} [1-9]/);
  });
});

describe.skipIf(!ok)('POST /webhooks/salesforce/:connectionId/:token', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ clock: () => NOW });
  });
  afterAll(async () => t?.close());

  let before: number;
  beforeEach(async () => {
    before = await t.totalJobs();
  });
  const jobsAdded = async () => (await t.totalJobs()) - before;
  const url = (token = SF_TOKEN, connection = 'sf-main') => `/webhooks/salesforce/${connection}/${token}`;
  const message = (org = SF_ORG, id = `04l5g00000${Math.random().toString(36).slice(2, 10)}`) =>
    outboundMessage({
      organizationId: org,
      notifications: [
        { id, opportunityId: `0065g00000${id.slice(-8)}`, stage: 'Negotiation/Review', modstamp: '2026-11-26T08:59:00.000Z' },
      ],
    });
  const post = (payload: string, path = url()) =>
    t.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'text/xml; charset=utf-8' }, payload });

  it('acknowledges a valid message once its events are queued', async () => {
    const res = await post(message());
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/xml/);
    expect(res.body).toContain(
      '<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse>',
    );
    expect(await jobsAdded()).toBe(1);
  });

  it('enqueues a redelivered message once', async () => {
    const m = message(SF_ORG, '04l5g00000dup00001');
    const [a, b] = [await post(m), await post(m)];
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect(b.body).toContain('<Ack>true</Ack>');
    expect(await jobsAdded()).toBe(1);
  });

  it('wrong OrganizationId: 401 SOAP fault, nothing queued', async () => {
    const res = await post(message('00D000000000000AAA'));
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('<faultcode>soapenv:Client</faultcode>');
    expect(res.body).not.toContain('<Ack>');
    expect(await jobsAdded()).toBe(0);
  });

  it('wrong token: 401 SOAP fault, nothing queued', async () => {
    const res = await post(message(), url('not-the-token'));
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('soapenv:Fault');
    expect(await jobsAdded()).toBe(0);
  });

  it('malformed XML: 400 SOAP fault, nothing queued', async () => {
    const res = await post('<soapenv:Envelope><soapenv:Body><notifications>');
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('soapenv:Fault');
    expect(await jobsAdded()).toBe(0);
  });

  it('no body at all: 400 SOAP fault, nothing queued', async () => {
    const res = await t.app.inject({ method: 'POST', url: url() });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('<faultcode>soapenv:Client</faultcode>');
    expect(await jobsAdded()).toBe(0);
  });

  it('body over 1 MiB: 413 SOAP fault, nothing queued', async () => {
    const res = await post(message().replace('Negotiation/Review', 'x'.repeat(1024 * 1024 + 10)));
    expect(res.statusCode).toBe(413);
    expect(res.body).toContain('soapenv:Fault');
    expect(await jobsAdded()).toBe(0);
  });

  it('unknown connection: 404 SOAP fault', async () => {
    const res = await post(message(), url(SF_TOKEN, 'nope'));
    expect(res.statusCode).toBe(404);
    expect(await jobsAdded()).toBe(0);
  });
});

describe.skipIf(!ok)('HubSpot deliveries spanning portals', () => {
  let t: TestApp;
  const second = { ...hubspotConnection, id: 'hs-emea', portalId: '777' };
  beforeAll(async () => {
    t = await buildTestApp({ clock: () => NOW, connections: [hubspotConnection, second, salesforceConnection] });
  });
  afterAll(async () => t?.close());

  const post = (events: Record<string, unknown>[]) => {
    const b = JSON.stringify(events);
    const headers = hubspotV3Headers({ secret: HUBSPOT_SECRET, decodedUri: PUBLIC_URL + PATH, body: b, timestampMs: NOW.getTime() });
    return t.app.inject({ method: 'POST', url: PATH, headers, payload: b });
  };

  it('routes each event to the connection of its portal', async () => {
    const a = hubspotEvent({ portalId: 62515 });
    const b = hubspotEvent({ portalId: 777 });
    const res = await post([a, b]);
    expect(res.json()).toEqual({ accepted: 2, duplicates: 0, ignored: 0 });
    const jobs = await t.queues.queue('events').getJobs(['waiting']);
    const byDeal = Object.fromEntries(
      jobs.map((j) => [(j.data as { dealId: string }).dealId, (j.data as { connectionId: string }).connectionId]),
    );
    expect(byDeal[String(a.objectId)]).toBe('hs-main');
    expect(byDeal[String(b.objectId)]).toBe('hs-emea');
  });

  it('ignores events of unknown portals next to known ones', async () => {
    const before = await t.totalJobs();
    const res = await post([hubspotEvent({ portalId: 62515 }), hubspotEvent({ portalId: 4242 })]);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accepted: 1, duplicates: 0, ignored: 1 });
    expect((await t.totalJobs()) - before).toBe(1);
  });
});

describe.skipIf(!ok)('public URL given with a trailing slash', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ clock: () => NOW, options: { publicUrl: `${PUBLIC_URL}/` } });
  });
  afterAll(async () => t?.close());

  it('still verifies signatures made for <public URL>/webhooks/hubspot', async () => {
    const b = JSON.stringify([hubspotEvent()]);
    const headers = hubspotV3Headers({ secret: HUBSPOT_SECRET, decodedUri: PUBLIC_URL + PATH, body: b, timestampMs: NOW.getTime() });
    const res = await t.app.inject({ method: 'POST', url: PATH, headers, payload: b });
    expect(res.statusCode).toBe(200);
  });
});
