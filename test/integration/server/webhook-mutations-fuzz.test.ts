/**
 * Valid webhook deliveries, mutated. HubSpot: legacy `deal.propertyChange` and generic
 * `object.propertyChange` (objectTypeId) deliveries, changed and then signed (the signature is
 * right, the content hostile: a 2xx or a 4xx, never a 5xx, and only events of the delivery get
 * queued), or signed and then mangled (never a single event queued). Salesforce: outbound messages
 * truncated, with entity expansion, wrong namespaces, deep nesting, huge counts, duplicated ids,
 * another org or token: a 4xx or the SOAP Ack, never a 5xx, quickly, and events only for what the
 * message really notifies.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzz, longFuzz } from '../../support/fuzz.js';
import { redisAvailable } from '../../support/services.js';
import { buildTestApp, HUBSPOT_SECRET, PUBLIC_URL, SF_ORG, SF_TOKEN, type TestApp } from './support/app.js';
import { hubspotV1Headers, hubspotV3Headers, outboundMessage } from './support/signing.js';
import { hostileString } from './support/openapi-requests.js';

const ok = await redisAvailable();
const PORTAL = 62_515;
const HUBSPOT_URL = `${PUBLIC_URL}/webhooks/hubspot`;
const TIME_BOUND_MS = longFuzz ? 10_000 : 5_000;

/** An event as HubSpot sends it, in the legacy or the generic format. */
const hubspotEvent = fc
  .record({
    format: fc.constantFrom('legacy', 'generic'),
    eventId: fc.integer({ min: 1, max: 2 ** 40 }),
    objectId: fc.integer({ min: 1, max: 2 ** 40 }),
    occurredAt: fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2027, 0, 1) }),
    propertyName: fc.constantFrom('dealstage', 'amount', 'closedate', 'hubspot_owner_id'),
    propertyValue: fc.constantFrom('contractsent', 'closedwon', '1000', ''),
  })
  .map((e) => ({
    eventId: e.eventId,
    subscriptionId: 4_123,
    portalId: PORTAL,
    appId: 1_160_452,
    occurredAt: e.occurredAt,
    subscriptionType: e.format === 'legacy' ? 'deal.propertyChange' : 'object.propertyChange',
    ...(e.format === 'generic' ? { objectTypeId: '0-3' } : {}),
    attemptNumber: 0,
    objectId: e.objectId,
    propertyName: e.propertyName,
    propertyValue: e.propertyValue,
    changeSource: 'CRM_UI',
  }));

type Json = Record<string, unknown>;

/** A change to one event's fields: wrong types, hostile values, missing or extra keys. */
const eventMutation: fc.Arbitrary<(event: Json) => Json> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(
        'portalId',
        'objectId',
        'occurredAt',
        'eventId',
        'subscriptionType',
        'objectTypeId',
        'propertyName',
        'propertyValue',
        'changeSource',
        'attemptNumber',
      ),
      fc.oneof(
        hostileString.map((s): unknown => s),
        fc.constantFrom<unknown>(
          null,
          true,
          [],
          {},
          -1,
          0,
          1e308,
          -1e308,
          2 ** 53 + 1,
          Number.MAX_SAFE_INTEGER,
          '0-3',
          '0-1',
          '2-1234',
          'deal.creation',
          'object.creation',
          'object.propertyChange',
          'deal.propertyChange',
        ),
        fc.integer().map((n): unknown => n),
        fc.double().map((n): unknown => (Number.isFinite(n) ? n : 0)),
      ),
    )
    .map(([key, value]) => (event: Json) => ({ ...event, [key]: value })),
  fc.constantFrom('portalId', 'objectId', 'occurredAt', 'eventId', 'subscriptionType', 'objectTypeId').map((key) => (event: Json) => {
    const copy = { ...event };
    delete copy[key];
    return copy;
  }),
  fc
    .constantFrom('__proto__', 'constructor', 'prototype')
    .map((key) => (event: Json) => Object.fromEntries([...Object.entries(event), [key, { portalId: 1, polluted: true }]])),
);

