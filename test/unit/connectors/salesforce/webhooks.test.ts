import { describe, expect, it } from 'vitest';
import { XMLValidator } from 'fast-xml-parser';
import { salesforceWebhookVerifier, outboundAckBody, soapFaultBody } from '../../../../connectors/salesforce/webhooks.js';
import type { WebhookRequest } from '../../../../connectors/types.js';
import { fixture, settings } from './helpers.js';

const xml = fixture<string>('outbound-message.xml');
const request = (body: string, token = 'tok-123456'): WebhookRequest => ({
  method: 'POST',
  url: `https://dealwatch.example/webhooks/salesforce/sf1/${token}`,
  headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
  rawBody: Buffer.from(body),
  params: { connectionId: 'sf1', token },
});
const verifier = salesforceWebhookVerifier(settings());
const now = Date.parse('2026-11-20T10:02:00Z');

describe('salesforce outbound messages', () => {
  it('accepts a message with the connection token and org id, and parses one event per notification', () => {
    expect(verifier.verify(request(xml), now)).toEqual({ ok: true });
    expect(verifier.parse(request(xml))).toEqual([
      {
        connectionId: 'sf1',
        eventId: '04lRO00000Ntf01YAA',
        dealId: '006RO00000Aa001YAA',
        kind: 'stage_change',
        stageId: 'Closed Won',
        occurredAt: '2026-11-20T10:00:00.000Z',
        selfInflicted: false,
      },
      {
        connectionId: 'sf1',
        eventId: '04lRO00000Ntf02YAA',
        dealId: '006RO00000Aa002YAA',
        kind: 'changed',
        occurredAt: '2026-11-20T10:01:00.000Z',
        selfInflicted: false,
      },
    ]);
  });

  it('accepts the 15-character form of the org id', () => {
    const v = salesforceWebhookVerifier(settings({ organizationId: '00DRO000000abcd' }));
    expect(v.verify(request(xml), now)).toEqual({ ok: true });
  });

  it('refuses another org', () => {
    expect(verifier.verify(request(xml.replace('00DRO000000abcdMAA', '00DRO000000zzzzMAA')), now)).toEqual({
      ok: false,
      reason: 'wrong_org',
    });
  });

  it('refuses a wrong or missing token before reading the body', () => {
    expect(verifier.verify(request(xml, 'tok-wrong'), now)).toEqual({ ok: false, reason: 'wrong_token' });
    expect(verifier.verify({ ...request(xml), params: {} }, now)).toEqual({ ok: false, reason: 'wrong_token' });
    expect(salesforceWebhookVerifier(settings({ outboundMessageToken: undefined })).verify(request(xml), now)).toEqual({
      ok: false,
      reason: 'wrong_token',
    });
  });

  it('refuses malformed XML and envelopes that are not notifications', () => {
    expect(verifier.verify(request('<soapenv:Envelope><notifications>'), now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifier.verify(request('{"not":"xml"}'), now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifier.verify(request('<a><b>1</b></a>'), now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifier.parse(request('<oops'))).toEqual([]);
  });

  it('builds the SOAP Ack and fault bodies', () => {
    const ack = outboundAckBody();
    expect(XMLValidator.validate(ack)).toBe(true);
    expect(ack).toContain('<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse>');
    const fault = soapFaultBody('wrong <org>');
    expect(XMLValidator.validate(fault)).toBe(true);
    expect(fault).toContain('<faultstring>wrong &lt;org&gt;</faultstring>');
  });
});
