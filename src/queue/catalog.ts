/**
 * The job catalog: every job the pipeline runs, with the zod schema of its payload, its queue, its
 * id (so duplicates collapse) and its retry policy. Producers enqueue through `enqueue()` and
 * processors receive payloads parsed by the same schema, so the two cannot disagree; the handler
 * map (`JobHandlers`) is keyed by this catalog, so a missing handler is a compile error.
 *
 * Retry layers (one per failure kind, docs/architecture.md):
 * - a single HTTP call that hits a 429 with a short Retry-After, a 5xx or a reset is retried by the
 *   connector (p-retry), which also honours the shared RateGate;
 * - a transient error that escapes the connector fails the job, and BullMQ retries it here with
 *   `attempts` and exponential backoff with jitter;
 * - a rate limit that escapes the connector moves the job to delayed (no attempt spent), see
 *   ./fate.ts; auth/config errors are unrecoverable (no retry at all).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { QueueName } from './names.js';
import { jobIdOf, runTag } from './names.js';

/** Retry policy of a job. */
export interface RetryPolicy {
  /** Total attempts, the first included. */
  attempts: number;
  /** First backoff in ms; doubles each attempt. */
  backoffMs: number;
  /** Fraction of the backoff randomised (0..1), so retries of many jobs spread out. @defaultValue 0.5 */
  jitter: number;
}

/** How long finished jobs are kept: completed ones for duplicate detection, failed ones for inspection. */
export interface Retention {
  completed: { age: number; count: number };
  failed: { count: number };
}

const ConnectionId = z.string().min(1);

/** Pulls a connection's changes (or everything with `mode: full`). */
export const SyncJobPayload = z.object({
  connectionId: ConnectionId,
  mode: z.enum(['incremental', 'full']).default('incremental'),
  /** `schedule`, `cli`, `api`, `demo`, ... (recorded on the sync run). */
  trigger: z.string().default('schedule'),
});
export type SyncJobPayload = z.input<typeof SyncJobPayload>;

/** A provider event about one deal (the stage-change fast path). */
export const EventJobPayload = z.object({
  connectionId: ConnectionId,
  eventId: z.string().min(1),
  dealId: z.string().min(1),
  kind: z.enum(['stage_change', 'created', 'deleted', 'changed', 'restored', 'merged']),
  occurredAt: z.string().min(1),
  stageId: z.string().optional(),
  /** The CRM user who made the change, when the event says (Salesforce LastModifiedById). */
  modifiedBy: z.string().optional(),
});
export type EventJobPayload = z.input<typeof EventJobPayload>;

/** Scores some deals of a connection (a chunk of those a sync changed). */
export const ScoreJobPayload = z.object({
  connectionId: ConnectionId,
  dealIds: z.array(z.string().min(1)).max(5000),
  /** Sync run that caused it, when any; part of the job id so a retried sync does not rescore twice. */
  runId: z.number().int().nullable().default(null),
  /** When that run started (ISO): with runId, names the run even after the database was restored. */
  runStartedAt: z.string().optional(),
  chunk: z.number().int().nonnegative().default(0),
  /** Refresh the connection's cached benchmarks first (the first chunk after a sync). */
  refreshBenchmarks: z.boolean().default(false),
});
export type ScoreJobPayload = z.input<typeof ScoreJobPayload>;

/** Writes what is due for a connection (or some of its deals) back into the CRM. */
export const WritebackJobPayload = z.object({
  connectionId: ConnectionId,
  /** Only these deals; all due annotations of the connection when absent. */
  dealIds: z.array(z.string().min(1)).optional(),
  /** Id of the job that asked (correlation, part of the job id). */
  cause: z.string().default('manual'),
  /** The round of its connection's work that asked: the score chunk's number (fairness: see `priority`). */
  round: z.number().int().nonnegative().default(0),
});
export type WritebackJobPayload = z.input<typeof WritebackJobPayload>;

/**
 * Sends one digest for one schedule tick. The scheduler's jobs carry no tick (their data is fixed):
 * the tick is the instant the scheduler planned the job for (`JobContext.scheduledAt`).
 */