/** A delivery mutated as a whole, then signed: counts, duplicates, nesting, types. */
const signedDelivery = fc
  .record({
    events: fc.array(hubspotEvent, { minLength: 1, maxLength: 5 }),
    mutations: fc.array(fc.tuple(fc.nat(), eventMutation), { maxLength: 3 }),
    shape: fc.constantFrom('as-is', 'duplicated', 'too-many', 'empty', 'object', 'nested', 'other-portal'),
  })
  .map(({ events, mutations, shape }) => {
    let list: Json[] = events.map((e) => ({ ...e }));
    for (const [index, mutate] of mutations) list[index % list.length] = mutate(list[index % list.length]!);
    switch (shape) {
      case 'duplicated':
        list = [...list, ...list, ...list];
        break;
      case 'too-many':
        list = Array.from({ length: 101 + (list.length % 50) }, (_, i) => list[i % list.length]!);
        break;
      case 'empty':
        return '[]';
      case 'object':
        return JSON.stringify(list[0]);
      case 'nested':
        return `${'['.repeat(5_000)}${JSON.stringify(list)}${']'.repeat(5_000)}`;
      case 'other-portal':
        list = list.map((e) => ({ ...e, portalId: 999 }));
        break;
      default:
        break;
    }
    return JSON.stringify(list);
  });

/** A signed delivery, then one change to the bytes or the headers that the signature must catch. */
const mangling = fc.oneof(
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, xor]) => ({ kind: 'flip', at, xor })),
  fc.nat().map((at) => ({ kind: 'truncate', at, xor: 0 })),
  fc
    .constantFrom('append', 'prepend-space', 'old-timestamp', 'future-timestamp', 'other-secret', 'v1-wrong', 'no-signature', 'other-url')
    .map((kind) => ({ kind, at: 0, xor: 0 })),
);

function countJobs(t: TestApp) {
  return t.queues.queue('events').count();
}

