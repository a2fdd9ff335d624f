/**
 * `dealwatch demo [--json] [--keep]`: the whole product against the built-in CRM sandbox.
 * Starts the sandbox (HubSpot and Salesforce, seeded), writes a temporary config pointing at it
 * (write-back on), runs full syncs of both through the real queues (embedded database and queue
 * unless DATABASE_URL / REDIS_URL are set), scores, writes back, fires stage changes through signed
 * webhooks into the server, and prints the morning review and where the annotations went.
 */
import { redisTargetOf } from '../queue/redis.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Table from 'cli-table3';
import pg from 'pg';
import { pino } from 'pino';
import { openPipeline, type PipelineRuntime } from '../../jobs/runtime.js';
import { summarize, type SyncSummary } from '../../jobs/summary.js';
import { loadConfig, type Config } from '../config.js';
import type { MorningReview } from '../domain/engine.js';
import { DealwatchError } from '../domain/errors.js';
import { ConnectionSettings, type Stage } from '../domain/model/index.js';
import { createLogger, type Logger } from '../logger.js';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import { currentRecords } from '../sandbox/rep-view.js';
import { createReviewService } from '../server/review-service.js';
import { startServer, type RunningServer } from '../server/server.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { deliverDigest } from '../digest/deliver.js';
import { processMetrics } from '../metrics.js';
import { formatReview } from './report.js';
import { briefSyncProgress, readSyncProgress } from './sync-progress-view.js';
import { serverDepsFrom } from './http-server.js';
import { connectionDirectory, untilSignal } from './support.js';
import type { DemoOptions } from './types.js';
import { pagePaths } from '../server/pages/paths.js';

const CONNECTIONS = [
  { id: 'hs', provider: 'hubspot' as const, label: 'HubSpot' },
  { id: 'sf', provider: 'salesforce' as const, label: 'Salesforce' },
];
/** Stage changes fired through webhooks per provider. */
const STAGE_CHANGES = 2;

/** The demo's outcome (`--json` prints it). */
export interface DemoResult {
  backend: { database: 'embedded' | 'postgres'; queues: 'redis' | 'postgres' };
  deals: number;
  syncs: SyncSummary[];
  webhooks: {
    via: 'server' | 'queue';
    fired: { connection: string; dealId: string; fromStage: string; toStage: string; stageNow: string | null }[];
    handled: number;
  };
  reviews: { connection: string; review: MorningReview }[];
  findingsByRule: Record<string, Record<string, number>>;
  atRisk: { connection: string; dealId: string; name: string; score: number; band: string; reasons: string[] }[];
  annotations: { crm: string; fields: number; notes: number; tasks: number }[];
  exampleNotes: { crm: string; dealId: string; kind: string; text: string }[];
  seconds: number;
}

