/**
 * The one place that knows which BullMQ backend runs the queues: Redis when one of its modes is
 * configured (`REDIS_URL`, `REDIS_CLUSTER_NODES`, `REDIS_SENTINELS`: src/queue/redis.ts), otherwise
 * BullMQ's PostgreSQL backend in the store's database.
 */
import pg from 'pg';
import {
  Queue as RedisQueue,
  Worker as RedisWorker,
  createPostgresBackend,
  withBackend,
  type QueueOptions,
  type WorkerOptions,
  type Processor,
} from 'bullmq';
import { DealwatchError } from '../domain/errors.js';
import {
  connectRedisClient,
  createRedisClient,
  describeRedisTarget,
  redisVariableOf,
  type RedisClient,
  type RedisMode,
  type RedisTarget,
} from './redis.js';

/** Where the queues live. `{ kind: 'redis', url }` is short for one Redis server. */
export type QueueBackendSpec = { kind: 'redis'; target: RedisTarget } | { kind: 'redis'; url: string } | { kind: 'postgres'; url: string };

/** Picks the backend from the configuration: Redis wins when one of its modes (or a plain URL) is set. */
export function chooseQueueBackend(env: {
  redis?: RedisTarget | undefined;
  redisUrl?: string | undefined;
  databaseUrl: string;
}): QueueBackendSpec {
  if (env.redis) return { kind: 'redis', target: env.redis };
  if (env.redisUrl) return { kind: 'redis', url: env.redisUrl };
  return { kind: 'postgres', url: env.databaseUrl };
}

/** The Redis target of a Redis spec. */
export function redisTargetOfSpec(spec: QueueBackendSpec & { kind: 'redis' }): RedisTarget {
  return 'target' in spec ? spec.target : { mode: 'single', url: spec.url };
}

/** The minimal slice of a BullMQ Queue/Worker the rest of src/queue uses, on either backend. */
export type AnyQueue = RedisQueue;
export type AnyWorker = RedisWorker;

/** Builds BullMQ classes bound to one backend, and owns the connections they share. */
export interface BackendConnections {
  readonly kind: QueueBackendSpec['kind'];
  /** How Redis is deployed (the key layout depends on it); `postgres` without Redis. */
  readonly mode: RedisMode | 'postgres';
  /**
   * True when every client shares one database session (PGlite behind pglite-socket): nothing may
   * depend on per-connection session state (search_path, prepared statement names, application_name).
   */
  readonly sharedSession: boolean;
  createQueue(name: string, options: Omit<QueueOptions, 'connection'>): AnyQueue;
  createWorker(name: string, processor: Processor, options: Omit<WorkerOptions, 'connection'>): AnyWorker;
  /** Store client for rate-limiter-flexible (`ioredis` or a `pg` pool adapter). */
  readonly limiterClient: { kind: 'redis'; client: RedisClient } | { kind: 'postgres'; client: PgQueryable };
  close(): Promise<void>;
}

/** What rate-limiter-flexible's `storeType: 'pool'` needs. */
export interface PgQueryable {
  query(q: { text: string; values?: unknown[]; name?: string }): Promise<pg.QueryResult>;
}

