/**
 * Signatures computed from the providers' documented algorithms, independently of any verifier.
 * HubSpot v3: base64(HMAC-SHA256(clientSecret, method + uri + body + timestamp)), where uri is the
 * full URL with %3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B decoded.
 * https://developers.hubspot.com/docs/api/webhooks/validating-requests
 */
import { createHash, createHmac } from 'node:crypto';

const SOAP_NAMESPACES =
  'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" ' +
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

export function hubspotV3Headers(input: {
  secret: string;
  method?: string;
  decodedUri: string;
  body: string;
  timestampMs: number;
}): Record<string, string> {
  const signature = createHmac('sha256', input.secret)
    .update(`${input.method ?? 'POST'}${input.decodedUri}${input.body}${input.timestampMs}`, 'utf8')
    .digest('base64');
  return {
    'content-type': 'application/json',
    'x-hubspot-signature-v3': signature,
    'x-hubspot-request-timestamp': String(input.timestampMs),
  };
}

/** v1: hex sha256(clientSecret + body). */
export function hubspotV1Headers(secret: string, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-hubspot-signature': createHash('sha256')
      .update(secret + body, 'utf8')
      .digest('hex'),
    'x-hubspot-signature-version': 'v1',
  };
}

/** v2: hex sha256(clientSecret + method + uri + body). */
export function hubspotV2Headers(secret: string, uri: string, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-hubspot-signature': createHash('sha256').update(`${secret}POST${uri}${body}`, 'utf8').digest('hex'),
    'x-hubspot-signature-version': 'v2',
  };
}

let nextEventId = 1_000;

/** A deal.propertyChange event as HubSpot sends it (https://developers.hubspot.com/docs/api/webhooks#webhook-payloads). */
export function hubspotEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  nextEventId += 1;
  return {
    eventId: nextEventId,
    subscriptionId: 4_123,
    portalId: 62_515,
    appId: 1_160_452,
    occurredAt: 1_764_150_000_000 + nextEventId,
    subscriptionType: 'deal.propertyChange',
    attemptNumber: 0,
    objectId: 9_000 + nextEventId,
    propertyName: 'dealstage',
    propertyValue: 'contractsent',
    changeSource: 'CRM_UI',
    ...overrides,
  };
}

/**
 * An Outbound Message as Salesforce posts it (notifications with OrganizationId and Notification[]).
 * https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_om_outboundmessaging_wsdl.htm
 */
export function outboundMessage(input: {
  organizationId: string;
  notifications: { id: string; opportunityId: string; stage: string; modstamp: string }[];
}): string {
  const items = input.notifications
    .map(
      (n) => `
   <Notification>
    <Id>${n.id}</Id>
    <sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>${n.opportunityId}</sf:Id>
     <sf:StageName>${n.stage}</sf:StageName>
     <sf:SystemModstamp>${n.modstamp}</sf:SystemModstamp>
    </sObject>
   </Notification>`,
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope ${SOAP_NAMESPACES}>
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>${input.organizationId}</OrganizationId>
   <ActionId>04k5g000000XXXXAAA</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://example.my.salesforce.com/services/Soap/c/62.0/00D5g000004XXXX</EnterpriseUrl>
   <PartnerUrl>https://example.my.salesforce.com/services/Soap/u/62.0/00D5g000004XXXX</PartnerUrl>${items}
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>`;
}