export async function run(options: DemoOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const started = Date.now();
  const progress = createProgress(!options.json && process.stderr.isTTY === true);
  const logger = createLogger({
    level: (process.env.LOG_LEVEL as 'warn' | undefined) ?? 'warn',
    destination: pino.destination({ dest: 2, sync: true }),
    pretty: process.stderr.isTTY === true,
  });
  const databaseUrl = process.env.DATABASE_URL || undefined;
  const redisUrl = process.env.REDIS_URL || undefined;
  const workDir = mkdtempSync(path.join(tmpdir(), 'dealwatch-demo-'));
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const outboundToken = randomBytes(12).toString('hex');
    progress('starting the sandbox CRM (HubSpot + Salesforce)');
    const sandbox = await startSandbox({
      deals: Number(process.env.DEALWATCH_DEMO_DEALS ?? 500),
      seed: 1,
      hubspotCustomProperties: ['dealwatch_score', 'dealwatch_flags'],
      webhookUrl: `${publicUrl}/webhooks/hubspot`,
      outboundMessageUrl: `${publicUrl}/webhooks/salesforce/sf/${outboundToken}`,
      deliveryBatchDelayMs: 20,
    });
    closers.unshift(() => sandbox.close());
    // The API and the review page need a token: the operator's, else one made for this run and printed.
    const givenTokens = process.env.DEALWATCH_API_TOKENS?.trim() || undefined;
    const apiTokens = givenTokens ?? randomBytes(24).toString('hex');
    const config = writeDemoConfig(workDir, sandbox, { port, publicUrl, outboundToken, databaseUrl, redisUrl, apiTokens });

    progress(databaseUrl ? 'connecting to DATABASE_URL' : 'starting the embedded database');
    const schema = databaseUrl ? `dealwatch_demo_${randomBytes(4).toString('hex')}` : undefined;
    const store = await openDemoStore(databaseUrl, config.dataDir, schema, logger);
    closers.unshift(async () => {
      await store.close();
      // The demo's schema on a real server goes away with it.
      if (databaseUrl && schema) await dropSchema(databaseUrl, schema);
    });
    await store.connections.upsertFromConfig(config.connections);

    progress(redisUrl ? 'connecting to REDIS_URL' : 'starting the queues in the database');
    const prefix = `{dealwatch-demo-${randomBytes(4).toString('hex')}}`;
    const pipeline = await openPipeline({ store, connections: config.connections, logger, redis: redisTargetOf({ redisUrl }), prefix });
    closers.unshift(async () => {
      await pipeline.queues.obliterate().catch(() => undefined);
      await pipeline.close({ graceMs: 5_000 });
    });
    pipeline.startWorkers({ concurrency: { sync: 2, events: 4, score: 2, writeback: 2 } });

    let server: RunningServer | null = null;
    try {
      server = await startServer(serverDepsFrom(config, { store, queues: pipeline.queues, logger }), { host: '127.0.0.1', port });
      const running = server;
      closers.unshift(() => running.close());
    } catch (error) {
      logger.warn({ err: error }, 'server not available: webhook events go straight into the events queue');
    }

    progress('full sync of both CRMs through the queues (sync -> score -> write-back)');
    const jobs = await Promise.all(
      CONNECTIONS.map((c) => pipeline.queues.enqueue('sync', { connectionId: c.id, mode: 'full', trigger: 'demo' })),
    );
    // The syncs' own progress (their jobs report it), redrawn while they run; a failed read is tried again next tick.
    const ticker = setInterval(() => {
      Promise.all(jobs.map((j) => readSyncProgress(pipeline.queues, j.jobId))).then(
        (reports) => progress(`full sync: ${reports.map((p, i) => briefSyncProgress(CONNECTIONS[i]!.id, p)).join('; ')}`),
        (err: unknown) => logger.debug({ err }, 'sync progress not read this time'),
      );
    }, 500);
    let syncs: SyncSummary[];
    try {
      syncs = await Promise.all(
        jobs.map(async (job, i) => summarize(CONNECTIONS[i]!.id, await pipeline.queues.waitForAll(job, { timeoutMs: 300_000 }))),
      );
    } finally {
      clearInterval(ticker);
    }

    progress('stage changes through signed webhooks');
    const webhooks = await fireStageChanges(sandbox, store, pipeline, server !== null);

    progress('building the morning review');
    const result = await buildResult({ sandbox, store, config, syncs, webhooks, started, databaseUrl, redisUrl });
    progress(null);
    out.write(options.json ? `${JSON.stringify(result)}\n` : formatDemo(result));
    if (config.smtpUrl !== undefined) process.stderr.write(await mailDemoDigest(config, store, logger));

    if (options.keep) {
      process.stderr.write(
        keptRunningText(server?.url ?? null, sandbox.adminUrl, path.join(workDir, 'dealwatch.json'), givenTokens ? null : apiTokens),
      );
      await untilSignal(); // then clean up as usual
    }
    return syncs.every((s) => s.status === 'ok') ? 0 : 1;
  } finally {
    progress(null);
    for (const close of closers) await close().catch((err: unknown) => logger.warn({ err }, 'close failed'));
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** What `--keep` prints: where to look, and the token to look with (only one the demo made up). */
function keptRunningText(serverUrl: string | null, sandboxAdminUrl: string, configPath: string, generatedToken: string | null): string {
  const token = generatedToken ?? '(one of DEALWATCH_API_TOKENS)';
  const lines = ['', 'Kept running (Ctrl-C to stop):'];
  if (serverUrl) {
    lines.push(
      `  web app        ${serverUrl}${pagePaths.login}   (sign in with the API token)`,
      `  review page    ${serverUrl}/review/hs   (browser login: any user name, the API token as password)`,
      `  API docs       ${serverUrl}/docs`,
      `  queues         ${serverUrl}/admin/queues`,
      `  API token      ${token}`,
      `  try            curl -H "Authorization: Bearer ${generatedToken ?? '$TOKEN'}" ${serverUrl}/api/v1/connections`,
    );
  } else {
    lines.push('  dealwatch API  (no server)');
  }
  lines.push(`  sandbox admin  ${sandboxAdminUrl}`, `  config         ${configPath}`, '');
  return lines.join('\n');
}

function writeDemoConfig(
  workDir: string,
  sandbox: Sandbox,
  o: {
    port: number;
    publicUrl: string;
    outboundToken: string;
    databaseUrl: string | undefined;
    redisUrl: string | undefined;
    apiTokens: string;
  },
): Config {
  const connections = [
    {
      id: 'hs',
      name: 'Sandbox HubSpot',
      provider: 'hubspot',
      accessToken: sandbox.hubspot.accessToken,
      baseUrl: sandbox.hubspot.baseUrl,
      portalId: sandbox.hubspot.portalId,
      webhookSecret: sandbox.hubspot.webhookSecret,
      writeback: 'on',
    },
    {
      id: 'sf',
      name: 'Sandbox Salesforce',
      provider: 'salesforce',
      instanceUrl: sandbox.salesforce.instanceUrl,
      loginUrl: sandbox.salesforce.loginUrl,
      apiVersion: sandbox.salesforce.apiVersion,
      auth: {
        type: 'refreshToken',
        clientId: sandbox.salesforce.clientId,
        clientSecret: sandbox.salesforce.clientSecret,
        refreshToken: sandbox.salesforce.refreshToken,
      },
      organizationId: sandbox.salesforce.organizationId,
      outboundMessageToken: o.outboundToken,
      writeback: 'on',
    },
  ];
  for (const c of connections) ConnectionSettings.parse(c); // fail here, not halfway through
  const configPath = path.join(workDir, 'dealwatch.json');
  writeFileSync(configPath, JSON.stringify({ publicUrl: o.publicUrl, connections }, null, 2), { mode: 0o600 });
  return loadConfig({
    configPath,
    env: {
      PORT: String(o.port),
      HOST: '127.0.0.1',
      DEALWATCH_DATA_DIR: path.join(workDir, 'data'),
      LOG_LEVEL: 'warn',
      DEALWATCH_API_TOKENS: o.apiTokens,
      ...(process.env.SMTP_URL ? { SMTP_URL: process.env.SMTP_URL } : {}),
      ...(process.env.DIGEST_FROM ? { DIGEST_FROM: process.env.DIGEST_FROM } : {}),
      ...(o.databaseUrl ? { DATABASE_URL: o.databaseUrl } : {}),
      ...(o.redisUrl ? { REDIS_URL: o.redisUrl } : {}),
    },
  });
}

async function openDemoStore(databaseUrl: string | undefined, dataDir: string, schema: string | undefined, logger: Logger): Promise<Store> {
  try {
    return await openStore({ databaseUrl, dataDir, schema, logger });
  } catch (error) {
    if (databaseUrl) {
      throw new DealwatchError(
        'STORE.UNAVAILABLE',
        `DATABASE_URL (${safeHost(databaseUrl)}) is not reachable: ${(error as Error).message}; unset it to use the embedded database`,
        { cause: error },
      );
    }
    throw error;
  }
}

async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'unparseable URL';
  }
}

