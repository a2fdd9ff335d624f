import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hubspotWebhookVerifier } from '../../../../connectors/hubspot/webhooks.js';
import type { SkippedWebhookEvent, WebhookRequest } from '../../../../connectors/types.js';
import { readFileSync } from 'node:fs';
import { settings } from './support.js';

const SECRET = 'client-secret';
const NOW = Date.parse('2026-11-26T12:00:00.000Z');
const verifier = hubspotWebhookVerifier(settings());

/**
 * Written from https://developers.hubspot.com/docs/api/webhooks/validating-requests, independently
 * of the connector: decode the listed escapes, HMAC-SHA256 over method + uri + body + timestamp, base64.
 */
function signV3(method: string, url: string, body: string, timestamp: number, secret = SECRET): string {
  const decoded = url
    .replaceAll('%3A', ':')
    .replaceAll('%2F', '/')
    .replaceAll('%3F', '?')
    .replaceAll('%40', '@')
    .replaceAll('%21', '!')
    .replaceAll('%24', '$')
    .replaceAll('%27', "'")
    .replaceAll('%28', '(')
    .replaceAll('%29', ')')
    .replaceAll('%2A', '*')
    .replaceAll('%2C', ',')
    .replaceAll('%3B', ';');
  return createHmac('sha256', secret).update(`${method}${decoded}${body}${timestamp}`, 'utf8').digest('base64');
}

const events = [
  {
    eventId: 100,
    subscriptionId: 25,
    portalId: 33,
    appId: 1160452,
    occurredAt: 1764158400000,
    subscriptionType: 'deal.propertyChange',
    attemptNumber: 0,
    objectId: 123,
    propertyName: 'dealstage',
    propertyValue: 'contractsent',
    changeSource: 'CRM_UI',
    sourceId: 'userId:41629779',
  },
  {
    eventId: 101,
    subscriptionId: 26,
    portalId: 33,
    appId: 1160452,
    occurredAt: 1764158401000,
    subscriptionType: 'deal.creation',
    attemptNumber: 0,
    objectId: 124,
    changeSource: 'CRM_UI',
  },
  {
    eventId: 102,
    subscriptionId: 27,
    portalId: 33,
    appId: 1160452,
    occurredAt: 1764158402000,
    subscriptionType: 'deal.deletion',
    attemptNumber: 1,
    objectId: 125,
    changeSource: 'CRM_UI',
  },
  {
    eventId: 103,
    subscriptionId: 28,
    portalId: 33,
    appId: 1160452,
    occurredAt: 1764158403000,
    subscriptionType: 'deal.propertyChange',
    attemptNumber: 0,
    objectId: 126,
    propertyName: 'dealwatch_score',
    propertyValue: '42',
    changeSource: 'INTEGRATION',
    sourceId: '1160452',
  },
  {
    eventId: 104,
    subscriptionId: 29,
    portalId: 33,
    appId: 1160452,
    occurredAt: 1764158404000,
    subscriptionType: 'contact.creation',
    attemptNumber: 0,
    objectId: 900,
  },
];
const body = JSON.stringify(events);

function request(overrides: Partial<WebhookRequest> & { signature?: string; timestamp?: number } = {}): WebhookRequest {
  const url = overrides.url ?? 'https://dealwatch.example.com/webhooks/hubspot';
  const timestamp = overrides.timestamp ?? NOW - 1_000;
  const raw = overrides.rawBody ?? Buffer.from(body);
  return {
    method: 'POST',
    url,
    rawBody: raw,
    headers: {
      'content-type': 'application/json',
      'x-hubspot-signature-v3': overrides.signature ?? signV3('POST', url, raw.toString('utf8'), timestamp),
      'x-hubspot-request-timestamp': String(timestamp),
    },
  };
}

