/**
 * dealwatch's pipeline health engine: the public API of src/domain.
 *
 * Pure functions over one {@link EngineInput} bundle and an instant `now` (no clock, no I/O):
 * - {@link evaluateDeals}: every rule's findings and every open deal's score (the hot path);
 * - {@link diffFindings} and {@link annotationKey}: what the writer creates, updates or clears;
 * - {@link buildReport}: KPIs, forecast, pipeline changes, coaching and the morning review;
 * - {@link learnBenchmarks}: the connection's own stage durations and conversion rates;
 * - {@link parseRulesConfig} / {@link engineSettingsFromConnection}: validated thresholds.
 *
 * Typical run (jobs/score): `const ev = evaluateDeals(input, now)`, then
 * `diffFindings({ open: ledgerOpen, current: ev.findings, evaluatedDealIds: ev.evaluatedDealIds, now: iso })`,
 * then `buildReport(input, now, { evaluation: ev, diff })` for the manager.
 */
export { engineSettingsFromConnection, type EngineInput, type EngineSettings } from './engine-input.js';
export { evaluateDeals, type EvaluateOptions, type Evaluation } from './evaluate.js';
export { learnBenchmarks, type BenchmarkHistory, type Benchmarks, type StageBenchmark } from './benchmarks.js';
export { indexInput, type IndexedInput } from './indexed-input.js';
export {
  RULE_IDS,
  RuleId,
  RulesConfig,
  defaultRulesConfig,
  parseRulesConfig,
  DEFAULT_DISCOUNT_TIERS,
  type DiscountTier,
  type ParseRulesResult,
  type RulesConfigInput,
} from './rules/config.js';
export { RULES, HYGIENE_RULES } from './rules/index.js';
export { bandOf, SCORE_WEIGHTS, HYGIENE_PENALTIES, scoreDeal } from './score/score.js';
export {
  diffFindings,
  stableStringify,
  type DiffInput,
  type FindingsDiff,
  type OpenedFinding,
  type ContinuingFinding,
  type ResolvedFinding,
} from './findings/diff.js';
export { annotationKey, ANNOTATION_KEY_PATTERN } from './findings/key.js';
export { buildReport, type ManagerReport, type ReportOptions } from './reports/index.js';
export { reportContext, type ReportContext } from './reports/context.js';
export {
  computeKpis,
  type KpiReport,
  type KpiOptions,
  type PeriodKpis,
  type StateKpis,
  type ScopeKpis,
  type TrendFlag,
} from './reports/kpis.js';
export { computeForecast, type Forecast, type ForecastLine, type ForecastDeal, type ForecastOptions } from './reports/forecast.js';
export {
  computePipelineChanges,
  waterfallBalances,
  type PipelineChanges,
  type Waterfall,
  type DealChange,
  type ChangesOptions,
} from './reports/changes.js';
export { computeRollup, categoryOf, type ForecastRollup, type QuarterRollup, type RollupLine, type RollupDeal } from './reports/rollup.js';
export { computeHistoryChanges, type HistoryChanges, type SnapshotCheck } from './reports/history-changes.js';
export { runBacktest, type BacktestReport, type BacktestPoint, type MethodResult, type MethodSummary } from './reports/backtest.js';
export {
  FORECAST_METHODS,
  METHOD_IN_USE,
  type ForecastMethod,
  type ForecastModel,
  type RiskFactor,
  type StageRate,
} from './reports/forecast-model.js';
export { buildTimelines, type DealTimeline } from './reports/timeline.js';
export { computeCoaching, type Coaching, type RepCoaching, type ActivityGoal } from './reports/coaching.js';
export { buildMorningReview, type MorningReview } from './reports/review.js';
export { trailingDays, quarterToDate, fiscalQuarter, previousPeriod, type Period } from './reports/period.js';
export { MoneySum, toReporting, type Money, type MoneyTotal, type MoneyContext } from './money.js';
export { createDayClock, isValidTimeZone, type DayClock } from './time.js';
