/**
 * Queues, workers, job schedulers and completion waits on either backend. Callers see job names
 * from the catalog and never a backend.
 */
import type { Log } from '../logger.js';
import { setMaxListeners } from 'node:events';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { DealwatchError } from '../domain/errors.js';
import { connectBackend, type AnyQueue, type AnyWorker, type BackendConnections, type QueueBackendSpec } from './backend.js';
import { jobCatalog, type JobContext, type JobHandlers, type JobInput, type JobName, type JobRef, type JobResults } from './catalog.js';
import { describe, fateOf, withJitter } from './fate.js';
import { DEFAULT_QUEUE_PREFIX, QUEUE_NAMES, type QueueName } from './names.js';
import { keyLayout, type KeyLayout } from './keys.js';
import { LeaseFactory } from './lease.js';
import { RateGateFactory } from './rate-gate.js';

export interface QueueSystemOptions {
  backend: QueueBackendSpec;
  /** Key prefix (`DEALWATCH_QUEUE_PREFIX`; tests pass a unique one). @defaultValue "{dealwatch}" */
  prefix?: string;
  /**
   * The store's install id. Keys live under `<prefix>:<installId>`, so installs sharing a Redis
   * (and a prefix), or a new database on a Redis that still holds the old one's jobs, never take,
   * nor collapse into, each other's jobs. On the PostgreSQL backend the queues live in the store's
   * database already.
   */
  installId?: string;
  logger: Log;
}

/** Called as jobs end, so the pipeline can track connection health (src/queue knows no store). */
export interface WorkerHooks {
  /** A job succeeded. */
  onSucceeded?(queue: QueueName, connectionId: string): Promise<void> | void;
  /** A job failed for good (unrecoverable, or attempts exhausted). */
  onFailedForGood?(queue: QueueName, connectionId: string, reason: string, unrecoverable: boolean): Promise<void> | void;
  /** An attempt ended (metrics): how long the job waited before its first attempt (null on later ones) and this attempt ran. */
  onAttemptEnded?(attempt: AttemptTiming): void;
}

/** One attempt's timing and how it ended: `retry` and `delayed` attempts run again later. */
export interface AttemptTiming {
  queue: QueueName;
  connectionId: string;
  outcome: 'completed' | 'failed' | 'retry' | 'delayed';
  /** Seconds from when the job became ready to when its first attempt started; null on later attempts. */
  waitSeconds: number | null;
  runSeconds: number;
}

export interface WorkerGroupOptions {
  /** Queues to consume. @defaultValue all of them */
  queues?: readonly QueueName[];
  /**
   * Jobs run at once per queue in this process.
   * @defaultValue sync 2, events 64 (they mostly wait on a shared batch), score 2, writeback 2, digest 1
   */
  concurrency?: Partial<Record<QueueName, number>>;
  hooks?: WorkerHooks;
  /** Lock duration of active jobs (a killed worker's job is picked up after it). @defaultValue 30000 */
  lockDurationMs?: number;
}

export const DEFAULT_CONCURRENCY: Record<QueueName, number> = { sync: 2, events: 64, score: 2, writeback: 2, digest: 1 };

/** A set of running workers. */
export interface WorkerGroup {
  readonly workers: ReadonlyMap<QueueName, AnyWorker>;
  /**
   * Stops taking jobs and lets the ones in hand finish for `graceMs`; then aborts them (their lock
   * lapses and another worker takes them over) and closes.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** How a job ended. */
export type JobOutcome = { state: 'completed'; ref: JobRef; result: unknown } | { state: 'failed'; ref: JobRef; reason: string };

export interface EnqueuedJob extends JobRef {
  /** True when an equal request was already waiting or running and this one joined it. */
  coalesced: boolean;
}

export interface SyncScheduleEntry {
  connectionId: string;
  cron: string;
  timezone: string;
}

const SCHEDULER_PREFIX = 'nightly-sync-';
const DIGEST_SCHEDULER_PREFIX = 'digest-';

export interface DigestScheduleEntry {
  connectionId: string;
  digestId: string;
  cron: string;
  timezone: string;
}

export class QueueSystem {
  /** Where this system's keys live (src/queue/keys.ts): the configured prefix, the install id, the mode. */
  readonly keys: KeyLayout;
  readonly rateGates: RateGateFactory;
  /** Cross-process mutual exclusion (one write-back per connection at a time). */
  readonly leases: LeaseFactory;
  private readonly queues = new Map<QueueName, AnyQueue>();
  private readonly groups = new Set<WorkerGroup>();
  private closed = false;

