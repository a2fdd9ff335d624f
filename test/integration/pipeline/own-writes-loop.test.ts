/**
 * (both) dealwatch's own write-back echoes back as webhooks: HubSpot subscribed (generic format) to
 * the score and flags properties, and a Salesforce outbound message fired on every save (a workflow
 * rule "created, and every time it's edited") with LastModifiedById. Neither starts another
 * refetch-rescore-write cycle; a rep's stage change still does, exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionSettings } from '../../../src/domain/model/index.js';
import type { RunningServer } from '../../../src/server/server.js';
import { redisAvailable } from '../../support/services.js';
import { startHarness, type Harness } from './harness.js';
import { freePort, serveHarness } from './hubspot-webhooks.js';

const redisOk = await redisAvailable();
const TOKEN = 'outbound-token-0123456789';

interface EventResult {
  connectionId: string;
  dealId: string;
  refetched: boolean;
}

async function settle(h: Harness): Promise<EventResult[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    await h.sandbox.drainDeliveries();
    const c = (await h.queues.counts()).events;
    if ((c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) === 0) {
      await new Promise((r) => setTimeout(r, 300));
      await h.sandbox.drainDeliveries();
      const again = (await h.queues.counts()).events;
      if ((again.waiting ?? 0) + (again.active ?? 0) + (again.delayed ?? 0) === 0) break;
    }
    if (Date.now() > deadline) throw new Error(`events not handled in time: ${JSON.stringify(c)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const jobs = await h.queues.queue('events').getJobs(['completed', 'failed']);
  return jobs.map((j) => j.returnvalue as EventResult);
}

describe.skipIf(!redisOk)('our own writes echo back as webhooks (Redis queues)', () => {
  let h: Harness;
  let server: RunningServer;

  beforeAll(async () => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    h = await startHarness({
      store: 'embedded',
      queues: 'redis',
      deals: 40,
      sandbox: {
        webhookUrl: `${publicUrl}/webhooks/hubspot`,
        hubspotWebhooks: { format: 'generic', properties: ['dealstage', 'dealwatch_score', 'dealwatch_flags'] },
        outboundMessageUrl: `${publicUrl}/webhooks/salesforce/sf/${TOKEN}`,
        outboundMessageOn: 'every_edit',
        deliveryBatchDelayMs: 20,
      },
    });
    const sf = h.settings.findIndex((s) => s.id === 'sf');
    h.settings[sf] = { ...(h.settings[sf] as Extract<ConnectionSettings, { provider: 'salesforce' }>), outboundMessageToken: TOKEN };
    server = await serveHarness(h, port);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await h?.close();
  });

  it('the write-back of a full sync echoes back and is dropped on both providers; a rep stage change is handled once', async () => {
    for (const connection of ['hs', 'sf']) {
      const outcomes = await h.sync(connection, 'full');
      expect(outcomes.filter((o) => o.state === 'failed')).toEqual([]);
    }
    const written = h.sandbox.state.annotations.filter((a) => a.kind === 'field_update');
    expect(written.filter((a) => a.provider === 'hubspot').length).toBeGreaterThan(0);
    expect(written.filter((a) => a.provider === 'salesforce').length).toBeGreaterThan(0);

    const echoes = await settle(h);
    // Both CRMs did call back for our writes...
    expect(h.sandbox.state.deliveries.filter((d) => d.provider === 'hubspot').length).toBeGreaterThan(0);
    expect(echoes.filter((e) => e.connectionId === 'sf').length).toBeGreaterThan(0);
    // ...and nothing was refetched, rescored or written because of them.
    expect(echoes.filter((e) => e.refetched)).toEqual([]);
    expect(echoes.filter((e) => e.connectionId === 'hs')).toEqual([]);
    expect(h.sandbox.state.annotations.filter((a) => a.kind === 'field_update')).toHaveLength(written.length);

    // A rep moves a deal in Salesforce: one refetch; our write-back that follows echoes and stops there.
    const book = h.sandbox.state.salesforce;
    const deal = book.deals.find((d) => !d.deleted && !book.pipelines[d.pipeline]!.stages[d.stage]!.isClosed)!;
    h.sandbox.advance(60_000);
    h.sandbox.changeStage('salesforce', deal.id, 'Closed Lost');
    const after = await settle(h);
    const handled = after.filter((e) => e.connectionId === 'sf' && e.refetched);
    expect(handled.map((e) => e.dealId)).toEqual([deal.id]);
  }, 180_000);
});
