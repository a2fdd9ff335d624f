/**
 * Cost as work grows, end to end through the CLI processes, on PostgreSQL + Redis:
 *
 * 1. Full sync of one HubSpot org of N deals (about 10 activities each) with limits off (the
 *    sandbox's `--no-rate-limit`, the connection's rate gate lifted): `dealwatch sync hs --full
 *    --wait` (sync, score, write-back; workers in that process), its wall time and the peak RSS of
 *    that process and its children. The sandbox runs in its own process and is not counted.
 *    Goals: time per deal within 1.2x of the smallest size's, peak RSS under 1 GB.
 * 2. With 1, 2 and 4 worker processes (`dealwatch serve` + N x `dealwatch worker`) on a book of
 *    `--book` deals: score throughput (deals scored / from the first score job's start to the last
 *    one's end, in the full sync asked over the API), then events throughput (a burst of `--events`
 *    stage changes, each a signed webhook from the sandbox, until every event job is done).
 *
 *   npm run bench -- scale [--sizes 10000,30000,100000] [--workers 1,2,4] [--book 10000] [--events 500]
 *                          [--node-flags "--cpu-prof --cpu-prof-dir=DIR"] [--log FILE]
 *
 * `--node-flags` (space-separated) go to the full sync's dealwatch process (to profile it);
 * `--log FILE` keeps that process's log (info level, one JSON line per event) in FILE.<deals>.
 *
 * `--sizes none` or `--workers none` skips a part. Every run gets a new database and a unique queue
 * prefix (REDIS_URL / TEST_DATABASE_URL: see test/support/services.ts), both removed at the end.
 * Prints one JSON line with every figure, the load average and the host calibration.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openPipeline, type PipelineRuntime } from '../../jobs/runtime.js';
import { ConnectionSettings } from '../../src/domain/model/index.js';
import type { QueueName } from '../../src/queue/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import {
  apiClient,
  cliEnv,
  createDatabase,
  pollJob,
  runDealwatch,
  spawnDealwatch,
  type DealwatchProcess,
} from '../integration/pipeline/dealwatch-process.js';
import { silentLogger } from '../integration/pipeline/harness.js';
import { sandboxHubSpotConnection } from '../support/sandbox-connections.js';
import { deleteRedisKeys, REDIS_URL, uniqueName } from '../support/services.js';
import { hostCalibration, loadAverage } from './host.js';
import pg from 'pg';
import { cpuTicksOf, sampleMemory, type MemoryPeak } from './process-memory.js';
import { sandboxAdmin, spawnSandbox, stopSandbox, type RunningSandbox } from './sandbox-cli.js';

const args = process.argv.slice(2);
function listOption(name: string, fallback: number[]): number[] {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = args[i + 1] ?? '';
  if (value === 'none') return [];
  const list = value.split(',').map(Number);
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`${name}: expected whole numbers separated by commas, or none`);
  return list;
}
const SIZES = listOption('--sizes', [10_000, 30_000, 100_000]).sort((a, b) => a - b);
const WORKERS = listOption('--workers', [1, 2, 4]);
const [BOOK = 10_000] = listOption('--book', [10_000]);
const [BURST = 500] = listOption('--events', [500]);
function textOption(name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}
const NODE_FLAGS = textOption('--node-flags')?.split(' ').filter(Boolean) ?? [];
const LOG_FILE = textOption('--log');
const SEED = 20;
const TOKEN = 'scale-bench-token';
/** Goals of the full sync: time per deal at most this times the smallest size's, peak RSS below 1 GB. */
const LINEAR_LIMIT = 1.2;
const RSS_LIMIT_MB = 1024;

