/**
 * Rules and scores for one input: the hot path. Indexes are built once (see indexed-input.ts); each deal
 * then costs one facts computation, sixteen rule checks and one score.
 */
import { learnBenchmarks, type Benchmarks } from './benchmarks.js';
import { indexInput, type IndexedInput } from './indexed-input.js';
import type { EngineInput } from './engine-input.js';
import type { DealScore, Finding } from './model/finding.js';
import { activeRules, evaluateRules } from './rules/index.js';
import { dealFacts, ruleContext } from './rules/types.js';
import { scoreDeal } from './score/score.js';

/** Options of {@link evaluateDeals}. */
export interface EvaluateOptions {
  /** Only these deals (e.g. the one a webhook changed); default every deal in the input. */
  dealIds?: Iterable<string>;
  /** Benchmarks learned earlier (cached by the pipeline); default learned from the input. */
  benchmarks?: Benchmarks;
  /** Indexes already built for this input and instant (reports reuse it). */
  indexed?: IndexedInput;
}

/** What one run found. */
export interface Evaluation {
  /** Every finding, open deals and recently closed ones, in deal order. */
  findings: Finding[];
  /** One score per open deal evaluated. */
  scores: DealScore[];
  /** Findings per deal id (only deals with findings); built on first read (reports need it, the scoring job does not). */
  readonly findingsByDeal: Map<string, Finding[]>;
  /** Scores per deal id; built on first read. */
  readonly scoreByDeal: Map<string, DealScore>;
  benchmarks: Benchmarks;
  /** Deal ids evaluated (pass to `diffFindings` as `evaluatedDealIds`); includes deleted ones asked for. */
  evaluatedDealIds: string[];
  indexed: IndexedInput;
}

/**
 * Runs every rule on the deals and scores the open ones, at `now` (epoch ms or Date).
 * Pure: same input and instant, same output. Deleted deals get no findings (so theirs resolve).
 */
export function evaluateDeals(input: EngineInput, now: Date | number, options: EvaluateOptions = {}): Evaluation {
  const indexed = options.indexed ?? indexInput(input, now);
  const benchmarks = options.benchmarks ?? learnBenchmarks(input, input.settings.rules.stuck_in_stage.minSamples);
  const ctx = ruleContext(indexed, benchmarks);
  const active = activeRules(indexed.cfg);
  const findings: Finding[] = [];
  const scores: DealScore[] = [];
  /** Each deal's findings, for the findingsByDeal index built on demand. */
  const findingsPerDeal: Finding[][] = [];
  const evaluatedDealIds: string[] = [];
  const only = options.dealIds ? new Set(options.dealIds) : null;
  const deals = only ? [...only].map((id) => indexed.dealsById.get(id)) : input.deals;
  if (only) evaluatedDealIds.push(...only);
  for (let i = 0; i < deals.length; i++) {
    const deal = deals[i];
    if (!deal) continue;
    if (!only) evaluatedDealIds.push(deal.externalId);
    if (deal.isDeleted) continue;
    // walking the whole input, the indexes have each deal's record by position
    const facts = only ? dealFacts(deal, indexed) : dealFacts(deal, indexed, indexed.dealRecords[i]);
    const dealFindings = evaluateRules(facts, ctx, active);
    if (dealFindings.length > 0) {
      findingsPerDeal.push(dealFindings);
      for (const f of dealFindings) findings.push(f);
    }
    if (!deal.isClosed) scores.push(scoreDeal(facts, dealFindings, ctx));
  }
  // Indexing 100,000 deals twice by id is a large share of a run (BENCHMARKS.md, engine): only on read.
  let findingsByDeal: Map<string, Finding[]> | undefined;
  let scoreByDeal: Map<string, DealScore> | undefined;
  return {
    findings,
    scores,
    get findingsByDeal() {
      return (findingsByDeal ??= new Map(findingsPerDeal.map((list) => [list[0]!.dealId, list])));
    },
    get scoreByDeal() {
      return (scoreByDeal ??= new Map(scores.map((s) => [s.dealId, s])));
    },
    benchmarks,
    evaluatedDealIds,
    indexed,
  };
}
