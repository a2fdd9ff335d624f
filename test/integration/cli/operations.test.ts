/**
 * What an operator sees, through the real CLI against the sandbox: `dealwatch start` runs a sync
 * asked for over the API, `/metrics` then counts what happened (CRM answers, 429s included,
 * records, jobs and their timing, queue depth and age, annotations written and refused), and its
 * JSON log lines have one shape (documented `module` names, no duplicated keys, one `connection`).
 * Then the scale-out pair: `dealwatch worker` serves its own `/metrics` on DEALWATCH_METRICS_PORT,
 * both behind DEALWATCH_METRICS_TOKEN.
 * Both on PostgreSQL and Redis of their own (the production shape).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAMES } from '../../../src/queue/index.js';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { duplicatedKeys } from '../../support/json-keys.js';
import { parseExposition, type Exposition } from '../../support/prometheus-text.js';
import { postgresAvailable, redisAvailable } from '../../support/services.js';
import { sandboxConnections } from '../pipeline/harness.js';
import { isolatedServices, type IsolatedServices } from './isolated-services.js';
import { cleanEnv, ROOT, startCli, type RunningCli } from './run-cli.js';

const TOKEN = 'ops-test-token';
const METRICS_TOKEN = 'ops-test-scraper-token';
const QUEUES = ['sync', 'events', 'score', 'writeback'];

async function scrape(url: string, token?: string): Promise<Exposition> {
  const res = await fetch(`${url}/metrics`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parseExposition(await res.text());
}

/** Scrapes until `done` holds (the pipeline runs in another process). */
async function scrapeUntil(
  url: string,
  done: (m: Exposition) => boolean,
  what: string,
  token?: string,
  timeoutMs = 150_000,
): Promise<Exposition> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await scrape(url, token);
    if (done(m)) return m;
    if (Date.now() > deadline) {
      const shown = m.samples
        .filter((x) => !/_bucket$|^dealwatch_(process|nodejs|http)/.test(x.name))
        .map((x) => `${x.name}${JSON.stringify(x.labels)} ${x.value}`);
      throw new Error(`metrics never showed ${what}:\n${shown.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Nothing waits, runs or waits for a retry; the sync queue keeps one delayed job per nightly scheduler. */
const idle = (m: Exposition, schedulers: number) =>
  QUEUES.every((queue) =>
    ['waiting', 'active', 'prioritized', 'delayed'].every(
      (state) => m.sum('dealwatch_queue_jobs', { queue, state }) <= (queue === 'sync' && state === 'delayed' ? schedulers : 0),
    ),
  );

/** The `module` names the README's operations section lists ("carries its `module`, one of: ..."). */
function documentedModules(): Set<string> {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const list = /carries its `module`, one of:((?:\s*`[a-z.]+`,?)+)/.exec(readme)?.[1] ?? '';
  return new Set([...list.matchAll(/`([a-z.]+)`/g)].map((m) => m[1]!));
}

const servicesOk = (await postgresAvailable()) && (await redisAvailable());

describe.skipIf(!servicesOk)('dealwatch start: /metrics counts what happened, logs have one shape', () => {
  let services: IsolatedServices;
  let sandbox: Sandbox;
  let dir: string;
  let cli: RunningCli;
  let url: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ deals: 40, seed: 21, hubspotCustomProperties: ['dealwatch_score', 'dealwatch_flags'] });
    // Some HubSpot reads answer 429 (retried), and every note create fails until the test lifts it.
    sandbox.injectFaults([
      { kind: '429', rate: 0.2, provider: 'hubspot', method: 'GET' },
      { kind: '500', rate: 1, provider: 'hubspot', method: 'POST', pathIncludes: '/objects/notes/batch/create' },
    ]);
    services = await isolatedServices();
    dir = mkdtempSync(path.join(tmpdir(), 'dw-ops-start-'));
    writeFileSync(path.join(dir, 'dealwatch.json'), JSON.stringify({ connections: sandboxConnections(sandbox, 'on') }));
    cli = startCli(
      ['start'],
      cleanEnv({
        DEALWATCH_CONFIG: path.join(dir, 'dealwatch.json'),
        DATABASE_URL: services.databaseUrl,
        REDIS_URL: services.redisUrl,
        PORT: '0',
        DEALWATCH_API_TOKENS: TOKEN,
        LOG_LEVEL: 'info',
      }),
    );
    url = String((await cli.waitForLog('dealwatch started')).url);
  }, 150_000);

  afterAll(async () => {
    await cli?.stop('SIGKILL');
    await sandbox?.close();
    await services?.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts CRM answers, records, jobs, queues and annotations of a sync asked for over the API', { timeout: 300_000 }, async () => {
    for (const id of ['hs', 'sf']) {
      const res = await fetch(`${url}/api/v1/connections/${id}/sync`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ mode: 'full' }),
      });
      expect(res.status).toBe(202);
    }
    // Write-back to HubSpot fails while the fault holds: counted as failed, then retried.
    await scrapeUntil(
      url,
      (m) => m.sum('dealwatch_annotations_failed_total', { connection: 'hs', kind: 'note' }) > 0,
      'a refused HubSpot note',
    );
    sandbox.injectFaults([]);
    const m = await scrapeUntil(
      url,
      (x) =>
        x.sum('dealwatch_annotations_written_total', { connection: 'hs', kind: 'note' }) > 0 &&
        x.sum('dealwatch_jobs_finished_total', { queue: 'sync' }) === 2 &&
        idle(x, 2),
      'the pipeline done and idle',
    );

    // CRM answers: per status, exactly what the sandbox logged for HubSpot (its 429s included).
    const hubspotCalls = sandbox.state.calls.filter((c) => c.provider === 'hubspot');
    const byStatus = new Map<string, number>();
    for (const c of hubspotCalls) byStatus.set(String(c.status), (byStatus.get(String(c.status)) ?? 0) + 1);
    expect(byStatus.get('429')).toBeGreaterThan(0);
    for (const [status, n] of byStatus)
      expect(m.sum('dealwatch_crm_api_calls_total', { connection: 'hs', status }), `status ${status}`).toBe(n);
    expect(m.sum('dealwatch_crm_api_calls_total', { connection: 'hs' })).toBe(hubspotCalls.length);
    for (const s of m.select('dealwatch_crm_api_calls_total')) {
      expect(Object.keys(s.labels).sort()).toEqual(['connection', 'endpoint_class', 'provider', 'status']);
      expect(['auth', 'bulk', 'query', 'read', 'write']).toContain(s.labels.endpoint_class);
    }
    expect(m.sum('dealwatch_crm_api_calls_total', { connection: 'sf', provider: 'salesforce', status: '200' })).toBeGreaterThan(0);
    expect(m.sum('dealwatch_crm_api_calls_total', { connection: 'hs', endpoint_class: 'write', status: '500' })).toBeGreaterThan(0);

    // Records synced, by connection and kind: the whole book of each CRM.
    expect(m.sum('dealwatch_sync_records_total', { connection: 'hs', kind: 'deals' })).toBe(sandbox.state.hubspot.deals.length);
    expect(m.sum('dealwatch_sync_records_total', { connection: 'sf', kind: 'deals' })).toBe(sandbox.state.salesforce.deals.length);
    expect(m.sum('dealwatch_sync_records_total', { connection: 'hs', kind: 'activities' })).toBeGreaterThan(0);
    expect(m.sum('dealwatch_sync_run_duration_seconds_count', { connection: 'hs', provider: 'hubspot', mode: 'full', status: 'ok' })).toBe(
      1,
    );

    // Jobs finished by queue, with their wait and run times.
    for (const connection of ['hs', 'sf'])
      expect(m.sum('dealwatch_jobs_finished_total', { queue: 'sync', connection, outcome: 'completed' })).toBe(1);
    expect(m.sum('dealwatch_jobs_finished_total', { queue: 'score', outcome: 'completed' })).toBeGreaterThanOrEqual(2);
    expect(m.sum('dealwatch_jobs_finished_total', { queue: 'writeback', connection: 'hs', outcome: 'completed' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(m.sum('dealwatch_jobs_finished_total', { outcome: 'failed' })).toBe(0);
    expect(m.sum('dealwatch_job_wait_seconds_count', { queue: 'sync' })).toBe(2);
    expect(m.sum('dealwatch_job_run_seconds_count', { queue: 'writeback', outcome: 'retry' })).toBeGreaterThanOrEqual(1);
    expect(m.sum('dealwatch_job_run_seconds_count', { queue: 'sync', outcome: 'completed' })).toBe(2);
    expect(m.types.get('dealwatch_job_wait_seconds')).toBe('histogram');

    // Queue depth and the oldest waiting job, per queue: nothing waits now.
    for (const queue of QUEUES) {
      expect(m.select('dealwatch_queue_jobs', { queue, state: 'waiting' })).toHaveLength(1);
      expect(m.select('dealwatch_queue_oldest_waiting_seconds', { queue }).map((s) => s.value)).toEqual([0]);
    }

    // Annotations: what the CRM accepted equals what the sandbox holds, by connection and kind.
    const written = (provider: 'hubspot' | 'salesforce', kind: string) =>
      sandbox.state.annotations.filter((a) => a.provider === provider && a.kind === kind).length;
    expect(m.sum('dealwatch_annotations_written_total', { connection: 'hs', kind: 'note' })).toBe(written('hubspot', 'note'));
    expect(m.sum('dealwatch_annotations_written_total', { connection: 'sf', kind: 'task' })).toBe(written('salesforce', 'task'));
    expect(m.sum('dealwatch_annotations_written_total', { connection: 'hs', kind: 'field' })).toBeGreaterThan(0);
    expect(m.sum('dealwatch_annotations_failed_total', { connection: 'sf' })).toBe(0);

    // A refused webhook is counted by provider, outcome and reason.
    const hook = await fetch(`${url}/webhooks/hubspot`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
    expect(hook.status).toBeGreaterThanOrEqual(400);
    const after = await scrape(url);
    const rejected = after.select('dealwatch_webhook_events_total', { provider: 'hubspot', outcome: 'rejected' });
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected[0]!.labels.reason).toMatch(/^[a-z_]+$/);
  });

  it('writes JSON log lines with documented module names, no duplicated keys and one connection field', () => {
    const modules = documentedModules();
    expect(modules).toContain('connector.hubspot');
    const seen = new Set<string>();
    for (const line of cli.lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(duplicatedKeys(line), line).toEqual([]);
      expect(entry, line).not.toHaveProperty('connectionId');
      if (entry.module !== undefined) {
        expect(modules, `undocumented module in ${line}`).toContain(entry.module);
        seen.add(String(entry.module));
      }
    }
    // The connectors' lines (the 429 retries) name their provider's module and the connection once.
    const connectorLines = cli.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.module === 'connector.hubspot');
    expect(connectorLines.length).toBeGreaterThan(0);
    for (const e of connectorLines) expect(e.connection).toBe('hs');
    for (const m of ['http', 'sync', 'score', 'writeback']) expect(seen).toContain(m);
  });
});

describe.skipIf(!servicesOk)('dealwatch serve + dealwatch worker: each process serves what it counts', () => {
  let services: IsolatedServices;
  let sandbox: Sandbox;
  let dir: string;
  let worker: RunningCli;
  let server: RunningCli;
  let serveUrl: string;
  let workerUrl: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ deals: 30, seed: 5, hubspotCustomProperties: ['dealwatch_score', 'dealwatch_flags'] });
    services = await isolatedServices();
    dir = mkdtempSync(path.join(tmpdir(), 'dw-ops-pair-'));
    writeFileSync(path.join(dir, 'dealwatch.json'), JSON.stringify({ connections: sandboxConnections(sandbox, 'on') }));
    const env = cleanEnv({
      DEALWATCH_CONFIG: path.join(dir, 'dealwatch.json'),
      DATABASE_URL: services.databaseUrl,
      REDIS_URL: services.redisUrl,
      DEALWATCH_API_TOKENS: TOKEN,
      DEALWATCH_METRICS_TOKEN: METRICS_TOKEN,
      LOG_LEVEL: 'info',
    });
    worker = startCli(['worker'], { ...env, DEALWATCH_METRICS_PORT: '0' });
    workerUrl = String((await worker.waitForLog('dealwatch workers running')).metrics).replace(/\/metrics$/, '');
    server = startCli(['serve'], { ...env, PORT: '0' });
    serveUrl = String((await server.waitForLog('dealwatch server listening')).url);
  }, 150_000);

  afterAll(async () => {
    await server?.stop('SIGKILL');
    await worker?.stop('SIGKILL');
    await sandbox?.close();
    await services?.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it("counts the sync on the worker's listener and serves the shared queue gauges on both", { timeout: 200_000 }, async () => {
    expect(workerUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${workerUrl}/healthz`)).status).toBe(200);
    // DEALWATCH_METRICS_TOKEN: scrapers without it (or with another token) get 401 from both.
    for (const url of [workerUrl, serveUrl]) {
      for (const headers of [{}, { authorization: `Bearer ${TOKEN}` }]) {
        const refused = await fetch(`${url}/metrics`, { headers });
        expect(refused.status, url).toBe(401);
        expect(refused.headers.get('www-authenticate'), url).toMatch(/^Bearer /);
        expect(await refused.text()).not.toContain('dealwatch_');
      }
    }
    const res = await fetch(`${serveUrl}/api/v1/connections/hs/sync`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'full' }),
    });
    expect(res.status).toBe(202);
    const w = await scrapeUntil(
      workerUrl,
      (m) => m.sum('dealwatch_jobs_finished_total', { queue: 'writeback', connection: 'hs' }) >= 1 && idle(m, 2),
      'the sync done on the worker',
      METRICS_TOKEN,
    );
    const hubspotCalls = sandbox.state.calls.filter((c) => c.provider === 'hubspot').length;
    expect(w.sum('dealwatch_crm_api_calls_total', { connection: 'hs' })).toBe(hubspotCalls);
    expect(w.sum('dealwatch_sync_records_total', { connection: 'hs', kind: 'deals' })).toBe(sandbox.state.hubspot.deals.length);
    expect(w.sum('dealwatch_annotations_written_total', { connection: 'hs', kind: 'note' })).toBe(
      sandbox.state.annotations.filter((a) => a.kind === 'note').length,
    );
    expect(w.select('dealwatch_queue_oldest_waiting_seconds')).toHaveLength(QUEUE_NAMES.length);

    // The server ran no job: it counts none, but shows the queues and the run it reads from the database.
    const s = await scrape(serveUrl, METRICS_TOKEN);
    expect(s.select('dealwatch_crm_api_calls_total')).toEqual([]);
    expect(s.select('dealwatch_queue_jobs', { queue: 'sync', state: 'completed' }).map((x) => x.value)).toEqual([1]);
    expect(s.select('dealwatch_queue_oldest_waiting_seconds')).toHaveLength(QUEUE_NAMES.length);
    expect(s.sum('dealwatch_last_sync_records', { connection: 'hs', kind: 'deals' })).toBe(sandbox.state.hubspot.deals.length);
    expect(s.select('dealwatch_connection_paused', { connection: 'hs' }).map((x) => x.value)).toEqual([0]);
  });
});
