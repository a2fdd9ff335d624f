/**
 * A whole pipeline for integration tests: the sandbox CRM over HTTP, a store (embedded PGlite or
 * a real PostgreSQL schema), the queues (Redis, or BullMQ's PostgreSQL backend in the store's
 * database), the two connections configured against the sandbox, and workers running the real
 * processors.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../../src/sandbox/index.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { chooseQueueBackend, QueueSystem, type JobOutcome, type WorkerGroup } from '../../../src/queue/index.js';
import { ConnectionSettings, type WritebackMode } from '../../../src/domain/model/index.js';
import { createHandlers, registryConnectors, connectionHealthHooks, type PipelineDeps } from '../../../jobs/index.js';
import { silentLogger } from '../../support/silent-logger.js';
import type { CrmConnector } from '../../../connectors/types.js';
import { POSTGRES_URL, REDIS_URL, uniqueName } from '../../support/services.js';
import { sandboxHubSpotConnection, sandboxSalesforceConnection } from '../../support/sandbox-connections.js';
import { startPglite } from '../queue/backends.js';

export interface HarnessOptions {
  store: 'embedded' | 'postgres';
  /**
   * `postgres`: BullMQ's PostgreSQL backend in the store's database; `pglite`: that backend on an
   * in-memory PGlite of its own (with the protocol-group fix the store's embedded server lacks).
   */
  queues: 'redis' | 'postgres' | 'pglite';
  deals?: number;
  writeback?: WritebackMode;
  sandbox?: Omit<SandboxOptions, 'deals'>;
  /** Start workers in this process. @defaultValue true */
  workers?: boolean;
  /** Events jobs run at once by those workers. @defaultValue 4 */
  eventsConcurrency?: number;
  /** Wraps each connector the processors build (a fake at the connector port around the real one). */
  wrapConnector?: (connector: CrmConnector, settings: ConnectionSettings) => CrmConnector;
}

export interface Harness {
  sandbox: Sandbox;
  store: Store;
  queues: QueueSystem;
  settings: ConnectionSettings[];
  deps: PipelineDeps;
  workers: WorkerGroup | null;
  /** Data directory of the embedded store (`store: 'embedded'`). */
  dataDir: string;
  /** Environment a spawned worker process needs to join this pipeline. */
  env: Record<string, string>;
  sync(connectionId: string, mode?: 'incremental' | 'full'): Promise<JobOutcome[]>;
  close(): Promise<void>;
}

export { silentLogger };

/** Connection settings pointing at the sandbox. */
export function sandboxConnections(sandbox: Sandbox, writeback: WritebackMode): ConnectionSettings[] {
  return [
    sandboxHubSpotConnection(sandbox.hubspot, 'hs', { writeback, lookbackMinutes: 10 }),
    sandboxSalesforceConnection(sandbox, 'sf', { writeback }),
  ];
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const sandbox = await startSandbox({
    deals: options.deals ?? 80,
    seed: 7,
    hubspotCustomProperties: ['dealwatch_score', 'dealwatch_flags'],
    ...options.sandbox,
  });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dw-pipeline-'));
  const schema = uniqueName('dwp');
  const store = options.store === 'embedded' ? await openStore({ dataDir }) : await openStore({ databaseUrl: POSTGRES_URL, schema });
  const prefix = uniqueName('{dwp}');
  const ownPglite = options.queues === 'pglite' ? await startPglite() : null;
  const backend = chooseQueueBackend({
    redisUrl: options.queues === 'redis' ? REDIS_URL : undefined,
    databaseUrl: ownPglite?.url ?? store.databaseUrl,
  });
  const logger = silentLogger();
  const queues = await QueueSystem.open({ backend, prefix, logger });
  const settings = sandboxConnections(sandbox, options.writeback ?? 'on');
  await store.connections.upsertFromConfig(settings);
  const deps: PipelineDeps = {
    store,
    queues,
    connections: () => settings,
    connectorFor: options.wrapConnector
      ? (
          (build) => (settings: ConnectionSettings) =>
            options.wrapConnector!(build(settings), settings)
        )(registryConnectors(queues, logger))
      : registryConnectors(queues, logger),
    logger,
    clock: () => new Date(sandbox.now()),
  };
  const workers =
    options.workers === false
      ? null
      : queues.startWorkers(createHandlers(deps), {
          hooks: connectionHealthHooks(deps),
          concurrency: { sync: 2, events: options.eventsConcurrency ?? 4, score: 2, writeback: 2 },
        });
  return {
    sandbox,
    dataDir,
    store,
    queues,
    settings,
    deps,
    workers,
    env: {
      DW_TEST_PREFIX: prefix,
      DW_TEST_QUEUE_URL: 'url' in backend ? backend.url : '',
      DW_TEST_QUEUE_KIND: backend.kind,
      DW_TEST_DATABASE_URL: store.databaseUrl,
      DW_TEST_SCHEMA: store.schema,
      DW_TEST_SETTINGS: JSON.stringify(settings),
    },
    async sync(connectionId, mode = 'full') {
      const job = await queues.enqueue('sync', { connectionId, mode, trigger: 'test' });
      return queues.waitForAll(job, { timeoutMs: 120_000 });
    },
    async close() {
      await workers?.close({ graceMs: 2_000 });
      await queues.obliterate().catch(() => undefined);
      await queues.close();
      if (options.store === 'postgres') {
        const client = new pg.Client({ connectionString: POSTGRES_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await client.end();
      }
      await store.close();
      await ownPglite?.stop();
      await sandbox.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Sum of a field over the completed outcomes of one queue. */
export function total(outcomes: JobOutcome[], queue: string, field: string): number {
  return outcomes
    .filter((o) => o.ref.queue === queue && o.state === 'completed')
    .reduce((sum, o) => sum + Number((o as { result: Record<string, unknown> | null }).result?.[field] ?? 0), 0);
}
