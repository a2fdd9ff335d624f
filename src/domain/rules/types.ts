/**
 * The shape of a rule and the per-deal facts every rule reads. Facts are computed once per deal
 * (days idle, days in stage, close day) so that sixteen rules cost sixteen cheap checks.
 */
import type { Benchmarks } from '../benchmarks.js';
import type {
  ActivityStats,
  AmountBaseline,
  IndexedInput,
  DealRecord,
  ParsedCloseDateChange,
  ParsedStageChange,
  StageInfo,
} from '../indexed-input.js';
import { lastMoveInto, stageKey } from '../indexed-input.js';
import type { Deal } from '../model/deal.js';
import type { Finding, Severity } from '../model/finding.js';
import { dayOfIsoDate, parseInstant } from '../time.js';
import { RunMemo } from '../memo.js';
import { stuckSettingsFor, type RuleId } from './config.js';

/** What a rule returns when it fires; the engine adds ids and the configured severity. */
export interface RuleHit {
  /** Overrides the rule's default severity (e.g. stale twice over the threshold is critical). */
  severity?: Severity;
  message: string;
  evidence: Record<string, unknown>;
  suggestedAction: string;
}

/** Facts about one deal, computed once per run. */
export interface DealFacts {
  deal: Deal;
  stage: StageInfo | undefined;
  /** The stage's probability, else the deal's, else 0. */
  probability: number;
  stats: ActivityStats;
  createdMs: number;
  /** Later of last counted activity and creation. */
  lastTouchMs: number;
  /** Local calendar days from `lastTouchMs` to today. */
  idleDays: number;
  /** When the deal entered its current stage (stageEnteredAt, else history, else creation). */
  enteredStageMs: number;
  daysInStage: number;
  /** Day number of the close date; NaN when none. */
  closeDay: number;
  /** Stage changes, oldest first. */
  changes: readonly ParsedStageChange[];
  /** Close-date changes, oldest first; undefined when none (read by a rule and the score). */
  closeDateChanges: readonly ParsedCloseDateChange[] | undefined;
  /** The amount `amount_decreased.days` ago, when known. */
  amountBaseline: AmountBaseline | undefined;
  /** The latest change into the current stage, if history has one. */
  lastMove: ParsedStageChange | undefined;
  /** The stage `lastMove` came from, when known. */
  lastMoveFrom: StageInfo | undefined;
  /** Local day of `lastMove`; NaN when none. */
  lastMoveDay: number;
  /** When the deal entered its stage, as the CRM wrote it (stageEnteredAt, else the move, else creation). */
  enteredStageAt: string | null;
}

/** The stuck-in-stage limit of one stage and where it came from. */
export interface StuckBenchmark {
  thresholdDays: number;
  source: 'learned' | 'fallback';
  medianDaysWon: number | null;
  wonSamples: number;
  minSamples: number;
  factor: number;
  fallbackDays: number;
}

/** Everything a rule may read besides the deal's facts. */
export interface RuleContext {
  indexed: IndexedInput;
  benchmarks: Benchmarks;
  /** Stuck limit per stage, resolved lazily and cached for the run. */
  stuckBenchmark(pipeline: string, stageId: string): StuckBenchmark;
  /** The stuck limit of a deal's current stage (cached on the stage object, no key building). */
  stuckFor(f: DealFacts): StuckBenchmark;
  /** Values shared across the run's deals (the score's components, see memo.ts). */
  memo: RunMemo;
}

/** A deal rule. */
export interface Rule {
  id: RuleId;
  /** Which deals it looks at. */
  appliesTo: 'open' | 'closed';
  defaultSeverity: Severity;
  evaluate(facts: DealFacts, ctx: RuleContext): RuleHit | null;
}

const NO_CHANGES: readonly ParsedStageChange[] = Object.freeze([]);

