/** The manager report: KPIs, forecast, pipeline changes, coaching and the morning review. */
import { indexInput } from '../indexed-input.js';
import type { EngineInput } from '../engine-input.js';
import { evaluateDeals, type Evaluation } from '../evaluate.js';
import type { FindingsDiff } from '../findings/diff.js';
import { computePipelineChanges, type ChangesOptions, type PipelineChanges } from './changes.js';
import { computeCoaching, type Coaching } from './coaching.js';
import { reportContext } from './context.js';
import { computeForecast, type Forecast, type ForecastOptions } from './forecast.js';
import { computeKpis, type KpiOptions, type KpiReport } from './kpis.js';
import { buildMorningReview, type MorningReview } from './review.js';

/** Everything a manager reads, for one connection at one instant. */
export interface ManagerReport {
  connectionId: string;
  generatedAt: string;
  timezone: string;
  currency: string;
  /** True when benchmarks fell back to fixed defaults (too few won deals). */
  usedDefaultBenchmarks: boolean;
  wonDealsInHistory: number;
  kpis: KpiReport;
  forecast: Forecast;
  changes: PipelineChanges;
  coaching: Coaching;
  review: MorningReview;
}

/** Options of {@link buildReport}. */
export interface ReportOptions {
  /** An evaluation of the same input at the same instant (else computed). */
  evaluation?: Evaluation;
  /** This run's findings diff, for the review's "new critical" list. */
  diff?: FindingsDiff;
  kpis?: KpiOptions;
  forecast?: Omit<ForecastOptions, 'findingsByDeal'>;
  changes?: ChangesOptions;
}

/** Builds the full manager report. Pure; `now` is the report's instant. */
export function buildReport(input: EngineInput, now: Date | number, options: ReportOptions = {}): ManagerReport {
  const evaluation = options.evaluation ?? evaluateDeals(input, now, { indexed: indexInput(input, now) });
  const ctx = reportContext(evaluation.indexed, evaluation);
  const kpis = computeKpis(ctx, options.kpis);
  const forecast = computeForecast(ctx, options.forecast);
  const coaching = computeCoaching(ctx);
  const review = buildMorningReview(ctx, options.diff ? { kpis, forecast, coaching, diff: options.diff } : { kpis, forecast, coaching });
  return {
    connectionId: input.settings.connectionId,
    generatedAt: new Date(evaluation.indexed.nowMs).toISOString(),
    timezone: input.settings.timezone,
    currency: input.settings.reportingCurrency,
    usedDefaultBenchmarks: evaluation.benchmarks.usedDefaults,
    wonDealsInHistory: evaluation.benchmarks.wonDeals,
    kpis,
    forecast,
    changes: computePipelineChanges(ctx, options.changes),
    coaching,
    review,
  };
}
