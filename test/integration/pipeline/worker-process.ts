/**
 * A worker process for the crash and scale-out tests: joins the pipeline a test harness built
 * (same queues, same store, same connections) from DW_TEST_* variables and runs the real
 * processors until SIGTERM (graceful) or SIGKILL (the point of the tests).
 */
import { appendFileSync } from 'node:fs';
import { ConnectionSettings } from '../../../src/domain/model/index.js';
import { QueueSystem, type JobHandlers, type QueueBackendSpec } from '../../../src/queue/index.js';
import { openStore } from '../../../src/store/index.js';
import { connectionHealthHooks, createHandlers, registryConnectors, type PipelineDeps } from '../../../jobs/index.js';
import { silentLogger } from './harness.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const store = await openStore({ databaseUrl: env('DW_TEST_DATABASE_URL'), schema: env('DW_TEST_SCHEMA'), migrate: false });
const backend = { kind: env('DW_TEST_QUEUE_KIND'), url: env('DW_TEST_QUEUE_URL') } as QueueBackendSpec;
const logger = silentLogger();
const queues = await QueueSystem.open({ backend, prefix: env('DW_TEST_PREFIX'), logger });
const settings = (JSON.parse(env('DW_TEST_SETTINGS')) as unknown[]).map((s) => ConnectionSettings.parse(s));
const deps: PipelineDeps = {
  store,
  queues,
  connections: () => settings,
  connectorFor: registryConnectors(queues, logger),
  logger,
  clock: () => new Date(),
};

// Each job start is logged (one line, appended atomically) so tests can count runs per job.
const journal = process.env.DW_TEST_JOURNAL;
const handlers = createHandlers(deps);
const journaled = Object.fromEntries(
  Object.entries(handlers).map(([queue, handler]) => [
    queue,
    (payload: never, context: { jobId: string }) => {
      if (journal) appendFileSync(journal, `${JSON.stringify({ pid: process.pid, queue, jobId: context.jobId })}\n`);
      return (handler as (p: never, c: unknown) => Promise<unknown>)(payload, context);
    },
  ]),
) as unknown as JobHandlers;

const workers = queues.startWorkers(journaled, {
  hooks: connectionHealthHooks(deps),
  lockDurationMs: Number(process.env.DW_TEST_LOCK_MS ?? 30_000),
});
await Promise.all([...workers.workers.values()].map((w) => w.waitUntilReady()));
process.stdout.write('ready\n');

process.once('SIGTERM', () => {
  void (async () => {
    await workers.close({ graceMs: 5_000 });
    await queues.close();
    await store.close();
    process.exit(0);
  })();
});
