/**
 * Response schemas of the HTTP API (zod; the OpenAPI document at /docs/json is generated from
 * them). Canonical records reuse the domain's schemas so the API says exactly what the model says.
 */
import { z } from 'zod';
import { SyncProgress } from '../queue/catalog.js';
import {
  Activity,
  ApiUsage,
  Deal,
  DealFieldChange,
  DealScore,
  LedgerFinding,
  Provider,
  ScoreBand,
  StageChange,
  SyncStatus,
} from '../domain/model/index.js';

/** A path or query value of the API: non-empty, and storable (PostgreSQL text holds no NUL character). */
export const ApiText = z
  .string()
  .min(1)
  .regex(/^[^\u0000]*$/, 'must not contain a NUL character');

export const ErrorBody = z
  .object({
    error: z.object({ code: z.string().describe('stable error code, e.g. UNAUTHORIZED'), message: z.string() }),
    requestId: z.string(),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof ErrorBody>;

export const SyncRunView = z
  .object({
    id: z.number().int(),
    mode: z.enum(['incremental', 'full', 'webhook']),
    trigger: z.string(),
    status: SyncStatus,
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    counts: z.record(z.string(), z.number()),
    apiUsage: ApiUsage.nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'SyncRun' });

export const ConnectionView = z
  .object({
    id: z.string(),
    provider: Provider,
    name: z.string(),
    status: z.enum(['never_synced', 'running', 'ok', 'partial', 'failed', 'paused']).describe('paused wins over the last run status'),
    pausedReason: z.string().nullable(),
    lastSyncRun: SyncRunView.nullable(),
    nextScheduledRun: z.string().nullable().describe('ISO instant of the next nightly sync'),
  })
  .meta({ id: 'Connection' });

export const ConnectionList = z.object({ items: z.array(ConnectionView) });

export const StoredScoreView = DealScore.extend({ scoredAt: z.string() }).meta({ id: 'DealScore' });

export const DealListItemView = z
  .object({
    deal: Deal,
    score: StoredScoreView.nullable(),
    openRuleIds: z.array(z.string()),
  })
  .meta({ id: 'DealListItem' });

export const DealPage = z.object({
  items: z.array(DealListItemView),
  nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last page'),
});

export const FindingView = LedgerFinding.extend({
  annotationKey: z.string(),
  writeStatus: z.enum(['planned', 'pending', 'written', 'failed']),
  externalId: z.string().nullable(),
}).meta({ id: 'Finding' });

export const DealDetail = z
  .object({
    deal: Deal,
    score: StoredScoreView.nullable(),
    findings: z.object({ open: z.array(FindingView), resolved: z.array(FindingView) }),
    activities: z.array(Activity).describe('newest first'),
    stageHistory: z.array(StageChange).describe('oldest first'),
    fieldHistory: z.array(DealFieldChange).describe('oldest first'),
  })
  .meta({ id: 'DealDetail' });

export const DealQuery = z.object({
  band: ScoreBand.optional(),
  rule: ApiText.optional(),
  owner: ApiText.optional(),
  stage: ApiText.optional(),
  state: z.enum(['open', 'closed', 'all']).default('open'),
  cursor: ApiText.optional().describe('`nextCursor` of the previous page, with the same filters; anything else is refused with 400'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const SyncRequest = z.object({ mode: z.enum(['incremental', 'full']).default('incremental') });

export const JobAccepted = z.object({ jobId: z.string(), queue: z.literal('sync') });

export const JobViewSchema = z
  .object({
    id: z.string(),
    queue: z.string(),
    name: z.string(),
    state: z.enum(['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized', 'waiting-children', 'unknown']),
    attemptsMade: z.number().int(),
    createdAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    failedReason: z.string().nullable(),
    result: z.unknown(),
    progress: z
      .union([z.number(), SyncProgress])
      .nullable()
      .describe(
        "How far the job has got: a sync's phase, records, pages, API calls and rate-limit waits; 0 or null for jobs that do not report",
      ),
  })
  .meta({ id: 'Job' });

export const Health = z.object({ status: z.literal('ok') });
export const Readiness = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), error: z.string().optional() })),
});