export const DigestJobPayload = z.object({
  connectionId: ConnectionId,
  digestId: z.string().min(1),
  /** The tick (ISO), when enqueued by hand; scheduled jobs take theirs from the scheduler. */
  tick: z.iso.datetime({ offset: true }).optional(),
});
export type DigestJobPayload = z.input<typeof DigestJobPayload>;

/**
 * How far a sync has got (BullMQ job progress, `GET /api/v1/jobs/:id`, `sync --wait`): the phase,
 * records and pages stored so far, API calls, the waits for the provider's rate limit, and the
 * least time the calls so far need at the rate the connection's gate plans for (the provider's
 * limit less a margin; Salesforce, which has no short-window limit, at dealwatch's own ceiling).
 */
export const SyncProgress = z
  .object({
    phase: z.enum(['metadata', 'deals', 'activities', 'history', 'reconcile', 'snapshot', 'done']),
    records: z.object({ deals: z.number().int(), activities: z.number().int(), history: z.number().int(), tombstones: z.number().int() }),
    pages: z.number().int(),
    apiCalls: z.number().int(),
    /** 429 answers the connector got (and retried). */
    rateLimited: z.number().int(),
    /** Times the connection's rate gate held a call back, and for how long in all. */
    rateLimitWaits: z.object({ count: z.number().int(), seconds: z.number() }),
    /** Seconds since the sync started. */
    elapsedSeconds: z.number(),
    /** The provider's sustained request rate (the gate's plan) and the seconds the calls so far need at it. */
    rateFloor: z.object({ requestsPerSecond: z.number(), secondsForCallsSoFar: z.number() }).nullable(),
  })
  .meta({ id: 'SyncProgress' });
export type SyncProgress = z.infer<typeof SyncProgress>;

/** One catalog entry. */
export interface JobDefinition<S extends z.ZodType> {
  queue: QueueName;
  payload: S;
  retry: RetryPolicy;
  retention: Retention;
  /** Deterministic job id: the same request twice is one job. */
  jobId(payload: z.output<S>): string;
  /**
   * Deduplication id: while a job with this id waits or runs, another request is coalesced into it
   * (BullMQ `deduplication`), after it finishes a new one may start.
   */
  dedupeId?(payload: z.output<S>): string;
  /**
   * Fair turns between connections: a job's round of its connection's work (a sync's n-th score
   * chunk, and the write-back it asks for, are round n). BullMQ takes the lowest priority first and
   * keeps arrival order within one, so every connection's round 0 runs before anyone's round 1: a
   * small connection's only chunk waits for one running job to end, not behind a big sync's
   * hundreds of chunks (docs/architecture.md, "Fair turns").
   */
  priority?(payload: z.output<S>): number;
}

/** BullMQ's largest priority (2^21). */
const MAX_PRIORITY = 2_097_152;
const roundPriority = (round: number) => Math.min(round + 1, MAX_PRIORITY);

const DAY_S = 24 * 3600;

function hashOf(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24);
}

function define<S extends z.ZodType>(definition: JobDefinition<S>): JobDefinition<S> {
  return definition;
}