/** Moves a few open deals one stage back in each sandbox CRM; the CRM sends signed webhooks. */
async function fireStageChanges(
  sandbox: Sandbox,
  store: Store,
  pipeline: PipelineRuntime,
  viaServer: boolean,
): Promise<DemoResult['webhooks']> {
  const before = (await pipeline.queues.counts()).events.completed ?? 0;
  const fired: DemoResult['webhooks']['fired'] = [];
  for (const c of CONNECTIONS) {
    const stages = await store.stages.list(c.id);
    const scores = await store.scores.listOpen(c.id);
    const candidates = scores.sort((a, b) => a.dealId.localeCompare(b.dealId));
    for (const s of candidates) {
      if (fired.filter((f) => f.connection === c.id).length >= STAGE_CHANGES) break;
      const deal = await store.deals.get(c.id, s.dealId);
      if (!deal || deal.isClosed) continue;
      const target = previousOpenStage(stages, deal.pipeline, deal.stageId);
      if (!target) continue;
      if (viaServer) {
        sandbox.changeStage(c.provider, deal.externalId, target.id);
      } else {
        sandbox.changeStage(c.provider, deal.externalId, target.id);
        await pipeline.queues.enqueue('events', {
          connectionId: c.id,
          eventId: `demo-${c.id}-${deal.externalId}-${target.id}`,
          dealId: deal.externalId,
          kind: 'stage_change',
          occurredAt: new Date(sandbox.now()).toISOString(),
          stageId: target.id,
        });
      }
      fired.push({ connection: c.id, dealId: deal.externalId, fromStage: deal.stageId, toStage: target.id, stageNow: null });
    }
  }
  await sandbox.drainDeliveries();
  const deadline = Date.now() + 30_000;
  for (;;) {
    const events = (await pipeline.queues.counts()).events;
    const busy = (events.waiting ?? 0) + (events.active ?? 0) + (events.delayed ?? 0) + (events.prioritized ?? 0);
    if ((events.completed ?? 0) - before >= fired.length && busy === 0) break;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const f of fired) f.stageNow = (await store.deals.get(f.connection, f.dealId))?.stageId ?? null;
  const handled = ((await pipeline.queues.counts()).events.completed ?? 0) - before;
  return { via: viaServer ? 'server' : 'queue', fired, handled };
}