/** Computes a deal's facts against the run's indexes (`record`: the deal's, when the caller has it). */
export function dealFacts(
  deal: Deal,
  indexed: IndexedInput,
  record: DealRecord | undefined = indexed.recordOf(deal.externalId),
): DealFacts {
  const stage = indexed.stageOf(deal.pipeline, deal.stageId);
  const stats = indexed.statsAt(record?.slot ?? -1);
  const createdMs = parseInstant(deal.createdAt);
  const lastTouchMs = Math.max(stats.lastMs, Number.isNaN(createdMs) ? -Infinity : createdMs);
  const idleDays = Number.isFinite(lastTouchMs) ? indexed.today - indexed.clock.dayOf(lastTouchMs) : 0;
  const changes = record?.stageChanges ?? NO_CHANGES;
  const lastMove = lastMoveInto(changes, deal.stageId, indexed.nowMs);
  let enteredStageMs = deal.stageEnteredAt !== null ? parseInstant(deal.stageEnteredAt) : NaN;
  if (Number.isNaN(enteredStageMs)) enteredStageMs = lastMove?.atMs ?? createdMs;
  const daysInStage = Number.isFinite(enteredStageMs) ? Math.max(0, indexed.today - indexed.clock.dayOf(enteredStageMs)) : 0;
  const lastMoveFrom = lastMove && lastMove.fromStageId !== null ? indexed.stageOf(deal.pipeline, lastMove.fromStageId) : undefined;
  return {
    deal,
    stage,
    probability: stage?.stage.probability ?? deal.probability ?? 0,
    stats,
    createdMs,
    lastTouchMs,
    idleDays: Math.max(0, idleDays),
    enteredStageMs,
    daysInStage,
    closeDay: deal.closeDate === null ? NaN : dayOfIsoDate(deal.closeDate),
    changes,
    closeDateChanges: record?.closeDateChanges,
    amountBaseline: record?.amountBaseline,
    lastMove,
    lastMoveFrom,
    lastMoveDay: lastMove ? indexed.clock.dayOf(lastMove.atMs) : NaN,
    enteredStageAt: deal.stageEnteredAt ?? lastMove?.at ?? deal.createdAt,
  };
}

/** A {@link RuleContext} for a run, with the per-stage stuck limits cached. */
export function ruleContext(indexed: IndexedInput, benchmarks: Benchmarks): RuleContext {
  const cache = new Map<string, StuckBenchmark>();
  const byStage = new Map<StageInfo, StuckBenchmark>();
  const stuckBenchmark = (pipeline: string, stageId: string): StuckBenchmark => {
    const key = stageKey(pipeline, stageId);
    let b = cache.get(key);
    if (!b) {
      const { factor, fallbackDays } = stuckSettingsFor(indexed.cfg, pipeline, stageId);
      const learned = benchmarks.stages[key];
      const minSamples = indexed.cfg.stuck_in_stage.minSamples;
      const wonSamples = learned?.wonSamples ?? 0;
      const med = learned?.medianDaysWon ?? null;
      b =
        med !== null && wonSamples >= minSamples
          ? {
              thresholdDays: Math.round(factor * med * 10) / 10,
              source: 'learned',
              medianDaysWon: med,
              wonSamples,
              minSamples,
              factor,
              fallbackDays,
            }
          : { thresholdDays: fallbackDays, source: 'fallback', medianDaysWon: med, wonSamples, minSamples, factor, fallbackDays };
      cache.set(key, b);
    }
    return b;
  };
  return {
    indexed,
    benchmarks,
    memo: new RunMemo(),
    stuckBenchmark,
    stuckFor(f) {
      if (!f.stage) return stuckBenchmark(f.deal.pipeline, f.deal.stageId);
      let b = byStage.get(f.stage);
      if (!b) byStage.set(f.stage, (b = stuckBenchmark(f.deal.pipeline, f.deal.stageId)));
      return b;
    },
  };
}

/** Wraps a hit into a {@link Finding}, applying the configured severity. */
export function toFinding(rule: Rule, hit: RuleHit, deal: Deal, configured: Severity | undefined): Finding {
  return {
    connectionId: deal.connectionId,
    dealId: deal.externalId,
    ruleId: rule.id,
    severity: configured ?? hit.severity ?? rule.defaultSeverity,
    message: hit.message,
    evidence: hit.evidence,
    suggestedAction: hit.suggestedAction,
  };
}

/** `1 day` / `3 days`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A probability as people say it: `0.4` -> `40%`. */
export function percent(probability: number): string {
  return `${Math.round(probability * 100)}%`;
}

/** Stage label for messages. */
export function stageLabel(f: DealFacts): string {
  return f.stage?.stage.label ?? f.deal.stageId;
}