describe('HubSpot webhook signature v3', () => {
  it('accepts a valid signature', () => {
    expect(verifier.verify(request(), NOW)).toEqual({ ok: true });
  });

  it('refuses a signature made with another secret', () => {
    const timestamp = NOW - 1_000;
    const url = 'https://dealwatch.example.com/webhooks/hubspot';
    expect(verifier.verify(request({ signature: signV3('POST', url, body, timestamp, 'not-the-secret'), timestamp }), NOW)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('refuses a tampered body', () => {
    const good = request();
    const tampered = { ...good, rawBody: Buffer.from(body.replace('contractsent', 'closedwon')) };
    expect(verifier.verify(tampered, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a timestamp six minutes old even with a valid signature', () => {
    expect(verifier.verify(request({ timestamp: NOW - 6 * 60_000 }), NOW)).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it('verifies a URL with encoded characters the way HubSpot signs it', () => {
    const url = 'https://dealwatch.example.com/webhooks/hubspot?connection=hs%3Aeu%2C1&note=a%20b%40c';
    expect(verifier.verify(request({ url }), NOW)).toEqual({ ok: true });
    // Signed over the URL as sent (no decoding): accepted as well (a proxy or a simulator may do so).
    const timestamp = NOW - 1_000;
    const asSent = createHmac('sha256', SECRET).update(`POST${url}${body}${timestamp}`).digest('base64');
    expect(verifier.verify(request({ url, signature: asSent, timestamp }), NOW)).toEqual({ ok: true });
    // Signed for another URL (another query value): refused.
    const other = signV3('POST', url.replace('note=a', 'note=x'), body, timestamp);
    expect(verifier.verify(request({ url, signature: other, timestamp }), NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('reports a missing signature and a malformed timestamp', () => {
    expect(verifier.verify({ method: 'POST', url: 'https://x/y', rawBody: Buffer.from('[]'), headers: {} }, NOW)).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
    const r = request();
    r.headers['x-hubspot-request-timestamp'] = 'yesterday';
    expect(verifier.verify(r, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('HubSpot webhook signatures v1 and v2', () => {
  it('accepts v1 (sha256 hex of secret + body) and v2 (secret + method + uri + body)', () => {
    const url = 'https://dealwatch.example.com/webhooks/hubspot';
    const v1 = createHash('sha256').update(`${SECRET}${body}`).digest('hex');
    const v2 = createHash('sha256').update(`${SECRET}POST${url}${body}`).digest('hex');
    const base = { method: 'POST', url, rawBody: Buffer.from(body) };
    expect(verifier.verify({ ...base, headers: { 'x-hubspot-signature': v1, 'x-hubspot-signature-version': 'v1' } }, NOW)).toEqual({
      ok: true,
    });
    expect(verifier.verify({ ...base, headers: { 'X-HubSpot-Signature': v2, 'X-HubSpot-Signature-Version': 'v2' } }, NOW)).toEqual({
      ok: true,
    });
    expect(verifier.verify({ ...base, headers: { 'x-hubspot-signature': v1, 'x-hubspot-signature-version': 'v2' } }, NOW)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });
});

describe('HubSpot webhook parsing', () => {
  it('maps deal events to canonical events, skips other objects and marks our own writes', () => {
    const parsed = verifier.parse(request());
    expect(parsed.map((e) => [e.dealId, e.kind, e.stageId ?? null, e.selfInflicted])).toEqual([
      ['123', 'stage_change', 'contractsent', false],
      ['124', 'created', null, false],
      ['125', 'deleted', null, false],
      ['126', 'changed', null, true],
    ]);
    expect(parsed[0]).toMatchObject({ connectionId: 'hs-test', occurredAt: new Date(1764158400000).toISOString() });
    expect(new Set(parsed.map((e) => e.eventId)).size).toBe(4);
    // A redelivery (higher attemptNumber) of the same event keeps its event id.
    const again = verifier.parse(request({ rawBody: Buffer.from(JSON.stringify([{ ...events[0], attemptNumber: 3 }])) }));
    expect(again[0]?.eventId).toBe(parsed[0]?.eventId);
  });

  it('throws on a body that is not a JSON array of events', () => {
    expect(() => verifier.parse(request({ rawBody: Buffer.from('{"not":"an array"}') }))).toThrow();
    expect(() => verifier.parse(request({ rawBody: Buffer.from('not json') }))).toThrow();
  });
});

describe('generic (object.*) webhook events', () => {
  const generic = (
    JSON.parse(readFileSync(new URL('../../../fixtures/hubspot/webhook-generic-events.json', import.meta.url), 'utf8')) as {
      body: unknown[];
    }
  ).body;
  const raw = (events: unknown[]): WebhookRequest => ({
    method: 'POST',
    url: 'https://dealwatch.example.com/webhooks/hubspot',
    rawBody: Buffer.from(JSON.stringify(events)),
    headers: {},
  });

  it('reads deal events (objectTypeId 0-3) like their deal.* twins and reports every other event with a reason', () => {
    const skipped: SkippedWebhookEvent[] = [];
    const parsed = verifier.parse(raw(generic), (event) => skipped.push(event));
    expect(parsed.map((e) => [e.dealId, e.kind, e.selfInflicted])).toEqual([
      ['123', 'stage_change', false],
      ['124', 'created', false],
      ['125', 'deleted', false],
      // A merge refetches the surviving deal and the merged-away one (which then reads as gone).
      ['126', 'merged', false],
      ['127', 'merged', false],
      ['128', 'restored', false],
      // Our own score written back: parsed, and marked so it is not acted on.
      ['129', 'changed', true],
      ['130', 'changed', false],
    ]);
    expect(parsed[0]).toMatchObject({ stageId: 'contractsent', eventId: '3001:123:1764158400000' });
    expect(skipped).toEqual([
      { reason: 'other_object', understood: true, subscriptionType: 'object.propertyChange', objectTypeId: '0-1' },
      { reason: 'missing_object_type', understood: false, subscriptionType: 'object.propertyChange' },
    ]);
  });

  it('a legacy event of another object is understood and skipped; an unknown subscription type is not understood', () => {
    const skipped: SkippedWebhookEvent[] = [];
    const parsed = verifier.parse(
      raw([
        { eventId: 1, portalId: 33, occurredAt: 1764158400000, subscriptionType: 'contact.creation', objectId: 900 },
        { eventId: 2, portalId: 33, occurredAt: 1764158400000, subscriptionType: 'deal.somethingNew', objectId: 901 },
        { eventId: 3, portalId: 33, occurredAt: 1764158400000, subscriptionType: 'deal.propertyChange', propertyName: 'amount' },
      ]),
      (event) => skipped.push(event),
    );
    expect(parsed).toEqual([]);
    expect(skipped.map((s) => [s.reason, s.understood])).toEqual([
      ['other_object', true],
      ['unknown_subscription_type', false],
      ['missing_object_id', false],
    ]);
  });
});
