/**
 * A bulk update on Salesforce: 15 opportunities each moved three times within a moment send their
 * Outbound Messages (the sandbox's SOAP deliveries) to the running server. Every change is handled,
 * each opportunity is stored at the stage Salesforce holds last, and the opportunities are refetched
 * in batches: the sandbox's request log shows `WHERE Id IN (...)` reads naming several of them, and
 * far fewer opportunity reads than opportunities (one deal at a time would read each of them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionSettings } from '../../../src/domain/model/index.js';
import { DEFAULT_CONCURRENCY } from '../../../src/queue/system.js';
import type { RunningServer } from '../../../src/server/server.js';
import { redisAvailable } from '../../support/services.js';
import { startHarness, type Harness } from './harness.js';
import { freePort, serveHarness } from './hubspot-webhooks.js';

const TOKEN = 'outbound-burst-token';
const DEALS = 15;
const MOVES = 3;
const queues = (await redisAvailable()) ? 'redis' : 'pglite';

/** The SOQL of the sandbox's logged Salesforce query calls. */
function queriesOf(h: Harness): string[] {
  return h.sandbox.state.calls
    .filter((c) => c.provider === 'salesforce' && c.method === 'GET' && /\/query(All)?\/?\?/.test(c.path))
    .map((c) => new URL(c.path, 'http://sandbox').searchParams.get('q') ?? '');
}

describe(`a burst of Salesforce outbound messages (${queues} queues)`, () => {
  let h: Harness;
  let server: RunningServer;

  beforeAll(async () => {
    const port = await freePort();
    h = await startHarness({
      store: 'embedded',
      queues,
      deals: 60,
      eventsConcurrency: DEFAULT_CONCURRENCY.events,
      sandbox: { outboundMessageUrl: `http://127.0.0.1:${port}/webhooks/salesforce/sf/${TOKEN}`, deliveryBatchDelayMs: 50 },
    });
    // The harness's Salesforce connection, with the token its Outbound Message URL carries.
    const at = h.settings.findIndex((s) => s.id === 'sf');
    h.settings[at] = { ...h.settings[at], outboundMessageToken: TOKEN } as ConnectionSettings;
    server = await serveHarness(h, port);
    await h.sync('sf', 'full');
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await h?.close();
  });

  it('handles every change, keeps the last stage and refetches the opportunities in batched reads', async () => {
    const stages = (await h.store.stages.list('sf')).filter((s) => !s.isClosed);
    const deals = (await h.store.deals.loadOpen('sf')).slice(0, DEALS);
    expect(deals).toHaveLength(DEALS);
    const completedBefore = (await h.queues.counts()).events.completed ?? 0;
    h.sandbox.resetLog();

    const last = new Map<string, string>();
    for (let move = 0; move < MOVES; move++) {
      for (const [i, deal] of deals.entries()) {
        const choices = stages.filter((s) => s.pipeline === deal.pipeline && s.id !== (last.get(deal.externalId) ?? deal.stageId));
        const next = choices[(i + move) % choices.length]!;
        h.sandbox.advance(1_000);
        h.sandbox.changeStage('salesforce', deal.externalId, next.id);
        last.set(deal.externalId, next.id);
      }
    }
    await h.sandbox.drainDeliveries();
    const deliveries = h.sandbox.state.deliveries.filter((d) => d.provider === 'salesforce');
    expect(deliveries.length).toBeGreaterThan(0);
    expect(deliveries.every((d) => d.ok)).toBe(true);

    // Every change handled: each opportunity stored at its last stage, no events job failed.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const c = (await h.queues.counts()).events;
      const stored = await h.store.deals.getMany('sf', [...last.keys()]);
      const settled =
        stored.every((d) => d.stageId === last.get(d.externalId)) && (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) === 0;
      if (settled && (c.completed ?? 0) > completedBefore) break;
      if (Date.now() > deadline) throw new Error(`events not handled in time: ${JSON.stringify(c)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await h.queues.counts()).events.failed ?? 0).toBe(0);
    for (const [dealId, stageId] of last) expect((await h.store.deals.get('sf', dealId))?.stageId, dealId).toBe(stageId);

    // Refetched in batches: Opportunity reads by id name several opportunities at once, and there
    // are far fewer of them than opportunities changed.
    const reads = queriesOf(h).filter((q) => /FROM Opportunity WHERE Id (=|IN)/.test(q));
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.length).toBeLessThan(DEALS);
    const idsPerRead = reads.map((q) => (q.match(/'[^']+'/g) ?? []).length);
    expect(Math.max(...idsPerRead)).toBeGreaterThan(1);
    // The activities and histories travel in the same batches: one query each per batch.
    for (const from of ['Task', 'Event', 'OpportunityHistory', 'OpportunityFieldHistory']) {
      expect(
        queriesOf(h).filter((q) => q.includes(`FROM ${from} WHERE`) && /(WhatId|OpportunityId) IN \(/.test(q)),
        from,
      ).toHaveLength(reads.length);
    }
  }, 180_000);
});