describe.skipIf(!ok)('webhook deliveries, mutated', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ options: { webhookRateLimit: { max: 1_000_000, timeWindowMs: 60_000 } } });
  });
  afterAll(async () => t?.close());

  it('HubSpot: a mutated delivery that is correctly signed gets a 2xx or a 4xx, never a 5xx, and queues only its own events', async () => {
    let acceptedSome = 0;
    await fuzz(
      'hubspot signed mutations',
      fc.asyncProperty(signedDelivery, fc.constantFrom('v3', 'v1'), async (body, version) => {
        const before = await countJobs(t);
        const headers =
          version === 'v3'
            ? hubspotV3Headers({ secret: HUBSPOT_SECRET, decodedUri: HUBSPOT_URL, body, timestampMs: Date.now() })
            : hubspotV1Headers(HUBSPOT_SECRET, body);
        const started = performance.now();
        const res = await t.app.inject({ method: 'POST', url: '/webhooks/hubspot', headers, payload: body });
        const where = `${body.slice(0, 300)} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
        expect(performance.now() - started, where).toBeLessThan(TIME_BOUND_MS);
        expect(res.statusCode, where).toBeLessThan(500);
        const queued = (await countJobs(t)) - before;
        if (res.statusCode >= 400) {
          expect(queued, where).toBe(0);
          expect(res.json().error.code, where).toMatch(/^(WEBHOOK|REQUEST)\./);
          return;
        }
        const answer = res.json() as { accepted: number; duplicates: number; ignored: number };
        expect(queued, where).toBe(answer.accepted);
        const delivered = JSON.parse(body) as Json[];
        expect(answer.accepted + answer.duplicates + answer.ignored, where).toBeLessThanOrEqual(delivered.length);
        if (answer.accepted > 0) acceptedSome += 1;
      }),
      60,
    );
    // the generator does reach the queue: valid-enough deliveries were accepted
    expect(acceptedSome).toBeGreaterThan(0);
  });

  it('HubSpot: a signed delivery changed after signing never queues anything', async () => {
    await fuzz(
      'hubspot mangled after signing',
      fc.asyncProperty(fc.array(hubspotEvent, { minLength: 1, maxLength: 5 }), mangling, async (events, m) => {
        const before = await countJobs(t);
        const original = JSON.stringify(events);
        let body = original;
        let headers = hubspotV3Headers({ secret: HUBSPOT_SECRET, decodedUri: HUBSPOT_URL, body, timestampMs: Date.now() });
        switch (m.kind) {
          case 'flip': {
            const bytes = Buffer.from(body);
            const at = m.at % bytes.length;
            bytes[at] = bytes[at]! ^ m.xor;
            body = bytes.toString('latin1');
            break;
          }
          case 'truncate':
            body = body.slice(0, m.at % body.length);
            break;
          case 'append':
            body = `${body} `;
            break;
          case 'prepend-space':
            body = ` ${body}`;
            break;
          case 'old-timestamp':
            headers = hubspotV3Headers({ secret: HUBSPOT_SECRET, decodedUri: HUBSPOT_URL, body, timestampMs: Date.now() - 10 * 60_000 });
            break;
          case 'future-timestamp':
            headers = hubspotV3Headers({ secret: HUBSPOT_SECRET, decodedUri: HUBSPOT_URL, body, timestampMs: Date.now() + 10 * 60_000 });
            break;
          case 'other-secret':
            headers = hubspotV3Headers({ secret: `${HUBSPOT_SECRET}x`, decodedUri: HUBSPOT_URL, body, timestampMs: Date.now() });
            break;
          case 'v1-wrong':
            headers = hubspotV1Headers(`${HUBSPOT_SECRET}x`, body);
            break;
          case 'no-signature':
            headers = { 'content-type': 'application/json' };
            break;
          case 'other-url':
            headers = hubspotV3Headers({
              secret: HUBSPOT_SECRET,
              decodedUri: `${PUBLIC_URL}/webhooks/hubspot2`,
              body,
              timestampMs: Date.now(),
            });
            break;
          default:
            break;
        }
        fc.pre(body !== original || !['flip', 'truncate', 'append', 'prepend-space'].includes(m.kind));
        const res = await t.app.inject({ method: 'POST', url: '/webhooks/hubspot', headers, payload: body });
        const where = `${m.kind} ${body.slice(0, 200)} -> ${res.statusCode} ${res.body.slice(0, 200)}`;
        expect(res.statusCode, where).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, where).toBeLessThan(500);
        expect(await countJobs(t), where).toBe(before);
      }),
      60,
    );
  });

  const opportunityId = fc.stringMatching(/^006[A-Za-z0-9]{12}$/);
  const notification = fc.record({
    id: fc.stringMatching(/^04l[A-Za-z0-9]{12}$/),
    opportunityId,
    stage: fc.constantFrom('Prospecting', 'Closed Won', 'R&amp;D', ''),
    modstamp: fc.constantFrom('2026-11-26T10:00:00.000Z', ''),
  });

  /** Outbound messages changed in the ways a hostile or broken sender would. */
  const outbound = fc
    .record({
      notifications: fc.array(notification, { minLength: 1, maxLength: 4 }),
      shape: fc.constantFrom(
        'as-is',
        'truncated',
        'billion-laughs',
        'big-entity',
        'external-entity',
        'wrong-envelope-ns',
        'wrong-outbound-ns',
        'deep-nesting',
        'huge-count',
        'duplicated-ids',
        'other-org',
        'no-org',
        'not-opportunity',
        'cdata',
        'processing-instruction',
      ),
      cut: fc.nat(),
    })
    .map(({ notifications, shape, cut }) => {
      const valid = outboundMessage({ organizationId: SF_ORG, notifications });
      const withDoctype = (doctype: string, ref: string) =>
        valid
          .replace('<?xml version="1.0" encoding="UTF-8"?>', `<?xml version="1.0" encoding="UTF-8"?>${doctype}`)
          .replace(/<sf:StageName>[^<]*</g, `<sf:StageName>${ref}<`);
      switch (shape) {
        case 'truncated':
          return { shape, xml: valid.slice(0, cut % valid.length), notifications };
        case 'billion-laughs': {
          const levels = Array.from({ length: 10 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`).join('');
          return { shape, xml: withDoctype(`<!DOCTYPE lolz [<!ENTITY l0 "lol">${levels}]>`, '&l10;'), notifications };
        }
        case 'big-entity':
          return { shape, xml: withDoctype(`<!DOCTYPE x [<!ENTITY big "${'A'.repeat(9_000)}">]>`, '&big;'.repeat(100)), notifications };
        case 'external-entity':
          return { shape, xml: withDoctype('<!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>', '&ext;'), notifications };
        case 'wrong-envelope-ns':
          return {
            shape,
            xml: valid.replace('http://schemas.xmlsoap.org/soap/envelope/', 'http://www.w3.org/2003/05/soap-envelope'),
            notifications,
          };
        case 'wrong-outbound-ns':
          return { shape, xml: valid.replace('http://soap.sforce.com/2005/09/outbound', 'urn:evil'), notifications };
        case 'deep-nesting':
          return {
            shape,
            xml: valid.replace(/<sf:StageName>/, `${'<a>'.repeat(20_000)}${'</a>'.repeat(20_000)}<sf:StageName>`),
            notifications,
          };
        case 'huge-count': {
          const many = Array.from({ length: 2_000 }, (_, i) => ({ ...notifications[0]!, id: `04l${String(i).padStart(12, '0')}` }));
          return { shape, xml: outboundMessage({ organizationId: SF_ORG, notifications: many }), notifications: many };
        }
        case 'duplicated-ids': {
          const same = [...notifications, ...notifications, ...notifications];
          return { shape, xml: outboundMessage({ organizationId: SF_ORG, notifications: same }), notifications: same };
        }
        case 'other-org':
          return { shape, xml: outboundMessage({ organizationId: '00D000000000001AAA', notifications }), notifications };
        case 'no-org':
          return { shape, xml: valid.replace(/<OrganizationId>[^<]*<\/OrganizationId>/, ''), notifications };
        case 'not-opportunity':
          return { shape, xml: valid.replace(/<sf:Id>006/g, '<sf:Id>001'), notifications: [] };
        case 'cdata':
          return { shape, xml: valid.replace(/<sf:StageName>([^<]*)</g, '<sf:StageName><![CDATA[$1]]]]><![CDATA[>]]><'), notifications };
        case 'processing-instruction':
          return { shape, xml: valid.replace('<soapenv:Body>', '<?evil data?><soapenv:Body>'), notifications };
        default:
          return { shape, xml: valid, notifications };
      }
    });

  it('Salesforce: a mutated outbound message gets the Ack or a 4xx, never a 5xx, and queues only notified opportunities', async () => {
    const notified = new Set<string>();
    await fuzz(
      'salesforce outbound mutations',
      fc.asyncProperty(outbound, fc.constantFrom(SF_TOKEN, `${SF_TOKEN}x`), async ({ shape, xml, notifications }, token) => {
        const before = await countJobs(t);
        const started = performance.now();
        const res = await t.app.inject({
          method: 'POST',
          url: `/webhooks/salesforce/sf-main/${token}`,
          headers: { 'content-type': 'text/xml; charset=utf-8' },
          payload: xml,
        });
        const where = `${shape} (token ${token === SF_TOKEN ? 'right' : 'wrong'}) -> ${res.statusCode} ${res.body.slice(0, 300)}`;
        expect(performance.now() - started, where).toBeLessThan(TIME_BOUND_MS);
        expect(res.statusCode, where).toBeLessThan(500);
        expect(res.body, where).not.toMatch(/root:|\/etc\/passwd|lollol/);
        const queued = (await countJobs(t)) - before;
        if (res.statusCode >= 400) {
          expect(queued, where).toBe(0);
          expect(res.body, where).toContain('<faultcode>soapenv:Client</faultcode>');
          return;
        }
        expect(token, where).toBe(SF_TOKEN);
        expect(['truncated', 'other-org', 'no-org', 'billion-laughs', 'big-entity', 'external-entity'], where).not.toContain(shape);
        expect(res.statusCode, where).toBe(200);
        expect(res.body, where).toContain('<Ack>true</Ack>');
        expect(queued, where).toBeLessThanOrEqual(new Set(notifications.map((n) => n.id)).size);
        for (const n of notifications) notified.add(n.opportunityId);
      }),
      60,
    );
    // every event queued for the Salesforce connection is an opportunity a message with the right token notified
    const jobs = await t.queues.queue('events').getJobs(['waiting', 'delayed', 'prioritized', 'active', 'completed', 'failed']);
    const salesforceDeals = jobs.map((j) => j.data as { connectionId: string; dealId: string }).filter((d) => d.connectionId === 'sf-main');
    expect(salesforceDeals.length).toBeGreaterThan(0);
    for (const d of salesforceDeals) expect(notified.has(d.dealId), d.dealId).toBe(true);
  });
});
