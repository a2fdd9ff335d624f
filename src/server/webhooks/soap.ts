/** SOAP envelopes of Salesforce Outbound Messages: reading the request, writing Ack and faults. */
import { XMLBuilder, XMLValidator } from 'fast-xml-parser';

const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const OUTBOUND_NS = 'http://soap.sforce.com/2005/09/outbound';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });

function envelope(body: unknown): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' + builder.build({ 'soapenv:Envelope': { '@_xmlns:soapenv': SOAP_ENV, 'soapenv:Body': body } })
  );
}

/** True when the text is well-formed XML (the verifier and parser then read it). */
export function isWellFormedXml(text: string): boolean {
  return text.trim().length > 0 && XMLValidator.validate(text) === true;
}

/**
 * True when the text declares a DTD. Outbound messages never carry one, and a DTD is how XML
 * smuggles entity expansion (billion laughs) and external entities: such a body is refused unread.
 */
export function declaresDtd(text: string): boolean {
  return /<!DOCTYPE|<!ENTITY/i.test(text);
}

/**
 * The acknowledgement Salesforce waits for; anything else makes it retry the whole message.
 * @see https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_om_outboundmessaging_wsdl.htm
 */
export function soapAck(): string {
  return envelope({ notificationsResponse: { '@_xmlns': OUTBOUND_NS, Ack: true } });
}

/** A SOAP 1.1 fault: `Client` when the message is at fault, `Server` when we are. */
export function soapFault(kind: 'Client' | 'Server', message: string): string {
  return envelope({ 'soapenv:Fault': { faultcode: `soapenv:${kind}`, faultstring: message } });
}