function previousOpenStage(stages: readonly Stage[], pipeline: string, stageId: string): Stage | null {
  const open = stages.filter((s) => s.pipeline === pipeline && !s.isClosed).sort((a, b) => a.order - b.order);
  const index = open.findIndex((s) => s.id === stageId);
  if (index > 0) return open[index - 1] ?? null;
  return index === 0 && open.length > 1 ? (open[1] ?? null) : null;
}

async function buildResult(input: {
  sandbox: Sandbox;
  store: Store;
  config: Config;
  syncs: SyncSummary[];
  webhooks: DemoResult['webhooks'];
  started: number;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
}): Promise<DemoResult> {
  const { sandbox, store, config } = input;
  const reviewService = createReviewService({ store, connections: connectionDirectory(config) });
  const now = new Date(sandbox.now());
  const reviews: DemoResult['reviews'] = [];
  const findingsByRule: DemoResult['findingsByRule'] = {};
  const atRisk: DemoResult['atRisk'] = [];
  for (const c of CONNECTIONS) {
    try {
      reviews.push({ connection: c.id, review: (await reviewService.review(c.id, now)) as unknown as MorningReview });
    } catch (error) {
      reviews.push({ connection: c.id, review: { error: (error as Error).message } as unknown as MorningReview });
    }
    const counts: Record<string, number> = {};
    for (const f of await store.findings.openForDeals(c.id)) counts[f.ruleId] = (counts[f.ruleId] ?? 0) + 1;
    findingsByRule[c.id] = counts;
    const scores = (await store.scores.listOpen(c.id)).filter((s) => s.band !== 'healthy').sort((a, b) => a.score - b.score);
    for (const s of scores.slice(0, 8)) {
      const deal = await store.deals.get(c.id, s.dealId);
      atRisk.push({
        connection: c.id,
        dealId: s.dealId,
        name: deal?.name ?? s.dealId,
        score: s.score,
        band: s.band,
        reasons: s.reasons.filter((r) => r.impact < 0).map((r) => r.text),
      });
    }
  }
  const annotations = CONNECTIONS.map((c) => {
    const mine = sandbox.state.annotations.filter((a) => a.provider === c.provider);
    const records = [...currentRecords(mine).values()];
    return {
      crm: c.label,
      fields: mine.filter((a) => a.kind === 'field_update').length,
      notes: records.filter((r) => r.kind === 'note').length,
      tasks: records.filter((r) => r.kind === 'task').length,
    };
  });
  const exampleNotes: DemoResult['exampleNotes'] = [];
  for (const c of CONNECTIONS) {
    // The deal's one warning record as it stands now (its create and later updates merged), the
    // richest one first: what a rep opening that deal reads.
    const records = [...currentRecords(sandbox.state.annotations.filter((a) => a.provider === c.provider)).values()];
    const example = records.filter((r) => !r.closed).sort((x, y) => y.text.length - x.text.length)[0];
    if (example) exampleNotes.push({ crm: c.label, dealId: example.dealId, kind: example.kind, text: example.text });
  }
  return {
    backend: { database: input.databaseUrl ? 'postgres' : 'embedded', queues: input.redisUrl ? 'redis' : 'postgres' },
    deals: sandbox.state.hubspot.deals.length + sandbox.state.salesforce.deals.length,
    syncs: input.syncs,
    webhooks: input.webhooks,
    reviews,
    findingsByRule,
    atRisk,
    annotations,
    exampleNotes,
    seconds: Math.round((Date.now() - input.started) / 100) / 10,
  };
}