/** The catalog. */
export const jobCatalog = {
  /** One sync per connection at a time: the dedupe id is the connection; the job id is unique per request. */
  sync: define({
    queue: 'sync',
    payload: SyncJobPayload,
    retry: { attempts: 4, backoffMs: 10_000, jitter: 0.5 },
    retention: { completed: { age: 7 * DAY_S, count: 200 }, failed: { count: 500 } },
    jobId: (p) => jobIdOf('sync', p.connectionId, p.mode, Date.now(), Math.random().toString(36).slice(2, 8)),
    dedupeId: (p) => jobIdOf('sync', p.connectionId),
  }),
  /** Id from the provider event, deal and time: a webhook delivered three times is one job (kept a day). */
  events: define({
    queue: 'events',
    payload: EventJobPayload,
    retry: { attempts: 6, backoffMs: 1_000, jitter: 0.5 },
    retention: { completed: { age: DAY_S, count: 50_000 }, failed: { count: 1_000 } },
    jobId: (p) => jobIdOf('ev', p.connectionId, hashOf(p.eventId, p.dealId, p.occurredAt)),
  }),
  score: define({
    queue: 'score',
    payload: ScoreJobPayload,
    retry: { attempts: 5, backoffMs: 2_000, jitter: 0.5 },
    retention: { completed: { age: DAY_S, count: 1_000 }, failed: { count: 500 } },
    jobId: (p) =>
      p.runId === null
        ? jobIdOf('score', p.connectionId, hashOf(...p.dealIds), Date.now())
        : jobIdOf('score', p.connectionId, runTag(p.runId, p.runStartedAt), p.chunk),
    priority: (p) => roundPriority(p.chunk),
  }),
  writeback: define({
    queue: 'writeback',
    payload: WritebackJobPayload,
    retry: { attempts: 8, backoffMs: 5_000, jitter: 0.5 },
    retention: { completed: { age: DAY_S, count: 1_000 }, failed: { count: 500 } },
    jobId: (p) => jobIdOf('wb', p.connectionId, p.cause),
    priority: (p) => roundPriority(p.round),
  }),
  /** One job per digest and tick (the scheduler names its jobs by scheduler and tick the same way). */
  digest: define({
    queue: 'digest',
    payload: DigestJobPayload,
    retry: { attempts: 6, backoffMs: 30_000, jitter: 0.5 },
    retention: { completed: { age: 7 * DAY_S, count: 1_000 }, failed: { count: 500 } },
    jobId: (p) => jobIdOf('digest', p.digestId, p.tick === undefined ? Date.now() : Date.parse(p.tick)),
  }),
} as const satisfies { [N in QueueName]: JobDefinition<z.ZodType> };

export type JobName = keyof typeof jobCatalog;
/** Payload as producers write it (defaults optional). */
export type JobInput<N extends JobName> = z.input<(typeof jobCatalog)[N]['payload']>;
/** Payload as processors receive it (defaults applied). */
export type JobPayload<N extends JobName> = z.output<(typeof jobCatalog)[N]['payload']>;

/** A job another job caused; `sync --wait` follows these to know when all the work is done. */
export interface JobRef {
  queue: QueueName;
  jobId: string;
}

/** What each processor returns (stored as the job's return value). */
export interface JobResults {
  sync: {
    connectionId: string;
    runId: number | null;
    status: 'ok' | 'partial' | 'failed' | 'skipped';
    deals: number;
    activities: number;
    apiCalls: number;
    followUps: JobRef[];
  };
  events: {
    connectionId: string;
    dealId: string;
    refetched: boolean;
    applied: boolean;
    /** Another event of the same deal was in the same batch: they shared one refresh. */
    coalesced?: boolean;
    followUps: JobRef[];
  };
  score: { connectionId: string; scored: number; opened: number; resolved: number; followUps: JobRef[] };
  writeback: {
    connectionId: string;
    mode: 'on' | 'dry-run' | 'off';
    fields: number;
    notes: number;
    tasks: number;
    planned: number;
    /** Writes that failed (the CRM refused them, or they did not reach it). */
    failed: number;
    errors: string[];
    followUps: JobRef[];
  };
  digest: {
    connectionId: string;
    digestId: string;
    tick: string;
    sent: ('email' | 'slack')[];
    skipped: ('email' | 'slack')[];
    followUps: JobRef[];
  };
}

/** Context given to a processor. */
export interface JobContext {
  jobId: string;
  /** 1 on the first attempt. */
  attempt: number;
  /** Aborted when the worker shuts down: stop at the next page boundary. */
  signal: AbortSignal;
  /** For a job a scheduler made: the instant (ms) it was planned for, its tick. */
  scheduledAt?: number | undefined;
  /** Records how far the job has got (BullMQ job progress), for `GET /api/v1/jobs/:id` and `sync --wait`. */
  reportProgress?(progress: SyncProgress): Promise<void>;
}

/** One processor per job; a missing one does not compile. */
export type JobHandlers = {
  [N in JobName]: (payload: JobPayload<N>, context: JobContext) => Promise<JobResults[N]>;
};

/** The connection a payload belongs to (every job has one). */
export function connectionOf(payload: { connectionId: string }): string {
  return payload.connectionId;
}
