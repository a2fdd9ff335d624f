/**
 * Scoring: loads what the engine needs for some deals of a connection (plus the connection's
 * benchmarks, cached here and refreshed after each sync), runs the engine, stores the scores, and
 * applies the findings diff to the ledger. The score processor then asks for the write-back of the
 * deals whose score or flags changed; the events fast path calls `scoreDeals` directly.
 */
import { diffFindings, engineSettingsFromConnection, evaluateDeals, learnBenchmarks, type Benchmarks } from '../src/domain/engine.js';
import { ConfigError } from '../src/domain/errors.js';
import type { ConnectionSettings } from '../src/domain/model/index.js';
import type { JobContext, JobPayload, JobResults } from '../src/queue/index.js';
import { loadBenchmarkHistory, loadEngineInput } from '../src/store/engine-input.js';
import type { LedgerDiff } from '../src/store/types.js';
import { settingsOf, type PipelineDeps } from './deps.js';

export interface ScoreOutcome {
  scored: number;
  opened: number;
  resolved: number;
  /** Deals whose CRM fields (score, flags) must be rewritten. */
  fieldDealIds: string[];
}

/** Benchmarks per connection, per process. */
export class BenchmarkCache {
  private readonly byConnection = new Map<string, Benchmarks>();
  get(connectionId: string): Benchmarks | undefined {
    return this.byConnection.get(connectionId);
  }
  set(connectionId: string, benchmarks: Benchmarks): void {
    this.byConnection.set(connectionId, benchmarks);
  }
}

/** Scores the deals and records the findings; pure engine in the middle, store on both sides. */
export async function scoreDeals(
  deps: PipelineDeps,
  benchmarks: BenchmarkCache,
  settings: ConnectionSettings,
  dealIds: readonly string[],
  options: { refreshBenchmarks?: boolean } = {},
): Promise<ScoreOutcome> {
  const { store } = deps;
  const id = settings.id;
  const engine = engineSettingsFromConnection(settings);
  if (!engine.ok) throw new ConfigError(engine.issues.map((i) => `connections[${id}].${i}`));
  const now = deps.clock();
  const nowIso = now.toISOString();

  // The same loader as the reports (src/store/engine-input.ts), scoped to these deals.
  const input = await loadEngineInput(store, engine.settings, now, dealIds);

  let learned = benchmarks.get(id);
  if (!learned || options.refreshBenchmarks) {
    learned = learnBenchmarks(await loadBenchmarkHistory(store, engine.settings, now), engine.settings.rules.stuck_in_stage.minSamples);
    benchmarks.set(id, learned);
  }

  const evaluation = evaluateDeals(input, now, { dealIds, benchmarks: learned });
  const scoreWrite = await store.scores.upsertMany(id, evaluation.scores, nowIso);
  const ledgerOpen = await store.findings.openForDeals(id, dealIds);
  const diff = diffFindings({ open: ledgerOpen, current: evaluation.findings, evaluatedDealIds: evaluation.evaluatedDealIds, now: nowIso });
  const ledgerDiff: LedgerDiff = {
    opened: diff.opened.map((o) => ({ finding: o.finding, annotationKey: o.key })),
    stillOpen: [...diff.updated, ...diff.stillOpen].map((c) => c.finding),
    resolved: diff.resolved.map((r) => ({ dealId: r.previous.dealId, ruleId: r.previous.ruleId })),
  };
  await store.findings.applyDiff(id, ledgerDiff, nowIso);

  // Fields are rewritten only where the score or the set of flags changed.
  const fieldDealIds = new Set(scoreWrite.changedIds);
  for (const o of diff.opened) fieldDealIds.add(o.finding.dealId);
  for (const r of diff.resolved) fieldDealIds.add(r.previous.dealId);
  const scoredIds = new Set(evaluation.scores.map((s) => s.dealId));
  return {
    scored: evaluation.scores.length,
    opened: diff.opened.length,
    resolved: diff.resolved.length,
    fieldDealIds: [...fieldDealIds].filter((d) => scoredIds.has(d)).sort(),
  };
}

export function createScoreProcessor(deps: PipelineDeps, benchmarks: BenchmarkCache) {
  const log = deps.logger.child({ module: 'score' });
  return async function processScore(payload: JobPayload<'score'>, context: JobContext): Promise<JobResults['score']> {
    const settings = settingsOf(deps, payload.connectionId);
    const outcome = await scoreDeals(deps, benchmarks, settings, payload.dealIds, { refreshBenchmarks: payload.refreshBenchmarks });
    const followUps =
      outcome.opened > 0 || outcome.fieldDealIds.length > 0
        ? [
            await deps.queues.enqueue('writeback', {
              connectionId: settings.id,
              dealIds: outcome.fieldDealIds,
              cause: context.jobId,
              round: payload.chunk,
            }),
          ]
        : [];
    log.info({ connection: settings.id, jobId: context.jobId, ...outcome, fieldDealIds: outcome.fieldDealIds.length }, 'scored');
    return { connectionId: settings.id, scored: outcome.scored, opened: outcome.opened, resolved: outcome.resolved, followUps };
  };
}
