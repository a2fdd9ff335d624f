/**
 * Webhook ingestion load test: autocannon against the server on loopback, HubSpot deliveries
 * (one deal event each, unique, v3-signed per request) at a fixed rate, on the real queue backend
 * (BullMQ on Redis, unique prefix, Redis dedupe). Checks p99 latency and that every accepted event
 * reached the queue (nothing lost, nothing doubled).
 *
 *   npx tsx test/bench/webhooks.ts [ratePerSecond=1000] [seconds=30] [connections=50]
 *
 * Prints one JSON line; exits 1 when p99 >= 50 ms, any request failed, or the queue count differs.
 */
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { webhookVerifierFor } from '../../connectors/registry.js';
import { HubSpotConnection } from '../../src/domain/model/index.js';
import { QueueSystem } from '../../src/queue/index.js';
import { queueEventSink, queueJobControl, queueReadiness } from '../../src/server/adapters/queue.js';
import { createMetrics } from '../../src/server/metrics.js';
import type { ServerStore, ReviewService } from '../../src/server/ports.js';
import { startServer } from '../../src/server/server.js';
import { createRedisDeduper } from '../../src/server/webhooks/redis-deduper.js';
import { deleteRedisKeys, REDIS_URL, uniqueName } from '../support/services.js';

const loadArgs = process.argv[2] === '--serve' ? [] : process.argv.slice(2);
const rate = Number(loadArgs[0] ?? 1000);
const seconds = Number(loadArgs[1] ?? 30);
const connections = Number(loadArgs[2] ?? 50);
const SECRET = 'bench-secret';
const PUBLIC_URL = 'https://hooks.example.com';

const connection = HubSpotConnection.parse({ id: 'bench', provider: 'hubspot', accessToken: 'x', portalId: 7, webhookSecret: SECRET });
const unused = <T extends object>(): T =>
  new Proxy({} as T, {
    get(_t, p) {
      throw new Error(`not used by the bench: ${String(p)}`);
    },
  });

/** Server side: runs in its own process so the load generator does not share its event loop. */
async function serve(prefix: string): Promise<void> {
  const logger = pino({ level: 'warn' });
  const queues = await QueueSystem.open({ backend: { kind: 'redis', url: REDIS_URL }, prefix, logger });
  // As `serve` builds it: concurrent requests' dedupe and rate-limit commands share round trips.
  const redis = new Redis(REDIS_URL, { enableAutoPipelining: true });
  const server = await startServer(
    {
      options: {
        publicUrl: PUBLIC_URL,
        apiTokens: ['bench'],
        redisKeyPrefix: `${prefix}:`,
        webhookRateLimit: { max: 1_000_000, timeWindowMs: 60_000 },
      },
      logger,
      clock: () => new Date(),
      connections: { list: () => [connection], get: (id) => (id === connection.id ? connection : undefined) },
      verifierFor: webhookVerifierFor,
      events: queueEventSink(queues),
      dedupe: createRedisDeduper(redis, { prefix: `${prefix}:dedupe:` }),
      jobs: queueJobControl(queues),
      store: unused<ServerStore>(),
      reviews: unused<ReviewService>(),
      readiness: [queueReadiness(queues)],
      metrics: createMetrics({ processMetrics: false }),
      queues: [queues.queue('events')],
      redis,
    },
    { host: '127.0.0.1', port: 0 },
  );
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  await server.close();
  await queues.close();
  await redis.quit();
}

/** Deliveries signed up front (the 5-minute window covers the run) so the client stays cheap. */
function deliveries(count: number): { body: string; headers: Record<string, string> }[] {
  const ts = String(Date.now());
  return Array.from({ length: count }, (_, i) => {
    const body = JSON.stringify([
      {
        eventId: i + 1,
        subscriptionId: 1,
        portalId: 7,
        appId: 99,
        occurredAt: 1_764_000_000_000 + i,
        subscriptionType: 'deal.propertyChange',
        attemptNumber: 0,
        objectId: 1_000_000 + i,
        propertyName: 'dealstage',
        propertyValue: 'contractsent',
        changeSource: 'CRM_UI',
      },
    ]);
    const signature = createHmac('sha256', SECRET).update(`POST${PUBLIC_URL}/webhooks/hubspot${body}${ts}`).digest('base64');
    return {
      body,
      headers: { 'content-type': 'application/json', 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': ts },
    };
  });
}

/** Upper bound of the bucket that holds quantile `q` of a prom-client histogram, in ms. */
function histogramQuantileMs(text: string, name: string, labels: string, q: number): number | null {
  const buckets = [
    ...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)",[^}]*${labels.replaceAll('/', '\\/')}[^}]*\\} (\\d+)$`, 'gm')),
  ].map((m) => ({
    le: m[1] === '+Inf' ? Infinity : Number(m[1]),
    count: Number(m[2]),
  }));
  const total = buckets.find((b) => b.le === Infinity)?.count ?? 0;
  if (total === 0) return null;
  const bucket = buckets.sort((a, b) => a.le - b.le).find((b) => b.count >= q * total);
  return bucket === undefined || bucket.le === Infinity ? null : bucket.le * 1000;
}

async function main(): Promise<void> {
  const prefix = `{${uniqueName('dwbench')}}`;
  const nodeFlags = [
    ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
    ...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : []),
  ];
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', fileURLToPath(import.meta.url), '--serve', prefix], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });

  const planned = deliveries(Math.ceil(rate * seconds * 1.2) + 1_000);
  let next = 0;
  const result = await autocannon({
    url,
    connections,
    overallRate: rate,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/webhooks/hubspot',
        setupRequest: (request) => {
          const d = planned[next++ % planned.length]!;
          return { ...request, body: d.body, headers: d.headers };
        },
      },
    ],
  });

  // Requests still in flight when autocannon stops may land after it; let them settle.
  await new Promise((r) => setTimeout(r, 1_000));
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const accepted = Number(
    /dealwatch_webhook_events_total\{provider="hubspot",outcome="accepted",reason="none"\} (\d+)/.exec(metrics)?.[1] ?? 0,
  );
  const duplicates = Number(/outcome="duplicate",reason="duplicate"\} (\d+)/.exec(metrics)?.[1] ?? 0);
  const serverP99Ms = histogramQuantileMs(
    metrics,
    'dealwatch_http_request_duration_seconds',
    'route="/webhooks/hubspot",status="200"',
    0.99,
  );
  const queues = await QueueSystem.open({ backend: { kind: 'redis', url: REDIS_URL }, prefix, logger: pino({ level: 'warn' }) });
  const queued = await queues.queue('events').count();

  const figures = {
    bench: 'webhooks',
    targetRate: rate,
    seconds,
    connections,
    requests: result.requests.total,
    achievedRate: Math.round(result.requests.average),
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    /** Upper bound of the histogram bucket holding the server-side p99 (request in to response out). */
    serverP99MsAtMost: serverP99Ms,
    loadAverage1m: Number(loadavg()[0]?.toFixed(2)),
    sent: next,
    acceptedByServer: accepted,
    duplicates,
    queued,
    lost: accepted - queued,
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);

  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await queues.obliterate();
  await deleteRedisKeys(prefix);
  await queues.close();
  // Every event the client sent and the server took is in the queue exactly once.
  const pass =
    figures.latencyMs.p99 < 50 &&
    figures.non2xx === 0 &&
    figures.errors === 0 &&
    figures.lost === 0 &&
    duplicates === 0 &&
    queued >= figures.ok2xx &&
    queued <= next;
  process.exitCode = pass ? 0 : 1;
}

if (process.argv[2] === '--serve') await serve(process.argv[3]!);
else await main();
