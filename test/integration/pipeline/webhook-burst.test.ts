/**
 * (both) A bulk update: 45 stage changes of 15 deals (three moves each) arrive in one signed HubSpot
 * delivery. Every event is handled, the events of one deal share a refresh (coalesced), each deal is
 * stored at the stage the CRM holds last, the deals are refetched in batch reads rather than one by
 * one, and each newly opened finding is written once: one note per finding, none twice, nothing
 * more when the provider delivers the whole batch again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/server.js';
import { DEFAULT_CONCURRENCY } from '../../../src/queue/system.js';
import { redisAvailable } from '../../support/services.js';
import { startHarness, type Harness } from './harness.js';
import { freePort, hubspotEvent, postSigned, serveHarness, waitForIdleEvents } from './hubspot-webhooks.js';

const redisOk = await redisAvailable();
const SETUPS = [
  { name: 'Redis queues', queues: 'redis', ok: redisOk },
  { name: 'PostgreSQL-backend queues on PGlite', queues: 'pglite', ok: true },
] as const;

const DEALS = 15;
const MOVES = 3;

for (const setup of SETUPS) {
  describe.skipIf(!setup.ok)(`a burst of stage changes (${setup.name})`, () => {
    let h: Harness;
    let server: RunningServer;
    let url: string;

    beforeAll(async () => {
      // The workers take as many events at once as an install's do.
      h = await startHarness({ store: 'embedded', queues: setup.queues, deals: 60, eventsConcurrency: DEFAULT_CONCURRENCY.events });
      const port = await freePort();
      url = `http://127.0.0.1:${port}/webhooks/hubspot`;
      server = await serveHarness(h, port);
      await h.sync('hs', 'full');
    }, 120_000);
    afterAll(async () => {
      await server?.close();
      await h?.close();
    });

    it("handles every event, coalesces each deal's, keeps the last stage and writes each new finding once", async () => {
      const stages = (await h.store.stages.list('hs')).filter((s) => !s.isClosed);
      const deals = (await h.store.deals.loadOpen('hs')).slice(0, DEALS);
      expect(deals).toHaveLength(DEALS);
      const notesBefore = new Set(h.sandbox.state.annotations.filter((a) => a.kind === 'note').map((a) => a.recordId));
      const completedBefore = (await h.queues.counts()).events.completed ?? 0;
      h.sandbox.resetLog();

      const events: ReturnType<typeof hubspotEvent>[] = [];
      const last = new Map<string, string>();
      for (let move = 0; move < MOVES; move++) {
        for (const [i, deal] of deals.entries()) {
          const choices = stages.filter((s) => s.pipeline === deal.pipeline && s.id !== (last.get(deal.externalId) ?? deal.stageId));
          const next = choices[(i + move) % choices.length]!;
          h.sandbox.advance(1_000);
          h.sandbox.changeStage('hubspot', deal.externalId, next.id);
          last.set(deal.externalId, next.id);
          events.push(hubspotEvent(h, deal.externalId, 50_000 + move * 1_000 + i, h.sandbox.now(), next.id));
        }
      }
      const body = JSON.stringify(events);
      const postedAt = Date.now();
      const ofBurst = (jobs: { timestamp: number }[]) => jobs.filter((j) => j.timestamp >= postedAt);
      expect(await postSigned(url, body, h.sandbox.hubspot.webhookSecret, h.sandbox.now())).toBeLessThan(300);
      await waitForIdleEvents(h, completedBefore + events.length, 120_000);

      // Every event was handled (none failed), and most shared their deal's refresh.
      const jobs = ofBurst(await h.queues.queue('events').getJobs(['completed'], 0, -1));
      expect(jobs).toHaveLength(DEALS * MOVES);
      expect((await h.queues.counts()).events.failed ?? 0).toBe(0);
      const coalesced = jobs.filter(
        (j) => ((j as { returnvalue?: { coalesced?: boolean } }).returnvalue?.coalesced ?? false) === true,
      ).length;
      expect(coalesced).toBeGreaterThan(0);
      // Nothing lost: each deal is stored at its last stage.
      for (const [dealId, stageId] of last) expect((await h.store.deals.get('hs', dealId))?.stageId, dealId).toBe(stageId);
      // Refetched in batches: far fewer deal reads than events (one per batch of up to 50 deals).
      const dealReads = h.sandbox.state.calls.filter(
        (c) => c.provider === 'hubspot' && c.method === 'POST' && c.path.includes('/objects/deals/batch/read'),
      );
      expect(dealReads.length).toBeLessThan(DEALS);

      // Exactly once: every open finding is written, the burst's new ones as notes, and no note was
      // written twice (the same text on the same deal).
      const open = await h.store.findings.openForDeals('hs', [...last.keys()]);
      expect(open.every((f) => f.writeStatus === 'written' && f.externalId !== null)).toBe(true);
      const newNotes = h.sandbox.state.annotations.filter((a) => a.kind === 'note' && !notesBefore.has(a.recordId));
      const newlyWritten = open.filter((f) => !notesBefore.has(f.externalId!)).map((f) => f.externalId);
      expect(newlyWritten.length).toBeGreaterThan(0);
      expect(newNotes.map((n) => n.recordId)).toEqual(expect.arrayContaining(newlyWritten));
      const texts = newNotes.map((n) => `${n.dealId} ${JSON.stringify(n.fields)}`);
      expect(new Set(texts).size).toBe(texts.length);

      // The provider delivers the whole batch again: duplicates, no new job, no new note.
      expect(await postSigned(url, body, h.sandbox.hubspot.webhookSecret, h.sandbox.now())).toBeLessThan(300);
      await waitForIdleEvents(h, completedBefore + events.length);
      expect(ofBurst(await h.queues.queue('events').getJobs(['completed'], 0, -1))).toHaveLength(DEALS * MOVES);
      expect(h.sandbox.state.annotations.filter((a) => a.kind === 'note' && !notesBefore.has(a.recordId))).toHaveLength(newNotes.length);
    }, 180_000);
  });
}
