/**
 * Stage changes made through the admin surface reach a receiver as HubSpot webhooks (verified with
 * an independent implementation of the documented v3 signature) and Salesforce outbound messages
 * (parsed with fast-xml-parser); failed deliveries are retried.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let receiver: Server;
let receiverUrl = '';
const received: Received[] = [];
/** Answers per request, in order; afterwards 200 with an Ack. */
const script: { status: number; body: string }[] = [];
/** A webhook target with escapes the v3 algorithm decodes (%3A, %2F, %40) and one it keeps (%20). */
const WEBHOOK_PATH = '/hubspot/webhooks?source=sandbox&a=b%3Ac&next=%2Fdeals%40home&q=x%20y';
const ACK =
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope ' +
  'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><notificationsResponse ' +
  'xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse>' +
  '</soapenv:Body></soapenv:Envelope>';

let sandbox: Sandbox;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = script.shift() ?? { status: 200, body: ACK };
      res.writeHead(answer.status, { 'content-type': 'text/xml' }).end(answer.body);
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  sandbox = await startSandbox({
    deals: 40,
    seed: 21,
    now: new Date('2026-11-26T12:00:00Z'),
    webhookUrl: `${receiverUrl}${WEBHOOK_PATH}`,
    outboundMessageUrl: `${receiverUrl}/salesforce/outbound`,
    deliveryRetry: { attempts: 3, minDelayMs: 20 },
    deliveryBatchDelayMs: 10,
  });
});
afterAll(async () => {
  await sandbox.close();
  await new Promise((r) => receiver.close(r));
});

/**
 * HubSpot's documented v3 check, written independently of the sandbox
 * (https://developers.hubspot.com/docs/apps/legacy-apps/authentication/validating-requests#validate-the-v3-request-signature):
 * uri = the full URL of the request as received, with %3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B
 * decoded; source = method + uri + raw body + timestamp; base64(HMAC-SHA256(client secret, UTF-8 source)).
 */
const DOC_DECODED: [string, string][] = [
  ['%3A', ':'],
  ['%2F', '/'],
  ['%3F', '?'],
  ['%40', '@'],
  ['%21', '!'],
  ['%24', '$'],
  ['%27', "'"],
  ['%28', '('],
  ['%29', ')'],
  ['%2A', '*'],
  ['%2C', ','],
  ['%3B', ';'],
];
function documentedUri(requestUrl: string): string {
  return DOC_DECODED.reduce((uri, [escape, char]) => uri.split(escape).join(char), requestUrl);
}
function verifyV3(secret: string, r: Received, uri = documentedUri(`${receiverUrl}${r.url}`)): boolean {
  const timestamp = String(r.headers['x-hubspot-request-timestamp']);
  const expected = createHmac('sha256', secret)
    .update(Buffer.from(`${r.method}${uri}${r.body}${timestamp}`, 'utf8'))
    .digest('base64');
  const got = Buffer.from(String(r.headers['x-hubspot-signature-v3']));
  return got.length === Buffer.byteLength(expected) && timingSafeEqual(got, Buffer.from(expected));
}

const openDeal = (provider: 'hubspot' | 'salesforce') => {
  const book = sandbox.state[provider];
  return book.deals.find((d) => !d.deleted && !book.pipelines[d.pipeline]!.stages[d.stage]!.isClosed && d.pipeline === 0)!;
};

