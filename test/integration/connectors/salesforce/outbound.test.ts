/**
 * Outbound Messages as the sandbox sends them (its own SOAP envelope, written from the docs), verified
 * and parsed by the connector, acknowledged with the connector's Ack body.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../../src/sandbox/index.js';
import { SalesforceConnection } from '../../../../src/domain/model/index.js';
import { salesforceWebhookVerifier, outboundAckBody, SOAP_CONTENT_TYPE } from '../../../../connectors/salesforce/webhooks.js';
import type { WebhookRequest } from '../../../../connectors/types.js';

const TOKEN = 'outbound-secret-1';
const received: WebhookRequest[] = [];
const server = createServer((req: IncomingMessage, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const [, , , connectionId, token] = (req.url ?? '').split('/');
    received.push({
      method: req.method ?? 'POST',
      url: req.url ?? '',
      headers: req.headers,
      rawBody: Buffer.concat(chunks),
      params: { connectionId: connectionId ?? '', token: token ?? '' },
    });
    res.writeHead(200, { 'content-type': SOAP_CONTENT_TYPE }).end(outboundAckBody());
  });
});
let sandbox: Sandbox;

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  sandbox = await startSandbox({
    deals: 50,
    seed: 5,
    outboundMessageUrl: `http://127.0.0.1:${port}/webhooks/salesforce/sfint/${TOKEN}`,
    deliveryBatchDelayMs: 10,
  });
});
afterAll(async () => {
  await sandbox?.close();
  await new Promise((r) => server.close(r));
});

describe('salesforce outbound messages from the sandbox', () => {
  it('verifies, parses to a stage change and is acknowledged', async () => {
    const deal = sandbox.state.salesforce.deals.find(
      (d) => !d.deleted && !sandbox.state.salesforce.pipelines[0]!.stages[d.stage]!.isClosed,
    )!;
    sandbox.changeStage('salesforce', deal.id, 'Closed Won');
    await sandbox.drainDeliveries();

    const settings = SalesforceConnection.parse({
      id: 'sfint',
      provider: 'salesforce',
      instanceUrl: sandbox.salesforce.instanceUrl,
      auth: { type: 'accessToken', accessToken: 'x' },
      organizationId: sandbox.salesforce.organizationId,
      outboundMessageToken: TOKEN,
    });
    const verifier = salesforceWebhookVerifier(settings);
    expect(received.length).toBeGreaterThan(0);
    const request = received[0]!;
    expect(verifier.verify(request, Date.now())).toEqual({ ok: true });
    const events = verifier.parse(request);
    expect(events).toContainEqual(
      expect.objectContaining({ connectionId: 'sfint', dealId: deal.id, kind: 'stage_change', stageId: 'Closed Won' }),
    );
    expect(sandbox.state.deliveries.filter((d) => d.provider === 'salesforce').every((d) => d.ok)).toBe(true);

    const otherOrg = salesforceWebhookVerifier({ ...settings, organizationId: '00D000000000001AAA' });
    expect(otherOrg.verify(request, Date.now())).toEqual({ ok: false, reason: 'wrong_org' });
  });
});