/** A written note or task as the rep reads it in the CRM (kept here for the demo's callers). */
export { asRepSeesIt } from '../sandbox/rep-view.js';

function formatDemo(r: DemoResult): string {
  const parts: string[] = [];
  // Colours only on a terminal: redirected output must stay plain text.
  const style = process.stdout.isTTY === true ? {} : { style: { head: [], border: [] } };
  parts.push(`dealwatch demo: ${r.deals} sandbox deals, database ${r.backend.database}, queues on ${r.backend.queues}, ${r.seconds}s\n`);
  const syncs = new Table({
    head: ['Connection', 'Status', 'Deals', 'Activities', 'API calls', 'Findings opened', 'Fields', 'Notes', 'Tasks'],
    ...style,
  });
  for (const s of r.syncs)
    syncs.push([
      s.connection,
      s.status,
      s.deals,
      s.activities,
      s.apiCalls,
      s.findings.opened,
      s.annotations.fields,
      s.annotations.notes,
      s.annotations.tasks,
    ]);
  parts.push(`Full syncs (sync -> score -> write-back)\n${syncs.toString()}\n`);
  for (const s of r.syncs) for (const f of s.failures) parts.push(`  ${s.connection}: ${f.queue} job failed: ${f.reason}\n`);

  const hooks = new Table({ head: ['Connection', 'Deal', 'Stage change', 'Stage in dealwatch'], ...style });
  for (const f of r.webhooks.fired) hooks.push([f.connection, f.dealId, `${f.fromStage} -> ${f.toStage}`, f.stageNow ?? '-']);
  const via = r.webhooks.via === 'server' ? 'through the server' : 'straight into the events queue';
  parts.push(`Stage changes by signed webhook (${via}; ${r.webhooks.handled} events handled)\n${hooks.toString()}\n`);

  for (const { connection, review } of r.reviews) {
    parts.push(
      'error' in (review as object)
        ? `Morning review ${connection}: ${(review as unknown as { error: string }).error}\n`
        : formatReview(connection, review, { color: process.stdout.isTTY === true }),
    );
  }
  const risk = new Table({
    head: ['Connection', 'Deal', 'Score', 'Band', 'Why'],
    colWidths: [12, 32, 7, 10, 60],
    wordWrap: true,
    ...style,
  });
  for (const d of r.atRisk) risk.push([d.connection, d.name, d.score, d.band, d.reasons.join('\n')]);
  parts.push(`At-risk deals (lowest scores)\n${risk.toString()}\n`);

  const ann = new Table({ head: ['CRM', 'Fields written', 'Notes', 'Tasks'], ...style });
  for (const a of r.annotations) ann.push([a.crm, a.fields, a.notes, a.tasks]);
  parts.push(`Where the annotations went\n${ann.toString()}\n`);
  for (const n of r.exampleNotes)
    parts.push(
      `Example ${n.kind} in ${n.crm} (deal ${n.dealId}):\n${n.text
        .split('\n')
        .map((l) => `  | ${l}`)
        .join('\n')}\n`,
    );
  return `${parts.join('\n')}\n`;
}

/** One line of progress on a TTY, rewritten in place; `null` clears it. */
function createProgress(enabled: boolean): (message: string | null) => void {
  const t0 = Date.now();
  return (message) => {
    if (!enabled) return;
    process.stderr.write('\r\x1b[K');
    if (message) process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${message}...`);
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** With SMTP_URL set, the HubSpot connection's digest goes to a made-up manager there (a local mail catcher). */
async function mailDemoDigest(config: Config, store: Store, logger: Logger): Promise<string> {
  const to = 'manager@example.com';
  const settings = config.connections.find((c) => c.id === 'hs')!;
  const sent = await deliverDigest(
    {
      store,
      reviews: createReviewService({ store, connections: connectionDirectory(config) }),
      publicUrl: config.publicUrl ?? null,
      smtpUrl: config.smtpUrl,
      digestFrom: config.digestFrom,
      metrics: processMetrics(),
      logger,
    },
    settings,
    { connection: settings.id, cron: '0 8 * * *', timezone: 'UTC', email: { to: [to] } },
    new Date(),
  );
  return `\nDigest mailed to ${to} through SMTP_URL: "${sent.subject ?? ''}"\n`;
}
