import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { isWellFormedXml, soapAck, soapFault } from '../../../src/server/webhooks/soap.js';
import { redactUrl } from '../../../src/server/app.js';

const parser = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true });

describe('SOAP envelopes', () => {
  it('acknowledges in the outbound messaging namespace', () => {
    const xml = soapAck();
    expect(parser.parse(xml).Envelope.Body.notificationsResponse).toEqual({ Ack: true });
    expect(xml).toContain('<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse>');
    expect(xml).toContain('xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"');
  });

  it('escapes fault strings', () => {
    const xml = soapFault('Client', 'bad <input> & "quotes"');
    expect(isWellFormedXml(xml)).toBe(true);
    expect(parser.parse(xml).Envelope.Body.Fault).toMatchObject({ faultcode: 'soapenv:Client' });
    expect(xml).not.toContain('<input>');
  });

  it('tells well-formed XML from the rest', () => {
    expect(isWellFormedXml('<a><b>1</b></a>')).toBe(true);
    expect(isWellFormedXml('<a><b>1</a>')).toBe(false);
    expect(isWellFormedXml('')).toBe(false);
    expect(isWellFormedXml('{"json": true}')).toBe(false);
  });
});

describe('redactUrl', () => {
  it('hides the Salesforce token path segment and keeps the rest', () => {
    expect(redactUrl('/webhooks/salesforce/sf-main/s3cret?x=1')).toBe('/webhooks/salesforce/sf-main/[redacted]?x=1');
    expect(redactUrl('/api/v1/connections')).toBe('/api/v1/connections');
  });
});