function unreachable(spec: QueueBackendSpec, cause: unknown): DealwatchError {
  const variable = spec.kind === 'redis' ? redisVariableOf(redisTargetOfSpec(spec)) : 'DATABASE_URL';
  const host = spec.kind === 'redis' ? describeRedisTarget(redisTargetOfSpec(spec)) : safeHost(spec.url);
  return new DealwatchError('QUEUE.UNAVAILABLE', `queue backend ${spec.kind} at ${host} (${variable}) is not reachable`, { cause });
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Detects a server where all clients share one session (PGlite through pglite-socket): a setting
 * made by one client is visible to another. On a real server each client has its own session.
 */
export async function detectSharedSession(url: string): Promise<boolean> {
  const a = new pg.Client({ connectionString: url });
  const b = new pg.Client({ connectionString: url });
  await a.connect();
  try {
    await b.connect();
    try {
      const marker = `dw_probe_${process.pid}_${Date.now()}`;
      const before = await b.query<{ v: string }>(`SELECT current_setting('application_name') AS v`);
      await a.query(`SELECT set_config('application_name', $1, false)`, [marker]);
      const seen = await b.query<{ v: string }>(`SELECT current_setting('application_name') AS v`);
      const shared = seen.rows[0]?.v === marker;
      if (shared) await a.query(`SELECT set_config('application_name', $1, false)`, [before.rows[0]?.v ?? '']);
      return shared;
    } finally {
      await b.end();
    }
  } finally {
    await a.end();
  }
}

/**
 * BullMQ's PostgreSQL backend for a shared session. An idle worker blocks until the next delayed
 * job is due (up to an hour: `maximumBlockTimeout`), counting on a producer's NOTIFY to wake it
 * sooner. On PGlite behind pglite-socket no NOTIFY reaches the listening socket, so a job added
 * while the nightly scheduler's delayed job sat in the queue (an API sync, a webhook) waited until
 * that night. Here a wait never outlasts the worker's poll interval (`drainDelay`).
 */
const pollingPostgresBackend: typeof createPostgresBackend = (name, opts, factoryOptions) => {
  const backend = createPostgresBackend(name, opts, factoryOptions);
  const pollS = (opts as { drainDelay?: number }).drainDelay ?? 1;
  Object.defineProperty(backend, 'maximumBlockTimeout', { value: pollS });
  return backend;
};

/** Opens the backend's connections, failing with `QUEUE.UNAVAILABLE` (naming the variable) when unreachable. */
export async function connectBackend(spec: QueueBackendSpec): Promise<BackendConnections> {
  return spec.kind === 'redis' ? connectRedis(spec) : connectPostgres(spec);
}

async function connectRedis(spec: QueueBackendSpec & { kind: 'redis' }): Promise<BackendConnections> {
  // Workers need maxRetriesPerRequest: null (blocking commands); a failed first connect must not hang.
  const target = redisTargetOfSpec(spec);
  const redis = createRedisClient(target, {
    maxRetriesPerRequest: null,
    lazyConnect: true,
    connectTimeout: 3000,
    retryStrategy: (n) => Math.min(n * 200, 2000),
  });
  redis.on('error', () => undefined); // surfaced by commands; ioredis reconnects by itself
  try {
    await withDeadline(connectRedisClient(redis), 10_000);
  } catch (cause) {
    redis.disconnect();
    throw unreachable(spec, cause);
  }
  return {
    kind: 'redis',
    mode: target.mode,
    sharedSession: false,
    createQueue: (name, options) => new RedisQueue(name, { ...options, connection: redis }),
    createWorker: (name, processor, options) => new RedisWorker(name, processor, { ...options, connection: redis }),
    limiterClient: { kind: 'redis', client: redis },
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

async function connectPostgres(spec: QueueBackendSpec & { kind: 'postgres' }): Promise<BackendConnections> {
  let sharedSession: boolean;
  try {
    sharedSession = await detectSharedSession(spec.url);
  } catch (cause) {
    throw unreachable(spec, cause);
  }
  // BullMQ pins its schema through the `search_path` startup option, which a shared session ignores:
  // there its tables go to `public`, the search_path every client already has. dealwatch's own
  // tables live in their own schema, so nothing collides.
  const schema = sharedSession ? 'public' : 'bullmq';
  const { Queue, Worker } = withBackend(sharedSession ? pollingPostgresBackend : createPostgresBackend);
  // Migrate once, up front: concurrent starters serialise on an advisory lock, which clients of a
  // shared session cannot wait on each other for. Later clients only check the schema version.
  const migrator = new Queue('dealwatch-migrate', { connection: { connectionString: spec.url, schema, migrate: true, max: 1 } });
  try {
    await migrator.waitUntilReady();
  } catch (cause) {
    throw unreachable(spec, cause);
  } finally {
    await migrator.close().catch(() => undefined);
  }
  // Small pools: an embedded server accepts few sockets (src/store/embedded.ts), and PGlite runs one query at a time anyway.
  const connection = { connectionString: spec.url, schema, max: sharedSession ? 2 : 4 };
  const pool = new pg.Pool({ connectionString: spec.url, max: 2 });
  pool.on('error', () => undefined);
  // rate-limiter-flexible names its prepared statements; names are session state, so strip them.
  const limiterClient: PgQueryable = {
    query: (q) => pool.query({ text: q.text, values: q.values ?? [] }),
  };
  // Without NOTIFY delivery (shared session) idle workers poll. Every poll is a query on the one
  // PGlite session, competing with the jobs' own queries: the webhook path (events) polls every
  // 100 ms; the bulk queues, where a second is nothing, every second.
  const drainDelayOf = (name: string) => (sharedSession ? (name === 'events' ? 0.1 : 1) : 5);
  return {
    kind: 'postgres',
    mode: 'postgres',
    sharedSession,
    createQueue: (name, options) => new Queue(name, { ...options, connection } as never) as unknown as AnyQueue,
    createWorker: (name, processor, options) =>
      new Worker(name, processor as never, { drainDelay: drainDelayOf(name), ...options, connection } as never) as unknown as AnyWorker,
    limiterClient: { kind: 'postgres', client: limiterClient },
    close: async () => {
      await pool.end();
    },
  };
}

/** A cluster or Sentinel client keeps retrying an unreachable seed; the first connect gives up. */
async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