describe('HubSpot webhooks', () => {
  it('POSTs a signed deal.propertyChange batch for a stage change, retrying a failed delivery', async () => {
    received.length = 0;
    script.push({ status: 500, body: 'boom' });
    const deal = openDeal('hubspot');
    sandbox.changeStage('hubspot', deal.id, 'contractsent');
    await sandbox.drainDeliveries();
    const hooks = received.filter((r) => r.url.startsWith('/hubspot/'));
    expect(hooks).toHaveLength(2);
    // the request arrives at the URL as configured, escapes intact
    expect(hooks.map((h) => [h.method, h.url])).toEqual([
      ['POST', WEBHOOK_PATH],
      ['POST', WEBHOOK_PATH],
    ]);
    for (const h of hooks) expect(verifyV3(sandbox.hubspot.webhookSecret, h)).toBe(true);
    expect(documentedUri(`${receiverUrl}${WEBHOOK_PATH}`)).toBe(
      `${receiverUrl}/hubspot/webhooks?source=sandbox&a=b:c&next=/deals@home&q=x%20y`,
    );
    // signed over the decoded URI, not the URL as sent, and with the app secret
    expect(verifyV3(sandbox.hubspot.webhookSecret, hooks[1]!, `${receiverUrl}${WEBHOOK_PATH}`)).toBe(false);
    expect(verifyV3('another secret', hooks[1]!)).toBe(false);
    // v1 (sent with CRM webhook subscriptions): hex sha256 of client secret + body
    expect(hooks[1]!.headers['x-hubspot-signature-version']).toBe('v1');
    expect(hooks[1]!.headers['x-hubspot-signature']).toBe(
      createHash('sha256')
        .update(sandbox.hubspot.webhookSecret + hooks[1]!.body)
        .digest('hex'),
    );
    const events = JSON.parse(hooks[1]!.body) as Record<string, unknown>[];
    expect(events).toEqual([
      expect.objectContaining({
        subscriptionType: 'deal.propertyChange',
        propertyName: 'dealstage',
        propertyValue: 'contractsent',
        objectId: Number(deal.id),
        portalId: sandbox.hubspot.portalId,
        appId: sandbox.hubspot.appId,
        attemptNumber: 1,
      }),
    ]);
    expect(JSON.parse(hooks[0]!.body)[0].attemptNumber).toBe(0);
    expect(Math.abs(Number(hooks[1]!.headers['x-hubspot-request-timestamp']) - Date.now())).toBeLessThan(60_000);
    expect(sandbox.state.deliveries.filter((d) => d.provider === 'hubspot').map((d) => [d.attempt, d.status, d.ok])).toEqual([
      [1, 500, false],
      [2, 200, true],
    ]);
  });

  it('sends deal.creation for a deal created on the admin surface', async () => {
    received.length = 0;
    const res = await fetch(`${sandbox.adminUrl}/hubspot/deals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Walk-in deal', amount: 5000 }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    await sandbox.drainDeliveries();
    const events = received.flatMap((r) => JSON.parse(r.body) as { subscriptionType: string; objectId: number }[]);
    expect(events.map((e) => [e.subscriptionType, e.objectId])).toEqual([['deal.creation', Number(id)]]);
    expect(sandbox.state.hubspot.deals.find((d) => d.id === id)).toMatchObject({ name: 'Walk-in deal', amount: 5000, stage: 0 });
  });

  it('sends deal.deletion for a deleted deal and nothing for non-stage writes', async () => {
    received.length = 0;
    const deal = openDeal('hubspot');
    sandbox.addActivity('hubspot', deal.id, { kind: 'call', direction: 'outbound' });
    sandbox.deleteDeal('hubspot', deal.id);
    await sandbox.drainDeliveries();
    const events = received
      .filter((r) => r.url.startsWith('/hubspot/'))
      .flatMap((r) => JSON.parse(r.body) as { subscriptionType: string; objectId: number }[]);
    expect(events.map((e) => [e.subscriptionType, e.objectId])).toEqual([['deal.deletion', Number(deal.id)]]);
  });
});

describe('Salesforce outbound messages', () => {
  it('POSTs a SOAP notification for a stage change and retries until it gets <Ack>true</Ack>', async () => {
    received.length = 0;
    script.push({
      status: 200,
      body:
        '<soapenv:Envelope><soapenv:Body><notificationsResponse><Ack>false</Ack></notificationsResponse>' +
        '</soapenv:Body></soapenv:Envelope>',
    });
    const deal = openDeal('salesforce');
    sandbox.changeStage('salesforce', deal.id, 'Negotiation/Review');
    await sandbox.drainDeliveries();
    const messages = received.filter((r) => r.url === '/salesforce/outbound');
    expect(messages).toHaveLength(2);
    expect(messages[0]!.headers['content-type']).toMatch(/text\/xml/);
    const parsed = new XMLParser({ removeNSPrefix: true, ignoreAttributes: true, parseTagValue: false }).parse(messages[1]!.body) as {
      Envelope: {
        Body: {
          notifications: {
            OrganizationId: string;
            ActionId: string;
            EnterpriseUrl: string;
            Notification: { Id: string; sObject: Record<string, string> };
          };
        };
      };
    };
    const n = parsed.Envelope.Body.notifications;
    expect(n.OrganizationId).toBe(sandbox.salesforce.organizationId);
    expect(n.ActionId).toMatch(/^04k/);
    expect(n.EnterpriseUrl).toContain(sandbox.salesforce.instanceUrl);
    expect(n.Notification.Id).toMatch(/^04l/);
    expect(n.Notification.sObject).toMatchObject({ Id: deal.id, StageName: 'Negotiation/Review', IsClosed: 'false' });
    expect(sandbox.state.deliveries.filter((d) => d.provider === 'salesforce').map((d) => d.ok)).toEqual([false, true]);
  });
});