  private constructor(
    private readonly backend: BackendConnections,
    private readonly logger: Log,
    keys: KeyLayout,
  ) {
    this.keys = keys;
    this.rateGates = new RateGateFactory(backend, keys.rateGates);
    this.leases = new LeaseFactory(backend, keys.leases, undefined, logger);
  }

  /** Connects to the backend; `QUEUE.UNAVAILABLE` names the variable when it does not answer. */
  static async open(options: QueueSystemOptions): Promise<QueueSystem> {
    const backend = await connectBackend(options.backend);
    const prefix = options.prefix ?? DEFAULT_QUEUE_PREFIX;
    const system = new QueueSystem(backend, options.logger, keyLayout(prefix, options.installId, backend.mode));
    await Promise.all(QUEUE_NAMES.map((name) => system.queue(name).waitUntilReady()));
    return system;
  }

  get backendKind(): 'redis' | 'postgres' {
    return this.backend.kind;
  }

  /** How Redis is deployed (`single`, `cluster`, `sentinel`), or `postgres`. */
  get backendMode(): BackendConnections['mode'] {
    return this.backend.mode;
  }

  /** True on PGlite (one session shared by every client). */
  get sharedSession(): boolean {
    return this.backend.sharedSession;
  }

  queue(name: QueueName): AnyQueue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = this.backend.createQueue(name, { prefix: this.keys.queuePrefix(name) });
      queue.on('error', (error: Error) => this.logger.warn({ queue: name, err: describe(error) }, 'queue error'));
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Validates the payload against the catalog and adds the job with its deterministic id. */
  async enqueue<N extends JobName>(name: N, input: JobInput<N>, options: { delayMs?: number } = {}): Promise<EnqueuedJob> {
    const { definition, payload } = parse(name, input);
    const jobId = definition.jobId(payload as never);
    const dedupeId = 'dedupeId' in definition ? (definition as { dedupeId(p: unknown): string }).dedupeId(payload) : undefined;
    const job = await this.queue(definition.queue).add(name, payload, {
      ...jobOptions(definition),
      ...priorityOf(definition, payload),
      jobId,
      ...(options.delayMs ? { delay: options.delayMs } : {}),
      ...(dedupeId ? { deduplication: { id: dedupeId } } : {}),
    });
    const id = job.id ?? jobId;
    return { queue: definition.queue, jobId: id, coalesced: id !== jobId };
  }

  /** Adds many jobs of one name in one round trip. */
  async enqueueMany<N extends JobName>(name: N, inputs: readonly JobInput<N>[]): Promise<JobRef[]> {
    if (inputs.length === 0) return [];
    const definition = jobCatalog[name];
    const jobs = inputs.map((input) => {
      const { payload } = parse(name, input);
      return {
        name,
        data: payload,
        opts: { ...jobOptions(definition), ...priorityOf(definition, payload), jobId: definition.jobId(payload as never) },
      };
    });
    const added = await this.queue(definition.queue).addBulk(jobs);
    return added.map((job, i) => ({ queue: definition.queue, jobId: job.id ?? jobs[i]!.opts.jobId }));
  }

  /** Starts one worker per queue, running the catalog's handlers with typed errors deciding each job's fate. */
  startWorkers(handlers: JobHandlers, options: WorkerGroupOptions = {}): WorkerGroup {
    const abort = new AbortController();
    // One listener per job in hand (per-job signals below), so the default cap of 10 is too low.
    setMaxListeners(1_000, abort.signal);
    const workers = new Map<QueueName, AnyWorker>();
    for (const name of options.queues ?? QUEUE_NAMES) {
      const processor = this.processorFor(name, handlers, abort.signal, options.hooks ?? {});
      const worker = this.backend.createWorker(name, processor, {
        prefix: this.keys.queuePrefix(name),
        concurrency: options.concurrency?.[name] ?? DEFAULT_CONCURRENCY[name],
        lockDuration: options.lockDurationMs ?? 30_000,
        stalledInterval: Math.min(30_000, options.lockDurationMs ?? 30_000),
        // Retention is set per job (catalog); these are fallbacks.
        removeOnComplete: { age: 86_400, count: 1_000 },
        removeOnFail: { count: 1_000 },
      });
      worker.on('error', (error: Error) => this.logger.warn({ queue: name, err: describe(error) }, 'worker error'));
      worker.on('failed', (job: Job | undefined, error: Error) => {
        if (error instanceof DelayedError || error.name === 'DelayedError') return;
        this.logger.warn({ queue: name, jobId: job?.id, attempt: job?.attemptsMade, err: describe(error) }, 'job failed');
      });
      workers.set(name, worker);
    }
    const group: WorkerGroup = {
      workers,
      close: async ({ graceMs = 10_000 } = {}) => {
        const closing = Promise.all([...workers.values()].map((w) => w.close()));
        const finished = await Promise.race([closing.then(() => true), delay(graceMs, true).then(() => false)]);
        if (!finished) {
          abort.abort(new DealwatchError('QUEUE.TIMEOUT', 'worker shutting down'));
          await Promise.all([...workers.values()].map((w) => w.close(true)));
        }
        this.groups.delete(group);
      },
    };
    this.groups.add(group);
    return group;
  }

