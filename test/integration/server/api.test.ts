/**
 * The manager API on a real store (PostgreSQL, unique schema) and real queues (Redis, unique
 * prefix). Every answer is validated against the OpenAPI document the server publishes.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/store/index.js';
import { POSTGRES_URL, postgresAvailable, redisAvailable, uniqueName } from '../../support/services.js';
import { createReviewService } from '../../../src/server/review-service.js';
import { API_TOKEN, buildTestApp, directoryOf, hubspotConnection, salesforceConnection, type TestApp } from './support/app.js';
import { openApiValidator } from './support/openapi.js';
import { seedStore, type Seeded } from './support/seed.js';

const ok = (await redisAvailable()) && (await postgresAvailable());
const auth = { authorization: `Bearer ${API_TOKEN}` };

describe.skipIf(!ok)('manager API /api/v1', () => {
  let t: TestApp;
  let store: Store;
  let seeded: Seeded;
  let validator: ReturnType<typeof openApiValidator>;
  const schema = uniqueName('dw_srv');
  const conn = hubspotConnection.id;

  beforeAll(async () => {
    store = await openStore({ databaseUrl: POSTGRES_URL, schema });
    seeded = await seedStore(store, conn, [hubspotConnection, salesforceConnection]);
    await store.snapshots.take(conn, '2026-11-19');
    await store.snapshots.take(conn, '2026-11-26');
    t = await buildTestApp({
      store,
      reviews: createReviewService({ store, connections: directoryOf([hubspotConnection, salesforceConnection]) }),
      clock: () => new Date('2026-11-26T09:00:00.000Z'),
    });
    await t.queues.reconcileSyncSchedulers([{ connectionId: conn, cron: '0 2 * * *', timezone: 'Europe/Paris' }]);
    const doc = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(doc.statusCode).toBe(200);
    validator = openApiValidator(doc.json());
  });
  afterAll(async () => {
    await t?.close();
    await store?.close();
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  const get = async (url: string, template: string, status = 200) => {
    const res = await t.app.inject({ method: 'GET', url, headers: auth });
    expect(res.statusCode, res.body).toBe(status);
    validator.assertResponse(template, 'GET', status, res.json());
    return res.json();
  };

  it('refuses requests without a token, with a wrong one and with a non-Bearer scheme (401)', async () => {
    const urls = [
      '/api/v1/connections',
      `/api/v1/connections/${conn}/deals`,
      `/api/v1/connections/${conn}/review`,
      '/api/v1/jobs/x',
      '/admin/queues',
    ];
    for (const url of urls) {
      for (const headers of [
        {},
        { authorization: 'Bearer wrong-token' },
        { authorization: `Token ${API_TOKEN}` },
        { authorization: `Bearer ${API_TOKEN}x` },
      ]) {
        const res = await t.app.inject({ method: 'GET', url, headers });
        expect(res.statusCode, `${url} ${JSON.stringify(headers)}`).toBe(401);
        if (url.startsWith('/api')) {
          expect(res.json().error.code).toBe('UNAUTHORIZED');
          validator.assertResponse('/api/v1/connections', 'GET', 401, res.json());
        }
      }
    }
    const before = await t.totalJobs();
    const post = await t.app.inject({ method: 'POST', url: `/api/v1/connections/${conn}/sync`, payload: { mode: 'full' } });
    expect(post.statusCode).toBe(401);
    expect(await t.totalJobs()).toBe(before);
  });

  it('GET /connections: status, last sync run, next scheduled run, paused reason', async () => {
    await store.connectionState.pause(salesforceConnection.id, 'auth revoked', '2026-11-25T10:00:00.000Z');
    const body = await get('/api/v1/connections', '/api/v1/connections');
    const hs = body.items.find((c: { id: string }) => c.id === conn);
    expect(hs).toMatchObject({ status: 'ok', pausedReason: null, lastSyncRun: { status: 'ok', mode: 'full', counts: { deals: 59 } } });
    expect(Date.parse(hs.nextScheduledRun)).toBeGreaterThan(Date.now() - 1000);
    const sf = body.items.find((c: { id: string }) => c.id === salesforceConnection.id);
    expect(sf).toMatchObject({ status: 'paused', pausedReason: 'auth revoked', lastSyncRun: null, nextScheduledRun: null });
  });

  it('GET /deals pages through every open deal exactly once (keyset)', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/v1/connections/${conn}/deals?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await get(url, '/api/v1/connections/{id}/deals');
      expect(page.items.length).toBeLessThanOrEqual(7);
      seen.push(...page.items.map((i: { deal: { externalId: string } }) => i.deal.externalId));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 100);
    expect(seen).toHaveLength(seeded.openDealIds.length);
    expect(new Set(seen)).toEqual(new Set(seeded.openDealIds));
  });

  it('GET /deals filters by band, rule, owner and stage', async () => {
    const byOwner = await get(`/api/v1/connections/${conn}/deals?owner=u1&limit=1000`, '/api/v1/connections/{id}/deals');
    expect(byOwner.items.length).toBeGreaterThan(0);
    expect(byOwner.items.every((i: { deal: { ownerId: string } }) => i.deal.ownerId === 'u1')).toBe(true);
    const byRule = await get(`/api/v1/connections/${conn}/deals?rule=stale_deal`, '/api/v1/connections/{id}/deals');
    expect(byRule.items.map((i: { deal: { externalId: string } }) => i.deal.externalId).sort()).toEqual(
      [seeded.richDealId, seeded.openDealIds[5]].sort(),
    );
    const critical = await get(`/api/v1/connections/${conn}/deals?band=critical&limit=1000`, '/api/v1/connections/{id}/deals');
    expect(critical.items.length).toBeGreaterThan(0);
    expect(critical.items.every((i: { score: { band: string } }) => i.score.band === 'critical')).toBe(true);
    const byStage = await get(`/api/v1/connections/${conn}/deals?stage=contractsent&limit=1000`, '/api/v1/connections/{id}/deals');
    expect(byStage.items.every((i: { deal: { stageId: string } }) => i.deal.stageId === 'contractsent')).toBe(true);
    const bad = await t.app.inject({ method: 'GET', url: `/api/v1/connections/${conn}/deals?band=purple`, headers: auth });
    expect(bad.statusCode).toBe(400);
  });

  it('GET /deals/:dealId: score with components and reasons, open and resolved findings, timeline, stage history', async () => {
    const body = await get(`/api/v1/connections/${conn}/deals/${seeded.richDealId}`, '/api/v1/connections/{id}/deals/{dealId}');
    expect(body.score.components.length).toBe(2);
    expect(body.score.reasons[0].text).toBe('No activity in 21 days');
    expect(body.findings.open.map((f: { ruleId: string }) => f.ruleId)).toEqual(['stale_deal']);
    expect(body.findings.resolved.map((f: { ruleId: string }) => f.ruleId)).toEqual(['missing_next_step']);
    expect(body.activities).toHaveLength(3);
    expect(body.stageHistory.map((s: { toStageId: string }) => s.toStageId)).toEqual(['appointmentscheduled', 'qualifiedtobuy']);
    expect(body.fieldHistory).toHaveLength(1);
    const missing = await t.app.inject({ method: 'GET', url: `/api/v1/connections/${conn}/deals/nope`, headers: auth });
    expect(missing.statusCode).toBe(404);
    validator.assertResponse('/api/v1/connections/{id}/deals/{dealId}', 'GET', 404, missing.json());
  });

  it("GET /review, /kpis, /forecast, /changes, /reps answer the engine's reports", async () => {
    const review = await get(`/api/v1/connections/${conn}/review`, '/api/v1/connections/{id}/review');
    expect(review).toMatchObject({ asOf: '2026-11-26', currency: 'USD' });
    expect(Array.isArray(review.newCritical)).toBe(true);
    expect(review.reps.length).toBeGreaterThan(0);
    const kpis = await get(`/api/v1/connections/${conn}/kpis?period=qtd&owner=u1`, '/api/v1/connections/{id}/kpis');
    expect(kpis.reps.map((r: { id: string }) => r.id)).toEqual(['u1']);
    const team = await get(`/api/v1/connections/${conn}/kpis?team=enterprise`, '/api/v1/connections/{id}/kpis');
    expect(team.reps.map((r: { id: string }) => r.id)).toEqual(['u2']);
    const forecast = await get(`/api/v1/connections/${conn}/forecast?period=quarter`, '/api/v1/connections/{id}/forecast');
    expect(forecast).toHaveProperty('expected');
    const changes = await get(`/api/v1/connections/${conn}/changes?from=2026-11-19&to=2026-11-26`, '/api/v1/connections/{id}/changes');
    expect(changes).toMatchObject({ fromDay: '2026-11-19', toDay: '2026-11-26' });
    const reps = await get(`/api/v1/connections/${conn}/reps`, '/api/v1/connections/{id}/reps');
    expect(reps.reps.length).toBe(3);
    const rollup = await get(`/api/v1/connections/${conn}/rollup`, '/api/v1/connections/{id}/rollup');
    expect(rollup.quarters.map((q: { period: { label: string } }) => q.period.label)).toEqual(['FY2026-Q4', 'FY2027-Q1']);
    const backtest = await get(`/api/v1/connections/${conn}/backtest?quarters=3`, '/api/v1/connections/{id}/backtest');
    expect(backtest.quarters).toEqual(['FY2026-Q3', 'FY2026-Q2', 'FY2026-Q1']);
    const tooMany = await t.app.inject({ method: 'GET', url: `/api/v1/connections/${conn}/backtest?quarters=40`, headers: auth });
    expect(tooMany.statusCode).toBe(400);
    const bad = await t.app.inject({ method: 'GET', url: `/api/v1/connections/${conn}/kpis?period=fortnight`, headers: auth });
    expect(bad.statusCode).toBe(400);
  });

  it('unknown connection: 404', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/connections/nope/deals', headers: auth });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
  });

  it('POST /sync answers 202 with a job id that GET /jobs/:id finds', async () => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/connections/${conn}/sync`, headers: auth, payload: { mode: 'full' } });
    expect(res.statusCode).toBe(202);
    validator.assertResponse('/api/v1/connections/{id}/sync', 'POST', 202, res.json());
    const job = await get(`/api/v1/jobs/${encodeURIComponent(res.json().jobId)}`, '/api/v1/jobs/{id}');
    expect(job).toMatchObject({ queue: 'sync', name: 'sync', state: expect.stringMatching(/waiting|delayed|prioritized/) });
    const bad = await t.app.inject({
      method: 'POST',
      url: `/api/v1/connections/${conn}/sync`,
      headers: auth,
      payload: { mode: 'sideways' },
    });
    expect(bad.statusCode).toBe(400);
    const none = await t.app.inject({ method: 'GET', url: '/api/v1/jobs/does-not-exist', headers: auth });
    expect(none.statusCode).toBe(404);
  });

  it('serves the OpenAPI document and the docs page', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    for (const path of [
      '/api/v1/connections',
      '/api/v1/connections/{id}/deals',
      '/api/v1/connections/{id}/review',
      '/api/v1/connections/{id}/rollup',
      '/api/v1/connections/{id}/backtest',
      '/webhooks/hubspot',
      '/healthz',
      '/readyz',
      '/metrics',
      '/review/{id}',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/admin'))).toBe(false);
    const page = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
  });

  it('serves Bull Board to a token holder (Basic with the token as password works for browsers)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/admin/queues', headers: auth });
    expect(res.statusCode).toBe(200);
    const basic = Buffer.from(`admin:${API_TOKEN}`).toString('base64');
    const api = await t.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: { authorization: `Basic ${basic}` } });
    expect(api.statusCode).toBe(200);
    expect(JSON.stringify(api.json())).toContain('events');
  });

  it('exposes the last sync run of each connection in /metrics, read from the store', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.body).toContain('dealwatch_last_sync_duration_seconds{connection="hs-main",provider="hubspot",mode="full",status="ok"} 180');
    expect(res.body).toContain('dealwatch_last_sync_records{connection="hs-main",kind="deals"} 59');
    expect(res.body).toContain('dealwatch_last_sync_api_calls{connection="hs-main",provider="hubspot"} 12');
    expect(res.body).toContain('dealwatch_last_sync_rate_limited{connection="hs-main",provider="hubspot"} 0');
    expect(res.body).toMatch(
      /dealwatch_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/connections\/:id\/deals",status="200"\} [1-9]/,
    );
  });

  it('serves the review as a web page to a token in Authorization (Basic too), else sends the browser to sign in', async () => {
    const basic = Buffer.from(`manager:${API_TOKEN}`).toString('base64');
    const page = await t.app.inject({ method: 'GET', url: `/review/${conn}`, headers: { authorization: `Basic ${basic}` } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain(`Morning review: ${conn}`);
    expect(page.body).toContain('Rep 1');
    const refused = await t.app.inject({ method: 'GET', url: `/review/${conn}` });
    expect(refused.statusCode).toBe(303);
    expect(refused.headers.location).toBe(`/login?next=${encodeURIComponent(`/review/${conn}`)}`);
  });

  it('sets security headers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-request-id']).toBeTruthy();
  });
});
