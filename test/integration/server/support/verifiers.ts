/**
 * Webhook verifiers written in the test from the providers' documentation, used until the
 * connectors' own verifiers (connectors/<provider>/webhooks.ts) are wired through the registry.
 * HubSpot: https://developers.hubspot.com/docs/api/webhooks/validating-requests
 * Salesforce: https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_om_outboundmessaging_understanding.htm
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import type { WebhookEvent, WebhookRequest, WebhookVerifier } from '../../../../connectors/types.js';
import type { ConnectionSettings } from '../../../../src/domain/model/index.js';

const header = (request: WebhookRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const equal = (a: string, b: string) => {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
};

const DECODE = ['%3A', '%2F', '%3F', '%40', '%21', '%24', '%27', '%28', '%29', '%2A', '%2C', '%3B'];
function decodeHubSpotUri(uri: string): string {
  return uri.replace(/%[0-9A-F]{2}/gi, (m) => (DECODE.includes(m.toUpperCase()) ? decodeURIComponent(m) : m));
}

export function hubspotTestVerifier(settings: ConnectionSettings & { provider: 'hubspot' }): WebhookVerifier {
  const secret = settings.webhookSecret ?? '';
  return {
    verify(request, nowMs) {
      const body = request.rawBody.toString('utf8');
      const v3 = header(request, 'x-hubspot-signature-v3');
      if (v3 !== undefined) {
        const ts = header(request, 'x-hubspot-request-timestamp');
        if (ts === undefined) return { ok: false, reason: 'missing_signature' };
        if (!(nowMs - Number(ts) <= 300_000)) return { ok: false, reason: 'stale_timestamp' };
        const expected = createHmac('sha256', secret).update(`${request.method}${decodeHubSpotUri(request.url)}${body}${ts}`, 'utf8').digest('base64');
        return equal(expected, v3) ? { ok: true } : { ok: false, reason: 'bad_signature' };
      }
      const legacy = header(request, 'x-hubspot-signature');
      if (legacy === undefined) return { ok: false, reason: 'missing_signature' };
      const version = header(request, 'x-hubspot-signature-version') ?? 'v1';
      const source = version === 'v2' ? `${secret}${request.method}${request.url}${body}` : `${secret}${body}`;
      return equal(createHash('sha256').update(source, 'utf8').digest('hex'), legacy) ? { ok: true } : { ok: false, reason: 'bad_signature' };
    },
    parse(request) {
      const items = JSON.parse(request.rawBody.toString('utf8')) as Record<string, unknown>[];
      return items.map(
        (item): WebhookEvent => ({
          connectionId: settings.id,
          eventId: String(item.eventId),
          dealId: String(item.objectId),
          kind: item.propertyName === 'dealstage' ? 'stage_change' : 'changed',
          occurredAt: new Date(Number(item.occurredAt)).toISOString(),
          ...(item.propertyName === 'dealstage' ? { stageId: String(item.propertyValue) } : {}),
          selfInflicted: item.changeSource === 'INTEGRATION' && item.sourceId === 'dealwatch',
        }),
      );
    },
  };
}

const xml = new XMLParser({ removeNSPrefix: true, ignoreAttributes: true, isArray: (name) => name === 'Notification' });

export function salesforceTestVerifier(settings: ConnectionSettings & { provider: 'salesforce' }): WebhookVerifier {
  const read = (request: WebhookRequest) => {
    const doc = xml.parse(request.rawBody.toString('utf8')) as { Envelope?: { Body?: { notifications?: Record<string, unknown> } } };
    return doc.Envelope?.Body?.notifications;
  };
  return {
    verify(request) {
      if (!equal(request.params?.token ?? '', settings.outboundMessageToken ?? '')) return { ok: false, reason: 'wrong_token' };
      const notifications = read(request);
      if (notifications === undefined) return { ok: false, reason: 'malformed' };
      return String(notifications.OrganizationId) === settings.organizationId ? { ok: true } : { ok: false, reason: 'wrong_org' };
    },
    parse(request) {
      const notifications = read(request) ?? {};
      const list = (notifications.Notification ?? []) as { Id: string; sObject: Record<string, unknown> }[];
      return list.map((n) => ({
        connectionId: settings.id,
        eventId: String(n.Id),
        dealId: String(n.sObject.Id),
        kind: 'stage_change' as const,
        occurredAt: String(n.sObject.SystemModstamp ?? n.sObject.LastModifiedDate),
        ...(n.sObject.StageName === undefined ? {} : { stageId: String(n.sObject.StageName) }),
        selfInflicted: false,
      }));
    },
  };
}

export function testVerifierFor(settings: ConnectionSettings): WebhookVerifier {
  return settings.provider === 'hubspot' ? hubspotTestVerifier(settings) : salesforceTestVerifier(settings);
}