const seconds = (ms: number) => Math.round(ms / 100) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * CPU seconds the PostgreSQL backends serving one (new) database used, as last sampled (PostgreSQL
 * runs on this host: /proc of the backends' pids, as listed by pg_stat_activity once a second). The
 * store's cost, beside the dealwatch process's own CPU time: both hardly depend on the load.
 */
function sampleDatabaseCpu(databaseUrl: string): { stop(): Promise<number> } {
  const name = new URL(databaseUrl).pathname.slice(1);
  const admin = new pg.Client({ connectionString: databaseUrl });
  const last = new Map<number, number>();
  let stopped = false;
  const connected = admin.connect();
  const loop = (async () => {
    await connected;
    while (!stopped) {
      const { rows } = await admin.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [name],
      );
      for (const { pid } of rows) {
        const ticks = cpuTicksOf(pid);
        if (ticks === null) continue;
        last.set(pid, ticks);
      }
      await sleep(1_000);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      await admin.end();
      let ticks = 0;
      // The database is new: every backend serving it started during the run, so its whole CPU time counts.
      for (const t of last.values()) ticks += t;
      return ticks / 100;
    },
  };
}

/** One dealwatch install for one run: its own database, queue prefix and config file. */
interface Install {
  env: NodeJS.ProcessEnv;
  databaseUrl: string;
  prefix: string;
  settings: ConnectionSettings;
  remove(): Promise<void>;
}

async function newInstall(sandbox: RunningSandbox, vars: Record<string, string> = {}): Promise<Install> {
  const db = await createDatabase();
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-bench-scale-'));
  const prefix = `{${uniqueName('dwscale')}}`;
  // Limits off: the sandbox enforces none, and the shared gate never holds a request back.
  const settings = sandboxHubSpotConnection(sandbox.hubspot, 'hs', { writeback: 'on', rateLimit: { requests: 1_000_000, perMs: 1_000 } });
  const config = path.join(dir, 'dealwatch.json');
  writeFileSync(config, JSON.stringify({ connections: [settings] }));
  const env = cliEnv({
    DEALWATCH_CONFIG: config,
    DATABASE_URL: db.url,
    REDIS_URL,
    DEALWATCH_QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    ...vars,
  });
  const migrated = await runDealwatch(['migrate'], env);
  if (migrated.code !== 0) throw new Error(`dealwatch migrate exited ${migrated.code}: ${migrated.stderr.slice(-2000)}`);
  return {
    env,
    databaseUrl: db.url,
    prefix,
    settings,
    remove: async () => {
      await deleteRedisKeys(prefix);
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The sync command's `--json` line. */
interface SyncOutcome {
  connection: string;
  status: string;
  deals: number;
  activities: number;
  apiCalls: number;
  findings: { opened: number; resolved: number };
  annotations: Record<string, number>;
  failedWrites: number;
}

interface SizeFigures {
  deals: number;
  activities: number;
  apiCalls: number;
  findingsOpened: number;
  annotations: Record<string, number>;
  seconds: number;
  msPerThousandDeals: number;
  peakRss: MemoryPeak;
  /** CPU seconds of the dealwatch process (user + system) and of the PostgreSQL backends serving its database. */
  cpuSeconds: { dealwatch: number; postgres: number };
  msCpuPerThousandDeals: number;
  loadAverageBefore: number[];
  loadAverageAfter: number[];
}

/** Part 1: `dealwatch sync hs --full --wait` on a new install against a sandbox of `deals` deals. */
async function fullSync(deals: number): Promise<SizeFigures> {
  const sandbox = await spawnSandbox({ deals, seed: SEED, rateLimit: false });
  let install: Install | undefined;
  try {
    install = await newInstall(sandbox, { ...(LOG_FILE ? { LOG_LEVEL: 'info' } : {}) });
    const loadAverageBefore = loadAverage();
    const memory = sampleMemory();
    const databaseCpu = sampleDatabaseCpu(install.databaseUrl);
    const started = performance.now();
    const run = await runDealwatch(
      ['sync', 'hs', '--full', '--wait', '--json'],
      install.env,
      (child) => memory.track(child.pid),
      NODE_FLAGS,
    );
    const elapsed = performance.now() - started;
    const peakRss = memory.stop();
    const postgresCpu = await databaseCpu.stop();
    if (LOG_FILE) writeFileSync(`${LOG_FILE}.${deals}`, run.stderr);
    const line = run.stdout.split('\n').find((l) => l.startsWith('{"connection"'));
    if (run.code !== 0 || !line)
      throw new Error(`dealwatch sync exited ${run.code}:\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`);
    const outcome = JSON.parse(line) as SyncOutcome;
    if (outcome.status !== 'ok' || outcome.failedWrites > 0) throw new Error(`the sync did not finish cleanly: ${line}`);
    const figures = {
      deals: outcome.deals,
      activities: outcome.activities,
      apiCalls: outcome.apiCalls,
      findingsOpened: outcome.findings.opened,
      annotations: outcome.annotations,
      seconds: seconds(elapsed),
      msPerThousandDeals: Math.round((elapsed / deals) * 1000),
      peakRss,
      cpuSeconds: { dealwatch: peakRss.cpuSeconds, postgres: postgresCpu },
      msCpuPerThousandDeals: Math.round(((peakRss.cpuSeconds + postgresCpu) * 1000 * 1000) / deals),
      loadAverageBefore,
      loadAverageAfter: loadAverage(),
    };
    // Each size's figures as soon as they exist: a run stopped before the largest size keeps them.
    console.error(JSON.stringify({ fullSync: figures }));
    return figures;
  } finally {
    await install?.remove();
    await stopSandbox(sandbox);
  }
}

/** Until no job of `queues` waits, runs or is delayed, twice in a row half a second apart. */
async function idle(pipeline: PipelineRuntime, queues: QueueName[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  while (quiet < 2) {
    if (Date.now() > deadline) throw new Error(`the ${queues.join(', ')} queues did not drain in ${timeoutMs} ms`);
    const counts = await pipeline.queues.counts();
    const busy = queues.some(
      (q) => (counts[q].waiting ?? 0) + (counts[q].active ?? 0) + (counts[q].delayed ?? 0) + (counts[q].prioritized ?? 0) > 0,
    );
    quiet = busy ? 0 : quiet + 1;
    await sleep(500);
  }
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** Moves `count` open deals to another stage of their pipeline through the sandbox; each sends a webhook. */
async function stageChangeBurst(sandbox: RunningSandbox, store: Store, count: number): Promise<number> {
  const stages = (await store.stages.list('hs')).filter((s) => !s.isClosed);
  const deals = (await store.deals.loadOpen('hs')).slice(0, count);
  await eachLimited(deals, 16, async (deal) => {
    const next = stages.find((s) => s.pipeline === deal.pipeline && s.id !== deal.stageId);
    if (!next) throw new Error(`no other open stage in pipeline ${deal.pipeline}`);
    await sandboxAdmin(sandbox, `/hubspot/deals/${deal.externalId}/stage`, { stage: next.id });
  });
  return deals.length;
}

interface WorkerFigures {
  workers: number;
  fullSyncSeconds: number;
  score: { deals: number; jobs: number; seconds: number; dealsPerSecond: number };
  events: {
    stageChanges: number;
    handled: number;
    failed: number;
    seconds: number;
    perSecond: number;
    p50Ms: number | null;
    p95Ms: number | null;
  };
  peakRss: MemoryPeak;
  loadAverageBefore: number[];
}

/** Part 2 for one worker count: a new sandbox and install, `serve` + `workers` x `worker`. */
async function withWorkers(workers: number): Promise<WorkerFigures> {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const sandbox = await spawnSandbox({ deals: BOOK, seed: SEED, rateLimit: false, webhookUrl: `${publicUrl}/webhooks/hubspot` });
  const processes: DealwatchProcess[] = [];
  const memory = sampleMemory();
  let install: Install | undefined;
  let store: Store | undefined;
  let pipeline: PipelineRuntime | undefined;
  try {
    // The ready lines are info logs.
    install = await newInstall(sandbox, { PORT: String(port), PUBLIC_URL: publicUrl, DEALWATCH_API_TOKENS: TOKEN, LOG_LEVEL: 'info' });
    const serve = await spawnDealwatch(['serve'], install.env, 'dealwatch server listening');
    processes.push(serve);
    memory.track(serve.child.pid);
    for (let i = 0; i < workers; i++) {
      const worker = await spawnDealwatch(['worker'], install.env, 'dealwatch workers running');
      processes.push(worker);
      memory.track(worker.child.pid);
    }
    // The bench reads the queues (job timestamps) and the store (deals to move); it runs no job.
    store = await openStore({ databaseUrl: install.databaseUrl, migrate: false });
    pipeline = await openPipeline({
      store,
      connections: [install.settings],
      logger: silentLogger(),
      redisUrl: REDIS_URL,
      prefix: install.prefix,
    });
    const loadAverageBefore = loadAverage();

    const api = apiClient(serve.url!, TOKEN);
    const syncStarted = Date.now();
    const asked = await api<{ jobId: string }>('POST', '/api/v1/connections/hs/sync', { mode: 'full' });
    const sync = await pollJob(api, asked.body.jobId, 3_600_000);
    if (sync.state !== 'completed') throw new Error(`the full sync ended ${sync.state}: ${sync.failedReason}`);
    await idle(pipeline, ['score', 'writeback'], 3_600_000);
    const fullSyncMs = Date.now() - syncStarted;
    const counts = await pipeline.queues.counts();
    if ((counts.score.failed ?? 0) + (counts.writeback.failed ?? 0) > 0)
      throw new Error(`failed jobs after the full sync: ${JSON.stringify(counts)}`);
    const scoreJobs = await pipeline.queues.queue('score').getJobs(['completed'], 0, -1);
    const scored = scoreJobs.reduce((n, j) => n + (j.data as { dealIds: string[] }).dealIds.length, 0);
    const scoreMs = Math.max(...scoreJobs.map((j) => j.finishedOn ?? 0)) - Math.min(...scoreJobs.map((j) => j.processedOn ?? Infinity));

    const burstStarted = Date.now();
    const changes = await stageChangeBurst(sandbox, store, BURST);
    const deadline = Date.now() + 600_000;
    let failed = 0;
    for (;;) {
      const events = (await pipeline.queues.counts()).events;
      failed = events.failed ?? 0;
      if ((events.completed ?? 0) + failed >= changes || Date.now() > deadline) break;
      await sleep(250);
    }
    const handled = (await pipeline.queues.queue('events').getJobs(['completed'], 0, -1)).filter((j) => j.timestamp >= burstStarted);
    const eventsMs = Math.max(...handled.map((j) => j.finishedOn ?? 0)) - burstStarted;
    const latencies = handled.map((j) => (j.finishedOn ?? 0) - j.timestamp).sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? null;
    const figures: WorkerFigures = {
      workers,
      fullSyncSeconds: seconds(fullSyncMs),
      score: { deals: scored, jobs: scoreJobs.length, seconds: seconds(scoreMs), dealsPerSecond: Math.round(scored / (scoreMs / 1000)) },
      events: {
        stageChanges: changes,
        handled: handled.length,
        failed,
        seconds: seconds(eventsMs),
        perSecond: Math.round(handled.length / (eventsMs / 1000)),
        p50Ms: at(0.5),
        p95Ms: at(0.95),
      },
      peakRss: memory.peak(),
      loadAverageBefore,
    };
    const events = `events ${figures.events.perSecond}/s (${handled.length}/${changes})`;
    console.error(`${workers} worker(s): score ${figures.score.dealsPerSecond} deals/s, ${events}`);
    return figures;
  } finally {
    for (const p of processes.reverse()) await p.stop();
    memory.stop();
    await pipeline?.close({ graceMs: 0 });
    await store?.close();
    await install?.remove();
    await stopSandbox(sandbox);
  }
}

const startedAt = new Date().toISOString();
const calibration = hostCalibration();
const loadAverageAtStart = loadAverage();

const sizes: SizeFigures[] = [];
for (const deals of SIZES) sizes.push(await fullSync(deals));
const base = sizes[0];
const linearity = sizes.map((s) => ({
  deals: s.deals,
  timePerDealVsSmallest: base ? Math.round((s.msPerThousandDeals / base.msPerThousandDeals) * 100) / 100 : null,
  cpuPerDealVsSmallest: base ? Math.round((s.msCpuPerThousandDeals / base.msCpuPerThousandDeals) * 100) / 100 : null,
}));

const perWorkers: WorkerFigures[] = [];
for (const workers of WORKERS) perWorkers.push(await withWorkers(workers));

const result = {
  bench: 'scale',
  startedAt,
  host: { loadAverageAtStart, loadAverageAtEnd: loadAverage(), calibration },
  fullSync: {
    connection: 'hubspot, limits off, write-back on, PostgreSQL + Redis',
    sizes,
    linearity,
    goals: {
      linearWithin: LINEAR_LIMIT,
      linear: linearity.every((l) => l.timePerDealVsSmallest === null || l.timePerDealVsSmallest <= LINEAR_LIMIT),
      rssUnderMb: RSS_LIMIT_MB,
      rssUnder: sizes.every((s) => s.peakRss.treeMb < RSS_LIMIT_MB),
    },
  },
  throughput: { book: BOOK, burst: BURST, perWorkers },
};
console.log(JSON.stringify(result));
const eventsLost = perWorkers.some((w) => w.events.handled < w.events.stageChanges || w.events.failed > 0);
process.exit(eventsLost ? 1 : 0);
