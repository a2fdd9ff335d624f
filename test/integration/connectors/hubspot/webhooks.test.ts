/**
 * Webhooks signed by the sandbox (as HubSpot signs them) verify and parse with the connector's
 * verifier; the same request with a different secret or an edited body does not.
 */
import { sandboxHubSpotConnection } from '../../../support/sandbox-connections.js';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubspotWebhookVerifier } from '../../../../connectors/hubspot/webhooks.js';
import type { WebhookRequest } from '../../../../connectors/types.js';
import { HubSpotConnection } from '../../../../src/domain/model/index.js';
import { type Sandbox, startSandbox } from '../../../../src/sandbox/index.js';

let sandbox: Sandbox;
let server: Server;
let publicUrl: string;
const received: WebhookRequest[] = [];

function read(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

beforeAll(async () => {
  server = createServer(async (request, response) => {
    const rawBody = await read(request);
    received.push({
      method: request.method ?? 'POST',
      url: `${publicUrl.split('/webhooks')[0]}${request.url ?? ''}`,
      headers: request.headers,
      rawBody,
    });
    response.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // A query with encoded characters, as a real public URL may carry.
  publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/hubspot?connection=hs%3Aint%2C1`;
  sandbox = await startSandbox({ deals: 60, seed: 5, rateLimit: false, webhookUrl: publicUrl, deliveryBatchDelayMs: 10 });
});

afterAll(async () => {
  await sandbox?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe('HubSpot webhooks from the sandbox', () => {
  it('verify with the app secret, parse into a stage change, and fail with another secret or a tampered body', async () => {
    const book = sandbox.state.hubspot;
    const deal = book.deals.find((d) => !d.deleted && !book.pipelines[d.pipeline]!.stages[d.stage]!.isClosed)!;
    const stages = book.pipelines[deal.pipeline]!.stages;
    const target = stages.find((s, i) => i !== deal.stage && !s.isClosed)!;
    sandbox.changeStage('hubspot', deal.id, target.id);
    await sandbox.drainDeliveries();
    expect(received.length).toBeGreaterThan(0);

    const settings = sandboxHubSpotConnection(sandbox.hubspot, 'hs-int');
    const verifier = hubspotWebhookVerifier(settings);
    const request = received[0]!;
    const now = Number(request.headers['x-hubspot-request-timestamp']) + 1_000;
    expect(verifier.verify(request, now)).toEqual({ ok: true });
    const events = verifier.parse(request);
    expect(events).toContainEqual(
      expect.objectContaining({ dealId: deal.id, kind: 'stage_change', stageId: target.id, selfInflicted: false }),
    );

    const wrongSecret = hubspotWebhookVerifier({ ...settings, webhookSecret: 'not-the-app-secret' });
    expect(wrongSecret.verify(request, now)).toEqual({ ok: false, reason: 'bad_signature' });
    const tampered = { ...request, rawBody: Buffer.from(request.rawBody.toString('utf8').replace(target.id, 'closedwon')) };
    expect(verifier.verify(tampered, now)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifier.verify(request, now + 6 * 60_000)).toEqual({ ok: false, reason: 'stale_timestamp' });
  });
});
