/**
 * Scoring and the reports read the engine's input through one loader, with one set of windows
 * counted in the connection's days: the score job (through the queue, its worker) and the review
 * (`GET /api/v1/connections/:id/review` on the running server) agree on a deal's findings, here
 * just after midnight in Auckland, when the UTC day is still the day before.
 *
 * The case: a won deal closed exactly 731 Auckland days ago (730 UTC days ago) is out of the
 * benchmark window in the connection's days and in it in UTC days. It alone would teach the
 * stage's median (`stuck_in_stage.minSamples: 1`), under which the open deal is stuck; without
 * it the rule falls back to 60 days and the deal is not stuck. A loader that counted one side
 * in UTC would make the job and the review disagree on `stuck_in_stage`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StageChange } from '../../../src/domain/model/index.js';
import { postgresAvailable, redisAvailable } from '../../support/services.js';
import { startHarness, type Harness } from '../pipeline/harness.js';
import { deal, owner, stages } from '../store/builders.js';
import { freePort, serveHarness, type HarnessServer } from './support/harness-server.js';

const ok = (await redisAvailable()) && (await postgresAvailable());
const TOKEN = 'engine-input-token';
const CONN = 'hs';
/** 00:30 on 15 December in Auckland (NZDT, UTC+13); 14 December in UTC. */
const NOW = new Date('2026-12-14T11:30:00.000Z');

const change = (dealId: string, at: string, from: string | null, to: string): StageChange => ({
  connectionId: CONN,
  dealId,
  fromStageId: from,
  toStageId: to,
  at,
  amount: 1000,
  closeDate: null,
});

describe.skipIf(!ok)('the score job and the API review read the same input', () => {
  let h: Harness;
  let served: HarnessServer;
  let base: string;

  beforeAll(async () => {
    h = await startHarness({ store: 'postgres', queues: 'redis', deals: 1, writeback: 'off', sandbox: { now: NOW } });
    const settings = h.settings.find((c) => c.id === CONN)!;
    Object.assign(settings, { timezone: 'Pacific/Auckland', rules: { stuck_in_stage: { minSamples: 1, fallbackDays: 60 } } });
    const { store } = h;
    await store.owners.upsertMany(CONN, [owner(CONN, 'u1')]);
    await store.stages.replace(CONN, stages(CONN));
    await store.deals.upsertPage(CONN, [
      // Won 2024-12-14: 730 days before the UTC day, 731 before the Auckland day.
      deal(CONN, 'won-edge', {
        stageId: 'closedwon',
        isClosed: true,
        isWon: true,
        closeDate: '2024-12-14',
        createdAt: '2024-11-01T00:00:00.000Z',
        stageEnteredAt: '2024-12-14T00:00:00.000Z',
        modifiedAt: '2024-12-14T00:00:00.000Z',
      }),
      // Thirty days in qualification: stuck under the edge deal's 2-day median, not under the 60-day fallback.
      deal(CONN, 'open-1', {
        stageId: 'qualification',
        closeDate: '2027-02-15',
        createdAt: '2026-11-15T00:00:00.000Z',
        stageEnteredAt: '2026-11-15T00:00:00.000Z',
        modifiedAt: '2026-11-15T00:00:00.000Z',
      }),
    ]);
    await store.history.upsertStageChanges(CONN, [
      change('won-edge', '2024-11-01T00:00:00.000Z', null, 'qualification'),
      change('won-edge', '2024-11-03T00:00:00.000Z', 'qualification', 'proposal'),
      change('won-edge', '2024-12-14T00:00:00.000Z', 'proposal', 'closedwon'),
      change('open-1', '2026-11-15T00:00:00.000Z', null, 'qualification'),
    ]);
    const port = await freePort();
    served = await serveHarness(h, { port, token: TOKEN });
    base = served.server.url;
  }, 120_000);

  afterAll(async () => {
    await served?.close();
    await h?.close();
  });

  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = (await res.json()) as Record<string, any>;
    expect(res.status, JSON.stringify(body).slice(0, 300)).toBe(200);
    return body;
  };

  it('agrees on the deal findings at the day boundary', async () => {
    const job = await h.queues.enqueue('score', { connectionId: CONN, dealIds: ['open-1'], runId: 1, chunk: 0, refreshBenchmarks: true });
    const outcomes = await h.queues.waitForAll(job, { timeoutMs: 60_000 });
    expect(outcomes.map((o) => o.state)).toEqual(outcomes.map(() => 'completed'));

    const scored = await get(`/api/v1/connections/${CONN}/deals/open-1`);
    const fromJob = (scored.findings.open as { ruleId: string }[]).map((f) => f.ruleId).sort();
    const review = await get(`/api/v1/connections/${CONN}/review`);
    const fromReview = (review.findingsByRep as { ruleId: string; dealIds: string[] }[])
      .filter((g) => g.dealIds.includes('open-1'))
      .map((g) => g.ruleId)
      .sort();

    expect(review.timezone).toBe('Pacific/Auckland');
    expect(fromJob.length).toBeGreaterThan(0); // a deal with findings, so agreeing is not trivial
    expect(fromReview).toEqual(fromJob);
    expect(fromJob).not.toContain('stuck_in_stage');
  });
});
