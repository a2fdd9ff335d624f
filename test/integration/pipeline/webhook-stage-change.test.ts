/**
 * (both) A stage change arrives as a signed HubSpot webhook, delivered three times and out of
 * order with an older event whose refetch reads a stale copy of the deal (a lagging read): one
 * refetch per distinct event, the stale copy is not stored over the newer one, and the rep gets one
 * note per newly opened finding, written once.
 */
import type { Deal as SandboxDeal } from '../../../src/sandbox/generator/book.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/server.js';
import { redisAvailable } from '../../support/services.js';
import { startHarness, type Harness } from './harness.js';
import { freePort, hubspotEvent as event, postSigned, serveHarness, waitForIdleEvents } from './hubspot-webhooks.js';

const redisOk = await redisAvailable();
const SETUPS = [
  { name: 'Redis queues', queues: 'redis', ok: redisOk },
  { name: 'PostgreSQL-backend queues on PGlite', queues: 'pglite', ok: true },
] as const;

for (const setup of SETUPS) {
  describe.skipIf(!setup.ok)(`stage change by signed webhook (${setup.name})`, () => {
    let h: Harness;
    let server: RunningServer;
    let publicUrl: string;

    beforeAll(async () => {
      h = await startHarness({ store: 'embedded', queues: setup.queues, deals: 60 });
      const port = await freePort();
      publicUrl = `http://127.0.0.1:${port}`;
      server = await serveHarness(h, port);
      await h.sync('hs', 'full');
    }, 120_000);
    afterAll(async () => {
      await server?.close();
      await h?.close();
    });

    it('refetches once per distinct event, keeps the newest state and writes one note per new finding', async () => {
      const stages = (await h.store.stages.list('hs')).filter((s) => !s.isClosed);
      const deals = await h.store.deals.loadOpen('hs');
      // A deal two or more stages in, so it can move back (a regression is a new finding).
      const deal = deals.find((d) => (stages.find((s) => s.id === d.stageId)?.order ?? 0) >= 2 && !d.isClosed)!;
      const pipelineStages = stages.filter((s) => s.pipeline === deal.pipeline).sort((a, b) => a.order - b.order);
      const middle = pipelineStages[1]!;
      const first = pipelineStages[0]!;
      const openBefore = new Set((await h.store.findings.openForDeals('hs', [deal.externalId])).map((f) => f.ruleId));

      h.sandbox.resetLog();
      const notesBefore = h.sandbox.state.annotations.filter((a) => a.dealId === deal.externalId && a.kind === 'note').length;
      h.sandbox.advance(60_000);
      h.sandbox.changeStage('hubspot', deal.externalId, middle.id);
      const olderAt = h.sandbox.now();
      const olderState = { ...sandboxDeal(h, deal.externalId) };
      h.sandbox.advance(60_000);
      h.sandbox.changeStage('hubspot', deal.externalId, first.id);
      const newerAt = h.sandbox.now();

      const newer = event(h, deal.externalId, 9002, newerAt, first.id);
      const older = event(h, deal.externalId, 9001, olderAt, middle.id);
      for (const body of [newer, newer, newer]) {
        const res = await postSigned(
          `${publicUrl}/webhooks/hubspot`,
          JSON.stringify([body]),
          h.sandbox.hubspot.webhookSecret,
          h.sandbox.now(),
        );
        expect(res).toBeLessThan(300);
      }
      await waitForIdleEvents(h, 1);
      // The older event arrives last and its refetch reads the deal as it was at that event (HubSpot's
      // reads may lag a write), so only the staleness check keeps the newer stage stored.
      await servingStale(h, deal.externalId, olderState, async () => {
        const res = await postSigned(
          `${publicUrl}/webhooks/hubspot`,
          JSON.stringify([older]),
          h.sandbox.hubspot.webhookSecret,
          h.sandbox.now(),
        );
        expect(res).toBeLessThan(300);
        await waitForIdleEvents(h, 2);
      });

      const refetches = h.sandbox.state.calls.filter(
        (c) => c.provider === 'hubspot' && c.method === 'POST' && c.path.includes('/objects/deals/batch/read'),
      );
      expect(refetches).toHaveLength(2);
      expect((await h.store.deals.get('hs', deal.externalId))?.stageId).toBe(first.id);

      const opened = (await h.store.findings.openForDeals('hs', [deal.externalId])).filter((f) => !openBefore.has(f.ruleId));
      expect(opened.map((f) => f.ruleId)).toContain('stage_regressed');
      const notes = h.sandbox.state.annotations.filter((a) => a.dealId === deal.externalId && a.kind === 'note');
      expect(notes.length - notesBefore).toBe(opened.length);
      expect(opened.every((f) => f.writeStatus === 'written' && f.externalId !== null)).toBe(true);
    }, 60_000);
  });
}

function sandboxDeal(h: Harness, dealId: string): SandboxDeal {
  const found = h.sandbox.state.hubspot.deals.find((d) => String(d.id) === dealId);
  if (!found) throw new Error(`no sandbox deal ${dealId}`);
  return found;
}

/** Runs `body` while the sandbox answers reads of the deal with `stale`, then restores the deal. */
async function servingStale(h: Harness, dealId: string, stale: SandboxDeal, body: () => Promise<void>): Promise<void> {
  const live = sandboxDeal(h, dealId);
  const current = { ...live };
  Object.assign(live, stale);
  try {
    await body();
  } finally {
    Object.assign(live, current);
  }
}