  private processorFor(name: QueueName, handlers: JobHandlers, signal: AbortSignal, hooks: WorkerHooks) {
    const handler = handlers[name] as (payload: unknown, context: JobContext) => Promise<JobResults[QueueName]>;
    const definition = jobCatalog[name];
    return async (job: Job, token?: string): Promise<unknown> => {
      const parsed = definition.payload.safeParse(job.data);
      if (!parsed.success) {
        throw new UnrecoverableError(
          `QUEUE.BAD_PAYLOAD: ${name} job ${job.id}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        );
      }
      const connectionId = (parsed.data as { connectionId: string }).connectionId;
      // A signal per job: the connector's per-request listeners go away with the job.
      const jobAbort = new AbortController();
      setMaxListeners(1_000, jobAbort.signal);
      const forward = () => jobAbort.abort(signal.reason);
      signal.addEventListener('abort', forward, { once: true });
      const startedAt = Date.now();
      const ended = (outcome: AttemptTiming['outcome']) =>
        hooks.onAttemptEnded?.({
          queue: name,
          connectionId,
          outcome,
          waitSeconds: waitSecondsOf(job, startedAt),
          runSeconds: (Date.now() - startedAt) / 1000,
        });
      try {
        // A scheduler's job carries the instant it was planned for (BullMQ `prevMillis`).
        const scheduledAt = job.repeatJobKey !== undefined && typeof job.opts.prevMillis === 'number' ? job.opts.prevMillis : undefined;
        const result = await handler(parsed.data, {
          jobId: job.id ?? '',
          attempt: job.attemptsMade + 1,
          signal: jobAbort.signal,
          scheduledAt,
          reportProgress: (progress) => job.updateProgress(progress),
        });
        ended('completed');
        await hooks.onSucceeded?.(name, connectionId);
        return result;
      } catch (error) {
        const fate = fateOf(error);
        if (fate.kind === 'unrecoverable') {
          ended('failed');
          await hooks.onFailedForGood?.(name, connectionId, fate.reason, true);
          throw new UnrecoverableError(fate.reason);
        }
        if (fate.kind === 'delay' && token) {
          ended('delayed');
          this.logger.info({ queue: name, jobId: job.id, delayMs: fate.delayMs, reason: fate.reason }, 'job delayed');
          await job.moveToDelayed(Date.now() + withJitter(fate.delayMs), token);
          throw new DelayedError();
        }
        const attempts = job.opts.attempts ?? 1;
        const forGood = job.attemptsMade + 1 >= attempts;
        ended(forGood ? 'failed' : 'retry');
        if (forGood) await hooks.onFailedForGood?.(name, connectionId, fate.reason, false);
        throw error instanceof Error ? error : new Error(fate.reason);
      } finally {
        signal.removeEventListener('abort', forward);
      }
    };
  }

  /**
   * Makes the nightly-sync schedulers match the configuration: one per connection (cron + time
   * zone), created or updated; those of connections no longer configured are removed.
   */
  async reconcileSyncSchedulers(entries: readonly SyncScheduleEntry[]): Promise<{ upserted: string[]; removed: string[] }> {
    const queue = this.queue('sync');
    const wanted = new Map(entries.map((e) => [SCHEDULER_PREFIX + e.connectionId, e]));
    const existing = await this.listSchedulers();
    const removed: string[] = [];
    for (const scheduler of existing) {
      if (!wanted.has(scheduler.id)) {
        await queue.removeJobScheduler(scheduler.id);
        removed.push(scheduler.connectionId);
      }
    }
    const definition = jobCatalog.sync;
    for (const [id, entry] of wanted) {
      const current = existing.find((s) => s.id === id);
      if (current && current.cron === entry.cron && current.timezone === entry.timezone) continue;
      const data = definition.payload.parse({ connectionId: entry.connectionId, mode: 'incremental', trigger: 'schedule' });
      await queue.upsertJobScheduler(id, { pattern: entry.cron, tz: entry.timezone }, { name: 'sync', data, opts: jobOptions(definition) });
    }
    return { upserted: [...wanted.values()].map((e) => e.connectionId), removed };
  }

  /**
   * Makes the digest schedulers match the configuration: one per digest (cron + time zone), on the
   * `digest` queue; BullMQ names each tick's job by scheduler and tick, so a tick is one job.
   */
  async reconcileDigestSchedulers(entries: readonly DigestScheduleEntry[]): Promise<{ upserted: string[]; removed: string[] }> {
    const queue = this.queue('digest');
    const wanted = new Map(entries.map((e) => [DIGEST_SCHEDULER_PREFIX + e.digestId, e]));
    const existing = (await queue.getJobSchedulers(0, -1, true)).filter((s) => s.key.startsWith(DIGEST_SCHEDULER_PREFIX));
    const removed: string[] = [];
    for (const scheduler of existing) {
      if (!wanted.has(scheduler.key)) {
        await queue.removeJobScheduler(scheduler.key);
        removed.push(scheduler.key.slice(DIGEST_SCHEDULER_PREFIX.length));
      }
    }
    const definition = jobCatalog.digest;
    for (const [id, entry] of wanted) {
      const data = definition.payload.parse({ connectionId: entry.connectionId, digestId: entry.digestId });
      const current = existing.find((s) => s.key === id);
      if (
        current &&
        current.pattern === entry.cron &&
        (current.tz ?? 'UTC') === entry.timezone &&
        JSON.stringify(current.template?.data) === JSON.stringify(data)
      )
        continue;
      await queue.upsertJobScheduler(
        id,
        { pattern: entry.cron, tz: entry.timezone },
        { name: 'digest', data, opts: jobOptions(definition) },
      );
    }
    return { upserted: [...wanted.values()].map((e) => e.digestId), removed };
  }

  /** The nightly-sync schedulers that exist. */
  async listSchedulers(): Promise<{ id: string; connectionId: string; cron: string; timezone: string; next: number | null }[]> {
    const all = await this.queue('sync').getJobSchedulers(0, -1, true);
    return all
      .filter((s) => s.key.startsWith(SCHEDULER_PREFIX))
      .map((s) => ({
        id: s.key,
        connectionId: s.key.slice(SCHEDULER_PREFIX.length),
        cron: s.pattern ?? '',
        timezone: s.tz ?? 'UTC',
        next: s.next ?? null,
      }));
  }

  /** Waits for one job to end (completed, or failed for good). Polls, so it works on both backends. */
  async waitFor(ref: JobRef, options: { timeoutMs?: number; pollMs?: number } = {}): Promise<JobOutcome> {
    const deadline = Date.now() + (options.timeoutMs ?? 300_000);
    const queue = this.queue(ref.queue);
    for (;;) {
      const job = await queue.getJob(ref.jobId);
      if (job) {
        const state = await job.getState();
        // The state may have moved on since the job was read: read it again for its outcome.
        if (state === 'completed') return { state: 'completed', ref, result: (await queue.getJob(ref.jobId))?.returnvalue ?? null };
        if (state === 'failed') return { state: 'failed', ref, reason: (await queue.getJob(ref.jobId))?.failedReason ?? 'failed' };
      } else {
        // Removed after completion (retention) or never existed: nothing to wait for.
        return { state: 'completed', ref, result: null };
      }
      if (Date.now() > deadline) throw new DealwatchError('QUEUE.TIMEOUT', `job ${ref.queue}/${ref.jobId} did not finish in time`);
      await delay(options.pollMs ?? 100);
    }
  }

  /** Waits for a job and every job it caused (the `followUps` of each result), breadth first. */
  async waitForAll(ref: JobRef, options: { timeoutMs?: number } = {}): Promise<JobOutcome[]> {
    const deadline = Date.now() + (options.timeoutMs ?? 600_000);
    const outcomes: JobOutcome[] = [];
    const seen = new Set<string>();
    let frontier: JobRef[] = [ref];
    while (frontier.length > 0) {
      const next: JobRef[] = [];
      const ended = await Promise.all(frontier.map((r) => this.waitFor(r, { timeoutMs: Math.max(1, deadline - Date.now()) })));
      for (const outcome of ended) {
        outcomes.push(outcome);
        const followUps = outcome.state === 'completed' ? ((outcome.result as { followUps?: JobRef[] } | null)?.followUps ?? []) : [];
        for (const f of followUps) {
          const key = `${f.queue}/${f.jobId}`;
          if (!seen.has(key)) {
            seen.add(key);
            next.push(f);
          }
        }
      }
      frontier = next;
    }
    return outcomes;
  }

  /**
   * Workers currently consuming the sync queue, in any process. On a shared session (PGlite) the
   * backend cannot tell connections apart, but only the process that owns the embedded database can
   * run workers on it, so the workers of this process are the answer there.
   */
  async workerCount(): Promise<number> {
    if (this.backend.sharedSession) {
      return [...this.groups].filter((g) => g.workers.has('sync')).length;
    }
    return this.queue('sync').getWorkersCount();
  }

  /** Counts of jobs by state per queue (health, tests). */
  async counts(): Promise<Record<QueueName, Record<string, number>>> {
    const out = {} as Record<QueueName, Record<string, number>>;
    for (const name of QUEUE_NAMES) {
      out[name] = await this.queue(name).getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
    }
    return out;
  }

  /** Age in seconds of each queue's oldest waiting job; null when none waits (metrics). */
  async oldestWaitingAges(now: number = Date.now()): Promise<Record<QueueName, number | null>> {
    const out = {} as Record<QueueName, number | null>;
    for (const name of QUEUE_NAMES) out[name] = await oldestWaitingAge(this.queue(name), now);
    return out;
  }

  /** Deletes every queue's data (tests, `--fresh`). */
  async obliterate(): Promise<void> {
    for (const name of QUEUE_NAMES) await this.queue(name).obliterate({ force: true });
  }

  /** Closes workers (gracefully), queues and connections. Idempotent. */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.groups].map((g) => g.close(options)));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await this.backend.close();
  }
}

function parse<N extends JobName>(name: N, input: JobInput<N>) {
  const definition = jobCatalog[name];
  const parsed = definition.payload.safeParse(input);
  if (!parsed.success) {
    throw new DealwatchError(
      'QUEUE.BAD_PAYLOAD',
      `${name} job: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return { definition, payload: parsed.data };
}

/** The job's turn among its queue's connections (catalog `priority`), when its queue takes turns. */
function priorityOf(definition: (typeof jobCatalog)[JobName], payload: unknown): { priority?: number } {
  return 'priority' in definition ? { priority: (definition as { priority(p: unknown): number }).priority(payload) } : {};
}

function jobOptions(definition: (typeof jobCatalog)[JobName]) {
  return {
    attempts: definition.retry.attempts,
    backoff: { type: 'exponential' as const, delay: definition.retry.backoffMs, jitter: definition.retry.jitter },
    removeOnComplete: definition.retention.completed,
    removeOnFail: definition.retention.failed,
  };
}

/**
 * Age of the oldest job that is ready and not taken: the head of the wait list (BullMQ's
 * `getWaiting` in ascending order) and the first prioritized job. Null when none waits.
 */
export async function oldestWaitingAge(queue: AnyQueue, now: number = Date.now()): Promise<number | null> {
  const heads = [...(await queue.getJobs(['waiting'], 0, 0, true)), ...(await queue.getJobs(['prioritized'], 0, 0, true))];
  const readySince = heads.map((job) => job.timestamp + (job.delay ?? 0)).filter((t) => Number.isFinite(t));
  if (readySince.length === 0) return null;
  return Math.max(0, (now - Math.min(...readySince)) / 1000);
}

/** Wait before the first attempt: from when the job became ready (added, or its delay over). */
function waitSecondsOf(job: Job, startedAt: number): number | null {
  if (job.attemptsMade > 0 || !Number.isFinite(job.timestamp)) return null;
  return Math.max(0, (startedAt - job.timestamp - (job.delay ?? 0)) / 1000);
}

function delay(ms: number, unref = false): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    if (unref) timer.unref();
  });
}
