/**
 * Salesforce Outbound Messages: a SOAP `notifications` envelope POSTed to
 * /webhooks/salesforce/:connectionId/:token. Salesforce does not sign them, so a request is accepted
 * only with the per-connection secret token in the URL and this connection's OrganizationId.
 * https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_om_outboundmessaging_understanding.htm
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { SalesforceConnection } from '../../src/domain/model/index.js';
import { sameSecret, sha256Hex } from '../shared/digest.js';
import type { VerifyResult, WebhookEvent, WebhookRequest, WebhookVerifier } from '../types.js';
import { OPPORTUNITY_ID_PREFIX, toIso } from './mappers.js';

const OUTBOUND_NS = 'http://soap.sforce.com/2005/09/outbound';

interface Notification {
  Id?: string;
  sObject?: Record<string, unknown>;
}
interface Notifications {
  OrganizationId?: string;
  ActionId?: string;
  Notification?: Notification[];
}

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  isArray: (_name, jpath) => jpath === 'Envelope.Body.notifications.Notification',
});

/** The `notifications` element, or null when the body is not a well-formed Outbound Message. */
export function parseNotifications(rawBody: Buffer): Notifications | null {
  const xml = rawBody.toString('utf8');
  if (XMLValidator.validate(xml) !== true) return null;
  const doc = parser.parse(xml) as { Envelope?: { Body?: { notifications?: Notifications } } };
  const notifications = doc.Envelope?.Body?.notifications;
  return notifications && typeof notifications === 'object' ? notifications : null;
}

/** 15- and 18-character ids name the same org: compare the case-sensitive 15-character prefix. */
const sameOrg = (a: string, b: string): boolean => a.length >= 15 && b.length >= 15 && a.slice(0, 15) === b.slice(0, 15);

export function salesforceWebhookVerifier(settings: SalesforceConnection): WebhookVerifier {
  return {
    verify(request: WebhookRequest): VerifyResult {
      const token = request.params?.token;
      if (!settings.outboundMessageToken || !token || !sameSecret(settings.outboundMessageToken, token))
        return { ok: false, reason: 'wrong_token' };
      const notifications = parseNotifications(request.rawBody);
      if (!notifications) return { ok: false, reason: 'malformed' };
      if (!settings.organizationId || !sameOrg(String(notifications.OrganizationId ?? ''), settings.organizationId))
        return { ok: false, reason: 'wrong_org' };
      return { ok: true };
    },
    parse(request: WebhookRequest): WebhookEvent[] {
      return toEvents(parseNotifications(request.rawBody), settings.id);
    },
  };
}

/**
 * One event per Opportunity notification. With StageName in the message (the documented setup: a
 * flow on stage change) it is a stage change; otherwise a generic change, refetched either way.
 * The notification Id is stable across Salesforce's redeliveries, so it is the event id.
 */
export function toEvents(notifications: Notifications | null, connectionId: string): WebhookEvent[] {
  const events: WebhookEvent[] = [];
  for (const n of notifications?.Notification ?? []) {
    const sObject = n.sObject ?? {};
    const dealId = typeof sObject.Id === 'string' ? sObject.Id : null;
    if (!dealId || !dealId.startsWith(OPPORTUNITY_ID_PREFIX)) continue;
    // `<sf:X xsi:nil="true"/>` parses to '': treat it as absent.
    const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
    const stamp = text(sObject.SystemModstamp) ?? text(sObject.LastModifiedDate);
    const stageId = text(sObject.StageName);
    const modifiedBy = text(sObject.LastModifiedById);
    events.push({
      connectionId,
      eventId: n.Id ?? sha256Hex(`${dealId}|${stamp ?? ''}`),
      dealId,
      kind: stageId ? 'stage_change' : 'changed',
      occurredAt: stamp ? toIso(stamp) : new Date().toISOString(),
      ...(stageId ? { stageId } : {}),
      // Whether LastModifiedById is the integration user needs the connection's user id, which the
      // events job asks the connector for (connector.isOwnWrite) before any refetch.
      selfInflicted: false,
      ...(modifiedBy ? { modifiedBy } : {}),
    });
  }
  return events;
}

const envelope = (body: string): string =>
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">' +
  `<soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;

/** The acknowledgement Salesforce waits for; without `<Ack>true</Ack>` it redelivers for 24 hours. */
export function outboundAckBody(): string {
  return envelope(`<notificationsResponse xmlns="${OUTBOUND_NS}"><Ack>true</Ack></notificationsResponse>`);
}

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** SOAP 1.1 fault for refused messages (sent with a 4xx/5xx status; Salesforce retries them). */
export function soapFaultBody(message: string, faultCode: 'soapenv:Client' | 'soapenv:Server' = 'soapenv:Client'): string {
  return envelope(`<soapenv:Fault><faultcode>${faultCode}</faultcode><faultstring>${escapeXml(message)}</faultstring></soapenv:Fault>`);
}

/** Content type of both bodies. */
export const SOAP_CONTENT_TYPE = 'text/xml; charset=utf-8';
