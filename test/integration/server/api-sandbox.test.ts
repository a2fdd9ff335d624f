/**
 * The manager API on a store filled by a real sync of the sandbox CRM (HubSpot surface, over
 * HTTP, through the real queues and processors), and the sandbox's own signed webhooks arriving
 * at the server on a socket and flowing through the events queue into the store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReviewService } from '../../../src/server/review-service.js';
import type { RunningServer } from '../../../src/server/server.js';
import { postgresAvailable, redisAvailable } from '../../support/services.js';
import { startHarness, type Harness } from '../pipeline/harness.js';
import { directoryOf } from './support/app.js';
import { freePort, serveHarness, type HarnessServer } from './support/harness-server.js';
import { openApiValidator } from './support/openapi.js';

const ok = (await redisAvailable()) && (await postgresAvailable());
const TOKEN = 'sandbox-api-token';
const auth = { authorization: `Bearer ${TOKEN}` };

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!ok)('manager API after a real sandbox sync', () => {
  let h: Harness;
  let server: RunningServer;
  let served: HarnessServer;
  let validator: ReturnType<typeof openApiValidator>;
  let syncJobId: string;
  const conn = 'hs';

  beforeAll(async () => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    h = await startHarness({ store: 'postgres', queues: 'redis', deals: 60, sandbox: { webhookUrl: `${publicUrl}/webhooks/hubspot` } });
    const outcomes = await h.sync(conn, 'full');
    expect(outcomes.filter((o) => o.state === 'failed')).toEqual([]);
    syncJobId = outcomes.find((o) => o.ref.queue === 'sync')!.ref.jobId;

    served = await serveHarness(h, { port, token: TOKEN });
    server = served.server;
    validator = openApiValidator((await (await fetch(`${server.url}/docs/json`)).json()) as Parameters<typeof openApiValidator>[0]);
  }, 180_000);

  afterAll(async () => {
    await served?.close();
    await h?.close();
  });

  const get = async (path: string, template: string) => {
    const res = await fetch(`${server.url}${path}`, { headers: auth });
    const body: unknown = await res.json();
    expect(res.status, JSON.stringify(body).slice(0, 300)).toBe(200);
    validator.assertResponse(template, 'GET', 200, body);
    return body as Record<string, any>;
  };

  it('is ready, and refuses the API without a token', async () => {
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const res = await fetch(`${server.url}/api/v1/connections`);
    expect(res.status).toBe(401);
    validator.assertResponse('/api/v1/connections', 'GET', 401, await res.json());
  });

  it('lists the connection with its successful sync run', async () => {
    const body = await get('/api/v1/connections', '/api/v1/connections');
    expect(body.items.find((c: { id: string }) => c.id === conn)).toMatchObject({ status: 'ok', lastSyncRun: { status: 'ok' } });
  });

  it('shows the finished sync job with its result', async () => {
    const job = await get(`/api/v1/jobs/${encodeURIComponent(syncJobId)}`, '/api/v1/jobs/{id}');
    expect(job).toMatchObject({ id: syncJobId, queue: 'sync', state: 'completed', result: { connectionId: conn, status: 'ok' } });
    expect(job.finishedAt).not.toBeNull();
  });

  it('pages through every synced open deal exactly once, each matching the schema', async () => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Record<string, any> = await get(
        `/api/v1/connections/${conn}/deals?limit=9${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        '/api/v1/connections/{id}/deals',
      );
      ids.push(...page.items.map((i: { deal: { externalId: string } }) => i.deal.externalId));
      cursor = page.nextCursor;
    } while (cursor !== null);
    const counts = await h.store.deals.count(conn);
    expect(ids.length).toBe(counts.open);
    expect(new Set(ids).size).toBe(ids.length);
    const all = await get(`/api/v1/connections/${conn}/deals?state=all&limit=1000`, '/api/v1/connections/{id}/deals');
    expect(all.items.length).toBe(counts.open + counts.closed);
  });

  it('explains a flagged deal: score components and reasons, findings, timeline, stage history', async () => {
    const [flagged] = await h.store.findings.list(conn, { status: 'open', limit: 1 });
    expect(flagged).toBeDefined();
    const body = await get(`/api/v1/connections/${conn}/deals/${flagged!.dealId}`, '/api/v1/connections/{id}/deals/{dealId}');
    expect(body.findings.open.length).toBeGreaterThan(0);
    if (body.deal.isClosed === false) {
      expect(body.score.components.length).toBeGreaterThan(0);
      expect(body.score.reasons.length).toBeGreaterThan(0);
    }
    expect(Array.isArray(body.activities)).toBe(true);
    expect(Array.isArray(body.stageHistory)).toBe(true);
  });

  it('answers every report endpoint within its schema', async () => {
    const review = await get(`/api/v1/connections/${conn}/review`, '/api/v1/connections/{id}/review');
    expect(review.reps.length).toBeGreaterThan(0);
    await get(`/api/v1/connections/${conn}/kpis`, '/api/v1/connections/{id}/kpis');
    await get(`/api/v1/connections/${conn}/forecast`, '/api/v1/connections/{id}/forecast');
    const changes = await get(`/api/v1/connections/${conn}/changes`, '/api/v1/connections/{id}/changes');
    expect(changes.source).toBe('history');
    const rollup = await get(`/api/v1/connections/${conn}/rollup`, '/api/v1/connections/{id}/rollup');
    expect(rollup.quarters).toHaveLength(2);
    const backtest = await get(`/api/v1/connections/${conn}/backtest?quarters=2`, '/api/v1/connections/{id}/backtest');
    expect(backtest.points).toHaveLength(4);
    await get(`/api/v1/connections/${conn}/reps`, '/api/v1/connections/{id}/reps');
  });

  it('answers every field the engine produces (the response schemas drop nothing)', async () => {
    const reviews = createReviewService({ store: h.store, connections: directoryOf(h.settings) });
    const now = new Date(h.sandbox.now());
    const direct = {
      review: await reviews.review(conn, now),
      kpis: await reviews.kpis(conn, {}, now),
      forecast: await reviews.forecast(conn, {}, now),
      changes: await reviews.changes(conn, {}, now),
      reps: await reviews.reps(conn, now),
      rollup: await reviews.rollup(conn, now),
      backtest: await reviews.backtest(conn, {}, now),
    };
    for (const [name, value] of Object.entries(direct)) {
      const res = await fetch(`${server.url}/api/v1/connections/${conn}/${name}`, { headers: auth });
      expect(await res.json(), name).toEqual(JSON.parse(JSON.stringify(value)));
    }
  });

  it("takes the sandbox's signed stage-change webhook and the pipeline applies it", async () => {
    const stages = (await h.store.stages.list(conn)).filter((s) => !s.isClosed);
    const deal = (await h.store.deals.loadOpen(conn)).find((d) => stages.some((s) => s.pipeline === d.pipeline && s.id !== d.stageId))!;
    const target = stages.find((s) => s.pipeline === deal.pipeline && s.id !== deal.stageId)!;
    const before = h.sandbox.state.deliveries.length;
    h.sandbox.changeStage('hubspot', deal.externalId, target.id);
    await h.sandbox.drainDeliveries();
    const attempts = h.sandbox.state.deliveries.slice(before);
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.every((a) => a.ok && a.status === 200)).toBe(true);
    const stored = await eventually(
      () => h.store.deals.get(conn, deal.externalId),
      (d) => d?.stageId === target.id,
    );
    expect(stored?.stageId).toBe(target.id);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/dealwatch_webhook_events_total\{provider="hubspot",outcome="accepted",reason="none"\} [1-9]/);
    expect(metrics).not.toMatch(/outcome="rejected"/);
  });
});
